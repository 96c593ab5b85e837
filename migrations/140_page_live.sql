-- The page (issue 17): what the live dashboard watches for a change cheaply, the waiting
-- queue's length sampled over the day for its chart, and when a dialog was first answered
-- (time to first answer per line).

-- The waiting queue per portal, one row per minute (every process writes the same minute's row
-- at most once: the first wins).
CREATE TABLE waiting_samples (
  member_id TEXT NOT NULL,
  at        INTEGER NOT NULL,                  -- unix ms, the start of the minute
  dialogs   INTEGER NOT NULL,
  leads     INTEGER NOT NULL,
  PRIMARY KEY (member_id, at)
);

-- When the register first saw an operator answer the dialog (unix ms); arrived_at → this is the
-- client's wait for a first answer. Set once, by whichever step notices the answer first.
ALTER TABLE ol_dialogs ADD COLUMN first_answered_at INTEGER;
CREATE INDEX ol_dialogs_arrived ON ol_dialogs (member_id, arrived_at);

-- "Has anything changed for this portal?" in a few index lookups (src/db/repositories/live-marks.ts).
CREATE INDEX ol_dialogs_updated ON ol_dialogs (member_id, updated_at);
CREATE INDEX leads_updated ON leads (member_id, updated_at);
CREATE INDEX assignment_log_portal_id ON assignment_log (member_id, id);
