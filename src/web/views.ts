import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** views/ beside src/ (or beside dist/src/ in the built app). */
export const VIEWS_DIR = fileURLToPath(
  new URL(`../../${import.meta.url.includes('/dist/') ? '../' : ''}views/`, import.meta.url),
);
const cache = new Map<string, string>();

export function escapeHtml(v: unknown): string {
  return String(v ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Renders views/<name>.html, replacing {{key}} with the HTML-escaped value. There is no raw
 * interpolation: data for scripts goes through {{json:key}}, which escapes for a JSON
 * island (<script type="application/json">) so no value can close the tag.
 */
export function render(name: string, vars: Record<string, unknown>): string {
  let tpl = cache.get(name);
  if (!tpl) {
    tpl = readFileSync(`${VIEWS_DIR}${name}.html`, 'utf8');
    cache.set(name, tpl);
  }
  return tpl.replace(/\{\{(json:)?(\w+)\}\}/g, (_m, json: string | undefined, key: string) => {
    const v = vars[key];
    if (json)
      return JSON.stringify(v ?? null)
        .replaceAll('<', '\\u003c')
        .replaceAll('>', '\\u003e')
        .replaceAll('&', '\\u0026');
    return escapeHtml(v);
  });
}

/**
 * Content-Security-Policy for pages the portal frames: only our own scripts (plus the one
 * inline script carrying `nonce`), and only the portal may frame us. `inlineStyles: false`
 * also refuses style attributes and <style> blocks but those carrying `nonce` (the UI kit
 * writes its theme variables in one, given the nonce; sizes go through the CSSOM, which CSP
 * does not govern).
 */
export function framedPageCsp(
  portalOrigin: string | undefined,
  nonce: string,
  o: { inlineStyles?: boolean } = {},
): string {
  const ancestors = portalOrigin ? `'self' ${portalOrigin}` : "'self'";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    o.inlineStyles === false ? `style-src 'self' 'nonce-${nonce}'` : "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}
