-- Issue 14: the operator snapshot is read incrementally. Each row carries the portal's
-- 'operators:<member>' version (store_versions) of the write that last changed it, so a
-- process that saw version N reads only the rows written after it.
ALTER TABLE operator_snapshots ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX operator_snapshots_by_version ON operator_snapshots (member_id, version);
