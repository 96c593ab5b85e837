import type { SectionDef } from '../forms/fields.ts';
import { firstMessageSection, quotaSectionFor } from './speed-fields.ts';

/**
 * An open line's settings (src/settings/schema.ts, lineSettingsSchema) beyond its queue rules,
 * which rules-fields.ts holds. A new line setting is one field (or section) here and its words.
 */
export const useLineSection: SectionDef = {
  fields: [
    {
      path: 'useLineSettings',
      kind: 'switch',
      label: 'f_use_line',
      hint: 'f_use_line_hint',
      id: 'use-line-settings',
    },
  ],
};

export const lineSections: SectionDef[] = [
  {
    title: 'f_idle',
    fields: [
      { path: 'idle.enabled', kind: 'switch', label: 'f_idle_enabled', wide: true },
      {
        path: 'idle.noOperatorAnswerDays',
        kind: 'int',
        label: 'f_idle_no_operator',
        min: 1,
        max: 365,
        unit: 'days',
        show: (v) => v?.idle?.enabled,
      },
      {
        path: 'idle.noClientReplyDays',
        kind: 'int',
        label: 'f_idle_no_client',
        min: 1,
        max: 365,
        unit: 'days',
        show: (v) => v?.idle?.enabled,
      },
    ],
  },
  firstMessageSection,
  quotaSectionFor('dialogs'),
];
