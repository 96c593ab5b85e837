import type { Store as Database } from '../store.ts';
import { StoreVersionRepository } from './store-versions.ts';

export interface BotRecord {
  memberId: string;
  botId: number;
  version: 1 | 2;
  code: string;
  registeredAt: number;
}

export interface StoredLine {
  memberId: string;
  lineId: number;
  /** the line's distribution fields as read from the portal */
  config: Record<string, unknown>;
  /** user ids in queue order, departments expanded */
  queue: number[];
  botId: number | null;
  active: boolean;
  fetchedAt: number;
}

/** The portal-side facts the open-lines part keeps: its bot and each line's queue settings. */
export class OpenLinesRepository {
  private readonly versions: StoreVersionRepository;
  constructor(private readonly db: Database) {
    this.versions = new StoreVersionRepository(db);
  }

  async bot(memberId: string): Promise<BotRecord | undefined> {
    const r = await this.db.get<any>('SELECT * FROM ol_bots WHERE member_id = ?', [memberId]);
    return r
      ? { memberId, botId: r.bot_id, version: r.bot_version, code: r.code, registeredAt: r.registered_at }
      : undefined;
  }

  async saveBot(b: BotRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO ol_bots (member_id, bot_id, bot_version, code, registered_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (member_id) DO UPDATE SET bot_id = excluded.bot_id, bot_version = excluded.bot_version,
         code = excluded.code, registered_at = excluded.registered_at`,
      [b.memberId, b.botId, b.version, b.code, b.registeredAt],
    );
  }

  async forgetBot(memberId: string, botId?: number): Promise<void> {
    if (botId === undefined) await this.db.run('DELETE FROM ol_bots WHERE member_id = ?', [memberId]);
    else await this.db.run('DELETE FROM ol_bots WHERE member_id = ? AND bot_id = ?', [memberId, botId]);
  }

  async lines(memberId: string, activeOnly = true): Promise<StoredLine[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM ol_lines WHERE member_id = ? ${activeOnly ? 'AND active = 1' : ''} ORDER BY line_id`,
      [memberId],
    );
    return rows.map(toLine);
  }

  async line(memberId: string, lineId: number): Promise<StoredLine | undefined> {
    const r = await this.db.get<any>('SELECT * FROM ol_lines WHERE member_id = ? AND line_id = ?', [
      memberId,
      lineId,
    ]);
    return r ? toLine(r) : undefined;
  }

  /**
   * Stores the lines as read. A line that changed (settings, queue, bot, active) moves its
   * portal's 'lines:<member>' counter, by which every process's line cache and queue indexes
   * notice it; a read that found nothing new only renews fetched_at.
   */
  async saveLines(lines: StoredLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.transaction(async (tx) => {
      const changed = new Set<string>();
      for (const l of lines) {
        const config = JSON.stringify(l.config);
        const queue = JSON.stringify(l.queue);
        const active = l.active ? 1 : 0;
        const same = await tx.run(
          `UPDATE ol_lines SET fetched_at = ?
           WHERE member_id = ? AND line_id = ? AND config = ? AND queue = ? AND active = ?
             AND NOT (bot_id IS DISTINCT FROM ?)`,
          [l.fetchedAt, l.memberId, l.lineId, config, queue, active, l.botId],
        );
        if (same.changes === 1) continue;
        await tx.run(
          `INSERT INTO ol_lines (member_id, line_id, config, queue, bot_id, active, fetched_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (member_id, line_id) DO UPDATE SET config = excluded.config, queue = excluded.queue,
             bot_id = excluded.bot_id, active = excluded.active, fetched_at = excluded.fetched_at`,
          [l.memberId, l.lineId, config, queue, l.botId, active, l.fetchedAt],
        );
        changed.add(l.memberId);
      }
      for (const m of changed) await this.versions.bump(`lines:${m}`, tx);
    });
  }

  async deactivateLinesExcept(memberId: string, keep: number[]): Promise<number> {
    const r = await this.db.run(
      `UPDATE ol_lines SET active = 0 WHERE member_id = ? AND active = 1
         AND line_id NOT IN (${keep.map(() => '?').join(', ') || 'NULL'})`,
      [memberId, ...keep],
    );
    if (r.changes > 0) await this.versions.bump(`lines:${memberId}`);
    return r.changes;
  }
}

function toLine(r: any): StoredLine {
  return {
    memberId: r.member_id,
    lineId: r.line_id,
    config: JSON.parse(r.config),
    queue: JSON.parse(r.queue),
    botId: r.bot_id,
    active: r.active === 1,
    fetchedAt: r.fetched_at,
  };
}
