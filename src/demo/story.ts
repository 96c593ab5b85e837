import type { Emulator } from 'b24-emulator';

/**
 * The demo day's story beyond the stream (issue 19), each beat once, at its time:
 * - 12 s: a deal comes in and is distributed like a lead (the deal queue);
 * - 25 s: an operator transfers a sales chat to a colleague in Bitrix24 — no event tells the app;
 *   its sync sees it within a minute, and the chat's lead follows the new operator (one owner);
 * - 35 s: the second sales manager (3) goes on vacation in the portal's absence chart for two
 *   minutes: at the next sync their unanswered dialogs and untouched leads go to their deputy
 *   (4, set in the demo's settings); back after it, nothing floods them.
 */
export class DemoStory {
  private done = new Set<string>();
  private readonly startedAt: number;

  constructor(
    private readonly emu: Emulator,
    private readonly o: { lang: 'ru' | 'en'; log?: (line: string) => void; clock?: () => number },
  ) {
    this.startedAt = this.now();
  }

  private now(): number {
    return this.o.clock?.() ?? Date.now();
  }

  private once(name: string, atMs: number, fn: () => boolean): void {
    if (this.done.has(name) || this.now() - this.startedAt < atMs) return;
    if (fn()) this.done.add(name);
  }

  step(): void {
    const ru = this.o.lang === 'ru';
    this.once('deal', 12_000, () => {
      this.emu.sim.addDeal({ title: ru ? 'Поставка оборудования' : 'Equipment supply', sourceId: 'WEB' });
      this.o.log?.(
        ru
          ? 'новая сделка: приложение распределяет её, как лиды'
          : 'a new deal: the app distributes it like a lead',
      );
      return true;
    });
    this.once('transfer', 25_000, () => {
      const session = [...this.emu.state.sessions.values()].find(
        (s) => !s.closedAt && s.lineId === 1 && s.operatorId > 1 && !this.emu.state.bots.has(s.operatorId),
      );
      if (!session) return false;
      const to = [2, 3, 4, 5, 6, 7].find(
        (id) => id !== session.operatorId && this.emu.state.users.get(id)?.active,
      );
      if (to === undefined) return false;
      const from = this.emu.state.users.get(session.operatorId)!;
      const target = this.emu.state.users.get(to)!;
      this.emu.sim.operatorTransfers({ chatId: session.chatId, toUserId: to, byUserId: session.operatorId });
      this.o.log?.(
        ru
          ? `${from.name} ${from.lastName} передаёт чат ${target.name} ${target.lastName} в Битрикс24: лид последует за чатом (один ответственный)`
          : `${from.name} ${from.lastName} transfers a chat to ${target.name} ${target.lastName} in Bitrix24: its lead will follow (one owner)`,
      );
      return true;
    });
    this.once('vacation', 35_000, () => {
      const now = this.now();
      this.emu.sim.addAbsence({ userId: 3, from: now, to: now + 120_000 });
      const u = this.emu.state.users.get(3)!;
      this.o.log?.(
        ru
          ? `${u.name} ${u.lastName}: отпуск на 2 минуты (график отсутствий) — диалоги без ответа и нетронутые лиды перейдут заместителю`
          : `${u.name} ${u.lastName} goes on a two-minute vacation (absence chart): their unanswered dialogs and untouched leads go to their deputy`,
      );
      return true;
    });
    this.once('back', 155_000, () => {
      const u = this.emu.state.users.get(3)!;
      this.o.log?.(
        ru
          ? `${u.name} ${u.lastName}: отпуск закончился — ничего не обрушивается пачкой, очередь снова наравне со всеми`
          : `${u.name} ${u.lastName} is back: nothing floods them, they take their turn with the others again`,
      );
      return true;
    });
  }
}
