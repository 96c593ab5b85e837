-- One record per portal, keyed by the stable member_id (never by domain, which can change).
CREATE TABLE installations (
  member_id         TEXT PRIMARY KEY,
  domain            TEXT NOT NULL,
  client_endpoint   TEXT NOT NULL,
  server_endpoint   TEXT NOT NULL,
  access_token      TEXT NOT NULL,
  refresh_token     TEXT NOT NULL,
  expires_at        INTEGER NOT NULL,           -- unix seconds, absolute
  application_token TEXT NOT NULL,
  scope             TEXT NOT NULL DEFAULT '',
  plan_status       TEXT NOT NULL DEFAULT 'F',  -- L F D T P: informational
  rate_plan         TEXT NOT NULL DEFAULT 'standard' CHECK (rate_plan IN ('standard', 'enterprise')),
  user_id           INTEGER,                    -- the installing user (owner of the stored tokens)
  language          TEXT NOT NULL DEFAULT 'en',
  status            TEXT NOT NULL CHECK (status IN ('active', 'uninstalled')),
  installed_at      TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  uninstalled_at    TEXT
);

-- Durable inbox: an event is answered 200 only after its row is committed here.
CREATE TABLE inbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id       TEXT NOT NULL,
  dedup_key       TEXT NOT NULL UNIQUE,
  event           TEXT NOT NULL,
  object_key      TEXT NOT NULL,               -- events of one object run in order, one at a time
  source          TEXT NOT NULL DEFAULT 'online' CHECK (source IN ('online', 'offline')),
  payload         TEXT NOT NULL,               -- JSON of the parsed body
  received_at     INTEGER NOT NULL,            -- unix ms
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processing', 'done', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,  -- unix ms
  locked_until    INTEGER NOT NULL DEFAULT 0,  -- unix ms: a 'processing' row whose lease ran out is taken again
  last_error      TEXT,
  finished_at     INTEGER
);
-- Partial indexes over unfinished rows only: finished ones pile up, and the worker's claim
-- must not get slower as they do.
CREATE INDEX inbox_open ON inbox (id) WHERE state IN ('pending', 'processing');
CREATE INDEX inbox_open_object ON inbox (member_id, object_key, id) WHERE state IN ('pending', 'processing');
CREATE INDEX inbox_member_state ON inbox (member_id, state, id);

-- Every decision and every move, with its reason: the dashboard's "why".
CREATE TABLE assignment_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id            TEXT NOT NULL,
  kind                 TEXT NOT NULL CHECK (kind IN ('dialog', 'lead')),
  object_id            TEXT NOT NULL,
  queue_id             TEXT,
  action               TEXT NOT NULL,
  operator_id          INTEGER,
  previous_operator_id INTEGER,
  reason               TEXT NOT NULL,          -- JSON: machine-readable reason from the engine
  latency_ms           INTEGER,                -- event received → transfer confirmed
  created_at           INTEGER NOT NULL        -- unix ms
);
CREATE INDEX assignment_log_portal ON assignment_log (member_id, created_at);
CREATE INDEX assignment_log_object ON assignment_log (member_id, kind, object_id);

-- App settings per portal and scope ('line:<id>', 'leads', 'portal'); JSON validated by zod.
CREATE TABLE settings (
  member_id  TEXT NOT NULL,
  scope      TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by INTEGER,
  PRIMARY KEY (member_id, scope)
);

-- One run at a time across processes: a lease row with an expiry.
CREATE TABLE job_leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL                  -- unix ms
);

-- A journal row per job run and portal, for the dashboard.
CREATE TABLE job_runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  job         TEXT NOT NULL,
  member_id   TEXT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
  dry_run     INTEGER NOT NULL DEFAULT 0,
  summary     TEXT
);
CREATE INDEX job_runs_recent ON job_runs (member_id, started_at);

-- Offline-event batches reserved with event.offline.get (clear=0) and not yet cleared: a run
-- that died between storing and clearing finishes the batch on the next run.
CREATE TABLE offline_reservations (
  member_id  TEXT NOT NULL,
  process_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (member_id, process_id)
);
