import { AppError, ErrorCode } from '../errors.ts';
import type { InstallationStore, TokenSet } from './installation.ts';
import type { OAuthServer } from './oauth-server.ts';

/**
 * Refreshes a portal's tokens exactly once however many calls find them expired.
 *
 * In this process, one in-flight refresh per portal is shared by every caller. Across
 * processes, the new tokens are saved only if the stored refresh token is still the one we
 * spent (compare-and-swap); whoever loses adopts the winner's tokens instead of spending a
 * token that the OAuth server has already rotated away. A refusal is an error, never a
 * silent reuse of the dead token.
 */
export class TokenRefresher {
  private readonly inflight = new Map<string, Promise<TokenSet>>();

  constructor(
    private readonly store: InstallationStore,
    private readonly oauth: OAuthServer,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `spent` is the refresh token the caller's client holds; it is known to be out of date. */
  refresh(memberId: string, spent: string): Promise<TokenSet> {
    let p = this.inflight.get(memberId);
    if (!p) {
      p = this.doRefresh(memberId, spent).finally(() => this.inflight.delete(memberId));
      this.inflight.set(memberId, p);
    }
    return p;
  }

  private async doRefresh(memberId: string, spent: string): Promise<TokenSet> {
    const row = await this.store.find(memberId);
    if (row?.status !== 'active')
      throw new AppError(ErrorCode.AuthLost, `portal ${memberId} is not installed`, 401);
    // Another process already refreshed: use its tokens while they are still good.
    if (row.refreshToken !== spent && row.expiresAt * 1000 > this.clock() + 10_000) return tokensOf(row);
    try {
      const fresh = await this.oauth.refresh(row.refreshToken);
      if (fresh.memberId !== memberId)
        throw new AppError(ErrorCode.AuthLost, 'OAuth server answered for another portal', 401);
      const tokens: TokenSet = {
        accessToken: fresh.accessToken,
        refreshToken: fresh.refreshToken,
        expiresAt: fresh.expiresAt,
        clientEndpoint: fresh.clientEndpoint,
        serverEndpoint: fresh.serverEndpoint,
        scope: fresh.scope.length ? fresh.scope : row.scope,
      };
      if (await this.store.updateTokens(memberId, row.refreshToken, tokens, new Date(this.clock())))
        return tokens;
      return this.adoptNewer(memberId, row.refreshToken);
    } catch (err) {
      // Lost a race with another process: its tokens are in the store now.
      if (err instanceof AppError && err.code === ErrorCode.AuthLost)
        return this.adoptNewer(memberId, row.refreshToken, err);
      throw err;
    }
  }

  private async adoptNewer(memberId: string, tried: string, cause?: unknown): Promise<TokenSet> {
    const now = await this.store.find(memberId);
    if (now && now.status === 'active' && now.refreshToken !== tried) return tokensOf(now);
    if (cause) throw cause;
    throw new AppError(ErrorCode.AuthLost, `tokens of portal ${memberId} could not be saved`, 401);
  }
}

function tokensOf(r: TokenSet): TokenSet {
  return {
    accessToken: r.accessToken,
    refreshToken: r.refreshToken,
    expiresAt: r.expiresAt,
    clientEndpoint: r.clientEndpoint,
    serverEndpoint: r.serverEndpoint,
    scope: r.scope,
  };
}
