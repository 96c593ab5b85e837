-- Speed to lead (issue 18): the notifications a missed first-touch deadline sends, each rendered
-- and recorded in the same transaction as its breach (before anything goes to the portal), so
-- a re-run sends the same text to the same people, and only what is not confirmed yet. The
-- tag is im.notify.system.add's TAG: a resend after a lost answer replaces the earlier copy on
-- the portal (documented), so nobody sees it twice.
CREATE TABLE first_touch_notice (
  member_id   TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('lead', 'dialog')),
  object_id   TEXT NOT NULL,
  breach_no   INTEGER NOT NULL,
  user_id     INTEGER NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('holder', 'new_holder', 'previous', 'supervisor')),
  tag         TEXT NOT NULL,
  message     TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,   -- sends begun (a lost answer leaves it unconfirmed)
  sent_at     INTEGER,                      -- the portal answered with the notification's id
  PRIMARY KEY (member_id, kind, object_id, breach_no, user_id)
);
CREATE INDEX first_touch_notice_unsent ON first_touch_notice (member_id) WHERE sent_at IS NULL;

-- Quotas (issue 18): every item the app gave to an operator, with when. An operator's count for
-- the day (or shift) is read from here at each decision, so every process sees the same count
-- and a reset is only the period's start moving on. Giving the same item to the same person
-- again counts once.
CREATE TABLE quota_ledger (
  member_id   TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('lead', 'dialog')),
  object_id   TEXT NOT NULL,
  operator_id INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  PRIMARY KEY (member_id, kind, object_id, operator_id)
);
CREATE INDEX quota_ledger_operator ON quota_ledger (member_id, kind, operator_id, at);
