import { ref } from 'vue';
import { boot } from './boot.ts';

/** A field the server refused, as /api answers 400 (src/web/api/validation.ts). */
export interface FieldError {
  path: string;
  message: string;
  code: string;
  key?: string;
  limit?: number;
  origin?: string;
}

/** A refused /api call: the HTTP status and the JSON body (for 400s, the field errors). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly data: any,
  ) {
    super(String(data?.error_description ?? data?.error ?? `HTTP ${status}`));
  }
  get fields(): FieldError[] {
    return this.status === 400 && Array.isArray(this.data?.fields) ? this.data.fields : [];
  }
}

/** Set once any call answers 401: the page asks the viewer to reopen it through the portal. */
export const sessionEnded = ref(false);

/** The headers every /api call carries: the page's token, never a cookie. */
export function authHeaders(): Record<string, string> {
  return { Authorization: `Bearer ${boot.token}` };
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(), Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, { error: 'unreachable' });
  }
  let data: any = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (res.status === 401) sessionEnded.value = true;
  if (!res.ok) throw new ApiError(res.status, data);
  return data as T;
}
