-- One owner for chat, lead, deal and contact (issue 19). Every follow the policy decides (a
-- lead's, deal's or contact's responsible following its chat) is written here before it is sent,
-- marked before each send, and read back before it is sent again.
CREATE TABLE owner_follows (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id    TEXT NOT NULL,
  entity       TEXT NOT NULL CHECK (entity IN ('lead', 'deal', 'contact')),
  entity_id    INTEGER NOT NULL,
  chat_id      INTEGER NOT NULL,
  cause        TEXT NOT NULL,                  -- the chat's move: assign, pass_on, reclaim, transfer, …
  by_person    INTEGER NOT NULL DEFAULT 0,     -- a person moved the chat
  from_id      INTEGER,                        -- the responsible before
  target_id    INTEGER NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'done', 'superseded')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  sent_at      INTEGER,
  echo_until   INTEGER NOT NULL DEFAULT 0,     -- unix ms: the item's next update event before this is this write's echo
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX owner_follows_open ON owner_follows (member_id, state, sent_at) WHERE state IN ('pending', 'sent');
CREATE INDEX owner_follows_item ON owner_follows (member_id, entity, entity_id, id);

-- The last change a person made on either side of a chat (its operator, or its lead's or deal's
-- responsible): the later person's change wins over an earlier one still being followed.
CREATE TABLE owner_marks (
  member_id  TEXT NOT NULL,
  chat_id    INTEGER NOT NULL,
  side       TEXT NOT NULL CHECK (side IN ('chat', 'crm')),
  owner_id   INTEGER NOT NULL,                 -- whom the person chose
  by_id      INTEGER,                          -- who chose; NULL = not known
  at         INTEGER NOT NULL,                 -- unix ms
  PRIMARY KEY (member_id, chat_id)
);
