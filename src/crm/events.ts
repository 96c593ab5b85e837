import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EventDefinition } from '../events/router.ts';
import type { CrmKind } from './kind.ts';
import type { LeadService } from './lead-service.ts';

/** A CRM lead or deal event as it arrives online or is rebuilt from the offline queue: only the id is relied on. */
export const leadEventSchema = z.object({
  event: z.string(),
  data: z.object({
    FIELDS: z.object({ ID: z.string().regex(/^\d+$/, 'must be a CRM item id') }).passthrough(),
  }),
  ts: z.string().optional(),
  auth: z.object({ member_id: z.string().min(1) }).passthrough(),
});
export type LeadEvent = z.infer<typeof leadEventSchema>;

const leadId = (b: LeadEvent) => Number(b.data.FIELDS.ID);
/**
 * Add and update of one lead (or deal) run in order, one at a time (the echo of the app's write
 * comes after its add); leads and deals are separate lanes of the inbox.
 */
const keyOf = (kind: Pick<CrmKind, 'name'> | undefined) => (b: LeadEvent) =>
  `${kind?.name ?? 'lead'}:${leadId(b)}`;
const EVENT = { lead: 'LEAD', deal: 'DEAL' } as const;

/**
 * ONCRMLEADADD. A lead is added once, so the dedup key is the lead itself: the same lead
 * delivered twice online, or online and again from the offline queue, runs once.
 */
export function leadAddDefinition(service: LeadService, kind?: CrmKind): EventDefinition<LeadEvent> {
  const event = `ONCRM${EVENT[kind?.name ?? 'lead']}ADD`;
  return {
    event,
    schema: leadEventSchema,
    objectKey: keyOf(kind),
    dedupKey: (b) => `${event}:${b.auth.member_id}:${leadId(b)}`,
    async handle({ memberId, body, row, client, log }) {
      const outcome = await service.onAdd(memberId, leadId(body), client, row.receivedAt);
      log.debug({ id: leadId(body), outcome }, `${kind?.name ?? 'lead'} added`);
    },
  };
}

/**
 * ONCRMLEADUPDATE. Every delivery is its own event: the body says only "lead N changed" with
 * a ts in whole seconds, so the default key (event, data, ts) would fold the app's own update
 * and a person's reassignment in the same second into one, and lose the second. The handler
 * reads the lead's current state, so a repeated delivery costs a read, never a wrong move.
 */
export function leadUpdateDefinition(
  service: LeadService,
  kind?: CrmKind,
  event = `ONCRM${EVENT[kind?.name ?? 'lead']}UPDATE`,
): EventDefinition<LeadEvent> {
  return {
    event,
    schema: leadEventSchema,
    objectKey: keyOf(kind),
    dedupKey: (b) => `${event}:${b.auth.member_id}:${leadId(b)}:${b.ts ?? ''}:${randomUUID()}`,
    async handle({ memberId, body, client, log }) {
      // A person's change brings their tokens (kept as acting_user by the intake); a robot's none.
      const outcome = await service.onUpdate(memberId, leadId(body), client, body.auth.acting_user === 'Y');
      log.debug({ id: leadId(body), outcome }, `${kind?.name ?? 'lead'} updated`);
    },
  };
}
