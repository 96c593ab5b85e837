import { inject, type InjectionKey, onBeforeUnmount, provide, reactive } from 'vue';
import type { FieldError } from '../api.ts';
import { has, t } from '../words.ts';

/** A refused field in the viewer's language: the schemas' own checks by key, zod's by code and bound. */
export function errorText(f: FieldError): string {
  if (f.key && has(f.key)) return t(f.key);
  if (f.code === 'too_small' && f.origin === 'string' && f.limit === 1) return t('err_empty');
  if (f.code === 'too_small' && f.origin === 'number') return t('err_min', { n: f.limit ?? 0 });
  if (f.code === 'too_big' && f.origin === 'number') return t('err_max', { n: f.limit ?? 0 });
  if (f.code === 'too_small' && f.origin === 'array') return t('err_min_items', { n: f.limit ?? 0 });
  if (f.code === 'too_big' && f.origin === 'array') return t('err_max_items', { n: f.limit ?? 0 });
  if (f.code === 'invalid_type') return t('err_type');
  if (f.code === 'invalid_value') return t('err_value');
  if (f.code === 'invalid_format') return t('err_format');
  return t('err_other');
}

/**
 * The field errors of one form. Every field registers its path; a refused path shows at the
 * field whose path is its longest prefix (the error of `rules.queue.0.weight` at that weight
 * box, that of `rules.queue` at the members table); what no field claims goes to the summary.
 */
export class FormErrors {
  private readonly fields = new Set<string>();
  private last: { errors: FieldError[]; prefix: string } = { errors: [], prefix: '' };
  private queued = false;
  readonly state = reactive({
    at: {} as Record<string, string>,
    unplaced: [] as string[],
    /** the server's paths no field on screen claims (a closed routing rule…) */
    unplacedPaths: [] as string[],
    count: 0,
  });
  /** A field shown: errors already known are placed again, so one that appears late gets its own. */
  register(path: string): () => void {
    this.fields.add(path);
    this.replace();
    return () => {
      this.fields.delete(path);
      this.replace();
    };
  }
  /** `prefix`: where the form's value sits in the server's paths (the what-if's `settings.`). */
  set(errors: FieldError[], prefix = ''): void {
    this.last = { errors, prefix };
    this.place();
  }
  clear(): void {
    this.set([]);
  }
  at(path: string): string | undefined {
    return this.state.at[path];
  }
  private replace(): void {
    if (this.queued || this.last.errors.length === 0) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.place();
    });
  }
  private place(): void {
    const { errors, prefix } = this.last;
    const at: Record<string, string> = {};
    const unplaced: string[] = [];
    const unplacedPaths: string[] = [];
    for (const f of errors) {
      const path = prefix && f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path;
      let best: string | undefined;
      for (const p of this.fields) {
        if ((path === p || path.startsWith(`${p}.`)) && (best === undefined || p.length > best.length))
          best = p;
      }
      const text = errorText(f);
      if (best !== undefined) at[best] ??= text;
      else {
        unplaced.push(text);
        unplacedPaths.push(path);
      }
    }
    this.state.at = at;
    this.state.unplaced = unplaced;
    this.state.unplacedPaths = unplacedPaths;
    this.state.count = errors.length;
  }
}

const KEY: InjectionKey<FormErrors> = Symbol('form-errors');

export function provideErrors(): FormErrors {
  const e = new FormErrors();
  provide(KEY, e);
  return e;
}

/** The enclosing form's error for the field at `path`, the field registered while it is shown. */
export function useFieldError(path: string): () => string | undefined {
  const errors = inject(KEY, null);
  if (!errors) return () => undefined;
  const off = errors.register(path);
  onBeforeUnmount(off);
  return () => errors.at(path);
}
