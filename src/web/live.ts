import type { AppContext } from '../context.ts';
import type { LineConfig, OpenLoad, OperatorState, WorkdayStatus } from '../engine/index.ts';
import type { OperatorSettings } from '../settings/schema.ts';

/**
 * The page's window on live data that other parts of the app own: the operator directory
 * (ctx.services.operators), the open-lines register (ctx.services.openlines: lines, loads,
 * the waiting queue), and the portal itself through ctx.clients as a fallback for the line
 * list and line settings. Every piece is optional: a missing service (or a portal that does
 * not answer) gives `null`, which the page shows as an empty section with a note, so the
 * settings and the dashboard never depend on a colleague's part being loaded.
 *
 * The services are read structurally (duck-typed) rather than imported, so this file keeps
 * compiling whichever of them is present.
 */

export interface LineInfo {
  id: number;
  name: string;
  active: boolean;
}

export interface DirectoryEntry {
  id: number;
  name: string;
  active: boolean;
  online: boolean;
  workday: WorkdayStatus | null;
  absentUntil: number | null;
}

export interface WaitingEntry {
  id: string;
  kind: 'dialog' | 'lead';
  lineId: number | null;
  arrivedAt: number;
  title?: string;
}

/** Where a piece of data came from, for the page's notes ("not available: …"). */
export type Availability = 'service' | 'portal' | 'missing';

interface DirectoryLike {
  get(memberId: string, client: unknown, ids: Iterable<number>): Promise<Map<number, DirectoryEntry>>;
  peek?(memberId: string, ids: Iterable<number>): Map<number, DirectoryEntry>;
}

type Fn = (...args: any[]) => any;
function method(o: unknown, ...names: string[]): Fn | undefined {
  if (!o || typeof o !== 'object') return undefined;
  for (const n of names) {
    const f = (o as Record<string, unknown>)[n];
    if (typeof f === 'function') return (f as Fn).bind(o);
  }
  return undefined;
}

export class LiveData {
  constructor(private readonly ctx: Pick<AppContext, 'services' | 'clients' | 'log'>) {}

  private get directory(): DirectoryLike | undefined {
    const d = this.ctx.services.operators;
    return method(d, 'get') ? (d as DirectoryLike) : undefined;
  }

  private get openlines(): unknown {
    return this.ctx.services.openlines;
  }

  /** The open-lines service's parts (`d.lines`, `d.dialogs`): its line register and dialog register. */
  private part(name: 'lines' | 'dialogs'): unknown {
    const d = (this.openlines as { d?: Record<string, unknown> } | undefined)?.d;
    return d && typeof d === 'object' ? d[name] : undefined;
  }
  private get lineDirectory(): unknown {
    return this.part('lines');
  }

  /** Which live sources are there, for the page. */
  sources(): Record<'operators' | 'openlines' | 'leads', boolean> {
    return {
      operators: this.directory !== undefined,
      openlines: this.openlines !== undefined && this.openlines !== null,
      leads: this.ctx.services.leads !== undefined,
    };
  }

  /**
   * The portal's open lines: the open-lines part's register (what it distributes by), else
   * imopenlines.config.list.get through the app's client.
   */
  async lines(memberId: string): Promise<{ lines: LineInfo[]; from: Availability }> {
    const fromService = method(this.openlines, 'lines', 'listLines') ?? method(this.lineDirectory, 'all');
    if (fromService) {
      try {
        const rows = await fromService(memberId);
        if (Array.isArray(rows) && rows.length > 0) {
          return { lines: rows.map(toLine).filter(isLine), from: 'service' };
        }
      } catch (err) {
        this.warn(memberId, 'open-lines service could not list lines', err);
      }
    }
    try {
      const client = await this.ctx.clients.get(memberId);
      const rows = await client.call<unknown[]>('imopenlines.config.list.get', {
        PARAMS: { select: ['ID', 'LINE_NAME', 'ACTIVE'], order: { ID: 'ASC' } },
      });
      return { lines: (Array.isArray(rows) ? rows : []).map(toLine).filter(isLine), from: 'portal' };
    } catch (err) {
      this.warn(memberId, 'could not list open lines', err);
      return { lines: [], from: 'missing' };
    }
  }

  /**
   * The line's own queue settings (imopenlines.config.get WITH_QUEUE), or null: the open-lines
   * part's copy (departments already expanded to users), else the portal's answer.
   */
  async lineConfig(memberId: string, lineId: number): Promise<LineConfig | null> {
    const fromService = method(this.openlines, 'lineConfig') ?? method(this.lineDirectory, 'get');
    if (fromService) {
      try {
        const c = await fromService(memberId, lineId);
        if (c && typeof c === 'object') {
          const stored = c as { config?: Record<string, unknown>; queue?: unknown };
          // The register keeps {config, queue}; a plain config carries QUEUE itself.
          if (stored.config && Array.isArray(stored.queue))
            return { ...stored.config, QUEUE: stored.queue as number[] };
          return c as LineConfig;
        }
      } catch (err) {
        this.warn(memberId, 'open-lines service could not read the line', err);
      }
    }
    try {
      const client = await this.ctx.clients.get(memberId);
      const c = await client.call<LineConfig | false>('imopenlines.config.get', {
        CONFIG_ID: lineId,
        WITH_QUEUE: 'Y',
        SHOW_OFFLINE: 'Y',
      });
      return c && typeof c === 'object' ? c : null;
    } catch (err) {
      this.warn(memberId, 'could not read the line settings', err);
      return null;
    }
  }

  /** Directory entries for `ids` (names, activity, presence, workday, absence); empty without the service. */
  async people(memberId: string, ids: Iterable<number>): Promise<Map<number, DirectoryEntry>> {
    const dir = this.directory;
    const wanted = [...new Set(ids)].filter((id) => Number.isInteger(id) && id > 0);
    if (!dir || wanted.length === 0) return new Map();
    try {
      const client = await this.ctx.clients.get(memberId);
      return await dir.get(memberId, client, wanted);
    } catch (err) {
      this.warn(memberId, 'could not read operators', err);
      return dir.peek?.(memberId, wanted) ?? new Map();
    }
  }

  /**
   * Open items per operator in one queue, or null when the register behind it is absent: the
   * open-lines service's dialog loads for `line:<id>`, the lead register's open leads for
   * `leads:*` (a lead has no messages to track, so every open one counts as not answered).
   */
  async loads(
    memberId: string,
    queueId: string,
    ids: readonly number[],
    openStatuses: readonly string[] = [],
  ): Promise<Map<number, Partial<OpenLoad>> | null> {
    try {
      if (queueId.startsWith('leads')) {
        const repo = (this.ctx.services.leads as { repository?: unknown } | undefined)?.repository;
        const f = method(repo, 'loads');
        if (!f) return null;
        const counts = (await f(memberId, ids, openStatuses)) as Map<number, number>;
        return new Map([...counts].map(([id, n]) => [id, { notAnswered: n }]));
      }
      const f =
        method(this.openlines, 'loads', 'loadsOf', 'openLoads') ?? method(this.part('dialogs'), 'loads');
      if (!f) return null;
      const r = await f(memberId, Number(queueId.replace(/^line:/, '')));
      if (r instanceof Map) return r as Map<number, Partial<OpenLoad>>;
      if (r && typeof r === 'object')
        return new Map(Object.entries(r).map(([k, v]) => [Number(k), v as Partial<OpenLoad>]));
      return null;
    } catch (err) {
      this.warn(memberId, 'could not read operator loads', err);
      return null;
    }
  }

  /**
   * Dialogs and leads waiting for an operator, oldest first: the open-lines service's and the
   * lead register's; null when neither is there.
   */
  async waiting(memberId: string): Promise<WaitingEntry[] | null> {
    const sources: Promise<WaitingEntry[] | null>[] = [];
    const waitingDialogs = method(this.openlines, 'waiting', 'listWaiting', 'waitingQueue');
    const openDialogs = method(this.part('dialogs'), 'open');
    if (waitingDialogs) sources.push(this.read(memberId, () => waitingDialogs(memberId), 'dialog'));
    else if (openDialogs)
      sources.push(this.read(memberId, () => openDialogs(memberId, ['waiting']), 'dialog'));
    const leads = method(
      (this.ctx.services.leads as { repository?: unknown } | undefined)?.repository,
      'waiting',
    );
    if (leads) sources.push(this.read(memberId, () => leads(memberId, 200), 'lead'));
    if (sources.length === 0) return null;
    const lists = await Promise.all(sources);
    if (lists.every((l) => l === null)) return null;
    return lists.flatMap((l) => l ?? []).sort((a, b) => a.arrivedAt - b.arrivedAt);
  }

  private async read(memberId: string, f: () => Promise<unknown>, kind: WaitingEntry['kind']) {
    try {
      const rows = await f();
      if (!Array.isArray(rows)) return null;
      return rows.map((r) => toWaiting(r, kind)).filter((w): w is WaitingEntry => w !== null);
    } catch (err) {
      this.warn(memberId, `could not read waiting ${kind}s`, err);
      return null;
    }
  }

  private warn(memberId: string, msg: string, err: unknown) {
    this.ctx.log.warn({ memberId, err: (err as Error)?.message }, msg);
  }
}

/** The engine's view of an operator from a directory entry, the app's settings and queue bookkeeping. */
export function operatorState(
  id: number,
  entry: DirectoryEntry | undefined,
  o: {
    settings?: OperatorSettings;
    lastAssignedAt?: number | null;
    credit?: number;
    load?: Partial<OpenLoad>;
  },
): OperatorState | undefined {
  if (!entry) return undefined;
  const s = o.settings;
  return {
    id,
    active: entry.active,
    online: entry.online,
    workday: entry.workday,
    absentUntil: entry.absentUntil,
    paused: s?.paused === true && s.pausedUntil == null,
    pausedUntil: s?.paused ? (s.pausedUntil ?? null) : null,
    schedule: s?.schedule ?? null,
    load: { notAnswered: 0, clientLast: 0, operatorLast: 0, ...o.load },
    lastAssignedAt: o.lastAssignedAt ?? null,
    credit: o.credit ?? 0,
  };
}

function toLine(r: any): LineInfo | null {
  const id = Number(r?.ID ?? r?.lineId ?? r?.id);
  if (!Number.isInteger(id) || id <= 0) return null;
  const name = String(r?.LINE_NAME ?? r?.config?.LINE_NAME ?? r?.name ?? r?.lineName ?? '').trim();
  const active = r?.ACTIVE ?? r?.active;
  return {
    id,
    name: name || `#${id}`,
    active: active === undefined ? true : active === true || active === 'Y',
  };
}
function isLine(l: LineInfo | null): l is LineInfo {
  return l !== null;
}

function toWaiting(r: any, kind: WaitingEntry['kind']): WaitingEntry | null {
  // A dialog is known to people by its chat, a lead by its id.
  const id = r?.leadId ?? r?.chatId ?? r?.id ?? r?.itemId;
  const arrivedAt = Number(r?.arrivedAt ?? r?.receivedAt ?? r?.since ?? r?.createdAt);
  if (id === undefined || id === null || !Number.isFinite(arrivedAt)) return null;
  const line = Number(r?.lineId ?? String(r?.queueId ?? '').replace(/^line:/, ''));
  return {
    id: String(id),
    kind,
    lineId: kind === 'dialog' && Number.isInteger(line) && line > 0 ? line : null,
    arrivedAt,
    title: typeof r?.title === 'string' ? r.title.slice(0, 200) : undefined,
  };
}
