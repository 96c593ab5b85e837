-- The deal sync reads what changed, like the lead sync (120_lead_sync_marks.sql): its own marks,
-- and when it last read each deal.
CREATE TABLE deal_sync_marks (
  member_id   TEXT PRIMARY KEY,
  scope       TEXT NOT NULL,
  since       TEXT,
  full_at     INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
ALTER TABLE deals ADD COLUMN checked_at INTEGER;
CREATE INDEX deals_checked ON deals (member_id, checked_at) WHERE holder_id IS NOT NULL;
