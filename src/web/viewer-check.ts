import { UserCallError, whoIs } from '../portal/user-call.ts';

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

export type RefusalWhy = 'unknown_portal' | 'rejected' | 'unreachable' | 'limited';

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
  try {
    return await whoIs({
      clientEndpoint: o.clientEndpoint,
      accessToken: o.authId,
      fetch: o.fetch,
      timeoutMs: o.timeoutMs,
    });
  } catch (err) {
    if (err instanceof UserCallError) {
      throw new ViewerRefused(err.why, err.message.replace("the user's token", "the viewer's token"));
    }
    throw err;
  }
}
