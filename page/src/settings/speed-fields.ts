import type { FieldDef, Option, SectionDef } from '../forms/fields.ts';
import { nameOf } from '../people.ts';

/**
 * Speed to lead (src/settings/speed.ts): a line's first-message deadline, the leads'
 * first-touch deadline (also per route) and the per-operator quotas of leads, deals and dialogs.
 */
const fmOn = (v: any) => v?.firstMessage?.enabled === true;

export const firstMessageSection: SectionDef = {
  title: 'f_first_message',
  fields: [
    {
      path: 'firstMessage.seconds',
      kind: 'nullableInt',
      label: 'f_first_message_seconds',
      hint: 'f_first_message_hint',
      none: 'first_message_line_default',
      min: 5,
      max: 86400,
      fallback: 60,
      unit: 'seconds',
      id: 'first-message',
    },
    {
      path: 'firstMessage.enabled',
      kind: 'switch',
      label: 'f_first_message_enabled',
      hint: 'f_first_message_enabled_hint',
    },
    {
      path: 'firstMessage.onBreach',
      kind: 'select',
      label: 'f_chat_on_breach',
      options: ['reassign', 'notify'],
      optionWord: 'chat_on_breach',
      show: fmOn,
    },
    {
      path: 'firstMessage.escalateAfterBreaches',
      kind: 'int',
      label: 'f_escalate_after',
      min: 1,
      max: 10,
      show: fmOn,
    },
    {
      path: 'firstMessage.supervisorId',
      kind: 'nullableInt',
      label: 'f_supervisor',
      hint: 'f_chat_supervisor_hint',
      none: 'nobody',
      min: 1,
      fallback: 1,
      show: fmOn,
    },
    {
      path: 'firstMessage.workingHours',
      kind: 'schedule',
      label: 'f_working_hours',
      hint: 'f_chat_working_hours_hint',
      show: fmOn,
    },
  ],
};

/** `base` is where the first-touch object sits: 'firstTouch' for every lead, the route's own for a route. */
export function firstTouchSection(base = 'firstTouch'): SectionDef {
  const on = (v: any) => {
    const ft = base.split('.').reduce((o, k) => o?.[k], v);
    return ft?.enabled === true;
  };
  return {
    title: 'f_first_touch',
    hint: 'f_first_touch_hint',
    fields: [
      { path: `${base}.enabled`, kind: 'switch', label: 'f_first_touch_enabled' },
      {
        path: `${base}.minutes`,
        kind: 'int',
        label: 'f_first_touch_minutes',
        min: 1,
        unit: 'minutes',
        show: on,
      },
      {
        path: `${base}.onBreach`,
        kind: 'select',
        label: 'f_on_breach',
        options: ['reassign', 'notify'],
        optionWord: 'on_breach',
        show: on,
      },
      {
        path: `${base}.escalateAfterBreaches`,
        kind: 'int',
        label: 'f_escalate_after',
        min: 1,
        max: 10,
        show: on,
      },
      {
        path: `${base}.supervisorId`,
        kind: 'nullableInt',
        label: 'f_supervisor',
        hint: 'f_supervisor_hint',
        none: 'nobody',
        min: 1,
        fallback: 1,
        show: on,
      },
      { path: `${base}.stageChangeCounts`, kind: 'switch', label: 'f_stage_change_counts', show: on },
      {
        path: `${base}.workingHours`,
        kind: 'schedule',
        label: 'f_working_hours',
        hint: 'f_working_hours_hint',
        show: on,
      },
    ],
  };
}

/**
 * The per-operator quotas of leads, deals (their own caps and overflow; a deal route to
 * overflow to) and a line's dialogs (overflow: wait or a person, a chat has no other queue).
 * Leads keep their words without a suffix; deals and dialogs say theirs.
 */
export function quotaSectionFor(what: 'leads' | 'deals' | 'dialogs'): SectionDef {
  const w = (key: string) => (what === 'leads' ? key : `${key}_${what}`);
  const on = (v: any) => v?.quota?.enabled;
  const overflowPerson: FieldDef =
    what === 'leads'
      ? {
          path: 'quota.overflow.userId',
          kind: 'select',
          label: 'f_overflow_person',
          options: (v) => [
            ...new Set(
              [...(v?.rules?.queue ?? []).map((m: any) => m.id), v?.quota?.overflow?.userId].filter(Boolean),
            ),
          ],
          optionLabel: (id) => nameOf(Number(id)),
          show: (v) => on(v) && v?.quota?.overflow?.to === 'person',
        }
      : {
          path: 'quota.overflow.userId',
          kind: 'person',
          label: 'f_overflow_person',
          none: 'overflow_person_none',
          show: (v) => on(v) && v?.quota?.overflow?.to === 'person',
        };
  return {
    title: 'f_quota',
    hint: w('f_quota_hint'),
    fields: [
      { path: 'quota.enabled', kind: 'switch', label: w('f_quota_enabled') },
      {
        path: 'quota.period',
        kind: 'select',
        label: 'f_quota_period',
        options: ['day', 'shift'],
        optionWord: 'quota_period',
        show: on,
      },
      {
        path: 'quota.perOperator',
        kind: 'nullableInt',
        label: w('f_quota_per_operator'),
        none: 'unlimited',
        min: 0,
        max: 10000,
        fallback: 20,
        show: on,
      },
      { path: 'quota.operators', kind: 'userCaps', label: 'f_quota_operators', show: on },
      {
        path: 'quota.overflow.to',
        kind: 'select',
        label: 'f_overflow_to',
        options: what === 'dialogs' ? ['wait', 'person'] : ['wait', 'person', 'route'],
        optionWord: what === 'leads' ? 'overflow' : `overflow_${what}`,
        show: on,
      },
      overflowPerson,
      ...(what === 'dialogs'
        ? []
        : [
            {
              path: 'quota.overflow.route',
              kind: 'select',
              label: 'f_overflow_route',
              options: (v: any) => (v?.routes ?? []).map((r: any) => r.name),
              optionLabel: (name: Option) => String(name),
              show: (v: any) => on(v) && v?.quota?.overflow?.to === 'route',
            } satisfies FieldDef,
          ]),
    ],
  };
}

export const quotaSection: SectionDef = quotaSectionFor('leads');
