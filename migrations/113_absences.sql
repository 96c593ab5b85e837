-- Absences and their handover (issue 19): every absence the app acts on, the portal's (im
-- `absent`, from when the app first saw it) and those entered in the app, with how far its
-- handover got, so a restart, a CLI run or another instance neither repeats nor skips one. The
-- dashboard's "who covers whom until when" reads it.
CREATE TABLE absences (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id       TEXT NOT NULL,
  user_id         INTEGER NOT NULL,
  source          TEXT NOT NULL CHECK (source IN ('portal', 'app')),
  starts_at       INTEGER NOT NULL,              -- unix ms; the portal's: when the app first saw it
  ends_at         INTEGER NOT NULL,              -- unix ms, exclusive
  deputy_id       INTEGER,                       -- who covers; NULL = back to distribution
  state           TEXT NOT NULL CHECK (state IN ('upcoming', 'active', 'ended', 'cancelled')),
  handed_over_at  INTEGER,                       -- the start's handover is done
  handed          TEXT,                          -- JSON: what it handed over ({dialogs, leads, deals})
  returned_at     INTEGER,
  updated_at      INTEGER NOT NULL,
  UNIQUE (member_id, user_id, source, starts_at)
);
CREATE INDEX absences_open ON absences (member_id, state) WHERE state IN ('upcoming', 'active');
CREATE INDEX absences_recent ON absences (member_id, ends_at);
