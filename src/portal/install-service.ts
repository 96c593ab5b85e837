import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { applicationTokenMatches } from '../events/verify.ts';
import type { InstallationJournal } from '../db/repositories/installation-security.ts';
import { type ApplicationTokens, fingerprint } from './application-token.ts';
import type { Installation, InstallationStore } from './installation.ts';
import { domainOf, type OAuthServer, type VerifiedTokens } from './oauth-server.ts';
import { isPortalAdmin, UserCallError, whoIs } from './user-call.ts';

/** The iframe POST to /install (CONTRACT.md); DOMAIN and member_id in it are claims, not facts. */
export const installFormSchema = z.object({
  AUTH_ID: z.string().min(1, 'is required'),
  REFRESH_ID: z.string().min(1, 'is required'),
  APPLICATION_TOKEN: z.string().min(1, 'is required'),
  AUTH_EXPIRES: z.string().optional(),
  SERVER_ENDPOINT: z.string().optional(),
  APPLICATION_SCOPE: z.string().optional(),
  member_id: z.string().optional(),
  status: z.string().optional(),
  PLACEMENT: z.string().optional(),
  LANG: z.string().optional(),
});
export type InstallForm = z.infer<typeof installFormSchema>;

export interface InstallEvent {
  event: 'ONAPPINSTALL';
  data?: { LANGUAGE_ID?: string };
  auth: { member_id: string; application_token: string; refresh_token?: string };
}

export interface InstallServiceDeps {
  store: InstallationStore;
  oauth: OAuthServer;
  tokens: ApplicationTokens;
  journal: InstallationJournal;
  log: Logger;
  clock?: () => number;
  /** for the installer's `user.admin` call (tests inject the emulator's reach) */
  fetch?: typeof fetch;
  /** runs after every successful install: schedules the portal's setup (event binding, bot) */
  afterInstall(memberId: string): Promise<void>;
  /** drops cached per-portal state (REST clients) */
  forget(memberId: string): void;
}

export const NOT_ADMIN_MESSAGE = 'only a portal administrator can install or reinstall the app';

/**
 * Both install paths (the installer page's POST and ONAPPINSTALL, whichever comes first)
 * end here. The tokens are proven by spending the refresh token at the OAuth server: its
 * answer, not the request, says which portal they belong to, where its REST API is and who
 * the user is. Then the portal says whether that user is an administrator (`user.admin` with
 * their own new token): nobody else changes anything the app stores for a portal. The
 * request's application token is a claim either way: a first install keeps it until the
 * portal confirms it, a reinstall never stores it (application-token.ts).
 */
export class InstallService {
  private readonly clock: () => number;
  constructor(private readonly d: InstallServiceDeps) {
    this.clock = d.clock ?? Date.now;
  }

  async fromForm(form: InstallForm): Promise<Installation> {
    const verified = await this.d.oauth.refresh(form.REFRESH_ID);
    if (form.member_id && form.member_id !== verified.memberId) {
      throw new AppError(ErrorCode.InvalidInput, 'member_id does not match the tokens', 400);
    }
    return this.install(verified, form.APPLICATION_TOKEN, normaliseLang(form.LANG), 'installer page');
  }

  /**
   * Returns 'unchanged' when the portal is already installed with this application token:
   * the portal sends ONAPPINSTALL after the installer page has done the work, and a repeat
   * changes nothing, so it needs no proof.
   */
  async fromEvent(ev: InstallEvent): Promise<'installed' | 'unchanged'> {
    const existing = await this.d.store.find(ev.auth.member_id);
    if (
      existing?.status === 'active' &&
      applicationTokenMatches(ev.auth.application_token, existing.applicationToken)
    ) {
      return 'unchanged';
    }
    if (!ev.auth.refresh_token)
      throw new AppError(ErrorCode.Unauthorized, 'ONAPPINSTALL carries no refresh token', 401);
    const verified = await this.d.oauth.refresh(ev.auth.refresh_token);
    if (verified.memberId !== ev.auth.member_id) {
      throw new AppError(ErrorCode.Unauthorized, 'member_id does not match the tokens', 401);
    }
    await this.install(
      verified,
      ev.auth.application_token,
      normaliseLang(ev.data?.LANGUAGE_ID),
      'ONAPPINSTALL',
    );
    return 'installed';
  }

  /**
   * ONAPPUPDATE: a new version was installed, and with it the portal may have issued a new
   * application token (common/events/on-app-update.md). The event's own token is only a claim,
   * but the access token in it can be checked: an administrator's is the portal's word that an
   * administrator updated the app. Then setup runs again, and the portal confirms the token.
   */
  async fromUpdate(auth: { member_id: string; application_token: string; access_token?: string }) {
    const inst = await this.d.store.find(auth.member_id);
    if (inst?.status !== 'active') throw new AppError(ErrorCode.Unauthorized, 'unknown portal', 401);
    if (!auth.access_token)
      throw new AppError(
        ErrorCode.Unauthorized,
        'ONAPPUPDATE carries no token to check its sender with',
        401,
      );
    const now = this.clock();
    let who: { userId: number; isAdmin: boolean };
    try {
      who = await whoIs({
        clientEndpoint: inst.clientEndpoint,
        accessToken: auth.access_token,
        fetch: this.d.fetch,
      });
    } catch (err) {
      if (err instanceof UserCallError && err.why === 'unreachable') {
        throw new AppError(
          ErrorCode.PortalError,
          `the portal did not say who updated the app: ${err.message}`,
          502,
        );
      }
      throw new AppError(
        ErrorCode.Unauthorized,
        'the portal does not know the token ONAPPUPDATE carries',
        401,
      );
    }
    if (!who.isAdmin) {
      await this.d.journal.add(inst.memberId, 'install_refused', now, who.userId, {
        via: 'ONAPPUPDATE',
        why: 'not_admin',
      });
      this.d.log.warn(
        { memberId: inst.memberId, userId: who.userId },
        'ONAPPUPDATE refused: not a portal administrator',
      );
      throw new AppError(ErrorCode.Forbidden, NOT_ADMIN_MESSAGE, 403);
    }
    await this.d.journal.add(inst.memberId, 'updated', now, who.userId, { via: 'ONAPPUPDATE' });
    if (!applicationTokenMatches(auth.application_token, inst.applicationToken)) {
      await this.d.journal.add(inst.memberId, 'application_token_claim_ignored', now, who.userId, {
        via: 'ONAPPUPDATE',
        claimed: fingerprint(auth.application_token),
        stored: fingerprint(inst.applicationToken),
      });
      await this.d.tokens.request(inst.memberId, 'token_claim', who.userId);
    }
    this.d.log.info({ memberId: inst.memberId, userId: who.userId }, 'app updated');
    await this.d.afterInstall(inst.memberId);
  }

  /**
   * ONAPPUNINSTALL passed the application-token check, but that token is shown to every
   * employee who opens the app, so the portal is asked too: while it still answers the app's
   * tokens, the app is installed and the event is not the portal's. `stillInstalled` throws
   * when the portal can't be asked (the inbox retries).
   */
  async uninstall(memberId: string, stillInstalled: () => Promise<boolean>): Promise<boolean> {
    const inst = await this.d.store.find(memberId);
    if (inst?.status !== 'active') return false;
    const now = this.clock();
    if (await stillInstalled()) {
      await this.d.journal.add(memberId, 'uninstall_refused', now, null, { why: 'portal_answers' });
      this.d.log.warn({ memberId }, 'ONAPPUNINSTALL refused: the portal still answers the app');
      return false;
    }
    const changed = await this.d.store.markUninstalled(memberId, new Date(now));
    this.d.forget(memberId);
    if (changed) {
      await this.d.journal.add(memberId, 'uninstalled', now);
      this.d.log.info({ memberId }, 'app uninstalled');
    }
    return changed;
  }

  private async install(
    v: VerifiedTokens,
    claimedToken: string,
    language: string,
    via: string,
  ): Promise<Installation> {
    const now = this.clock();
    await this.requireAdmin(v, via, now);
    const previous = await this.d.store.find(v.memberId);
    const fields = {
      memberId: v.memberId,
      domain: domainOf(v.clientEndpoint),
      clientEndpoint: v.clientEndpoint,
      serverEndpoint: v.serverEndpoint,
      accessToken: v.accessToken,
      refreshToken: v.refreshToken,
      expiresAt: v.expiresAt,
      scope: v.scope,
      planStatus: v.planStatus,
      userId: v.userId,
      language,
    };
    const at = new Date(now);
    if (previous?.status === 'active') {
      await this.d.store.refreshInstall(fields, at);
      const sameToken = applicationTokenMatches(claimedToken, previous.applicationToken);
      await this.d.journal.add(v.memberId, 'reinstalled', now, v.userId, { via });
      if (!sameToken) {
        // Never stored: a genuine new token (a reinstall whose uninstall the app missed) comes
        // from the portal itself at setup; a made-up one goes nowhere.
        await this.d.journal.add(v.memberId, 'application_token_claim_ignored', now, v.userId, {
          via,
          claimed: fingerprint(claimedToken),
          stored: fingerprint(previous.applicationToken),
        });
        await this.d.tokens.request(v.memberId, 'token_claim', v.userId);
        this.d.log.warn(
          { memberId: v.memberId, userId: v.userId, via },
          'reinstall claimed another application token; asking the portal',
        );
      }
    } else {
      await this.d.store.saveInstall(
        { ...fields, applicationToken: claimedToken, ratePlan: previous?.ratePlan ?? 'standard' },
        at,
      );
      await this.d.journal.add(v.memberId, 'installed', now, v.userId, {
        via,
        claimed: fingerprint(claimedToken),
      });
      await this.d.tokens.request(v.memberId, 'install', v.userId);
    }
    this.d.forget(v.memberId);
    this.d.log.info({ memberId: v.memberId, domain: fields.domain, userId: v.userId, via }, 'app installed');
    await this.d.afterInstall(v.memberId);
    const saved = await this.d.store.find(v.memberId);
    if (!saved) throw new Error('installation vanished after save');
    return saved;
  }

  private async requireAdmin(v: VerifiedTokens, via: string, now: number): Promise<void> {
    let admin: boolean;
    try {
      admin = await isPortalAdmin({
        clientEndpoint: v.clientEndpoint,
        accessToken: v.accessToken,
        fetch: this.d.fetch,
      });
    } catch (err) {
      if (err instanceof UserCallError && err.why === 'unreachable') {
        throw new AppError(
          ErrorCode.PortalError,
          `the portal did not say who is installing: ${err.message}`,
          502,
        );
      }
      admin = false;
    }
    if (admin) return;
    // Only a portal this app already serves has anything to protect; a stranger's refused
    // attempt is logged but not journaled under a portal it does not belong to.
    if (await this.d.store.find(v.memberId)) {
      await this.d.journal.add(v.memberId, 'install_refused', now, v.userId, { via, why: 'not_admin' });
    }
    this.d.log.warn(
      { memberId: v.memberId, userId: v.userId, via },
      'install refused: not a portal administrator',
    );
    throw new AppError(ErrorCode.Forbidden, NOT_ADMIN_MESSAGE, 403);
  }
}

export function normaliseLang(lang: string | undefined): 'ru' | 'en' {
  return lang?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}
