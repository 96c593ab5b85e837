-- The app's open-line bot per portal: registered once, its id kept so a reinstall never
-- registers a second one.
CREATE TABLE ol_bots (
  member_id     TEXT PRIMARY KEY,
  bot_id        INTEGER NOT NULL,
  bot_version   INTEGER NOT NULL,              -- 1 = imbot.register, 2 = imbot.v2.Bot.register
  code          TEXT NOT NULL,
  registered_at INTEGER NOT NULL                -- unix ms
);

-- Each open line's own queue settings as last read (imopenlines.config.get WITH_QUEUE=Y), with
-- the queue expanded to users; refreshed by the sync job.
CREATE TABLE ol_lines (
  member_id  TEXT NOT NULL,
  line_id    INTEGER NOT NULL,
  config     TEXT NOT NULL,                     -- JSON: the distribution fields of the line
  queue      TEXT NOT NULL,                     -- JSON: user ids in queue order, departments expanded
  bot_id     INTEGER,                           -- the welcome bot the line was seen with
  active     INTEGER NOT NULL DEFAULT 1,        -- 0 once the line is gone from the portal
  fetched_at INTEGER NOT NULL,
  PRIMARY KEY (member_id, line_id)
);

-- The dialog register: every open-line session the bot joined, where it stands, who holds it.
-- An open session has one row; state moves waiting → transferring → assigned (or portal), and
-- every move is a compare-and-set on `version`, so two runs can never both move one dialog.
CREATE TABLE ol_dialogs (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id       TEXT NOT NULL,
  chat_id         INTEGER NOT NULL,
  session_id      INTEGER NOT NULL,
  line_id         INTEGER NOT NULL,
  user_code       TEXT NOT NULL,
  crm             TEXT,                          -- JSON {LEAD, COMPANY, CONTACT, DEAL}; null = not known
  state           TEXT NOT NULL CHECK (state IN ('waiting', 'transferring', 'assigned', 'portal', 'closed')),
  holder          TEXT NOT NULL DEFAULT 'bot' CHECK (holder IN ('bot', 'operator', 'none')),
  operator_id     INTEGER,                       -- who holds it at the portal (assigned/portal), or held it (waiting after a return)
  pending         TEXT,                          -- JSON: the recorded decision a 'transferring' row must finish
  answered        INTEGER NOT NULL DEFAULT 0,    -- the current operator wrote after their assignment
  last_from       TEXT CHECK (last_from IN ('client', 'operator')),
  last_message_id INTEGER NOT NULL DEFAULT 0,
  priority        INTEGER NOT NULL DEFAULT 0,
  round           TEXT,                          -- JSON: pass-on round (who had it since the last answer)
  arrived_at      INTEGER NOT NULL,              -- the join event's receipt, unix ms
  assigned_at     INTEGER,
  pass_on_at      INTEGER,                       -- when the pass-on job looks at it next
  first_assigned_at INTEGER,
  event_id        INTEGER,                       -- the inbox row that recorded it
  checked_at      INTEGER,                       -- when sync last read it from the portal
  version         INTEGER NOT NULL DEFAULT 0,
  updated_at      INTEGER NOT NULL,
  closed_at       INTEGER,
  UNIQUE (member_id, chat_id, session_id)
);
CREATE INDEX ol_dialogs_open ON ol_dialogs (member_id, state, line_id) WHERE state != 'closed';
CREATE INDEX ol_dialogs_chat ON ol_dialogs (member_id, chat_id, id);
-- A chat has one open session: a new one means the previous is over (the insert finds out).
CREATE UNIQUE INDEX ol_dialogs_one_open ON ol_dialogs (member_id, chat_id) WHERE state != 'closed';
CREATE INDEX ol_dialogs_client ON ol_dialogs (member_id, user_code, id);
CREATE INDEX ol_dialogs_pass_on ON ol_dialogs (member_id, pass_on_at) WHERE state = 'assigned' AND answered = 0;
