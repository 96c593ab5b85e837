/**
 * Who is looking at the page: the portal says, not the form. The iframe POST carries the
 * viewer's own access token (AUTH_ID); we spend it on `profile` at the client endpoint we
 * stored at install time (never the form's DOMAIN), so a forged form can neither pose as
 * another user nor point us at a portal of its choosing. The app's own tokens are not used:
 * they would answer for the installing admin, not the viewer.
 */
export interface Viewer {
  userId: number;
  isAdmin: boolean;
  name: string;
}

export type RefusalWhy = 'unknown_portal' | 'rejected' | 'unreachable';

export class ViewerRefused extends Error {
  constructor(
    readonly why: RefusalWhy,
    message: string,
  ) {
    super(message);
    this.name = 'ViewerRefused';
  }
}

export interface ViewerCheckOptions {
  /** the stored client endpoint, e.g. https://portal.bitrix24.com/rest/ */
  clientEndpoint: string;
  authId: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export async function checkViewer(o: ViewerCheckOptions): Promise<Viewer> {
  const profile = await callAsViewer(o, 'profile');
  const p = (profile ?? {}) as Record<string, unknown>;
  const userId = Number(p.ID);
  if (!Number.isInteger(userId) || userId <= 0) {
    throw new ViewerRefused('rejected', 'the portal answered profile without a user id');
  }
  let isAdmin = yes(p.ADMIN);
  // Older portals leave ADMIN out of profile; user.admin answers for the caller alone.
  if (isAdmin === undefined) isAdmin = yes(await callAsViewer(o, 'user.admin')) ?? false;
  const name = [p.NAME, p.LAST_NAME].filter((s) => typeof s === 'string' && s).join(' ');
  return { userId, isAdmin, name: name || `#${userId}` };
}

function yes(v: unknown): boolean | undefined {
  if (v === true || v === 'Y' || v === 'y' || v === 1 || v === '1') return true;
  if (v === false || v === 'N' || v === 'n' || v === 0 || v === '0' || v === '') return false;
  return undefined;
}

async function callAsViewer(o: ViewerCheckOptions, method: string): Promise<unknown> {
  const doFetch = o.fetch ?? fetch;
  const url = `${o.clientEndpoint.replace(/\/+$/, '')}/${method}`;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      // In the body, not the query string: tokens stay out of access logs on both sides.
      body: JSON.stringify({ auth: o.authId }),
      // A renamed portal answers with a redirect that would drop the POST body; refuse rather
      // than follow it anywhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
    });
  } catch (err) {
    throw new ViewerRefused('unreachable', `the portal did not answer ${method}: ${(err as Error).name}`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new ViewerRefused('rejected', `the portal refused the viewer's token (${res.status})`);
  }
  if (res.status >= 300) {
    throw new ViewerRefused(
      res.status >= 500 || res.status < 400 ? 'unreachable' : 'rejected',
      `${method} answered ${res.status}`,
    );
  }
  let json: any;
  try {
    json = await res.json();
  } catch {
    throw new ViewerRefused('unreachable', `${method} answered something other than JSON`);
  }
  if (json?.error)
    throw new ViewerRefused('rejected', `${method} answered error ${String(json.error).slice(0, 60)}`);
  return json?.result;
}
