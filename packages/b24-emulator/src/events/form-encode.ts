/**
 * PHP's `http_build_query` (PHP_QUERY_RFC1738), which the event queue uses for handler bodies:
 * nested keys as `a[b][c]` (brackets percent-encoded), spaces as `+`, every value a string.
 */

export type NullPolicy = 'omit' | 'empty';

export function phpUrlencode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function scalar(v: unknown): string | null {
  if (v === true) return '1';
  if (v === false) return '0';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  return null;
}

export function httpBuildQuery(data: Record<string, unknown>, nulls: NullPolicy = 'omit'): string {
  const parts: string[] = [];
  const walk = (prefix: string, value: unknown) => {
    if (value === null || value === undefined) {
      if (nulls === 'empty') parts.push(`${phpUrlencode(prefix)}=`);
      return;
    }
    if (typeof value === 'object') {
      const entries = Array.isArray(value)
        ? value.map((v, i) => [String(i), v] as const)
        : Object.entries(value);
      for (const [k, v] of entries) walk(`${prefix}[${k}]`, v);
      return;
    }
    const s = scalar(value);
    if (s !== null) parts.push(`${phpUrlencode(prefix)}=${phpUrlencode(s)}`);
  };
  for (const [k, v] of Object.entries(data)) walk(k, v);
  return parts.join('&');
}
