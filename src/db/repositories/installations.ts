import type {
  Installation,
  InstallationStore,
  ReinstallTokens,
  TokenSet,
} from '../../portal/installation.ts';
import type { Params, Store as Database } from '../store.ts';
import { StoreVersionRepository } from './store-versions.ts';

interface Row {
  member_id: string;
  domain: string;
  client_endpoint: string;
  server_endpoint: string;
  access_token: string;
  refresh_token: string;
  expires_at: number;
  application_token: string;
  application_token_confirmed_at: string | null;
  scope: string;
  plan_status: string;
  rate_plan: 'standard' | 'enterprise';
  user_id: number | null;
  language: string;
  status: 'active' | 'uninstalled';
  installed_at: string;
  updated_at: string;
  uninstalled_at: string | null;
}

function toInstallation(r: Row): Installation {
  return {
    memberId: r.member_id,
    domain: r.domain,
    clientEndpoint: r.client_endpoint,
    serverEndpoint: r.server_endpoint,
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    expiresAt: r.expires_at,
    applicationToken: r.application_token,
    applicationTokenConfirmedAt: r.application_token_confirmed_at,
    scope: r.scope ? r.scope.split(',') : [],
    planStatus: r.plan_status,
    ratePlan: r.rate_plan,
    userId: r.user_id,
    language: r.language,
    status: r.status,
    installedAt: r.installed_at,
    updatedAt: r.updated_at,
    uninstalledAt: r.uninstalled_at,
  };
}

/**
 * The portals the app is installed on. Every change moves the portal's 'installation:<member>'
 * counter in the same transaction, by which every process's installation cache (and client)
 * notices it at its next use (portal/installation-cache.ts).
 */
export class SqliteInstallationStore implements InstallationStore {
  private readonly versions: StoreVersionRepository;
  constructor(private readonly db: Database) {
    this.versions = new StoreVersionRepository(db);
  }

  /** One statement changing a portal's installation, with its counter moved if it changed anything. */
  private async change(memberId: string, sql: string, params: Params): Promise<number> {
    return this.db.transaction(async (tx) => {
      const r = await tx.run(sql, params);
      if (r.changes > 0) await this.versions.bump(`installation:${memberId}`, tx);
      return r.changes;
    });
  }

  async saveInstall(i: Parameters<InstallationStore['saveInstall']>[0], now: Date): Promise<void> {
    const at = now.toISOString();
    await this.change(
      i.memberId,
      `INSERT INTO installations (member_id, domain, client_endpoint, server_endpoint, access_token, refresh_token,
         expires_at, application_token, scope, plan_status, rate_plan, user_id, language, status, installed_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)
       ON CONFLICT (member_id) DO UPDATE SET domain = excluded.domain, client_endpoint = excluded.client_endpoint,
         server_endpoint = excluded.server_endpoint, access_token = excluded.access_token,
         refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
         application_token = excluded.application_token, application_token_confirmed_at = NULL, scope = excluded.scope, plan_status = excluded.plan_status,
         user_id = COALESCE(excluded.user_id, installations.user_id), language = excluded.language,
         installed_at = CASE WHEN installations.status = 'active' THEN installations.installed_at ELSE excluded.installed_at END,
         status = 'active', updated_at = excluded.updated_at, uninstalled_at = NULL`,
      [
        i.memberId,
        i.domain,
        i.clientEndpoint,
        i.serverEndpoint,
        i.accessToken,
        i.refreshToken,
        i.expiresAt,
        i.applicationToken,
        i.scope.join(','),
        i.planStatus,
        i.ratePlan,
        i.userId,
        i.language,
        at,
        at,
      ],
    );
  }

  async refreshInstall(i: ReinstallTokens, now: Date): Promise<boolean> {
    const r = await this.change(
      i.memberId,
      `UPDATE installations SET domain = ?, client_endpoint = ?, server_endpoint = ?, access_token = ?,
         refresh_token = ?, expires_at = ?, scope = ?, plan_status = ?, user_id = COALESCE(?, user_id),
         language = ?, updated_at = ?
       WHERE member_id = ? AND status = 'active'`,
      [
        i.domain,
        i.clientEndpoint,
        i.serverEndpoint,
        i.accessToken,
        i.refreshToken,
        i.expiresAt,
        i.scope.join(','),
        i.planStatus,
        i.userId,
        i.language,
        now.toISOString(),
        i.memberId,
      ],
    );
    return r === 1;
  }

  async confirmApplicationToken(memberId: string, applicationToken: string, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const r = await this.change(
      memberId,
      `UPDATE installations SET application_token = ?, application_token_confirmed_at = ?, updated_at = ?
       WHERE member_id = ? AND status = 'active'`,
      [applicationToken, at, at, memberId],
    );
    return r === 1;
  }

  async find(memberId: string): Promise<Installation | undefined> {
    const row = await this.db.get<Row>('SELECT * FROM installations WHERE member_id = ?', [memberId]);
    return row ? toInstallation(row) : undefined;
  }

  async listActive(): Promise<Installation[]> {
    const rows = await this.db.all<Row>(
      "SELECT * FROM installations WHERE status = 'active' ORDER BY member_id",
    );
    return rows.map(toInstallation);
  }

  async updateTokens(memberId: string, oldRefreshToken: string, t: TokenSet, now: Date): Promise<boolean> {
    const r = await this.change(
      memberId,
      `UPDATE installations SET access_token = ?, refresh_token = ?, expires_at = ?, client_endpoint = ?,
         server_endpoint = ?, scope = ?, updated_at = ?
       WHERE member_id = ? AND refresh_token = ? AND status = 'active'`,
      [
        t.accessToken,
        t.refreshToken,
        t.expiresAt,
        t.clientEndpoint,
        t.serverEndpoint,
        t.scope.join(','),
        now.toISOString(),
        memberId,
        oldRefreshToken,
      ],
    );
    return r === 1;
  }

  async markUninstalled(memberId: string, now: Date): Promise<boolean> {
    const r = await this.change(
      memberId,
      `UPDATE installations SET status = 'uninstalled', uninstalled_at = ?, updated_at = ?
       WHERE member_id = ? AND status = 'active'`,
      [now.toISOString(), now.toISOString(), memberId],
    );
    return r === 1;
  }

  async setRatePlan(memberId: string, plan: 'standard' | 'enterprise'): Promise<void> {
    await this.change(memberId, 'UPDATE installations SET rate_plan = ? WHERE member_id = ?', [
      plan,
      memberId,
    ]);
  }
}
