import type { AppContext } from '../../app-context.ts';
import { type OperatorState, type QueueRules, rulesFromLine } from '../../engine/index.ts';
import type { LeadSettings, LineSettings } from '../../settings/schema.ts';
import { type DirectoryEntry, type LiveData, operatorState } from '../live.ts';

/**
 * One queue as the engine sees it right now: its effective rules (the line's own settings or
 * the app's), and the live state of each member. Shared by the dashboard and the what-if, so
 * the preview runs on exactly the state the dashboard shows.
 */
export interface QueueView {
  queueId: string;
  rules: QueueRules;
  /** 'line': the line's own settings (imopenlines.config.get); 'app': the app's rules */
  rulesFrom: 'line' | 'app';
  states: OperatorState[];
  people: Map<number, DirectoryEntry>;
  /** what had to be assumed for want of a live source, for the page's notes */
  assumed: ('line_settings' | 'presence' | 'load')[];
}

/** The queue ids the open-lines and lead parts keep their bookkeeping (ctx.queueState) under. */
export const queueIdOf = {
  line: (lineId: number) => `line:${lineId}`,
  leads: (route?: LeadSettings['routes'][number]) => (route ? `leads:${route.name}` : 'leads:default'),
};

/**
 * The rules a line's dialogs go by, as the open-lines part applies them: the line's own queue
 * settings (with the app's per-operator values) unless the app's settings say otherwise; the
 * app's rules with an empty queue keep the line's members.
 */
export async function lineRules(
  live: LiveData,
  memberId: string,
  lineId: number,
  settings: LineSettings,
): Promise<{ rules: QueueRules; rulesFrom: 'line' | 'app'; assumed: QueueView['assumed'] }> {
  if (!settings.useLineSettings && settings.rules.queue.length > 0) {
    return { rules: settings.rules, rulesFrom: 'app', assumed: [] };
  }
  const config = await live.lineConfig(memberId, lineId);
  // Without the line's own settings at hand the app's rules are the best stand-in; the page says so.
  if (!config) return { rules: settings.rules, rulesFrom: 'app', assumed: ['line_settings'] };
  const own = rulesFromLine(config, settings.rules);
  if (settings.useLineSettings) return { rules: own, rulesFrom: 'line', assumed: [] };
  const queue = own.queue.map((m) => ({ id: m.id, weight: 1, autoAssign: true }));
  return { rules: { ...settings.rules, queue }, rulesFrom: 'app', assumed: [] };
}

/** The lead queue to preview or show: the default one, or routing rule number `route`. */
export function leadQueue(settings: LeadSettings, route?: number): { queueId: string; rules: QueueRules } {
  const r = route === undefined ? undefined : settings.routes[route];
  return { queueId: queueIdOf.leads(r), rules: r ? r.rules : settings.rules };
}

/** Live operator states of `rules.queue` (plus `extraIds`), as the engine would see them now. */
export async function queueStates(
  ctx: Pick<AppContext, 'settings' | 'queueState'>,
  live: LiveData,
  memberId: string,
  queueId: string,
  rules: QueueRules,
  o: { extraIds?: number[]; openStatuses?: readonly string[] } = {},
): Promise<Pick<QueueView, 'states' | 'people' | 'assumed'>> {
  const ids = [...new Set([...rules.queue.map((m) => m.id), ...(o.extraIds ?? [])])];
  const [people, opSettings, persisted, loads] = await Promise.all([
    live.people(memberId, ids),
    ctx.settings.operators(memberId),
    ctx.queueState.get(memberId, queueId),
    live.loads(memberId, queueId, ids, o.openStatuses),
  ]);
  const assumed: QueueView['assumed'] = [];
  const noDirectory = !live.sources().operators;
  // No directory service: treat members as present so the rules can still be previewed.
  if (noDirectory && ids.length > 0) assumed.push('presence');
  if (!loads && ids.length > 0) assumed.push('load');
  const states: OperatorState[] = [];
  for (const id of ids) {
    const entry =
      people.get(id) ??
      (noDirectory
        ? { id, name: `#${id}`, active: true, online: true, workday: null, absentUntil: null }
        : undefined);
    const st = operatorState(id, entry, {
      settings: opSettings[String(id)],
      lastAssignedAt: persisted.get(id)?.lastAssignedAt,
      credit: persisted.get(id)?.credit,
      load: loads?.get(id),
    });
    if (st) states.push(st);
  }
  return { states, people, assumed };
}
