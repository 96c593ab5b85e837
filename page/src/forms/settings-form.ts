import { reactive, ref } from 'vue';
import { api } from '../api.ts';
import { ensurePeople } from '../dashboard/data.ts';
import { apiErrorText } from '../errors-text.ts';
import { clone } from '../format.ts';
import { provideErrors } from './errors.ts';
import { changedMeta, type Stored } from './meta.ts';

/**
 * One settings scope as a form: read from `path` (GET), edited in `draft`, its refusals in
 * `errors` (provided to every field below), written back by `save` (PUT). Every settings view is
 * built on it, so a new scope's page is its fields and this.
 */
export function useSettingsForm<T extends Stored<any> = Stored<any>>(path: string) {
  const errors = provideErrors();
  const loaded = ref<T | null>(null);
  const failure = ref<string | null>(null);
  const draft = reactive<any>({});
  const meta = ref('');
  const replace = (value: unknown) => {
    for (const k of Object.keys(draft)) delete draft[k];
    Object.assign(draft, clone(value));
  };
  void (async () => {
    try {
      const [r] = await Promise.all([api<T>('GET', path), ensurePeople()]);
      replace(r.value);
      loaded.value = r as any;
      meta.value = changedMeta(r);
    } catch (err) {
      failure.value = apiErrorText(err);
    }
  })();
  /** PUTs the draft; the value the server stored (defaults filled) replaces it. */
  async function save() {
    const saved = await api<{ value: unknown }>('PUT', path, draft);
    replace(saved.value);
  }
  return { errors, loaded, failure, draft, meta, save };
}
