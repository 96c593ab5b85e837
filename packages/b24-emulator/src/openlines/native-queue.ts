import type { PortalCore } from '../portal-core.ts';
import type { EmuChat, EmuLine, EmuSession } from '../model.ts';
import { isAvailable, operatorLoads, queueMembers } from './availability.ts';
import { configString } from './line-config.ts';

/** Who the native queue would give the dialog to now (null = nobody available). */
export function pickNative(
  core: PortalCore,
  line: EmuLine,
  chat: EmuChat,
  session: EmuSession,
  exclude: number[],
): number | null {
  const now = core.clock();
  const members = queueMembers(core.state, line).filter((m) => !exclude.includes(m.userId));
  if (configString(line.config, 'CRM_FORWARD') === 'Y' && chat.crmEntity && !session.createdLeadId) {
    const map =
      chat.crmEntity.type === 'LEAD'
        ? core.state.crm.leads
        : chat.crmEntity.type === 'CONTACT'
          ? core.state.crm.contacts
          : core.state.crm.companies;
    const responsible = core.state.users.get(map.get(chat.crmEntity.id)?.assignedById ?? 0);
    // Native CRM forwarding skips the online and MAX_CHAT checks (helpdesk).
    if (responsible?.active && !exclude.includes(responsible.id)) return responsible.id;
  }
  const loads = operatorLoads(core.state, line, now, core.tzOffsetMin);
  const available = members.filter((m) => {
    const u = core.state.users.get(m.userId);
    return u ? isAvailable(line, u, now, loads) : false;
  });
  if (available.length === 0) return null;
  const type = configString(line.config, 'QUEUE_TYPE', 'evenly');
  if (type === 'strictly') {
    const current = session.operatorId;
    const order = members.map((m) => m.userId);
    const after = current ? order.indexOf(current) : -1;
    const rotated = after >= 0 ? [...order.slice(after + 1), ...order.slice(0, after + 1)] : order;
    return rotated.find((id) => available.some((m) => m.userId === id)) ?? null;
  }
  const last = (id: number) => line.lastAssignedAt.get(id) ?? 0;
  return [...available].sort((a, b) => last(a.userId) - last(b.userId))[0].userId;
}
