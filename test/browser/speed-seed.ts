import type { AppContext } from '../../src/context.ts';
import type { LeadsServices } from '../../src/crm/feature.ts';
import type { WatchRow } from '../../src/db/repositories/first-touch.ts';

const MIN = 60_000;

/**
 * Speed to lead for the page: Vera Petrova (3) contacted two leads today, 2 and 10 minutes after
 * getting them; Egor Volkov (6) one three days ago, after 4 minutes; Vera missed one deadline
 * today (its words in the log, as the pass-on job writes them). On line 1 a chat missed its
 * first-answer deadline today (Vera's, passed on to Egor).
 */
export async function seedSpeed(ctx: AppContext, memberId: string): Promise<void> {
  const now = Date.now();
  // "Today" is the browser's day: keep today's story after its midnight.
  const sinceMidnight = now - new Date(now).setHours(0, 0, 0, 0);
  const ago = (min: number) => now - Math.min(min * MIN, Math.max(0, sinceMidnight - 1000) * (min / 60));
  const repo = (ctx.services.leads as LeadsServices).firstTouchRepository;
  const w = (id: number, o: Partial<WatchRow>): WatchRow => ({
    memberId,
    kind: 'lead',
    objectId: String(id),
    queueId: 'leads:default',
    holderId: 3,
    holders: [3],
    statusId: 'NEW',
    arrivedAt: 0,
    assignedAt: 0,
    deadlineAt: null,
    breaches: 0,
    state: 'watching',
    touchedAt: null,
    touchedBy: null,
    touch: null,
    ...o,
  });
  const a = w(9101, { arrivedAt: ago(40), assignedAt: ago(40) });
  const b = w(9102, { arrivedAt: ago(30), assignedAt: ago(30) });
  const c = w(9103, {
    holderId: 6,
    holders: [6],
    arrivedAt: now - 3 * 1440 * MIN,
    assignedAt: now - 3 * 1440 * MIN,
  });
  const d = w(9104, { arrivedAt: ago(20), assignedAt: ago(20), deadlineAt: ago(5) });
  await repo.start([a, b, c, d], now);
  await repo.touched(a, { at: a.assignedAt + 2 * MIN, by: 3, touch: 'activity:2' }, now);
  await repo.touched(b, { at: b.assignedAt + 10 * MIN, by: 3, touch: 'stage' }, now);
  await repo.touched(c, { at: c.assignedAt + 4 * MIN, by: 6, touch: 'activity:2' }, now);
  await repo.recordBreach({
    memberId,
    objectId: '9104',
    breachNo: 1,
    queueId: 'leads:default',
    holderId: 3,
    action: 'notify',
    newHolderId: null,
    supervisorId: null,
    waitedMs: 20 * MIN,
    dueAt: ago(5),
    at: ago(4),
    watch: {
      holderId: 3,
      holders: [3],
      assignedAt: d.assignedAt,
      deadlineAt: now + 15 * MIN,
      state: 'watching',
    },
    notices: [],
    log: {
      memberId,
      kind: 'lead',
      objectId: '9104',
      action: 'breach',
      operatorId: 3,
      previousOperatorId: 3,
      reason: {
        rule: 'first_touch_breach',
        text_en:
          'First-touch deadline missed (1st time): Vera Petrova did not contact the client "Olga" within 15 min; the client has waited 20 min. The lead stays with them; they were notified.',
        text_ru:
          'Пропущен срок первого контакта (1-й раз): нет контакта с клиентом «Ольга» за 15 мин (ответственный: Вера Петрова), клиент ждёт 20 мин. Лид остаётся, сотрудник уведомлён.',
      },
      at: ago(4),
    },
  });
  const chatAt = ago(3);
  await ctx.db.run(
    `INSERT INTO first_touch_breach (member_id, kind, object_id, breach_no, queue_id, holder_id, action,
       new_holder_id, supervisor_id, waited_ms, due_at, at, written)
     VALUES (?, 'dialog', '9201:1', 1, 'line:1', 3, 'reassign', 6, NULL, 75000, ?, ?, 1)`,
    [memberId, chatAt - 1000, chatAt],
  );
  await ctx.assignmentLog.add({
    memberId,
    kind: 'dialog',
    objectId: '9201',
    queueId: 'line:1',
    action: 'breach',
    operatorId: 6,
    previousOperatorId: 3,
    reason: {
      rule: 'first_message_breach',
      text_en:
        'First-answer deadline missed (1st time): Vera Petrova did not answer "Ivan" within 1 min; the client has waited 1 min 15 s. The chat was passed on to Egor Volkov.',
      text_ru:
        'Пропущен срок первого ответа в чате (1-й раз): нет ответа клиенту «Иван» за 1 мин (оператор: Вера Петрова), клиент ждёт 1 мин 15 с. Чат передан дальше: Егор Волков.',
    },
    at: chatAt,
  });
}
