import { OPENLINE_LEAD_SOURCE_ID, TRANSFER_CRM_CHANGE_ACTOR } from '../assumptions.ts';
import type { PortalWithEvents } from '../events/bus.ts';
import type { Hit } from '../portal-core.ts';
import { addItem, findByComm, updateItem } from '../crm/store.ts';
import type { EmuChat, EmuClient, EmuLine, EmuSession } from '../model.ts';
import { configString } from './line-config.ts';

// An open line's ties to the CRM: the dialog's binding when it starts, and the created lead
// following the operator.

/** CRM=Y: bind the dialog to the client's existing contact/company/lead, or create a lead. */
export function bindCrm(
  core: PortalWithEvents,
  chat: EmuChat,
  session: EmuSession,
  line: EmuLine,
  client: EmuClient,
  hit: Hit,
): void {
  if (chat.crmEntity) return;
  const found = [
    ...(client.phone ? findByComm(core, 'PHONE', [client.phone]) : []),
    ...(client.email ? findByComm(core, 'EMAIL', [client.email]) : []),
  ];
  const firstOf = (code: 'CONTACT' | 'COMPANY' | 'LEAD') => found.find(([c]) => c === code)?.[1][0] ?? 0;
  const contact = firstOf('CONTACT');
  // a contact brings its company into the binding
  const company = firstOf('COMPANY') || (core.state.crm.contacts.get(contact)?.companyId ?? 0);
  const lead = firstOf('LEAD');
  if (contact || company || lead) {
    chat.crm = { LEAD: lead, COMPANY: company, CONTACT: contact, DEAL: 0 };
    chat.crmEntity = contact
      ? { type: 'CONTACT', id: contact }
      : company
        ? { type: 'COMPANY', id: company }
        : { type: 'LEAD', id: lead };
    return;
  }
  if (configString(line.config, 'CRM_CREATE', 'lead') !== 'lead') return;
  const fm: Array<Record<string, string>> = [
    { typeId: 'IM', valueType: 'OPENLINE', value: `imol|${chat.userCode}` },
  ];
  if (client.phone) fm.push({ typeId: 'PHONE', valueType: 'WORK', value: client.phone });
  if (client.email) fm.push({ typeId: 'EMAIL', valueType: 'WORK', value: client.email });
  const item = addItem(
    core,
    1,
    { title: chat.name, name: client.name, sourceId: OPENLINE_LEAD_SOURCE_ID, fm },
    null,
    hit,
  );
  chat.crm = { LEAD: item.id, COMPANY: 0, CONTACT: 0, DEAL: 0 };
  chat.crmEntity = { type: 'LEAD', id: item.id };
  session.createdLeadId = item.id;
}

/**
 * CRM_TRANSFER_CHANGE=Y: the lead the session created follows the operator; the change is the
 * transferring person's when one did it in the UI (TRANSFER_CRM_CHANGE_ACTOR).
 */
export function followCrmResponsible(
  core: PortalWithEvents,
  session: EmuSession,
  userId: number,
  hit: Hit,
  actingUserId: number | null = null,
): void {
  const line = core.state.lines.get(session.lineId);
  if (!line || !session.createdLeadId || configString(line.config, 'CRM_TRANSFER_CHANGE', 'Y') !== 'Y')
    return;
  const lead = core.state.crm.leads.get(session.createdLeadId);
  if (lead && lead.assignedById !== userId) {
    updateItem(
      core,
      1,
      lead.id,
      { assignedById: userId },
      TRANSFER_CRM_CHANGE_ACTOR ? actingUserId : null,
      hit,
    );
  }
}
