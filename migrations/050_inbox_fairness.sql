-- The worker claims each portal's unfinished events separately, and within a portal each kind
-- of object (a lane: chat, lead, …) separately, so that a backlog (a CRM import of thousands
-- of leads, each waiting on that portal's 2 requests a second) can hold neither every handler
-- while another portal's client waits, nor the portal's own new dialogs behind its leads.
-- The lane is the object key's kind, the part before its first ':' ("lead:42" → "lead").
ALTER TABLE inbox ADD COLUMN lane TEXT NOT NULL DEFAULT '';
-- Only unfinished rows are ever claimed, so only they need their lane.
UPDATE inbox SET lane = CASE WHEN instr(object_key, ':') > 0 THEN substr(object_key, 1, instr(object_key, ':') - 1)
                             ELSE object_key END
 WHERE state IN ('pending', 'processing');
-- Walks one lane's unfinished rows in arrival order, and lists the lanes that have any.
CREATE INDEX inbox_open_lane ON inbox (member_id, lane, id) WHERE state IN ('pending', 'processing');
-- The claim no longer walks all portals' unfinished rows in id order; this index only cost
-- writes.
DROP INDEX inbox_open;
