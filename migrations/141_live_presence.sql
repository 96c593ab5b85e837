-- The live dashboard (src/db/repositories/live-marks.ts) also watches deals and the operators'
-- availability as any process last read it (operator_snapshots is versioned by 090): a break, a
-- return or a vacation seen by the sync shows on an open page at once, not on its next re-read.
CREATE INDEX deals_updated ON deals (member_id, updated_at);
