-- Operators the portal refused as transfer targets (issue 22, item 4). OPERATOR_WRONG from
-- imopenlines.bot.session.transfer / imopenlines.operator.transfer is documented as "Transfer to
-- the specified operator or queue is not available": the app leaves that operator out of its
-- decisions for a while, in the store, so the next index rebuild, the next sync and every other
-- process see it too instead of choosing them again at once.
CREATE TABLE operator_refusals (
  member_id    TEXT NOT NULL,
  operator_id  INTEGER NOT NULL,
  until        INTEGER NOT NULL,   -- unix ms: left out of decisions until then
  error        TEXT NOT NULL,      -- the portal's error code
  at           INTEGER NOT NULL,   -- unix ms of the refusal
  PRIMARY KEY (member_id, operator_id)
);
