-- Per queue and operator: when the queue last gave them an item, and the weighted mode's
-- credit. A queue is 'line:<id>' for an open line or 'leads:<route>' for a lead queue.
CREATE TABLE queue_state (
  member_id        TEXT NOT NULL,
  queue_id         TEXT NOT NULL,
  operator_id      INTEGER NOT NULL,
  last_assigned_at INTEGER,
  credit           REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (member_id, queue_id, operator_id)
);
