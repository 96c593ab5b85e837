import { ref } from 'vue';

/** A view another view asks the page to show (the log from the dashboard), with what to show in it. */
export const requestedView = ref<string | null>(null);
/** The log view's filter when it is opened for one dialog or lead ("why did this one go there?"). */
export const logFilter = ref<{ kind: string; objectId: string } | null>(null);

export function showLog(filter: { kind: string; objectId: string } | null = null): void {
  logFilter.value = filter;
  requestedView.value = 'log';
}
