import type { SectionDef } from '../forms/fields.ts';

/**
 * One operator's settings (src/settings/schema.ts, operatorSettingsSchema), the same for every
 * queue. A new per-operator setting (an absence, a deputy…) is one field here and its words.
 */
export const operatorSections: SectionDef[] = [
  {
    fields: [
      { path: 'paused', kind: 'switch', label: 'pause' },
      { path: 'pausedUntil', kind: 'datetime', label: 'pause_until', show: (v) => v?.paused === true },
      { path: 'schedule', kind: 'schedule', label: 'col_hours' },
      { path: 'deputyId', kind: 'person', label: 'f_deputy', hint: 'f_deputy_hint', none: 'no_deputy' },
    ],
  },
];
