import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EventDefinition } from '../events/router.ts';
import type { LeadService } from './lead-service.ts';

/** A CRM lead event as it arrives online or is rebuilt from the offline queue: only the lead id is relied on. */
export const leadEventSchema = z.object({
  event: z.string(),
  data: z.object({ FIELDS: z.object({ ID: z.string().regex(/^\d+$/, 'must be a lead id') }).passthrough() }),
  ts: z.string().optional(),
  auth: z.object({ member_id: z.string().min(1) }).passthrough(),
});
export type LeadEvent = z.infer<typeof leadEventSchema>;

const leadId = (b: LeadEvent) => Number(b.data.FIELDS.ID);
/** Add and update of one lead run in order, one at a time (the echo of the app's write comes after its add). */
const objectKey = (b: LeadEvent) => `lead:${leadId(b)}`;

/**
 * ONCRMLEADADD. A lead is added once, so the dedup key is the lead itself: the same lead
 * delivered twice online, or online and again from the offline queue, runs once.
 */
export function leadAddDefinition(service: LeadService): EventDefinition<LeadEvent> {
  return {
    event: 'ONCRMLEADADD',
    schema: leadEventSchema,
    objectKey,
    dedupKey: (b) => `ONCRMLEADADD:${b.auth.member_id}:${leadId(b)}`,
    async handle({ memberId, body, row, client, log }) {
      const outcome = await service.onAdd(memberId, leadId(body), client, row.receivedAt);
      log.debug({ leadId: leadId(body), outcome }, 'lead added');
    },
  };
}

/**
 * ONCRMLEADUPDATE. Every delivery is its own event: the body says only "lead N changed" with
 * a ts in whole seconds, so the default key (event, data, ts) would fold the app's own update
 * and a person's reassignment in the same second into one, and lose the second. The handler
 * reads the lead's current state, so a repeated delivery costs a read, never a wrong move.
 */
export function leadUpdateDefinition(service: LeadService): EventDefinition<LeadEvent> {
  return {
    event: 'ONCRMLEADUPDATE',
    schema: leadEventSchema,
    objectKey,
    dedupKey: (b) => `ONCRMLEADUPDATE:${b.auth.member_id}:${leadId(b)}:${b.ts ?? ''}:${randomUUID()}`,
    async handle({ memberId, body, client, log }) {
      const outcome = await service.onUpdate(memberId, leadId(body), client);
      log.debug({ leadId: leadId(body), outcome }, 'lead updated');
    },
  };
}
