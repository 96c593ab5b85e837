-- The app's register of CRM leads: what it decided for each lead, how far the portal write got
-- (so a re-run finishes the same write instead of deciding again), and who holds the lead now
-- (an operator's lead load is counted from here and corrected by the sync step).
CREATE TABLE leads (
  member_id     TEXT NOT NULL,
  lead_id       INTEGER NOT NULL,
  -- decided: decision recorded, portal write not confirmed yet; done: written (or nothing to
  -- write); waiting: nobody could take it; skipped: left alone on purpose; seen: known only from
  -- sync (no decision); gone: deleted on the portal
  phase         TEXT NOT NULL CHECK (phase IN ('decided', 'done', 'waiting', 'skipped', 'seen', 'gone')),
  queue_id      TEXT,                          -- 'leads:default' or 'leads:<route name>'
  status_id     TEXT,                          -- the lead's STATUS_ID as last seen
  holder_id     INTEGER,                       -- its responsible as last seen or as the app set it; NULL = none of ours
  previous_id   INTEGER,                       -- the responsible before the app's decision
  operator_id   INTEGER,                       -- whom the app decided on
  reason        TEXT,                          -- JSON: the engine's reason (or the skip's)
  comment       TEXT,                          -- the timeline comment to write, rendered once at decision time
  update_done   INTEGER NOT NULL DEFAULT 0,    -- crm.item.update confirmed (or nothing to change)
  comment_id    INTEGER,                       -- crm.timeline.comment.add confirmed
  logged        INTEGER NOT NULL DEFAULT 0,    -- the assignment log has the outcome
  echo_until    INTEGER NOT NULL DEFAULT 0,    -- unix ms: an ONCRMLEADUPDATE before this is the app's own write
  received_at   INTEGER,                       -- the event's arrival (latency, waiting order)
  decided_at    INTEGER,
  written_at    INTEGER,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (member_id, lead_id)
);
-- Load: open leads per holder.
CREATE INDEX leads_holder ON leads (member_id, holder_id, status_id) WHERE holder_id IS NOT NULL;
-- Leads that wait for someone to become free, oldest first.
CREATE INDEX leads_waiting ON leads (member_id, received_at) WHERE phase = 'waiting';
