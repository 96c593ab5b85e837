import type { SectionDef } from '../forms/fields.ts';
import { quotaSectionFor } from './speed-fields.ts';

/**
 * The deal settings (src/settings/deals.ts, dealSettingsSchema) beyond the default queue's
 * rules and the routing rules. A new deal setting is one field here and its words.
 */
export const dealGeneralSection: SectionDef = {
  fields: [
    {
      path: 'enabled',
      kind: 'switch',
      label: 'f_deals_enabled',
      hint: 'f_deals_enabled_hint',
      wide: true,
      id: 'enabled',
    },
    { path: 'skipIfResponsibleChosen', kind: 'switch', label: 'f_skip_chosen_deal', wide: true },
    {
      path: 'keepLeadOwner',
      kind: 'switch',
      label: 'f_keep_lead_owner',
      hint: 'f_keep_lead_owner_hint',
      wide: true,
    },
  ],
};

/** A deal-routing rule's own fields beside its queue (which deals it takes). */
export const dealRouteMatchSection: SectionDef = {
  fields: [
    { path: 'name', kind: 'text', label: 'f_route_name' },
    {
      path: 'categoryIds',
      kind: 'intlist',
      label: 'f_route_pipelines',
      hint: 'f_route_pipelines_hint',
      id: 'pipelines',
    },
    { path: 'sources', kind: 'list', label: 'f_route_sources', hint: 'f_route_sources_hint' },
  ],
};

/** After the default queue: the deals' own quotas (a deal cap counts deals). */
export const dealSections: SectionDef[] = [quotaSectionFor('deals')];
