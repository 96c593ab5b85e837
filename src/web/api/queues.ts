import type { AppContext } from '../../context.ts';
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

export const queueIdOf = {
  line: (lineId: number) => `line:${lineId}`,
  leads: 'leads',
};

export async function lineRules(
  live: LiveData,
  memberId: string,
  lineId: number,
  settings: LineSettings,
): Promise<{ rules: QueueRules; rulesFrom: 'line' | 'app'; assumed: QueueView['assumed'] }> {
  if (!settings.useLineSettings) return { rules: settings.rules, rulesFrom: 'app', assumed: [] };
  const config = await live.lineConfig(memberId, lineId);
  // Without the line's own settings at hand the app's rules are the best stand-in; the page says so.
  if (!config) return { rules: settings.rules, rulesFrom: 'app', assumed: ['line_settings'] };
  return { rules: rulesFromLine(config, settings.rules), rulesFrom: 'line', assumed: [] };
}

export function leadRules(settings: LeadSettings, route?: number): QueueRules {
  return route !== undefined && settings.routes[route] ? settings.routes[route].rules : settings.rules;
}

/** Live operator states of `rules.queue` (plus `extraIds`), as the engine would see them now. */
export async function queueStates(
  ctx: Pick<AppContext, 'settings' | 'queueState'>,
  live: LiveData,
  memberId: string,
  queueId: string,
  rules: QueueRules,
  extraIds: number[] = [],
): Promise<Pick<QueueView, 'states' | 'people' | 'assumed'>> {
  const ids = [...new Set([...rules.queue.map((m) => m.id), ...extraIds])];
  const [people, opSettings, persisted, loads] = await Promise.all([
    live.people(memberId, ids),
    ctx.settings.operators(memberId),
    ctx.queueState.get(memberId, queueId),
    live.loads(memberId, queueId),
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
