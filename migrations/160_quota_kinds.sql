-- Quotas for deals and open-line dialogs (issues 18 item 2, 19 item 2): the ledger (100) takes
-- deals beside leads and dialogs, each counted on its own, and says which queue the item went
-- to: a line's quota is counted per line (its setting is the line's, and the line's turn lock
-- covers its check and its record).
-- SQLite cannot change a CHECK constraint in place: the ledger is copied into a table that
-- allows the new kind, with the new column and the same index.
CREATE TABLE quota_ledger_new (
  member_id   TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('lead', 'deal', 'dialog')),
  object_id   TEXT NOT NULL,
  operator_id INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  queue_id    TEXT,                               -- 'line:<id>' for dialogs; null for older rows
  PRIMARY KEY (member_id, kind, object_id, operator_id)
);
INSERT INTO quota_ledger_new (member_id, kind, object_id, operator_id, at)
  SELECT member_id, kind, object_id, operator_id, at FROM quota_ledger;
DROP TABLE quota_ledger;
ALTER TABLE quota_ledger_new RENAME TO quota_ledger;
CREATE INDEX quota_ledger_operator ON quota_ledger (member_id, kind, operator_id, at);
-- Retention (db/repositories/retention.ts) drops entries older than any quota period by `at`.
CREATE INDEX quota_ledger_at ON quota_ledger (at);
