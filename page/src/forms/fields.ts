/**
 * Settings forms are lists of field descriptions: a new setting is one entry here (its path in
 * the scope's value, its kind, its words) and its words in views/i18n.json. The form renders
 * it with the UI kit, binds it, shows the server's refusal next to it and sends it on save.
 */
export type FieldKind =
  | 'switch' // boolean
  | 'int' // a whole number; a cleared box is sent as typed ('') so the server says what is wrong
  | 'nullableInt' // a number or "none" (null), by a checkbox beside it
  | 'select' // one of `options`
  | 'text'
  | 'list' // comma-separated strings
  | 'intlist' // comma-separated whole numbers
  | 'datetime' // unix ms or null, in the viewer's zone
  | 'schedule' // working hours per weekday in a time zone, or null
  | 'userCaps' // { "<user id>": n }
  | 'person' // a person the page knows by name, or none (null): `none` names the choice
  | 'precedence'; // an order of CRM entities

export type Option = string | number;

export interface FieldDef {
  /** where the value sits under the form's base, dotted */
  path: string;
  kind: FieldKind;
  /** word keys */
  label: string;
  hint?: string;
  /** select: its values, fixed or from the form's value (e.g. the lead routes' names) */
  options?: readonly Option[] | ((value: any) => readonly Option[]);
  /** select: words by `${optionWord}_${value}`; or a label function */
  optionWord?: string;
  optionLabel?: (v: Option) => string;
  min?: number;
  max?: number;
  /** nullableInt: the word of the "none" box, and the number a box unticked starts from */
  none?: string;
  fallback?: number;
  /** int: what a cleared box means (e.g. null = the queue's limit); default: sent as typed */
  emptyAs?: null;
  /** a word key shown after the box (days, minutes…) */
  unit?: string;
  placeholder?: string;
  /** shown only when this says so, given the value at the form's base */
  show?: (value: any) => boolean;
  /** greyed out when this says so */
  disabled?: (value: any) => boolean;
  /** the element id the browser test finds the control by (prefixed by the form's idPrefix) */
  id?: string;
  /** a change re-draws the form around it (mode hints, shown fields) */
  wide?: boolean;
}

export interface SectionDef {
  /** a word key, or none for the form's first block */
  title?: string;
  hint?: string;
  fields: FieldDef[];
  show?: (value: any) => boolean;
}
