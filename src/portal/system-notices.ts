import type { NoticeRow } from '../db/repositories/first-touch-types.ts';
import type { Logger } from '../log/logger.ts';
import type { Call, PortalClient } from './client.ts';
import { withRestClass } from './rest-priority.ts';

/*
 * Recorded notifications (a missed first-touch or first-message deadline: crm/first-touch,
 * openlines/first-message.ts) sent through im.notify.system.add exactly once as the reader sees
 * it: each send is marked as begun just before its batch leaves; one whose answer was lost goes
 * again under the same TAG, which the portal documents as replacing the earlier notification.
 * (A recipient's notifications cannot be read back by the app: im.notify.get lists the token
 * owner's own.)
 */

export interface NoticeDeps {
  repo: {
    noticesSending(memberId: string, list: readonly NoticeRow[]): Promise<void>;
    noticeSent(
      memberId: string,
      n: Pick<NoticeRow, 'objectId' | 'breachNo' | 'userId'>,
      at: number,
    ): Promise<void>;
  };
  clock: () => number;
  log: Logger;
}

/** SUB_TAG groups one object's notifications: the tag's first two parts (`first_touch|<lead>`). */
const subTagOf = (tag: string) => tag.split('|').slice(0, 2).join('|');

/** Sends notices in batches of ≤ 50 (the client splits), each begun-mark committed before it leaves. */
export async function sendNotices(
  d: NoticeDeps,
  memberId: string,
  client: PortalClient,
  notices: readonly NoticeRow[],
): Promise<Set<string>> {
  const sent = new Set<string>();
  if (notices.length === 0) return sent;
  const calls: Record<string, Call> = {};
  notices.forEach((n, i) => {
    calls[`n${i}`] = [
      'im.notify.system.add',
      { USER_ID: n.userId, MESSAGE: n.message, TAG: n.tag, SUB_TAG: subTagOf(n.tag) },
    ];
  });
  await d.repo.noticesSending(memberId, notices);
  let r: Awaited<ReturnType<PortalClient['batch']>>;
  try {
    r = await withRestClass('write', () => client.batch(calls, { once: true }));
  } catch (err) {
    d.log.warn(
      { memberId, err: (err as Error).message },
      'deadline notifications not confirmed; resent next run',
    );
    return sent;
  }
  const at = d.clock();
  for (const [i, n] of notices.entries()) {
    const e = r.errors[`n${i}`];
    if (e) {
      d.log.warn({ memberId, userId: n.userId, error: e.error }, 'deadline notification refused');
      // A refusal for this person (no such user…) will not pass later: do not hold the breach open for it.
      if (e.error === 'USER_ID_EMPTY' || e.error === 'MESSAGE_EMPTY') {
        await d.repo.noticeSent(memberId, n, at);
        sent.add(nkey(n));
      }
      continue;
    }
    if (r.results[`n${i}`] !== undefined) {
      await d.repo.noticeSent(memberId, n, at);
      sent.add(nkey(n));
    }
  }
  return sent;
}

const nkey = (n: Pick<NoticeRow, 'objectId' | 'breachNo' | 'userId'>) =>
  `${n.objectId}#${n.breachNo}#${n.userId}`;
