-- Deals (issue 19): the deal register, the same shape as the lead register (020_leads.sql) so one
-- repository serves both (src/db/repositories/leads.ts, by table). And the assignment log takes
-- deals and contacts (the one-owner policy logs what followed a chat).
CREATE TABLE deals (
  member_id     TEXT NOT NULL,
  deal_id       INTEGER NOT NULL,
  phase         TEXT NOT NULL CHECK (phase IN ('decided', 'done', 'waiting', 'skipped', 'seen', 'gone')),
  queue_id      TEXT,                          -- 'deals:default' or 'deals:<route name>'
  status_id     TEXT,                          -- the deal's stage group as last seen: P (in progress), S, F
  holder_id     INTEGER,
  previous_id   INTEGER,
  operator_id   INTEGER,
  reason        TEXT,
  comment       TEXT,
  update_done   INTEGER NOT NULL DEFAULT 0,
  comment_id    INTEGER,
  logged        INTEGER NOT NULL DEFAULT 0,
  echo_until    INTEGER NOT NULL DEFAULT 0,
  received_at   INTEGER,
  decided_at    INTEGER,
  written_at    INTEGER,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (member_id, deal_id)
);
CREATE INDEX deals_holder ON deals (member_id, holder_id, status_id) WHERE holder_id IS NOT NULL;
CREATE INDEX deals_waiting ON deals (member_id, received_at) WHERE phase = 'waiting';

-- SQLite cannot change a CHECK constraint in place: the log is copied into a table that allows
-- the new kinds, with the same columns and indexes.
CREATE TABLE assignment_log_new (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id            TEXT NOT NULL,
  kind                 TEXT NOT NULL CHECK (kind IN ('dialog', 'lead', 'deal', 'contact')),
  object_id            TEXT NOT NULL,
  queue_id             TEXT,
  action               TEXT NOT NULL,
  operator_id          INTEGER,
  previous_operator_id INTEGER,
  reason               TEXT NOT NULL,
  latency_ms           INTEGER,
  created_at           INTEGER NOT NULL
);
INSERT INTO assignment_log_new (id, member_id, kind, object_id, queue_id, action, operator_id, previous_operator_id,
  reason, latency_ms, created_at)
  SELECT id, member_id, kind, object_id, queue_id, action, operator_id, previous_operator_id, reason, latency_ms,
    created_at FROM assignment_log;
DROP TABLE assignment_log;
ALTER TABLE assignment_log_new RENAME TO assignment_log;
CREATE INDEX assignment_log_portal ON assignment_log (member_id, created_at);
CREATE INDEX assignment_log_object ON assignment_log (member_id, kind, object_id);
