import {
  defaultRules,
  type LoadCounting,
  MAX_LIMIT,
  type Mode,
  type QueueMember,
  type QueueRules,
} from './schema.ts';

/**
 * Maps an open line's queue settings (`imopenlines.config.get` with WITH_QUEUE=Y; values come
 * as strings) onto rules. Fields the line does not carry keep the values of `base`, and
 * members keep their per-operator settings from `base` (limit, weight, auto-assign).
 */
export interface LineConfig {
  QUEUE?: readonly (string | number)[];
  QUEUE_TYPE?: string;
  QUEUE_TIME?: string | number;
  MAX_CHAT?: string | number;
  TYPE_MAX_CHAT?: string;
  CHECK_AVAILABLE?: string | boolean;
  CRM?: string | boolean;
  CRM_FORWARD?: string | boolean;
  [field: string]: unknown;
}

const QUEUE_TYPES: Record<string, Mode> = { evenly: 'evenly', strictly: 'strictly', all: 'all' };

/*
 * TYPE_MAX_CHAT, as imopenlines/openlines/imopenlines-config-add.md words it ("Type of `MAX_CHAT`
 * restriction"):
 *   - `answered` — "consider only dialogues where the operator has already responded"
 *   - `answered_new` — "consider dialogues with a response and new dialogues"
 *   - `closed` — "consider closed dialogues"
 * So `answered` leaves out the dialogs not yet answered, `answered_new` counts every open one, and
 * `closed` counts the open ones and the closed ones too. The app's register counts open dialogs
 * only, so `closed` is counted as every open one: the portal's own queue may also count dialogs
 * closed earlier (README, "to verify on a real portal").
 */
const TYPE_MAX_CHAT: Record<string, LoadCounting> = {
  answered: 'answered_only',
  answered_new: 'all_open',
  closed: 'all_open',
};

function yes(v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return v === true || v === 'Y' || v === 'y' || v === '1' || v === 1;
}

function int(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}

export function rulesFromLine(line: LineConfig, base: QueueRules = defaultRules()): QueueRules {
  const rules: QueueRules = {
    ...base,
    capacity: { ...base.capacity },
    availability: { ...base.availability },
    responsible: { ...base.responsible, precedence: [...base.responsible.precedence] },
    sticky: { ...base.sticky },
    queue: base.queue.map((m) => ({ ...m })),
  };
  const mode = line.QUEUE_TYPE === undefined ? undefined : QUEUE_TYPES[String(line.QUEUE_TYPE).toLowerCase()];
  if (mode) rules.mode = mode;
  const queueTime = int(line.QUEUE_TIME);
  if (queueTime !== undefined) rules.passOnAfterSec = queueTime > 0 ? queueTime : null;
  const maxChat = int(line.MAX_CHAT);
  if (maxChat !== undefined) rules.capacity.limit = maxChat > 0 ? Math.min(maxChat, MAX_LIMIT) : null;
  const counts = line.TYPE_MAX_CHAT === undefined ? undefined : TYPE_MAX_CHAT[String(line.TYPE_MAX_CHAT)];
  if (counts) rules.capacity.counts = counts;
  const check = yes(line.CHECK_AVAILABLE);
  if (check !== undefined) rules.availability.check = check;
  const forward = yes(line.CRM_FORWARD);
  if (forward !== undefined) rules.responsible.enabled = forward;
  // Without the CRM lookup the portal never learns the responsible, so forwarding cannot apply.
  if (yes(line.CRM) === false) rules.responsible.enabled = false;
  if (Array.isArray(line.QUEUE)) {
    const known = new Map(base.queue.map((m) => [m.id, m]));
    const seen = new Set<number>();
    const queue: QueueMember[] = [];
    for (const raw of line.QUEUE) {
      const id = Number(raw);
      if (!Number.isInteger(id) || id <= 0 || seen.has(id)) continue;
      seen.add(id);
      queue.push({ ...(known.get(id) ?? { id, weight: 1, autoAssign: true }) });
    }
    rules.queue = queue;
  }
  return rules;
}
