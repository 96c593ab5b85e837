import { reactive } from 'vue';

/** Operator id → name, from the dashboard and the settings (the forms name people, not ids). */
export const people = reactive(new Map<number, string>());
export const nameOf = (id: number): string => people.get(Number(id)) ?? `#${id}`;
export function learn(rows: { id?: number; operatorId?: number; name?: string | null }[]): void {
  for (const r of rows) {
    const id = r.id ?? r.operatorId;
    if (id && r.name && !r.name.startsWith('#')) people.set(id, r.name);
  }
}
