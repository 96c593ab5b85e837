-- Whether a portal's offline events work for the app (issue 22, item 5). event.offline.* and
-- event.bind with event_type=offline are administrator-only (events/index.md: "Only an
-- administrator can work with the offline event queue"; events/event-bind.md: 403 ACCESS_DENIED
-- "Offline events binding requires administrator access rights"). The app works with the
-- installing user's token; when that user is not (or no longer) an administrator, offline events
-- are unavailable, and the dashboard says so.
CREATE TABLE offline_events_status (
  member_id   TEXT PRIMARY KEY,
  state       TEXT NOT NULL,      -- 'on' | 'not_admin' | 'not_offered'
  since       INTEGER NOT NULL,   -- unix ms: in this state since
  checked_at  INTEGER NOT NULL    -- unix ms: last time the app looked
);
