-- Speed to lead (issue 18): every assigned lead under a first-touch deadline, and every missed
-- deadline with what the app did about it. A breach row is written before the portal is
-- touched (reassignment, notifications), so a re-run finishes the same breach instead of
-- counting a new one; the pass-on job checks the due rows in one batch per 50 leads.
CREATE TABLE first_touch_watch (
  member_id     TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('lead', 'dialog')),
  object_id     TEXT NOT NULL,
  queue_id      TEXT,                          -- the lead queue ('leads:default', 'leads:<route>')
  holder_id     INTEGER NOT NULL,              -- whose clock is running
  holders       TEXT NOT NULL DEFAULT '[]',    -- JSON: everyone who held it under this watch (the pass-on round)
  status_id     TEXT,                          -- the lead's status when the holder got it (a change = first touch)
  arrived_at    INTEGER NOT NULL,              -- the first assignment (time to first touch counts from here)
  assigned_at   INTEGER NOT NULL,              -- when the current holder got it
  deadline_at   INTEGER,                       -- unix ms; NULL = no working time ahead (never due)
  breaches      INTEGER NOT NULL DEFAULT 0,
  state         TEXT NOT NULL CHECK (state IN ('watching', 'touched', 'escalated', 'ended')),
  touched_at    INTEGER,
  touched_by    INTEGER,
  touch         TEXT,                          -- activity:<TYPE_ID> | stage
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (member_id, kind, object_id)
);
CREATE INDEX first_touch_due ON first_touch_watch (member_id, deadline_at) WHERE state = 'watching';
CREATE INDEX first_touch_touched ON first_touch_watch (member_id, touched_at) WHERE touched_at IS NOT NULL;

CREATE TABLE first_touch_breach (
  member_id      TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('lead', 'dialog')),
  object_id      TEXT NOT NULL,
  breach_no      INTEGER NOT NULL,             -- 1 = the first missed deadline of this watch
  queue_id       TEXT,
  holder_id      INTEGER NOT NULL,             -- who missed it
  action         TEXT NOT NULL CHECK (action IN ('reassign', 'notify')),
  new_holder_id  INTEGER,                      -- reassign: whom it went to
  supervisor_id  INTEGER,                      -- escalated to
  waited_ms      INTEGER NOT NULL,             -- since the holder got it (wall clock)
  due_at         INTEGER NOT NULL,
  at             INTEGER NOT NULL,
  written        INTEGER NOT NULL DEFAULT 0,   -- the portal confirmed the writes (update, comment, notifications)
  PRIMARY KEY (member_id, kind, object_id, breach_no)
);
CREATE INDEX first_touch_breach_at ON first_touch_breach (member_id, at);
CREATE INDEX first_touch_breach_unwritten ON first_touch_breach (member_id) WHERE written = 0;
