-- Who may change what the app stores for a portal (README, "Install, tokens, events").
-- The application token events are checked against is confirmed by the portal itself: the app
-- calls event.test with a secret challenge and takes the token from the ONAPPTEST the portal
-- delivers with that challenge. Until then it is the one the first install claimed.
ALTER TABLE installations ADD COLUMN application_token_confirmed_at TEXT;

-- One open confirmation per portal: who asked for it (the administrator whose install needed
-- it), the challenge sent (its hash only), and when the portal answered.
CREATE TABLE application_token_checks (
  member_id        TEXT PRIMARY KEY,
  requested_by     INTEGER,
  requested_at     INTEGER NOT NULL,            -- unix ms
  reason           TEXT NOT NULL,               -- install | token_claim
  challenge_hash   TEXT,                        -- sha256 of the challenge, hex
  challenge_expires_at INTEGER,                 -- unix ms
  confirmed_at     INTEGER                      -- unix ms
);

-- The installation's security journal, shown on the dashboard: installs, refused installs,
-- application-token changes, refused uninstalls. Never holds a token, only a fingerprint.
CREATE TABLE installation_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id  TEXT NOT NULL,
  at         INTEGER NOT NULL,                  -- unix ms
  kind       TEXT NOT NULL,
  user_id    INTEGER,
  detail     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX installation_events_portal ON installation_events (member_id, id);
