import type { SectionDef } from '../forms/fields.ts';
import { firstTouchSection, quotaSection } from './speed-fields.ts';

/**
 * The lead settings (src/settings/schema.ts, leadSettingsSchema) beyond the default queue's
 * rules and the routing rules. A new lead setting is one field (or section) here and its words.
 */
export const leadGeneralSection: SectionDef = {
  fields: [
    { path: 'enabled', kind: 'switch', label: 'f_leads_enabled', wide: true },
    { path: 'skipIfResponsibleChosen', kind: 'switch', label: 'f_skip_chosen', wide: true },
    { path: 'skipIfFromAssignedDialog', kind: 'switch', label: 'f_skip_dialog', wide: true },
    {
      path: 'openStatuses',
      kind: 'list',
      label: 'f_open_statuses',
      hint: 'f_open_statuses_hint',
      id: 'open-statuses',
      wide: true,
    },
  ],
};

/** After the default queue: speed to lead. */
export const leadSections: SectionDef[] = [firstTouchSection(), quotaSection];

/** A routing rule's own fields beside its queue (which leads it takes). */
export const routeMatchSection: SectionDef = {
  fields: [
    { path: 'name', kind: 'text', label: 'f_route_name' },
    { path: 'sources', kind: 'list', label: 'f_route_sources', hint: 'f_route_sources_hint' },
    { path: 'lineIds', kind: 'intlist', label: 'f_route_lines', hint: 'f_route_lines_hint' },
  ],
};
