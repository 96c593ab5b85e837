import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { InboxRow } from '../db/repositories/inbox.ts';
import type { Logger } from '../log/logger.ts';
import type { PortalClient } from '../portal/client.ts';

export interface HandlerContext<B = any> {
  memberId: string;
  event: string;
  body: B;
  row: InboxRow;
  /** the portal's REST client (tokens, rate limit, batch) */
  client(): Promise<PortalClient>;
  log: Logger;
  now(): number;
}

/**
 * How the app takes one kind of event: the schema its body must match, the object whose
 * events must run in order (one chat, one lead), the key that makes a repeated delivery a
 * no-op, and the handler. Handlers must be idempotent: a crash can make a row run again.
 */
export interface EventDefinition<B = any> {
  event: string;
  schema: z.ZodType<B>;
  objectKey(body: B): string;
  /** Defaults to a hash of event, data and ts: an identical delivery is the same event. */
  dedupKey?(body: B): string;
  handle(ctx: HandlerContext<B>): Promise<void>;
}

/** Event name → definition. Later parts add definitions without touching intake. */
export class EventRouter {
  private readonly defs = new Map<string, EventDefinition>();

  on<B>(def: EventDefinition<B>): this {
    const name = def.event.toUpperCase();
    if (this.defs.has(name)) throw new Error(`event ${name} already has a handler`);
    this.defs.set(name, def as EventDefinition);
    return this;
  }

  get(event: string): EventDefinition | undefined {
    return this.defs.get(event.toUpperCase());
  }

  events(): string[] {
    return [...this.defs.keys()];
  }
}

export function defaultDedupKey(
  memberId: string,
  body: { event: string; data?: unknown; ts?: unknown },
): string {
  const h = createHash('sha256');
  h.update(
    `${memberId}\u0000${body.event}\u0000${String(body.ts ?? '')}\u0000${JSON.stringify(body.data ?? null)}`,
  );
  return `${body.event.toUpperCase()}:${h.digest('base64url')}`;
}
