import type { OpenLinesRepository, StoredLine } from '../db/repositories/openlines.ts';
import { deadlineAt, type QueueRules, rulesFromLine } from '../engine/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Manifest } from '../manifest.ts';
import type { OperatorDirectory } from '../operators/index.ts';
import { toInt } from '../operators/parse.ts';
import type { BatchResult, Call, PortalClient } from '../portal/client.ts';
import type { LineSettings } from '../settings/schema.ts';
import { botAttached, parseQueue, pickLineFields } from './portal-adapter.ts';

export type LineInfo = StoredLine;

/** imopenlines.config.list.get pages hold at most 200 lines. */
const LIST_LIMIT = 200;

/**
 * The line's queue as configured (users and departments, in order) is config.list.get's
 * `CONFIG_QUEUE`, "returned when OPTIONS.CONFIG_QUEUE = Y" (imopenlines-config-list-get.md);
 * imopenlines.config.get does not list it.
 */
const LIST_OPTIONS = { CONFIG_QUEUE: 'Y' };

/**
 * The rules a line's dialogs are distributed by: the line's own queue settings unless the app's
 * settings for the line say otherwise. With the app's rules and an empty app queue, the line's
 * queue is used, so overriding the mode alone keeps the line's members.
 */
export function rulesFor(line: LineInfo, s: LineSettings): QueueRules {
  const rules = baseRulesFor(line, s);
  // The line's explicit first-message deadline (issue 18) is the pass-on timeout, whoever sets the rest.
  const sec = s.firstMessage?.seconds ?? null;
  return sec === null ? rules : { ...rules, passOnAfterSec: sec };
}

/**
 * When the operator's first answer is due for a dialog assigned at `from` (issue 18: in the
 * line's working hours when its first-message deadline is on); null = never checked.
 */
export function firstMessageDeadline(
  from: number,
  rules: QueueRules,
  s: LineSettings | undefined,
): number | null {
  if (rules.mode === 'all' || rules.passOnAfterSec === null) return null;
  const ms = rules.passOnAfterSec * 1000;
  const fm = s?.firstMessage;
  if (!fm?.enabled) return from + ms;
  const t = deadlineAt(from, ms, fm.workingHours);
  return Number.isFinite(t) ? t : null;
}

function baseRulesFor(line: LineInfo, s: LineSettings): QueueRules {
  if (s.useLineSettings) return rulesFromLine({ ...line.config, QUEUE: line.queue }, s.rules);
  if (s.rules.queue.length > 0) return s.rules;
  return { ...s.rules, queue: line.queue.map((id) => ({ id, weight: 1, autoAssign: true })) };
}

export interface LineSyncResult {
  lines: number;
  attached: number;
  removed: number;
  /** lines whose settings or queue changed */
  changed: number[];
}

/**
 * Each open line's queue settings (imopenlines.config.get WITH_QUEUE=Y) and configured queue
 * entries (config.list.get CONFIG_QUEUE), department entries expanded to their users; kept in
 * the database and memory, refreshed by the sync job in one batch request for all lines. Also
 * keeps the app's bot attached to every line.
 */
export class LineDirectory {
  private readonly cache = new Map<string, Map<number, LineInfo>>();

  constructor(
    private readonly o: {
      repo: OpenLinesRepository;
      directory: OperatorDirectory;
      manifest: Manifest;
      clock: () => number;
      log: Logger;
    },
  ) {}

  /** A line as cached; read from the portal only when the app has never seen it. */
  async get(memberId: string, lineId: number, client?: PortalClient): Promise<LineInfo | undefined> {
    let line = this.portal(memberId).get(lineId);
    if (!line) {
      line = await this.o.repo.line(memberId, lineId);
      // The portal's cache is looked up again after each wait: another process's line sync
      // (forget, via the store's lines counter) may have replaced it meanwhile.
      if (line) this.portal(memberId).set(lineId, line);
    }
    if (!line && client)
      line = (await this.refresh(memberId, client, [lineId])).find((l) => l.lineId === lineId);
    return line;
  }

  async all(memberId: string): Promise<LineInfo[]> {
    const stored = await this.o.repo.lines(memberId);
    const m = this.portal(memberId);
    for (const l of stored) if (!m.has(l.lineId)) m.set(l.lineId, l);
    return stored.map((l) => m.get(l.lineId) ?? l);
  }

  forget(memberId: string): void {
    this.cache.delete(memberId);
  }

  /**
   * Reads every line of the portal, attaches the bot where it is missing, and refreshes each
   * line's settings and queue. Steady state: one batch request (the list and every known line's
   * config.get together); new lines cost one more.
   */
  async sync(
    memberId: string,
    client: PortalClient,
    botId: number | null,
    dryRun = false,
    /** other reads to send in the same request (labels must not be list, c<n> or a<n>) */
    piggyback: Record<string, Call> = {},
  ): Promise<LineSyncResult & { piggyback: BatchResult }> {
    const known = (await this.o.repo.lines(memberId)).map((l) => l.lineId);
    const calls: Record<string, Call> = {
      ...piggyback,
      list: [
        'imopenlines.config.list.get',
        { PARAMS: { limit: LIST_LIMIT, offset: 0 }, OPTIONS: LIST_OPTIONS },
      ],
    };
    for (const id of known) calls[`c${id}`] = configGet(id);
    const r = await client.batch(calls);
    if (r.errors.list) throw new Error(`imopenlines.config.list.get failed: ${r.errors.list.error}`);
    let rows: any[] = asRows(r.results.list);
    for (let offset = LIST_LIMIT; rows.length === offset; offset += LIST_LIMIT) {
      const more = asRows(
        await client.call('imopenlines.config.list.get', {
          PARAMS: { limit: LIST_LIMIT, offset },
          OPTIONS: LIST_OPTIONS,
        }),
      );
      if (more.length === 0) break;
      rows = rows.concat(more);
    }
    const present = new Map<number, any>();
    for (const row of rows) {
      const id = toInt(row?.ID);
      if (id !== null && id > 0) present.set(id, row);
    }
    const configs = new Map<number, any>();
    for (const id of known) if (r.results[`c${id}`]) configs.set(id, r.results[`c${id}`]);

    const fresh = [...present.keys()].filter((id) => !configs.has(id));
    const attach =
      botId === null ? [] : [...present.keys()].filter((id) => !botAttached(present.get(id), botId));
    if (!dryRun && (fresh.length > 0 || attach.length > 0)) {
      const more: Record<string, Call> = {};
      for (const id of attach)
        more[`a${id}`] = ['imopenlines.config.update', { CONFIG_ID: id, PARAMS: this.attachParams(botId!) }];
      for (const id of fresh) more[`c${id}`] = configGet(id);
      const r2 = await client.batch(more);
      for (const id of fresh) if (r2.results[`c${id}`]) configs.set(id, r2.results[`c${id}`]);
      const failed = attach.filter((id) => r2.errors[`a${id}`] || r2.results[`a${id}`] === false);
      if (failed.length > 0)
        this.o.log.warn({ memberId, lines: failed }, 'could not attach the bot to some lines');
      for (const id of attach) {
        if (!failed.includes(id) && configs.has(id))
          Object.assign(configs.get(id), this.attachParams(botId!));
      }
    }
    const before = new Map((await this.o.repo.lines(memberId, false)).map((l) => [l.lineId, l]));
    const entries = new Map([...present].map(([id, row]) => [id, row?.CONFIG_QUEUE]));
    const lines = await this.build(
      memberId,
      client,
      [...present.keys()].filter((id) => configs.has(id)),
      configs,
      entries,
    );
    const changed = lines
      .filter((l) => {
        const b = before.get(l.lineId);
        return (
          !b ||
          JSON.stringify(b.config) !== JSON.stringify(l.config) ||
          JSON.stringify(b.queue) !== JSON.stringify(l.queue)
        );
      })
      .map((l) => l.lineId);
    let removed = 0;
    if (!dryRun) {
      await this.o.repo.saveLines(lines);
      removed = await this.o.repo.deactivateLinesExcept(memberId, [...present.keys()]);
      const m = this.portal(memberId);
      m.clear();
      for (const l of lines) m.set(l.lineId, l);
    }
    const extra: BatchResult = { results: {}, errors: {} };
    for (const label of Object.keys(piggyback)) {
      if (label in r.results) extra.results[label] = r.results[label];
      if (label in r.errors) extra.errors[label] = r.errors[label];
    }
    return { lines: present.size, attached: dryRun ? 0 : attach.length, removed, changed, piggyback: extra };
  }

  /** Reads the given lines' settings from the portal (one batch request) and stores them. */
  async refresh(memberId: string, client: PortalClient, lineIds: number[]): Promise<LineInfo[]> {
    const calls: Record<string, Call> = {};
    for (const id of lineIds) {
      calls[`c${id}`] = configGet(id);
      // The configured entries travel in the same request (config.get does not carry them).
      calls[`q${id}`] = [
        'imopenlines.config.list.get',
        { PARAMS: { select: ['ID'], filter: { ID: id } }, OPTIONS: LIST_OPTIONS },
      ];
    }
    const r = await client.batch(calls);
    const configs = new Map<number, any>();
    const entries = new Map<number, unknown>();
    for (const id of lineIds) {
      if (r.results[`c${id}`]) configs.set(id, r.results[`c${id}`]);
      entries.set(id, asRows(r.results[`q${id}`])[0]?.CONFIG_QUEUE);
    }
    const lines = await this.build(memberId, client, [...configs.keys()], configs, entries);
    await this.o.repo.saveLines(lines);
    const m = this.portal(memberId);
    for (const l of lines) m.set(l.lineId, l);
    return lines;
  }

  attachParams(botId: number): Record<string, unknown> {
    const o = this.o.manifest.openline;
    return {
      WELCOME_BOT_ENABLE: o.WELCOME_BOT_ENABLE,
      WELCOME_BOT_ID: botId,
      WELCOME_BOT_JOIN: o.WELCOME_BOT_JOIN,
      WELCOME_BOT_LEFT: o.WELCOME_BOT_LEFT,
      WELCOME_BOT_TIME: o.WELCOME_BOT_TIME,
    };
  }

  private async build(
    memberId: string,
    client: PortalClient,
    ids: number[],
    configs: Map<number, any>,
    /** each line's CONFIG_QUEUE from config.list.get */
    entries: Map<number, unknown>,
  ): Promise<LineInfo[]> {
    const parsed = ids.map((id) => ({
      id,
      config: configs.get(id),
      queue: parseQueue(configs.get(id), entries.get(id)),
    }));
    const departments = new Set<number>();
    for (const p of parsed)
      for (const e of p.queue.entries) if (e.type === 'department') departments.add(e.id);
    const members =
      departments.size > 0
        ? await this.o.directory.departmentMembers(memberId, client, departments)
        : new Map<number, number[]>();
    const now = this.o.clock();
    return parsed.map((p) => {
      const order: number[] = [];
      for (const e of p.queue.entries) {
        if (e.type === 'user') order.push(e.id);
        else order.push(...(members.get(e.id) ?? []));
      }
      // Users the portal lists that the entries did not bring in (or no entries at all) keep their place after.
      order.push(...p.queue.users);
      return {
        memberId,
        lineId: p.id,
        config: pickLineFields(p.config),
        queue: [...new Set(order)],
        botId: toInt(p.config?.WELCOME_BOT_ID),
        active: true,
        fetchedAt: now,
      };
    });
  }

  private portal(memberId: string): Map<number, LineInfo> {
    let m = this.cache.get(memberId);
    if (!m) {
      m = new Map();
      this.cache.set(memberId, m);
    }
    return m;
  }
}

function configGet(id: number): Call {
  return ['imopenlines.config.get', { CONFIG_ID: id, WITH_QUEUE: 'Y', SHOW_OFFLINE: 'Y' }];
}

function asRows(v: unknown): any[] {
  return Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
}
