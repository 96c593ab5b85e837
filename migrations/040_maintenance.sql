-- The maintenance jobs' own bookkeeping beside the dialog register (ol_dialogs): a close the
-- close-idle job decided and has not seen through yet, what it last read from a dialog's
-- history, and the day reclaim-departed last did its daily work per portal.

-- A decided close: written before imopenlines.operator.another.finish is asked for, removed
-- once the register says closed and the log has it. A run that finds a row here finishes that
-- close instead of deciding again.
CREATE TABLE mnt_close_intents (
  dialog_id   INTEGER PRIMARY KEY,             -- ol_dialogs.id
  member_id   TEXT NOT NULL,
  chat_id     INTEGER NOT NULL,
  rule        TEXT NOT NULL CHECK (rule IN ('no_operator_answer', 'no_client_reply')),
  reason      TEXT NOT NULL,                   -- JSON: the assignment log's reason for the close
  decided_at  INTEGER NOT NULL,                -- unix ms; the log row's time, so a re-run logs it once
  sent_at     INTEGER,                         -- when the portal was first asked to close it
  attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mnt_close_intents_portal ON mnt_close_intents (member_id);

-- What imopenlines.session.history.get said about an open dialog when close-idle last read it,
-- so that the next hourly run reads it again only once a rule could have become true (or the
-- register saw a newer message).
CREATE TABLE mnt_idle_facts (
  dialog_id        INTEGER PRIMARY KEY,        -- ol_dialogs.id
  member_id        TEXT NOT NULL,
  last_message_id  INTEGER NOT NULL,           -- the newest message id of the session when read
  operator_wrote   INTEGER NOT NULL,           -- a staff member wrote in the session
  last_from        TEXT CHECK (last_from IN ('client', 'operator')),
  last_at          INTEGER,                    -- unix ms of the last client/operator message
  checked_at       INTEGER NOT NULL            -- unix ms of the read
);
CREATE INDEX mnt_idle_facts_portal ON mnt_idle_facts (member_id);

-- reclaim-departed runs hourly but does its work once a local day (after 03:00 in the
-- portal's zone): the day it last did it.
CREATE TABLE mnt_daily_runs (
  member_id  TEXT NOT NULL,
  job        TEXT NOT NULL,
  local_day  TEXT NOT NULL,                    -- YYYY-MM-DD in the portal's zone
  time_zone  TEXT NOT NULL,                    -- the zone the day was reckoned in
  done_at    INTEGER NOT NULL,                 -- unix ms
  PRIMARY KEY (member_id, job)
);
