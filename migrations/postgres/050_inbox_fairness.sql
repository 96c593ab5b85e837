-- 050_inbox_fairness.sql on PostgreSQL: the same lane column, with strpos for SQLite's instr.
ALTER TABLE inbox ADD COLUMN lane TEXT NOT NULL DEFAULT '';
UPDATE inbox SET lane = CASE WHEN strpos(object_key, ':') > 0 THEN substr(object_key, 1, strpos(object_key, ':') - 1)
                             ELSE object_key END
 WHERE state IN ('pending', 'processing');
CREATE INDEX inbox_open_lane ON inbox (member_id, lane, id) WHERE state IN ('pending', 'processing');
DROP INDEX inbox_open;
