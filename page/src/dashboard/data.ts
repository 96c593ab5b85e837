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
  kind: 'dialog' | 'lead';
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

let again = false;
/**
 * Reads the dashboard again after a change: at once when nothing is being read, else once more
 * right after the read under way (which may have started before the change).
 */
export function refreshDashboard(): Promise<unknown> {
  if (inFlight) {
    if (!again) {
      again = true;
      void inFlight.finally(() => {
        again = false;
        return loadDashboard().catch(() => undefined);
      });
    }
    return inFlight;
  }
  return loadDashboard();
}

/** The forms name people: the dashboard knows them. A failure leaves ids as they are. */
export async function ensurePeople(): Promise<void> {
  if (dashboard.value) return;
  await loadDashboard().catch(() => undefined);
}
