import type { WatchRow } from '../../db/repositories/first-touch.ts';
import type { BatchResult, Call } from '../../portal/client.ts';
import { LEAD } from '../lead-read.ts';

/*
 * Reading first contact for many leads at once. Per group of up to 50 due leads, three
 * commands (so one batch request covers 16 groups, 800 leads):
 *
 * - `crm.item.list` by `@id`: each lead's responsible (a person may have moved it), stage, and
 *   `movedBy` / `movedTime` — who last changed the stage and when (object-fields.md, lead).
 * - `crm.activity.list`, two pages: activities on those leads (`OWNER_TYPE_ID` 1, `@OWNER_ID`)
 *   created by their holders (`@AUTHOR_ID`; AUTHOR_ID is "the creator", RESPONSIBLE_ID is set
 *   to the lead's responsible for incoming mail and calls too, so it would count the client's
 *   own message as contact), completed, not incoming (`!DIRECTION` 1), of the contact types
 *   meeting 1, call 2, e-mail 4 and provider actions 6 (crm.enum.activitytype; 3 is a task),
 *   created since the earliest assignment in the group (`>=CREATED`).
 *
 * Timeline comments are not read: crm.timeline.comment.list takes one ENTITY_ID per call (one
 * command per lead), and a comment is a note to colleagues, not contact with the client.
 */

export const GROUP = 50;
const PAGE = 50;
/** crm.enum.activitytype: meeting, call, e-mail, provider action (chats, SMS…) */
export const CONTACT_TYPES = [1, 2, 4, 6] as const;
const INCOMING = 1;

/** What the read says about one lead. */
export interface TouchFacts {
  leadId: number;
  holderId: number;
  statusId: string;
  /** the client's name on the lead, else its title */
  client: string;
  movedBy: number;
  movedTime: number | null;
  /** the earliest qualifying activity by the watch's holder since they got the lead */
  activity: { at: number; typeId: number } | null;
  /** false when the activity pages were full: a lead without a row there is not known untouched */
  activitiesComplete: boolean;
}

/** The portal's date filters take ISO 8601; whole seconds, as CREATED is stored. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The commands for one group of watches (≤ 50), under labels starting with `prefix`. */
export function touchReadCommands(group: readonly WatchRow[], prefix: string): Record<string, Call> {
  const ids = group.map((w) => Number(w.objectId));
  const holders = [...new Set(group.map((w) => w.holderId))];
  const since = Math.min(...group.map((w) => w.assignedAt));
  const activities = (start: number): Call => [
    'crm.activity.list',
    {
      filter: {
        OWNER_TYPE_ID: LEAD,
        '@OWNER_ID': ids,
        '@AUTHOR_ID': holders,
        COMPLETED: 'Y',
        '!DIRECTION': INCOMING,
        '@TYPE_ID': [...CONTACT_TYPES],
        '>=CREATED': isoSeconds(since),
      },
      select: ['ID', 'OWNER_ID', 'AUTHOR_ID', 'TYPE_ID', 'CREATED'],
      order: { ID: 'ASC' },
      start,
    },
  ];
  return {
    [`${prefix}i`]: [
      'crm.item.list',
      {
        entityTypeId: LEAD,
        filter: { '@id': ids },
        select: ['id', 'assignedById', 'stageId', 'movedBy', 'movedTime', 'title', 'name', 'lastName'],
      },
    ],
    [`${prefix}a0`]: activities(0),
    [`${prefix}a1`]: activities(PAGE),
  };
}

/** The group's facts by lead id; a lead the list did not return is missing (deleted, or no access). */
export function parseTouchRead(
  group: readonly WatchRow[],
  r: BatchResult,
  prefix: string,
): { facts: Map<number, TouchFacts>; failed: string | null } {
  const facts = new Map<number, TouchFacts>();
  const err = r.errors[`${prefix}i`] ?? r.errors[`${prefix}a0`] ?? r.errors[`${prefix}a1`];
  if (err) return { facts, failed: `${err.error || 'error'}: ${err.error_description}` };
  const pages = [r.results[`${prefix}a0`], r.results[`${prefix}a1`]].map(rowsOf);
  const complete = pages[1].length < PAGE;
  const byLead = new Map<number, Record<string, unknown>[]>();
  for (const a of pages.flat()) {
    const owner = int(a.OWNER_ID);
    if (owner === null) continue;
    if (!byLead.has(owner)) byLead.set(owner, []);
    byLead.get(owner)!.push(a);
  }
  const watches = new Map(group.map((w) => [Number(w.objectId), w]));
  for (const it of rowsOf((r.results[`${prefix}i`] as { items?: unknown } | undefined)?.items)) {
    const leadId = int(it.id);
    const w = leadId === null ? undefined : watches.get(leadId);
    if (!w || leadId === null) continue;
    const from = Math.floor(w.assignedAt / 1000) * 1000;
    let activity: TouchFacts['activity'] = null;
    for (const a of byLead.get(leadId) ?? []) {
      const at = Date.parse(String(a.CREATED ?? ''));
      if (int(a.AUTHOR_ID) !== w.holderId || !Number.isFinite(at) || at < from) continue;
      if (!activity || at < activity.at) activity = { at, typeId: int(a.TYPE_ID) ?? 0 };
    }
    const name = [it.name, it.lastName].filter((x) => typeof x === 'string' && x.trim()).join(' ');
    const moved = Date.parse(String(it.movedTime ?? ''));
    facts.set(leadId, {
      leadId,
      holderId: int(it.assignedById) ?? 0,
      statusId: String(it.stageId ?? ''),
      client: name || String(it.title ?? '') || `#${leadId}`,
      movedBy: int(it.movedBy) ?? 0,
      movedTime: Number.isFinite(moved) ? moved : null,
      activity,
      activitiesComplete: complete,
    });
  }
  return { facts, failed: null };
}

function rowsOf(v: unknown): Record<string, unknown>[] {
  const list = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
  return list.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
}

function int(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}
