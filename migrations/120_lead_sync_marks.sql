-- Lead sync whose cost follows change (issue 20): instead of re-reading every open lead of the
-- queues each run, the sync reads leads changed since its mark plus a fixed sweep of the
-- register's open leads, oldest check first.
-- The portal's own updatedTime of the newest change the sync has seen, as the portal wrote it
-- (with its UTC offset), so the next read asks in the portal's clock, never the app's.
CREATE TABLE lead_sync_marks (
  member_id   TEXT PRIMARY KEY,
  scope       TEXT NOT NULL,        -- the queue members and open statuses the mark was read for
  since       TEXT,                 -- updatedTime of the newest change seen; NULL = none yet
  full_at     INTEGER NOT NULL,     -- unix ms of the last full read
  updated_at  INTEGER NOT NULL
);
-- When the sync last read each lead (the sweep goes oldest first).
ALTER TABLE leads ADD COLUMN checked_at INTEGER;
CREATE INDEX leads_checked ON leads (member_id, checked_at) WHERE holder_id IS NOT NULL;
