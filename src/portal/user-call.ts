/**
 * One REST call with a user's own access token (not the app's stored ones): the installer's
 * or the page viewer's. It goes to the client endpoint the app trusts (the OAuth server's
 * answer, or the one stored at install), never to one a request names.
 */

/** limited: the portal refused for rate (QUERY_LIMIT_EXCEEDED): nothing is wrong with the user or the token */
export type UserCallFailure = 'rejected' | 'unreachable' | 'limited';

export class UserCallError extends Error {
  constructor(
    readonly why: UserCallFailure,
    message: string,
  ) {
    super(message);
    this.name = 'UserCallError';
  }
}

export interface UserCallOptions {
  /** e.g. https://portal.bitrix24.com/rest/ */
  clientEndpoint: string;
  accessToken: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export async function callAsUser(o: UserCallOptions, method: string): Promise<unknown> {
  const doFetch = o.fetch ?? fetch;
  const url = `${o.clientEndpoint.replace(/\/+$/, '')}/${method}`;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      // In the body, not the query string: tokens stay out of access logs on both sides.
      body: JSON.stringify({ auth: o.accessToken }),
      // A renamed portal answers with a redirect that would drop the POST body; refuse rather
      // than follow it anywhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
    });
  } catch (err) {
    throw new UserCallError('unreachable', `the portal did not answer ${method}: ${(err as Error).name}`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new UserCallError('rejected', `the portal refused the user's token (${res.status})`);
  }
  if (res.status === 503 || res.status === 429) {
    const body = await res.text().catch(() => '');
    if (res.status === 429 || /QUERY_LIMIT_EXCEEDED/.test(body))
      throw new UserCallError('limited', `${method}: the portal asks to slow down (${res.status})`);
  }
  if (res.status >= 300) {
    throw new UserCallError(
      res.status >= 500 || res.status < 400 ? 'unreachable' : 'rejected',
      `${method} answered ${res.status}`,
    );
  }
  let json: any;
  try {
    json = await res.json();
  } catch {
    throw new UserCallError('unreachable', `${method} answered something other than JSON`);
  }
  if (json?.error)
    throw new UserCallError('rejected', `${method} answered error ${String(json.error).slice(0, 60)}`);
  return json?.result;
}

/** Bitrix24 answers yes/no as true/false, "Y"/"N" or 1/0 depending on the method. */
export function yesNo(v: unknown): boolean | undefined {
  if (v === true || v === 'Y' || v === 'y' || v === 1 || v === '1') return true;
  if (v === false || v === 'N' || v === 'n' || v === 0 || v === '0' || v === '') return false;
  return undefined;
}

/** `user.admin` (common/users/user-admin.md): is the token's owner a portal administrator? */
export async function isPortalAdmin(o: UserCallOptions): Promise<boolean> {
  return yesNo(await callAsUser(o, 'user.admin')) === true;
}

/** Who owns the token: `profile` (ADMIN is in it), else `user.admin` on older portals. */
export async function whoIs(o: UserCallOptions): Promise<{ userId: number; isAdmin: boolean; name: string }> {
  const p = ((await callAsUser(o, 'profile')) ?? {}) as Record<string, unknown>;
  const userId = Number(p.ID);
  if (!Number.isInteger(userId) || userId <= 0) {
    throw new UserCallError('rejected', 'the portal answered profile without a user id');
  }
  const isAdmin = yesNo(p.ADMIN) ?? yesNo(await callAsUser(o, 'user.admin')) ?? false;
  const name = [p.NAME, p.LAST_NAME].filter((s) => typeof s === 'string' && s).join(' ');
  return { userId, isAdmin, name: name || `#${userId}` };
}
