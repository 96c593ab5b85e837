import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** dist/page beside src/ (or beside dist/src/ in the built app): the page Vite built from page/. */
export const PAGE_DIST_DIR = fileURLToPath(
  new URL(`../../${import.meta.url.includes('/dist/') ? '../' : ''}dist/page/`, import.meta.url),
);
const MANIFEST = `${PAGE_DIST_DIR}.vite/manifest.json`;

export interface PageAssets {
  script: string;
  /** one stylesheet: the build keeps all CSS in one file (cssCodeSplit: false) */
  style: string;
}

let cached: { mtime: number; assets: PageAssets } | undefined;

/**
 * The built page's script and stylesheet under /page/, from Vite's manifest; undefined when
 * the page was never built (`npm run build` builds it). Re-read when the manifest changes, so
 * a rebuild needs no restart.
 */
export function pageAssets(): PageAssets | undefined {
  if (!existsSync(MANIFEST)) return undefined;
  const mtime = statSync(MANIFEST).mtimeMs;
  if (cached?.mtime === mtime) return cached.assets;
  const m = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<
    string,
    { file: string; isEntry?: boolean; css?: string[] }
  >;
  const entry = Object.values(m).find((e) => e.isEntry);
  if (!entry) return undefined;
  const css = entry.css?.[0] ?? Object.values(m).find((e) => e.file.endsWith('.css'))?.file;
  if (!css) return undefined;
  const assets = { script: `/page/${entry.file}`, style: `/page/${css}` };
  cached = { mtime, assets };
  return assets;
}
