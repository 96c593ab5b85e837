import type { Emulator } from 'b24-emulator';

/** What the demo's status line says, counted where it is true: on the portal. */
export interface DemoStatus {
  dialogs: { started: number; withOperator: number; waiting: number; closed: number };
  leads: { total: number; byApp: number; leftAlone: number; waiting: number; closed: number };
}

/** The app's last word on each lead it saw (its assignment log): assigned, left alone, waiting. */
export interface LeadVerdicts {
  assigned: number;
  leftAlone: number;
  waiting: number;
}

const CLOSED_LEAD = new Set(['CONVERTED', 'JUNK']);

export function demoStatus(emu: Emulator, started: number, verdicts: LeadVerdicts): DemoStatus {
  const bots = new Set(emu.state.bots.keys());
  const human = (id: number) => id > 0 && !bots.has(id) && emu.state.users.has(id);
  const dialogs = { started, withOperator: 0, waiting: 0, closed: 0 };
  for (const s of emu.state.sessions.values()) {
    if (s.closedAt) dialogs.closed++;
    else if (human(s.operatorId)) dialogs.withOperator++;
    else dialogs.waiting++;
  }
  let closed = 0;
  for (const l of emu.state.crm.leads.values()) if (CLOSED_LEAD.has(l.stageId)) closed++;
  const leads = {
    total: emu.state.crm.leads.size,
    byApp: verdicts.assigned,
    leftAlone: verdicts.leftAlone,
    waiting: verdicts.waiting,
    closed,
  };
  return { dialogs, leads };
}

export function statusLine(secs: number, s: DemoStatus, lang: 'ru' | 'en'): string {
  const d = s.dialogs;
  const l = s.leads;
  return lang === 'ru'
    ? `${secs} с · диалоги: начато ${d.started}, у операторов ${d.withOperator}, ждут ${d.waiting}, закрыто ${d.closed}` +
        ` · лиды: всего ${l.total}, назначено приложением ${l.byApp}, оставлено тем, у кого уже были, ${l.leftAlone}, ждут ${l.waiting}, закрыто ${l.closed}`
    : `${secs} s · dialogs: ${d.started} started, ${d.withOperator} with an operator, ${d.waiting} waiting, ${d.closed} closed` +
        ` · leads: ${l.total} in all, ${l.byApp} assigned by the app, ${l.leftAlone} left with whoever had them, ${l.waiting} waiting, ${l.closed} closed`;
}
