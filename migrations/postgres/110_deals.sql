-- 110_deals.sql on PostgreSQL. Deals (issue 19): the deal register, the same shape as the lead register (020_leads.sql) so one
-- repository serves both (src/db/repositories/leads.ts, by table). And the assignment log takes
-- deals and contacts (the one-owner policy logs what followed a chat).
CREATE TABLE deals (
  member_id     TEXT NOT NULL,
  deal_id       BIGINT NOT NULL,
  phase         TEXT NOT NULL CHECK (phase IN ('decided', 'done', 'waiting', 'skipped', 'seen', 'gone')),
  queue_id      TEXT,                          -- 'deals:default' or 'deals:<route name>'
  status_id     TEXT,                          -- the deal's stage group as last seen: P (in progress), S, F
  holder_id     BIGINT,
  previous_id   BIGINT,
  operator_id   BIGINT,
  reason        TEXT,
  comment       TEXT,
  update_done   BIGINT NOT NULL DEFAULT 0,
  comment_id    BIGINT,
  logged        BIGINT NOT NULL DEFAULT 0,
  echo_until    BIGINT NOT NULL DEFAULT 0,
  received_at   BIGINT,
  decided_at    BIGINT,
  written_at    BIGINT,
  updated_at    BIGINT NOT NULL,
  PRIMARY KEY (member_id, deal_id)
);
CREATE INDEX deals_holder ON deals (member_id, holder_id, status_id) WHERE holder_id IS NOT NULL;
CREATE INDEX deals_waiting ON deals (member_id, received_at) WHERE phase = 'waiting';

-- PostgreSQL changes the CHECK constraint in place (its default name is <table>_<column>_check).
ALTER TABLE assignment_log DROP CONSTRAINT IF EXISTS assignment_log_kind_check;
ALTER TABLE assignment_log ADD CONSTRAINT assignment_log_kind_check CHECK (kind IN ('dialog', 'lead', 'deal', 'contact'));
