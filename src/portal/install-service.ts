import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { applicationTokenMatches } from '../events/verify.ts';
import type { Installation, InstallationStore } from './installation.ts';
import { domainOf, type OAuthServer, type VerifiedTokens } from './oauth-server.ts';

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
  log: Logger;
  clock?: () => number;
  /** runs after every successful install: schedules the portal's setup (event binding, bot) */
  afterInstall(memberId: string): Promise<void>;
  /** drops cached per-portal state (REST clients) */
  forget(memberId: string): void;
}

/**
 * Both install paths (the installer page's POST and ONAPPINSTALL, whichever comes first)
 * end here. The tokens are proven by spending the refresh token at the OAuth server: its
 * answer, not the request, says which portal they belong to and where its REST API is, so
 * a forged request can neither take over another portal nor point the app elsewhere.
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
    return this.save(verified, form.APPLICATION_TOKEN, normaliseLang(form.LANG));
  }

  /** Returns 'unchanged' when the portal is already installed with this application token. */
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
    await this.save(verified, ev.auth.application_token, normaliseLang(ev.data?.LANGUAGE_ID));
    return 'installed';
  }

  async uninstall(memberId: string): Promise<boolean> {
    const changed = await this.d.store.markUninstalled(memberId, new Date(this.clock()));
    this.d.forget(memberId);
    if (changed) this.d.log.info({ memberId }, 'app uninstalled');
    return changed;
  }

  private async save(v: VerifiedTokens, applicationToken: string, language: string): Promise<Installation> {
    const previous = await this.d.store.find(v.memberId);
    await this.d.store.saveInstall(
      {
        memberId: v.memberId,
        domain: domainOf(v.clientEndpoint),
        clientEndpoint: v.clientEndpoint,
        serverEndpoint: v.serverEndpoint,
        accessToken: v.accessToken,
        refreshToken: v.refreshToken,
        expiresAt: v.expiresAt,
        applicationToken,
        scope: v.scope,
        planStatus: v.planStatus,
        ratePlan: previous?.ratePlan ?? 'standard',
        userId: v.userId,
        language,
      },
      new Date(this.clock()),
    );
    this.d.forget(v.memberId);
    this.d.log.info({ memberId: v.memberId, domain: domainOf(v.clientEndpoint) }, 'app installed');
    await this.d.afterInstall(v.memberId);
    const saved = await this.d.store.find(v.memberId);
    if (!saved) throw new Error('installation vanished after save');
    return saved;
  }
}

export function normaliseLang(lang: string | undefined): 'ru' | 'en' {
  return lang?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}
