-- 160_quota_kinds.sql on PostgreSQL. Quotas for deals and open-line dialogs (issues 18 item 2,
-- 19 item 2): the ledger takes deals beside leads and dialogs, each counted on its own, and says
-- which queue the item went to (a line's quota is counted per line).
-- PostgreSQL changes the CHECK constraint in place (its default name is <table>_<column>_check).
ALTER TABLE quota_ledger DROP CONSTRAINT IF EXISTS quota_ledger_kind_check;
ALTER TABLE quota_ledger ADD CONSTRAINT quota_ledger_kind_check CHECK (kind IN ('lead', 'deal', 'dialog'));
ALTER TABLE quota_ledger ADD COLUMN queue_id TEXT;
-- Retention (db/repositories/retention.ts) drops entries older than any quota period by `at`.
CREATE INDEX quota_ledger_at ON quota_ledger (at);
