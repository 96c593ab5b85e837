-- State that decides or limits, shared by every process of every instance (issue 14).

-- Named locks across processes (Store.withLock on SQLite; PostgreSQL uses advisory locks):
-- a row lease that runs out when its holder dies.
CREATE TABLE store_locks (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL                  -- unix ms
);

-- A counter per kind of shared snapshot ('operators:<member>', 'installation:<member>'): a
-- writer bumps it, and every process's read-through cache reloads once it sees a newer one.
CREATE TABLE store_versions (
  name    TEXT PRIMARY KEY,
  version INTEGER NOT NULL
);

-- The per-portal REST token bucket (2 req/s, burst 50; 5/250 for Enterprise), taken from by
-- every process that calls that portal. `tokens` as of `updated_at`; refilled on each take.
CREATE TABLE rate_buckets (
  member_id  TEXT PRIMARY KEY,
  tokens     REAL NOT NULL,
  updated_at INTEGER NOT NULL                  -- unix ms
);

-- The operator directory's last read of each user (availability, departments), whoever read
-- it (the server, a CLI sync, another instance); JSON of OperatorInfo.
CREATE TABLE operator_snapshots (
  member_id  TEXT NOT NULL,
  user_id    INTEGER NOT NULL,
  info       TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,                 -- unix ms
  PRIMARY KEY (member_id, user_id)
);
