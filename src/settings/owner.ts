import { z } from 'zod';

/**
 * One owner for a client (issue 19), per portal. `chat`: the chat leads — every change of a
 * chat's operator (the app's distribution, pass-on, reclaim, a person's transfer) moves the linked
 * lead and deal (and, with `contact`, the contact) to the new operator. `crm`: the CRM record
 * leads — a change of the lead's or deal's responsible moves the open chat; the app's own chat
 * moves (pass-on, reclaim) leave the CRM owner as they are. In both, a person's change on either
 * side is followed on the other, and the last person's change wins.
 */
export const ownerSettingsSchema = z
  .object({
    policy: z.enum(['off', 'chat', 'crm']).default('off'),
    /** the linked contact's responsible follows the chat too */
    contact: z.boolean().default(false),
  })
  .prefault({});

export type OwnerSettings = z.output<typeof ownerSettingsSchema>;
export type OwnerPolicy = OwnerSettings['policy'];
