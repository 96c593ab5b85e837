import type { AppContext } from '../app-context.ts';
import type { LineConfig, OpenLoad, OperatorState } from '../engine/index.ts';
import type { LeadsServices } from '../crm/feature.ts';
import type { DialogRow } from '../db/repositories/dialogs.ts';
import type { OpenLinesService } from '../openlines/service.ts';
import type { OperatorDirectory, OperatorInfo } from '../operators/index.ts';
import type { OperatorSettings } from '../settings/schema.ts';

/**
 * The page's window on live data that other parts of the app own: the operator directory
 * (ctx.services.operators), the open-lines read side (ctx.services.openlines: lines, loads,
 * the waiting queue), the lead register (ctx.services.leads), and the portal itself through
 * ctx.clients as a fallback for the line list and line settings. Every part is optional (a
 * deployment may load only some features): a missing one, or a portal that does not answer,
 * gives `null`, which the page shows as an empty section with a note.
 */

export interface LineInfo {
  id: number;
  name: string;
  active: boolean;
}

export type DirectoryEntry = Pick<
  OperatorInfo,
  'id' | 'name' | 'active' | 'online' | 'workday' | 'absentUntil'
>;

export interface WaitingEntry {
  id: string;
  kind: 'dialog' | 'lead';
  lineId: number | null;
  arrivedAt: number;
  title?: string;
}

/** Where a piece of data came from, for the page's notes ("not available: …"). */
export type Availability = 'service' | 'portal' | 'missing';

export class LiveData {
  constructor(private readonly ctx: Pick<AppContext, 'services' | 'clients' | 'log'>) {}

  private get directory(): OperatorDirectory | undefined {
    return this.ctx.services.operators as OperatorDirectory | undefined;
  }
  private get openlines(): OpenLinesService | undefined {
    return this.ctx.services.openlines as OpenLinesService | undefined;
  }
  private get leads(): LeadsServices | undefined {
    return this.ctx.services.leads as LeadsServices | undefined;
  }

  /** Which live sources are there, for the page. */
  sources(): Record<'operators' | 'openlines' | 'leads', boolean> {
    return {
      operators: this.directory !== undefined,
      openlines: this.openlines !== undefined,
      leads: this.leads !== undefined,
    };
  }

  /** The portal's open lines: those the open-lines part distributes, else imopenlines.config.list.get. */
  async lines(memberId: string): Promise<{ lines: LineInfo[]; from: Availability }> {
    const ol = this.openlines;
    if (ol) {
      try {
        const rows = await ol.lines(memberId);
        if (rows.length > 0) {
          return {
            lines: rows.map((l) => ({
              id: l.lineId,
              name: String(l.config.LINE_NAME ?? '').trim() || `#${l.lineId}`,
              active: l.active,
            })),
            from: 'service',
          };
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
    const ol = this.openlines;
    if (ol) {
      try {
        const stored = await ol.lineConfig(memberId, lineId);
        if (stored) return { ...stored.config, QUEUE: stored.queue } as LineConfig;
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
      return dir.peek(memberId, wanted);
    }
  }

  /**
   * Open items per operator in one queue, or null when the register behind it is absent: the
   * open-lines part's dialog loads for `line:<id>`, the lead register's open leads for
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
        const repo = this.leads?.repository;
        if (!repo) return null;
        const counts = await repo.loads(memberId, ids, openStatuses);
        return new Map([...counts].map(([id, n]) => [id, { notAnswered: n }]));
      }
      const ol = this.openlines;
      return ol ? await ol.loads(memberId, Number(queueId.replace(/^line:/, ''))) : null;
    } catch (err) {
      this.warn(memberId, 'could not read operator loads', err);
      return null;
    }
  }

  /** Dialogs and leads waiting for an operator, oldest first; null when neither register is there. */
  /** Open dialogs the portal refuses to show the app (ACCESS_ERROR); null without the open-lines part. */
  async unreadable(memberId: string): Promise<DialogRow[] | null> {
    const ol = this.openlines;
    if (!ol) return null;
    try {
      return await ol.unreadable(memberId);
    } catch (err) {
      this.warn(memberId, 'could not read unreadable dialogs', err);
      return null;
    }
  }

  async waiting(memberId: string): Promise<WaitingEntry[] | null> {
    const ol = this.openlines;
    const repo = this.leads?.repository;
    if (!ol && !repo) return null;
    const read = async <T>(what: string, f: () => Promise<T[]>, to: (r: T) => WaitingEntry) => {
      try {
        return (await f()).map(to);
      } catch (err) {
        this.warn(memberId, `could not read waiting ${what}`, err);
        return null;
      }
    };
    const lists = await Promise.all([
      ol
        ? read(
            'dialogs',
            () => ol.waiting(memberId),
            (d) => ({
              id: String(d.chatId),
              kind: 'dialog' as const,
              lineId: d.lineId,
              arrivedAt: d.arrivedAt,
            }),
          )
        : null,
      repo
        ? read(
            'leads',
            () => repo.waiting(memberId, 200),
            (l) => ({
              id: String(l.leadId),
              kind: 'lead' as const,
              lineId: null,
              arrivedAt: l.receivedAt ?? l.decidedAt ?? 0,
            }),
          )
        : null,
    ]);
    if (lists.every((l) => l === null)) return null;
    return lists.flatMap((l) => l ?? []).sort((a, b) => a.arrivedAt - b.arrivedAt);
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
