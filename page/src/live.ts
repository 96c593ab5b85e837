import { ref } from 'vue';
import { authHeaders, sessionEnded } from './api.ts';

/**
 * The page's live line to the server: GET /api/live, server-sent events read through fetch (an
 * EventSource cannot send the page's Authorization header, and the token must not go in a URL).
 * `state` is what the header shows; on any break it reconnects, a little later each time; a 401
 * ends it (the session is over: the page says so).
 */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'off';
export const liveState = ref<LiveState>('connecting');
const listeners = new Set<() => void>();
const BACKOFF = [1000, 2000, 5000, 10_000];
/** no byte for this long (the server pings every 15 s): the line is dead, reconnect */
const SILENCE_MS = 45_000;
let attempt = 0;
let started = false;

/** Calls `f` on every change the server reports (and once after a reconnect: changes may have been missed). */
export function onLiveChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
function changed() {
  for (const f of listeners) f();
}

/**
 * `f` at most once per `gapMs`, run after the last call within the gap (never starved by a
 * steady stream of changes, as a debounce would be); returns the caller and its cancel.
 */
export function throttled(f: () => unknown, gapMs: number): { call: () => void; cancel: () => void } {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    call() {
      if (timer) return;
      timer = setTimeout(
        () => {
          timer = undefined;
          last = Date.now();
          f();
        },
        Math.max(50, last + gapMs - Date.now()),
      );
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

export function startLive(): void {
  if (started) return;
  started = true;
  void connect(false);
}

async function connect(again: boolean): Promise<void> {
  liveState.value = again ? 'reconnecting' : 'connecting';
  const ctl = new AbortController();
  let silence: ReturnType<typeof setTimeout> | undefined;
  const quiet = () => {
    clearTimeout(silence);
    silence = setTimeout(() => ctl.abort(), SILENCE_MS);
  };
  try {
    const res = await fetch('/api/live', {
      headers: { ...authHeaders(), Accept: 'text/event-stream' },
      credentials: 'omit',
      cache: 'no-store',
      signal: ctl.signal,
    });
    if (res.status === 401) {
      sessionEnded.value = true;
      liveState.value = 'off';
      return;
    }
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    quiet();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      quiet();
      buf += value;
      let cut = buf.indexOf('\n\n');
      while (cut >= 0) {
        const frame = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        if (event === 'hello') {
          liveState.value = 'live';
          // After a break something may have changed unseen: read again once.
          if (again) changed();
          attempt = 0;
        } else if (event === 'change') changed();
        cut = buf.indexOf('\n\n');
      }
    }
  } catch {
    // a break: reconnect below
  } finally {
    clearTimeout(silence);
  }
  if (sessionEnded.value) {
    liveState.value = 'off';
    return;
  }
  liveState.value = 'reconnecting';
  const wait = BACKOFF[Math.min(attempt++, BACKOFF.length - 1)];
  setTimeout(() => void connect(true), wait);
}
