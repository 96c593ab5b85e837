import type { Emulator } from 'b24-emulator';
import { DemoStory } from './story.ts';

export interface ScenarioOptions {
  /** new dialogs per minute */
  rate: number;
  /** new leads per minute */
  leadRate: number;
  lang: 'ru' | 'en';
  /** seed of the pseudo-random stream, so a run can be replayed */
  seed?: number;
  log?: (line: string) => void;
  /** the portal's clock (the soak benchmark runs portal time faster); default Date.now */
  clock?: () => number;
  /** portal ms per real ms: the steps come this much more often, each one step of portal time */
  scale?: number;
}

/** Steps one timer tick may run to catch up with the clock (10 minutes of the day at 250 ms a step). */
const MAX_CATCH_UP = 2400;

/** A small deterministic PRNG (mulberry32): the same seed plays the same day. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLIENT_TEXT = {
  ru: [
    'Здравствуйте! Сколько стоит доставка?',
    'Можно оформить заказ?',
    'Не работает личный кабинет',
    'Подскажите по тарифам',
  ],
  en: [
    'Hi! How much is delivery?',
    'Can I place an order?',
    'My account does not work',
    'Which plan should I choose?',
  ],
};
const OPERATOR_TEXT = { ru: 'Добрый день! Сейчас помогу.', en: 'Hello! Let me help you with that.' };

/**
 * Plays a working day on the emulated portal: clients write in both lines (some of them
 * known CRM contacts), operators answer and close, someone takes a break and comes back,
 * one operator is dismissed, new leads arrive and are worked and closed. Every action goes through the portal, so
 * the app sees exactly the events a real portal would send.
 */
export class DemoScenario {
  private timer: NodeJS.Timeout | undefined;
  private readonly rnd: () => number;
  private tick = 0;
  private clients = 0;
  readonly counts = { dialogs: 0, answers: 0, closed: 0, leads: 0, leadsClosed: 0, pauses: 0, dismissals: 0 };
  /** who is on a break, until when */
  private readonly onBreak = new Map<number, number>();
  private readonly leadPlan = new Map<number, { takeAt: number; closeAt: number }>();
  /** the story's one lead nobody calls back: its first-touch deadline passes twice, and it is escalated */
  forgottenLeadId: number | null = null;
  /** a support chat nobody answers: the first-answer story */
  forgottenChatId: number | null = null;
  /** a deal, a transfer in Bitrix24 that the lead follows, a vacation with its handover (story.ts) */
  private readonly story: DemoStory;

  constructor(
    private readonly emu: Emulator,
    private readonly o: ScenarioOptions,
  ) {
    this.rnd = prng(o.seed ?? 24);
    this.story = new DemoStory(emu, { lang: o.lang, log: o.log, clock: o.clock });
  }

  start(intervalMs = 250): void {
    const clock = this.o.clock ?? Date.now;
    let due = clock() + intervalMs;
    this.timer = setInterval(
      () => {
        // One step per interval of portal time: a timer that fired late (a busy machine, an
        // accelerated clock) runs the steps it owes, so the day's rates hold in portal time.
        for (let n = 0; clock() >= due && n < MAX_CATCH_UP; n++) {
          due += intervalMs;
          try {
            this.step(intervalMs);
          } catch (err) {
            this.o.log?.(`scenario: ${(err as Error).message}`);
          }
        }
        if (clock() >= due) due = clock() + intervalMs; // far behind: skip, do not spiral
      },
      intervalMs / (this.o.scale ?? 1),
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private chance(perMinute: number, intervalMs: number): boolean {
    return this.rnd() < (perMinute * intervalMs) / 60_000;
  }

  private step(intervalMs: number): void {
    this.tick++;
    const { emu } = this;
    const now = this.o.clock?.() ?? Date.now();
    if (this.chance(this.o.rate, intervalMs)) this.newDialog();
    if (this.chance(this.o.leadRate, intervalMs)) this.newLead();

    for (const session of emu.state.sessions.values()) {
      if (session.closedAt) continue;
      const human = session.operatorId > 1 && !emu.state.bots.has(session.operatorId);
      if (!human || session.chatId === this.forgottenChatId) continue;
      const sinceAssigned = now - (session.assignedAt ?? now);
      if (!session.answeredAt && sinceAssigned > 1500 && this.rnd() < 0.15) {
        emu.sim.operatorWrites({
          chatId: session.chatId,
          userId: session.operatorId,
          text: OPERATOR_TEXT[this.o.lang],
        });
        this.counts.answers++;
      } else if (session.answeredAt && now - session.answeredAt > 4000 && this.rnd() < 0.04) {
        emu.sim.closeDialog(session.chatId);
        this.counts.closed++;
      }
    }

    // Every ~20 s someone takes a break (at most two at a time), back 30–75 s later; at ~40 s
    // one operator is dismissed.
    if (this.tick % Math.round(20_000 / intervalMs) === 0 && this.onBreak.size < 2) {
      const id = 2 + Math.floor(this.rnd() * 12);
      const u = emu.state.users.get(id);
      if (u?.active && u.timeman === 'OPENED' && !this.onBreak.has(id)) {
        emu.sim.setUser(id, { timeman: 'PAUSED' });
        this.onBreak.set(id, now + 30_000 + Math.floor(this.rnd() * 45_000));
        this.counts.pauses++;
        this.o.log?.(
          this.o.lang === 'ru' ? `${u.name} ${u.lastName}: перерыв` : `${u.name} ${u.lastName} takes a break`,
        );
      }
    }
    for (const [id, until] of this.onBreak) {
      if (now < until) continue;
      this.onBreak.delete(id);
      const u = emu.state.users.get(id);
      if (!u?.active) continue;
      emu.sim.setUser(id, { timeman: 'OPENED' });
      this.o.log?.(
        this.o.lang === 'ru'
          ? `${u.name} ${u.lastName}: перерыв окончен`
          : `${u.name} ${u.lastName} is back from a break`,
      );
    }
    if (this.tick === Math.round(40_000 / intervalMs)) {
      const u = emu.state.users.get(7);
      if (u?.active) {
        emu.sim.setUser(7, { active: false });
        this.onBreak.delete(7);
        this.counts.dismissals++;
        this.o.log?.(
          this.o.lang === 'ru'
            ? `${u.name} ${u.lastName}: увольнение — диалоги сотрудника возвращаются в распределение`
            : `${u.name} ${u.lastName} is dismissed: their dialogs go back to distribution`,
        );
      }
    }
    if (this.tick % 4 === 0) this.workLeads(now);
    if (this.tick === Math.round(15_000 / intervalMs)) this.forgottenLead();
    if (this.tick === Math.round(20_000 / intervalMs)) this.forgottenChat();
    this.story.step();
  }

  /** A lead nobody will contact: the speed-to-lead story (first-touch deadline, pass-on, escalation). */
  private forgottenLead(): void {
    const ru = this.o.lang === 'ru';
    this.forgottenLeadId = this.emu.sim.addLead({
      title: ru ? 'Заявка: перезвоните мне' : 'Request: please call me back',
      name: ru ? 'Тимур' : 'Tim',
      lastName: ru ? 'Забытый' : 'Waiting',
      sourceId: 'WEB',
    });
    this.counts.leads++;
    this.o.log?.(
      ru
        ? `новый лид «Тимур Забытый»: никто не свяжется с клиентом, смотрите, что будет (срок первого контакта — 1 мин)`
        : 'a new lead "Tim Waiting": nobody will contact the client; watch what happens (first-touch deadline: 1 min)',
    );
  }

  /** A support chat nobody answers: the first-answer story (deadline, pass-on, escalation). */
  private forgottenChat(): void {
    const ru = this.o.lang === 'ru';
    const name = ru ? 'Нина Ждущая' : 'Nina Waiting';
    this.forgottenChatId = this.emu.sim.clientWrites({
      lineId: 2,
      clientKey: 'forgotten-chat',
      name,
      text: ru ? 'Здравствуйте, есть кто-нибудь?' : 'Hello, is anybody there?',
    }).chatId;
    this.counts.dialogs++;
    this.o.log?.(
      ru
        ? `новый чат в поддержке: «${name}» — никто не ответит, смотрите, что будет (срок первого ответа — 1 мин)`
        : `a new support chat from "${name}": nobody will answer; watch what happens (first-answer deadline: 1 min)`,
    );
  }

  /**
   * Leads are worked, as sales people do: taken in hand 20–40 s after someone got them (well
   * inside the demo's one-minute first-touch deadline), closed (converted, or junk) a minute or
   * two later, so nobody's open leads pile up for ever. The forgotten lead is never touched.
   */
  private workLeads(now: number): void {
    for (const lead of this.emu.state.crm.leads.values()) {
      if (lead.id === this.forgottenLeadId) continue;
      const owner = lead.assignedById;
      if (!owner || !this.emu.state.users.get(owner)?.active) continue;
      let plan = this.leadPlan.get(lead.id);
      if (!plan) {
        plan = { takeAt: now + 20_000 + this.rnd() * 20_000, closeAt: now + 60_000 + this.rnd() * 60_000 };
        this.leadPlan.set(lead.id, plan);
      }
      if (lead.stageId === 'NEW' && now >= plan.takeAt) {
        // First contact: a call back (logged as an activity) or straight to "in progress".
        if (this.rnd() < 0.5) this.emu.sim.addActivity({ ownerId: lead.id, authorId: owner, typeId: 2 });
        this.emu.sim.updateLead(lead.id, { stageId: 'IN_PROCESS' }, owner);
      } else if (lead.stageId === 'IN_PROCESS' && now >= plan.closeAt) {
        this.emu.sim.updateLead(lead.id, { stageId: this.rnd() < 0.6 ? 'CONVERTED' : 'JUNK' }, owner);
        this.counts.leadsClosed++;
        this.leadPlan.delete(lead.id);
      }
    }
  }

  private newDialog(): void {
    const lineId = this.rnd() < 0.6 ? 1 : 2;
    // One client in five is a known CRM contact: the sales line routes them to their manager.
    const known =
      this.rnd() < 0.2 ? ['+7 900 000-01-01', '+7 900 000-01-02'][Math.floor(this.rnd() * 2)] : undefined;
    const clientKey = known ?? `client-${++this.clients}`;
    const texts = CLIENT_TEXT[this.o.lang];
    this.emu.sim.clientWrites({
      lineId,
      clientKey,
      text: texts[Math.floor(this.rnd() * texts.length)],
      connector: this.rnd() < 0.5 ? 'livechat' : 'telegrambot',
      phone: known,
    });
    this.counts.dialogs++;
  }

  private newLead(): void {
    const known = this.rnd() < 0.3;
    this.emu.sim.addLead({
      title:
        this.o.lang === 'ru'
          ? `Заявка с сайта №${this.counts.leads + 1}`
          : `Website request #${this.counts.leads + 1}`,
      phone: known ? '+7 900 000-01-02' : undefined,
      sourceId: this.rnd() < 0.5 ? 'WEB' : 'CALL',
    });
    this.counts.leads++;
  }
}
