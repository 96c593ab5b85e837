import { ref } from 'vue';

/**
 * The portal's side of the frame through the SDK's own browser build (served from
 * node_modules at /vendor/b24jssdk, loaded before this script): the handshake, the title,
 * and resizing the frame to the content. The page works without it (opened directly, or in
 * tests without a portal): the handshake runs beside the page and nothing waits for it.
 */
interface FrameApi {
  parent: {
    setTitle(t: string): Promise<unknown>;
    fitWindow(): Promise<unknown>;
    reloadWindow(): Promise<unknown>;
  };
  getLang?: () => string;
}

export const frameState = ref<'none' | 'ready'>('none');
let frame: FrameApi | null = null;
let queued = false;
let fitted = 0;

export function initFrame(title: string): void {
  const B24Js = (window as any).B24Js;
  if (!B24Js || typeof window.name !== 'string' || window.name.split('|').length < 3) return;
  B24Js.initializeB24Frame()
    .then((b24: FrameApi) => {
      frame = b24;
      frameState.value = 'ready';
      document.body.dataset.frame = 'ready';
      b24.parent.setTitle(title).catch(() => {});
      fit();
    })
    .catch(() => {
      document.body.dataset.frame = 'none';
    });
  if (typeof ResizeObserver === 'function') new ResizeObserver(() => fit()).observe(document.body);
}

/** Asks the portal to fit the frame to the content, only when the height changed. */
export function fit(): void {
  if (!frame || queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    const h = document.documentElement.scrollHeight;
    if (h === fitted) return;
    fitted = h;
    frame?.parent.fitWindow().catch(() => {});
  });
}

/** Back through the portal (it posts a fresh AUTH_ID, so the server checks the viewer again). */
export function reloadThroughPortal(): void {
  if (frame) frame.parent.reloadWindow().catch(() => location.reload());
  else location.reload();
}
