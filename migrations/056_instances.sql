-- Every running process of the app (server, CLI job, another instance) says here that it is
-- alive. A process that stops saying so is dead: what it held (a dialog's move it was sending)
-- may be taken over, after the portal has been read back.
CREATE TABLE app_instances (
  id         TEXT PRIMARY KEY,
  pid        INTEGER NOT NULL,
  host       TEXT NOT NULL,
  started_at INTEGER NOT NULL,                 -- unix ms
  seen_at    INTEGER NOT NULL                  -- unix ms, renewed every few seconds
);
