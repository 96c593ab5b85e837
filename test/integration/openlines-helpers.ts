import assert from 'node:assert/strict';
import type { Feature } from '../../src/context.ts';
import type { LogRow } from '../../src/db/repositories/assignment-log.ts';
import { type DialogRow, DialogRepository } from '../../src/db/repositories/dialogs.ts';
import { type Emulator, type EmulatorOptions, type PortalSeed, startEmulator } from 'b24-emulator';
import { runnerFor } from '../../src/jobs/feature.ts';
import type { JobSummary } from '../../src/jobs/summary.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import type { OpenLinesService } from '../../src/openlines/service.ts';
import {
  startTestApp,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  type TestApp,
  waitFor,
} from '../helpers/context.ts';

/** Admin 1; operators 2–5 at work in department 2; 6 in department 3. */
export const SEED: PortalSeed = {
  departments: [
    { id: 1, name: 'Company', parent: null, headId: 1 },
    { id: 2, name: 'Sales', parent: 1, headId: 2 },
    { id: 3, name: 'Support', parent: 1, headId: 6 },
  ],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true, departments: [1] },
    { id: 2, name: 'Boris', lastName: 'Ivanov', departments: [2] },
    { id: 3, name: 'Vera', lastName: 'Petrova', departments: [2] },
    { id: 4, name: 'Gleb', lastName: 'Sokolov', departments: [2] },
    { id: 5, name: 'Daria', lastName: 'Kuznetsova', departments: [2] },
    { id: 6, name: 'Egor', lastName: 'Volkov', departments: [3] },
  ],
  lines: [{ id: 1, name: 'Sales chat', queue: [2, 3, 4], config: { QUEUE_TYPE: 'evenly' } }],
};

export interface OlPortal {
  emu: Emulator;
  app: TestApp;
  memberId: string;
  svc: OpenLinesService;
  dialogs: DialogRepository;
  /** every transfer-like REST call the portal carried out, in order (`all`: refused ones too) */
  transfers(all?: boolean): { method: string; chatId: number; target: string | null; error?: string }[];
  /** a client writes on a line; returns the chat id once the app has recorded the dialog */
  newDialog(lineId?: number, clientKey?: string, o?: { phone?: string }): Promise<number>;
  /** waits until nothing is in flight: deliveries, inbox, transfers */
  settle(): Promise<void>;
  runJob(name: 'sync' | 'pass-on', now?: number): Promise<JobSummary>;
  row(chatId: number): Promise<DialogRow | undefined>;
  log(chatId?: number): Promise<LogRow[]>;
  close(): Promise<void>;
}

const open: OlPortal[] = [];

export async function closeAll(): Promise<void> {
  for (const p of open.splice(0)) await p.close();
}

let clientSeq = 0;

/** The real app (open lines only, unless `features` says otherwise) installed on an emulated portal. */
export async function olPortal(
  o: {
    seed?: PortalSeed;
    emulator?: Partial<EmulatorOptions>;
    features?: Feature[];
    restrictions?: any;
    clock?: () => number;
    /** extra environment for the app */
    env?: Record<string, string>;
  } = {},
): Promise<OlPortal> {
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: 0,
    language: 'en',
    seed: o.seed ?? SEED,
    ...o.emulator,
  });
  const app = await startTestApp({
    env: { B24_OAUTH_SERVER: emu.url, ...o.env },
    features: o.features ?? [createOpenLinesFeature()],
    ...(o.restrictions ? { restrictions: o.restrictions } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
  });
  const svc = app.ctx.services.openlines as OpenLinesService;
  const dialogs = new DialogRepository(app.ctx.db);
  const p: OlPortal = {
    emu,
    app,
    memberId: emu.memberId,
    svc,
    dialogs,
    transfers(all = false) {
      return emu.calls
        .filter((c) => /transfer|bot\.session\.operator/i.test(c.method) && (all || !c.error))
        .map((c) => ({
          method: c.method,
          chatId: Number((c.params as any).CHAT_ID),
          target: (c.params as any).USER_ID ?? (c.params as any).TRANSFER_ID ?? null,
          error: c.error,
        }));
    },
    async newDialog(lineId = 1, clientKey, x = {}) {
      const key = clientKey ?? `client-${++clientSeq}`;
      const r = emu.sim.clientWrites({ lineId, clientKey: key, text: 'Hello', phone: x.phone });
      await waitFor(
        async () => (await dialogs.findBySession(emu.memberId, r.chatId, r.sessionId)) !== undefined,
        'dialog recorded',
      );
      return r.chatId;
    },
    async settle() {
      for (let i = 0; i < 5; i++) {
        await emu.idle();
        await app.ctx.worker.drain();
        await svc.idle();
      }
    },
    async runJob(name, now) {
      const s = await runnerFor(app.ctx).run(name, { portal: emu.memberId, now });
      await p.settle();
      return s;
    },
    async row(chatId) {
      return (
        (await dialogs.openByChat(emu.memberId, chatId)).at(-1) ??
        (await app.ctx.db
          .all<any>('SELECT id FROM ol_dialogs WHERE chat_id = ? ORDER BY id DESC LIMIT 1', [chatId])
          .then(async (r) => (r[0] ? dialogs.get(r[0].id) : undefined)))
      );
    },
    async log(chatId) {
      const rows = await app.ctx.assignmentLog.recent(emu.memberId, {
        kind: 'dialog',
        limit: 10_000,
        ...(chatId ? { objectId: String(chatId) } : {}),
      });
      return rows.reverse();
    },
    async close() {
      await app.close();
      await emu.stop();
    },
  };
  open.push(p);
  const page = await emu.install({ appBaseUrl: app.url });
  assert.equal(page.status, 200, page.body);
  emu.finishInstall();
  await waitFor(async () => (await svc.botId(emu.memberId)) !== null, 'bot registered');
  await waitFor(
    () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
    'bot attached to every line',
  );
  await p.settle();
  return p;
}

/** Who holds the chat at the portal now. */
export function ownerOf(p: OlPortal, chatId: number): number {
  return p.emu.state.chats.get(chatId)!.ownerId;
}
