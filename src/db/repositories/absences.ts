import type { Store as Database, Param } from '../store.ts';

export type AbsenceState = 'upcoming' | 'active' | 'ended' | 'cancelled';

export interface AbsenceRow {
  id: number;
  memberId: string;
  userId: number;
  source: 'portal' | 'app';
  startsAt: number;
  endsAt: number;
  deputyId: number | null;
  state: AbsenceState;
  handedOverAt: number | null;
  handed: Record<string, number> | null;
  returnedAt: number | null;
  updatedAt: number;
}

/** The absences the app acts on (113_absences.sql): their times, their deputy, how far their handover got. */
export class AbsenceRepository {
  constructor(private readonly db: Database) {}

  async list(
    memberId: string,
    o: { states?: AbsenceState[]; endedSince?: number } = {},
  ): Promise<AbsenceRow[]> {
    const where: string[] = ['member_id = ?'];
    const args: Param[] = [memberId];
    if (o.states?.length) {
      where.push(`state IN (${o.states.map(() => '?').join(', ')})`);
      args.push(...o.states);
    }
    if (o.endedSince !== undefined) {
      where.push('ends_at >= ?');
      args.push(o.endedSince);
    }
    const rows = await this.db.all<any>(
      `SELECT * FROM absences WHERE ${where.join(' AND ')} ORDER BY starts_at, id`,
      args,
    );
    return rows.map(toRow);
  }

  /**
   * An absence as its source says it now: inserted, or its end and deputy updated (a row that
   * ended or was cancelled stays so). Returns the row.
   */
  async upsert(
    memberId: string,
    a: {
      userId: number;
      source: 'portal' | 'app';
      startsAt: number;
      endsAt: number;
      deputyId: number | null;
    },
    at: number,
  ): Promise<AbsenceRow> {
    await this.db.run(
      `INSERT INTO absences (member_id, user_id, source, starts_at, ends_at, deputy_id, state, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'upcoming', ?)
       ON CONFLICT (member_id, user_id, source, starts_at) DO UPDATE SET
         ends_at = excluded.ends_at, deputy_id = excluded.deputy_id, updated_at = excluded.updated_at
       WHERE absences.state IN ('upcoming', 'active')`,
      [memberId, a.userId, a.source, a.startsAt, a.endsAt, a.deputyId, at],
    );
    const r = await this.db.get<any>(
      'SELECT * FROM absences WHERE member_id = ? AND user_id = ? AND source = ? AND starts_at = ?',
      [memberId, a.userId, a.source, a.startsAt],
    );
    return toRow(r);
  }

  /** Moves a row on (compare-and-set on its state, so two runs never both act on one absence). */
  async advance(
    id: number,
    from: AbsenceState,
    patch: {
      state: AbsenceState;
      endsAt?: number;
      handedOverAt?: number;
      handed?: Record<string, number>;
      returnedAt?: number;
    },
    at: number,
  ): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE absences SET state = ?, ends_at = COALESCE(?, ends_at), handed_over_at = COALESCE(?, handed_over_at),
         handed = COALESCE(?, handed), returned_at = COALESCE(?, returned_at), updated_at = ?
       WHERE id = ? AND state = ?`,
      [
        patch.state,
        patch.endsAt ?? null,
        patch.handedOverAt ?? null,
        patch.handed ? JSON.stringify(patch.handed) : null,
        patch.returnedAt ?? null,
        at,
        id,
        from,
      ],
    );
    return r.changes > 0;
  }

  /** The portal's absences per user that ended at or after `since` or still run: when each person came back. */
  async observed(memberId: string, since: number): Promise<Map<number, { from: number; to: number }[]>> {
    const rows = await this.db.all<{ user_id: number; starts_at: number; ends_at: number }>(
      `SELECT user_id, starts_at, ends_at FROM absences
       WHERE member_id = ? AND source = 'portal' AND state <> 'cancelled' AND ends_at >= ?`,
      [memberId, since],
    );
    const out = new Map<number, { from: number; to: number }[]>();
    for (const r of rows) {
      const list = out.get(Number(r.user_id)) ?? [];
      list.push({ from: Number(r.starts_at), to: Number(r.ends_at) });
      out.set(Number(r.user_id), list);
    }
    return out;
  }
}

function toRow(r: any): AbsenceRow {
  return {
    id: Number(r.id),
    memberId: r.member_id,
    userId: Number(r.user_id),
    source: r.source,
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    deputyId: r.deputy_id === null ? null : Number(r.deputy_id),
    state: r.state,
    handedOverAt: r.handed_over_at === null ? null : Number(r.handed_over_at),
    handed: r.handed ? JSON.parse(r.handed) : null,
    returnedAt: r.returned_at === null ? null : Number(r.returned_at),
    updatedAt: Number(r.updated_at),
  };
}
