/**
 * One portal's installation. Tokens go stale (access after an hour, refresh after 180 days
 * unused) and are only ever replaced through the token refresher; `domain` can change when
 * a portal is renamed, so `memberId` is the tenant key.
 */
export interface Installation {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string;
  accessToken: string;
  refreshToken: string;
  /** unix seconds, absolute */
  expiresAt: number;
  applicationToken: string;
  /**
   * When the portal itself confirmed `applicationToken` (an ONAPPTEST carrying our challenge);
   * null while it is only what the first install claimed.
   */
  applicationTokenConfirmedAt: string | null;
  scope: string[];
  planStatus: string;
  ratePlan: 'standard' | 'enterprise';
  userId: number | null;
  language: string;
  status: 'active' | 'uninstalled';
  installedAt: string;
  updatedAt: string;
  uninstalledAt: string | null;
}

export type ReinstallTokens = Pick<
  Installation,
  | 'memberId'
  | 'domain'
  | 'clientEndpoint'
  | 'serverEndpoint'
  | 'accessToken'
  | 'refreshToken'
  | 'expiresAt'
  | 'scope'
  | 'planStatus'
  | 'userId'
  | 'language'
>;

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  clientEndpoint: string;
  serverEndpoint: string;
  scope: string[];
}

/** Storage of installations: the SQLite repository implements it; a PostgreSQL one could too. */
export interface InstallationStore {
  /**
   * A first install (or one after an uninstall): creates the record or replaces it whole and
   * reactivates it. The application token is the install's claim, not yet confirmed.
   */
  saveInstall(
    inst: Omit<
      Installation,
      'installedAt' | 'updatedAt' | 'uninstalledAt' | 'status' | 'applicationTokenConfirmedAt'
    >,
    now: Date,
  ): Promise<void>;
  /**
   * An administrator's reinstall of an active portal: their verified OAuth tokens replace the
   * stored ones; the application token is left exactly as it is.
   */
  refreshInstall(inst: ReinstallTokens, now: Date): Promise<boolean>;
  /** The application token the portal itself delivered (ONAPPTEST with our challenge). */
  confirmApplicationToken(memberId: string, applicationToken: string, now: Date): Promise<boolean>;
  find(memberId: string): Promise<Installation | undefined>;
  listActive(): Promise<Installation[]>;
  /** Replaces the tokens only if the stored refresh token is still `oldRefreshToken`. */
  updateTokens(memberId: string, oldRefreshToken: string, tokens: TokenSet, now: Date): Promise<boolean>;
  markUninstalled(memberId: string, now: Date): Promise<boolean>;
  setRatePlan(memberId: string, plan: Installation['ratePlan']): Promise<void>;
}

/** Bitrix24 sends scopes comma-separated in forms and OAuth answers, space-separated in ONAPPINSTALL. */
export function parseScope(scope: string | undefined): string[] {
  return (scope ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
