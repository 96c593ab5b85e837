import type { BreachRow, FirstTouchRepository, NoticeRow } from '../../db/repositories/first-touch.ts';
import { sendNotices } from '../../portal/system-notices.ts';
import type { LeadRepository } from '../../db/repositories/leads.ts';
import type { Logger } from '../../log/logger.ts';
import type { PortalClient } from '../../portal/client.ts';
import { withRestClass } from '../../portal/rest-priority.ts';
import type { LeadService } from '../lead-service.ts';

/*
 * Carrying out recorded breaches, exactly once. A breach's record (first-touch.ts) came first;
 * here its lead write (crm.item.update + comment through the lead writer, read back after a
 * crash) and its notifications go out, and only then is it marked written. Notifications
 * leave in batches marked as begun just before; one whose answer was lost goes again under
 * the same im.notify.system.add TAG, which the portal documents as replacing the earlier one,
 * so its reader sees it once. (A recipient's notifications cannot be read back by the app:
 * im.notify.get lists the token owner's own.)
 */

export interface BreachWriteDeps {
  repo: FirstTouchRepository;
  leads: LeadRepository;
  service: LeadService;
  clock: () => number;
  log: Logger;
}

/** Completes breaches; `recovering`: an earlier run may have done part of them (read back first). */
export async function completeBreaches(
  d: BreachWriteDeps,
  memberId: string,
  client: PortalClient,
  breaches: readonly BreachRow[],
  recovering: boolean,
): Promise<{ written: number; failed: number }> {
  let written = 0;
  let failed = 0;
  const leadDone = new Set<string>();
  for (const b of breaches) {
    if (b.action !== 'reassign' || b.newHolderId === null) {
      leadDone.add(key(b));
      continue;
    }
    try {
      const row = await d.leads.get(memberId, Number(b.objectId));
      // Still to write: the decision this breach recorded. Otherwise it was written (or overtaken).
      if (row?.phase === 'decided' && row.operatorId === b.newHolderId) {
        await withRestClass('write', () =>
          d.service.finish(row, client, recovering || row.writtenAt !== null),
        );
      }
      leadDone.add(key(b));
    } catch (err) {
      failed++;
      d.log.warn(
        { memberId, leadId: b.objectId, err: (err as Error).message },
        'breach reassignment not written yet',
      );
    }
  }
  const notices: NoticeRow[] = [];
  for (const b of breaches) {
    if (leadDone.has(key(b))) notices.push(...(await d.repo.unsentNotices(memberId, b.objectId, b.breachNo)));
  }
  const sent = await sendNotices(d, memberId, client, notices);
  for (const b of breaches) {
    if (!leadDone.has(key(b))) continue;
    const left = notices.filter(
      (n) => n.objectId === b.objectId && n.breachNo === b.breachNo && !sent.has(nkey(n)),
    );
    if (left.length > 0) {
      failed++;
      continue;
    }
    await d.repo.breachWritten(memberId, b.objectId, b.breachNo);
    written++;
  }
  return { written, failed };
}

const key = (b: Pick<BreachRow, 'objectId' | 'breachNo'>) => `${b.objectId}#${b.breachNo}`;
const nkey = (n: Pick<NoticeRow, 'objectId' | 'breachNo' | 'userId'>) =>
  `${n.objectId}#${n.breachNo}#${n.userId}`;
