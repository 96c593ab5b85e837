import type { SectionDef } from '../forms/fields.ts';

/** Queue rules (src/engine/schema.ts) as the forms show them; leads have no messages, so no pass-on and no "counts". */
const MODES = ['evenly', 'strictly', 'least_loaded', 'weighted', 'all'] as const;
const COUNTS = ['all_open', 'not_yet_answered', 'excluding_waiting_client', 'answered_only'] as const;

export function rulesSections(o: { leads: boolean }): SectionDef[] {
  const chat = !o.leads;
  const checks = (v: any) => v?.availability?.check !== true;
  return [
    {
      fields: [
        { path: 'mode', kind: 'select', label: 'f_mode', options: MODES, optionWord: 'mode', id: 'mode' },
        ...(chat
          ? [
              {
                path: 'passOnAfterSec',
                kind: 'nullableInt' as const,
                label: 'f_pass_on',
                hint: 'f_pass_on_hint',
                none: 'never',
                min: 1,
                fallback: 60,
                unit: 'seconds',
                id: 'pass-on',
              },
            ]
          : []),
        {
          path: 'capacity.limit',
          kind: 'nullableInt',
          label: o.leads ? 'f_limit_leads' : 'f_limit',
          hint: 'f_limit_hint',
          none: 'unlimited',
          min: 0,
          max: 1000,
          fallback: 5,
          id: 'limit',
        },
        ...(chat
          ? [
              {
                path: 'capacity.counts',
                kind: 'select' as const,
                label: 'f_counts',
                options: COUNTS,
                optionWord: 'counts',
                id: 'counts',
              },
            ]
          : []),
      ],
    },
    {
      title: 'f_availability',
      fields: [
        { path: 'availability.check', kind: 'switch', label: 'f_check', hint: 'f_check_hint', id: 'check' },
        { path: 'availability.requireOnline', kind: 'switch', label: 'f_require_online', disabled: checks },
        { path: 'availability.useTimeTracking', kind: 'switch', label: 'f_time_tracking', disabled: checks },
        { path: 'availability.useSchedules', kind: 'switch', label: 'f_schedules', disabled: checks },
      ],
    },
    {
      title: 'f_routing',
      fields: [
        { path: 'responsible.enabled', kind: 'switch', label: 'f_responsible', hint: 'f_responsible_hint' },
        { path: 'responsible.precedence', kind: 'precedence', label: 'f_precedence' },
        ...(chat
          ? [{ path: 'sticky.enabled', kind: 'switch' as const, label: 'f_sticky', hint: 'f_sticky_hint' }]
          : []),
      ],
    },
  ];
}
