import type { AssignmentLogRepository } from '../db/repositories/assignment-log.ts';
import type { OwnerRepository } from '../db/repositories/owner.ts';
import type { Logger } from '../log/logger.ts';
import type { SettingsService } from '../settings/service.ts';
import type { ChatMover, CrmChange } from './hooks.ts';
import { chatFollowsCrm } from './policy.ts';
import { chatFollowReason, laterChangeReason } from './reasons.ts';

export interface ChatFollowDeps {
  repo: OwnerRepository;
  settings: SettingsService;
  /** open lines' moves (ctx.services.openlines), when loaded */
  mover(): ChatMover | null;
  assignmentLog: AssignmentLogRepository;
  clock: () => number;
  log: Logger;
}

/**
 * The chat following its CRM owner: a lead's or deal's responsible changed outside the app (a
 * person; or, where the CRM record leads, an automation), so its open chat goes to the new
 * responsible — recorded and sent like every move of a dialog (open lines' moveChat), and
 * confirmed by the portal's read-back. The app's own writes never get here: the lead and deal
 * handlers take their echo as the app's own.
 */
export class ChatFollower {
  constructor(private readonly d: ChatFollowDeps) {}

  async watches(memberId: string, entity: 'lead' | 'deal', id: number): Promise<boolean> {
    if ((await this.d.settings.owner(memberId)).policy === 'off') return false;
    return (await this.d.repo.openChatsOf(memberId, entity, id, null)).length > 0;
  }

  async crmChanged(c: CrmChange): Promise<void> {
    const s = await this.d.settings.owner(c.memberId);
    if (s.policy === 'off' || c.to <= 0) return;
    // The app's own follow coming back (its write carries the admin's tokens, like a person's).
    if (await this.d.repo.consumeEcho(c.memberId, c.entity, c.id, c.to, this.d.clock())) return;
    const chats = await this.d.repo.openChatsOf(c.memberId, c.entity, c.id, c.userCode);
    for (const row of chats) {
      const mark = await this.d.repo.mark(c.memberId, row.chatId);
      const verdict = chatFollowsCrm(s.policy, c, mark);
      if (!verdict.follow) {
        if (verdict.why === 'later_person_change') {
          await this.d.assignmentLog.add({
            memberId: c.memberId,
            kind: c.entity,
            objectId: String(c.id),
            action: 'skip',
            operatorId: c.to,
            previousOperatorId: c.from,
            reason: laterChangeReason('chat', mark!.at),
            at: this.d.clock(),
          });
        }
        continue;
      }
      if (c.byPerson) {
        await this.d.repo.setMark(c.memberId, row.chatId, {
          side: 'crm',
          ownerId: c.to,
          byId: c.by,
          at: c.at,
        });
      }
      const mover = this.d.mover();
      if (!mover) return;
      const r = await mover.moveChat(c.memberId, row.chatId, c.to, {
        logAction: 'follow',
        reason: chatFollowReason(c, c.to),
      });
      this.d.log.info(
        { memberId: c.memberId, chatId: row.chatId, entity: c.entity, id: c.id, to: c.to, outcome: r },
        'one owner: the chat follows its CRM owner',
      );
    }
  }
}
