import { ref } from 'vue';
import { api } from '../api.ts';
import { localMidnight } from '../format.ts';
import { learn } from '../people.ts';

/** GET /api/dashboard as the page reads it (src/web/api/dashboard.ts). */
export interface Dashboard {
  now: number;
  since: number;
  budget: null | { slowed: boolean; notes: string[]; portalRefusedAt: number | null };
  /** dialogs the portal answers ACCESS_ERROR for (src/web/api/unreadable-view.ts), worded by the server */
  unreadable: null | { count: number; note: string };
  /** offline events' state (src/web/api/offline-events-view.ts), worded by the server when unavailable */
  offlineEvents?: { state: string; note: string | null };
  sources: Record<'operators' | 'openlines' | 'leads', boolean>;
  linesFrom: string;
  assumed: string[];
  queues: {
    queueId: string;
    label: string;
    lineId: number | null;
    mode: string;
    limit: number | null;
    members: number;
  }[];
  operators: {
    id: number;
    name: string;
    online: boolean | null;
    absentUntil: number | null;
    paused: boolean;
    pausedUntil: number | null;
    queues: {
      queueId: string;
      label: string;
      lineId: number | null;
      load: number | null;
      limit: number | null;
      why: string | null;
      over: boolean;
      byPeople: number;
    }[];
  }[];
  today: { operatorId: number; name: string; dialog: number; lead: number }[];
  waiting:
    | null
    | { id: string; kind: 'dialog' | 'lead'; lineName: string | null; title?: string; ageSec: number }[];
  log: LogEntry[];
  jobs: {
    id: number;
    job: string;
    status: string;
    dryRun: boolean;
    startedAt: number;
    finishedAt: number | null;
    result: {
      counters: Record<string, number>;
      error?: string;
      skipped?: string;
      notDue?: string;
      detail?: string;
    };
  }[];
  dead: {
    count: number;
    rows: {
      id: number;
      event: string;
      objectKey: string;
      attempts: number;
      receivedAt: number;
      finishedAt: number | null;
      errorKind: string;
      detail: string;
    }[];
  };
  inbox: { pending: number; processing: number; dead: number };
  installation: null | {
    applicationTokenConfirmedAt: string | null;
    events: { id: number; at: number; kind: string; userName: string | null }[];
  };
}

export interface LogEntry {
  id: number;
  at: number;
  kind: 'dialog' | 'lead' | 'deal' | 'contact';
  objectId: string;
  action: string;
  operatorName: string | null;
  text: string;
}

export const dashboard = ref<Dashboard | null>(null);
export const loadedAt = ref(0);
let inFlight: Promise<Dashboard> | null = null;

/** Reads the dashboard (one request at a time: a reload asked for meanwhile joins the running one). */
export function loadDashboard(): Promise<Dashboard> {
  if (!inFlight) lastStart = Date.now();
  inFlight ??= api<Dashboard>('GET', `/api/dashboard?since=${localMidnight()}`)
    .then((d) => {
      dashboard.value = d;
      loadedAt.value = Date.now();
      learn(d.operators);
      learn(d.today);
      return d;
    })
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}

/** Reads on changes are at least this far apart (a busy portal changes twice a second). */
const MIN_GAP_MS = 1000;
let lastStart = 0;
let pending: ReturnType<typeof setTimeout> | undefined;
/**
 * Reads the dashboard again after a change: soon, but never more than once a second however
 * often things change, and after the read under way (which may have started before the change).
 * A failed read keeps what is shown; the next change or the minute's re-read tries again.
 */
export function refreshDashboard(): void {
  if (pending) return;
  pending = setTimeout(
    async () => {
      if (inFlight) await inFlight.catch(() => undefined);
      pending = undefined;
      void loadDashboard().catch(() => undefined);
    },
    Math.max(0, lastStart + MIN_GAP_MS - Date.now()),
  );
}

/** The forms name people: the dashboard knows them. A failure leaves ids as they are. */
export async function ensurePeople(): Promise<void> {
  if (dashboard.value) return;
  await loadDashboard().catch(() => undefined);
}
