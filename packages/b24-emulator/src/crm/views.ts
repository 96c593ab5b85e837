import type { EmulatorCore } from '../core.ts';
import { isoDate } from '../dates.ts';
import type { CrmItem, CrmMultiField } from '../model.ts';
import { dealSemantic } from './store.ts';

const first = (item: CrmItem, typeId: CrmMultiField['typeId'], valueType?: string) =>
  item.fm.find((f) => f.typeId === typeId && (!valueType || f.valueType === valueType))?.value ?? '';

/** Universal-API item (crm.item.get), camelCase; `fm` only when asked for. */
export function itemView(core: EmulatorCore, item: CrmItem, withFm: boolean): Record<string, unknown> {
  const tz = core.tzOffsetMin;
  const has = (t: CrmMultiField['typeId']) => (item.fm.some((f) => f.typeId === t) ? 'Y' : 'N');
  const common: Record<string, unknown> = {
    id: item.id,
    createdTime: isoDate(item.createdAt, tz),
    updatedTime: isoDate(item.updatedAt, tz),
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
    assignedById: item.assignedById,
    opened: item.opened,
    lastActivityBy: item.lastActivityBy,
    lastActivityTime: isoDate(item.lastActivityTime, tz),
  };
  let own: Record<string, unknown>;
  if (item.entityTypeId === 1) {
    own = {
      companyId: item.companyId,
      contactId: item.contactId,
      stageId: item.stageId,
      movedBy: item.movedBy,
      movedTime: isoDate(item.movedTime, tz),
      stageSemanticId: item.stageId === 'CONVERTED' ? 'S' : item.stageId === 'JUNK' ? 'F' : 'P',
      sourceId: item.sourceId,
      sourceDescription: item.sourceDescription || null,
      title: item.title,
      name: item.name,
      lastName: item.lastName || null,
      secondName: item.secondName || null,
      comments: item.comments || null,
      hasPhone: has('PHONE'),
      hasEmail: has('EMAIL'),
      hasImol: item.fm.some((f) => f.typeId === 'IM' && f.valueType === 'OPENLINE') ? 'Y' : 'N',
      isReturnCustomer: 'N',
      observers: [],
      contactIds: item.contactId ? [item.contactId] : [],
    };
  } else if (item.entityTypeId === 2) {
    const semantic = dealSemantic(item.stageId);
    own = {
      title: item.title,
      categoryId: item.categoryId,
      stageId: item.stageId,
      stageSemanticId: semantic,
      closed: semantic === 'P' ? 'N' : 'Y',
      isWon: semantic === 'S' ? 'Y' : 'N',
      isLose: semantic === 'F' ? 'Y' : 'N',
      sourceId: item.sourceId || null,
      sourceDescription: item.sourceDescription || null,
      leadId: item.leadId || null,
      companyId: item.companyId,
      contactId: item.contactId,
      contactIds: item.contactId ? [item.contactId] : [],
      comments: item.comments || null,
      opportunity: 0,
      currencyId: 'RUB',
      observers: [],
    };
  } else if (item.entityTypeId === 3) {
    own = {
      name: item.name,
      lastName: item.lastName || null,
      secondName: item.secondName || null,
      typeId: item.stageId,
      sourceId: item.sourceId || null,
      sourceDescription: item.sourceDescription || null,
      companyId: item.companyId,
      comments: item.comments || null,
      hasPhone: has('PHONE'),
      hasEmail: has('EMAIL'),
      hasImol: item.fm.some((f) => f.typeId === 'IM' && f.valueType === 'OPENLINE') ? 'Y' : 'N',
      observers: [],
    };
  } else {
    own = {
      title: item.title,
      companyType: item.stageId,
      comments: item.comments || null,
      hasPhone: has('PHONE'),
      hasEmail: has('EMAIL'),
      hasImol: item.fm.some((f) => f.typeId === 'IM' && f.valueType === 'OPENLINE') ? 'Y' : 'N',
      observers: [],
    };
  }
  const flat = {
    phoneMobile: first(item, 'PHONE', 'MOBILE'),
    phoneWork: first(item, 'PHONE', 'WORK'),
    emailWork: first(item, 'EMAIL', 'WORK'),
    emailHome: first(item, 'EMAIL', 'HOME'),
    imol: first(item, 'IM', 'OPENLINE'),
    email: first(item, 'EMAIL'),
    phone: first(item, 'PHONE'),
  };
  const out: Record<string, unknown> = { ...common, ...own, ...flat };
  if (withFm)
    out.fm = item.fm.map((f) => ({ id: f.id, valueType: f.valueType, value: f.value, typeId: f.typeId }));
  out.entityTypeId = item.entityTypeId;
  return out;
}

/** Applies crm.item.list `select`: none → every field but fm; `*` → everything; else the named ones (+id). */
export function selectView(
  core: EmulatorCore,
  item: CrmItem,
  select: string[] | null,
): Record<string, unknown> {
  if (!select || select.length === 0) return itemView(core, item, false);
  if (select.includes('*')) return itemView(core, item, true);
  const full = itemView(core, item, false);
  const out: Record<string, unknown> = { id: item.id };
  for (const key of select) if (key in full) out[key] = full[key];
  return out;
}

/** The deprecated crm.lead.get shape: UPPER_CASE, numbers as strings, multifields only when present. */
export function leadLegacyView(core: EmulatorCore, item: CrmItem): Record<string, unknown> {
  const tz = core.tzOffsetMin;
  const hasFm = (t: CrmMultiField['typeId']) => item.fm.some((f) => f.typeId === t);
  const out: Record<string, unknown> = {
    ID: String(item.id),
    TITLE: item.title,
    HONORIFIC: null,
    NAME: item.name,
    SECOND_NAME: item.secondName || null,
    LAST_NAME: item.lastName || null,
    COMPANY_TITLE: null,
    COMPANY_ID: item.companyId ? String(item.companyId) : null,
    CONTACT_ID: item.contactId ? String(item.contactId) : null,
    IS_RETURN_CUSTOMER: 'N',
    BIRTHDATE: '',
    SOURCE_ID: item.sourceId,
    SOURCE_DESCRIPTION: item.sourceDescription || null,
    STATUS_ID: item.stageId,
    STATUS_DESCRIPTION: null,
    POST: null,
    COMMENTS: item.comments || null,
    CURRENCY_ID: 'RUB',
    OPPORTUNITY: '0.00',
    IS_MANUAL_OPPORTUNITY: 'N',
    HAS_PHONE: hasFm('PHONE') ? 'Y' : 'N',
    HAS_EMAIL: hasFm('EMAIL') ? 'Y' : 'N',
    HAS_IMOL: item.fm.some((f) => f.typeId === 'IM' && f.valueType === 'OPENLINE') ? 'Y' : 'N',
    ASSIGNED_BY_ID: String(item.assignedById),
    CREATED_BY_ID: String(item.createdBy),
    MODIFY_BY_ID: String(item.updatedBy),
    DATE_CREATE: isoDate(item.createdAt, tz),
    DATE_MODIFY: isoDate(item.updatedAt, tz),
    DATE_CLOSED: '',
    STATUS_SEMANTIC_ID: item.stageId === 'CONVERTED' ? 'S' : item.stageId === 'JUNK' ? 'F' : 'P',
    OPENED: item.opened,
    ORIGINATOR_ID: null,
    ORIGIN_ID: null,
  };
  for (const t of ['PHONE', 'EMAIL', 'WEB', 'IM'] as const) {
    const values = item.fm.filter((f) => f.typeId === t);
    if (values.length) {
      out[t] = values.map((f) => ({
        ID: String(f.id),
        VALUE_TYPE: f.valueType,
        VALUE: f.value,
        TYPE_ID: f.typeId,
      }));
    }
  }
  return out;
}
