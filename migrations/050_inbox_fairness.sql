-- The worker claims each portal's unfinished events separately, so that one portal's backlog
-- (a CRM import of thousands of leads, each waiting on that portal's 2 requests a second)
-- cannot hold every handler while another portal's client waits. This index walks one
-- portal's unfinished rows in arrival order, and lists the portals that have any.
CREATE INDEX inbox_open_member ON inbox (member_id, id) WHERE state IN ('pending', 'processing');
