import type { CrmKind } from '../crm/kind.ts';
import type { LeadFacts } from '../crm/lead-read.ts';
import type { Page, PortalClient } from '../portal/client.ts';

/** At most this many of one person's untouched items are handed over per kind (the rest: the next run). */
const MAX_ITEMS = 200;

/**
 * An absent person's untouched leads or deals: still at the first stage they were given at
 * (a lead's status NEW; a deal's first stage of its pipeline, `NEW` or `C<id>:NEW`), so nobody
 * has worked them yet. One list request per 50.
 */
export async function untouchedItems(
  client: PortalClient,
  kind: CrmKind,
  userId: number,
): Promise<LeadFacts[]> {
  const filter: Record<string, unknown> =
    kind.name === 'lead'
      ? { assignedById: userId, stageId: 'NEW' }
      : { assignedById: userId, stageSemanticId: 'P' };
  const out: LeadFacts[] = [];
  let start: number | undefined = 0;
  while (start !== undefined && out.length < MAX_ITEMS) {
    const page: Page<{ items?: Record<string, unknown>[] }> = await client.page('crm.item.list', {
      entityTypeId: kind.entityTypeId,
      filter,
      // fm too: a lead's open line (its IMOL) picks its route
      select: ['*'],
      order: { id: 'ASC' },
      start,
    });
    for (const item of page.result?.items ?? []) {
      if (kind.name === 'deal' && !/^(C\d+:)?NEW$/.test(String(item.stageId ?? ''))) continue;
      const facts = kind.parse({ item });
      if (facts) out.push(facts);
    }
    start = page.next;
  }
  return out;
}
