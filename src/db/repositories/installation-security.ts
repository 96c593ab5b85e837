import type { Store as Database } from '../store.ts';

/** Why the portal is asked to confirm its application token. */
export type TokenCheckReason = 'install' | 'token_claim';

export interface TokenCheck {
  memberId: string;
  requestedBy: number | null;
  requestedAt: number;
  reason: TokenCheckReason;
  challengeHash: string | null;
  challengeExpiresAt: number | null;
  confirmedAt: number | null;
}

interface CheckRow {
  member_id: string;
  requested_by: number | null;
  requested_at: number;
  reason: TokenCheckReason;
  challenge_hash: string | null;
  challenge_expires_at: number | null;
  confirmed_at: number | null;
}

/** The open application-token confirmation of each portal (at most one). */
export class TokenCheckRepository {
  constructor(private readonly db: Database) {}

  /** Asks for a (new) confirmation; an earlier challenge is void from now on. */
  async request(memberId: string, reason: TokenCheckReason, requestedBy: number | null, now: number) {
    await this.db.run(
      `INSERT INTO application_token_checks (member_id, requested_by, requested_at, reason)
       VALUES (?, ?, ?, ?)
       ON CONFLICT (member_id) DO UPDATE SET requested_by = excluded.requested_by,
         requested_at = excluded.requested_at, reason = excluded.reason, challenge_hash = NULL,
         challenge_expires_at = NULL, confirmed_at = NULL`,
      [memberId, requestedBy, now, reason],
    );
  }

  async find(memberId: string): Promise<TokenCheck | undefined> {
    const r = await this.db.get<CheckRow>('SELECT * FROM application_token_checks WHERE member_id = ?', [
      memberId,
    ]);
    return r
      ? {
          memberId: r.member_id,
          requestedBy: r.requested_by,
          requestedAt: r.requested_at,
          reason: r.reason,
          challengeHash: r.challenge_hash,
          challengeExpiresAt: r.challenge_expires_at,
          confirmedAt: r.confirmed_at,
        }
      : undefined;
  }

  /** Records the challenge about to be sent; only an open check takes one. */
  async setChallenge(memberId: string, hash: string, expiresAt: number): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE application_token_checks SET challenge_hash = ?, challenge_expires_at = ?
       WHERE member_id = ? AND confirmed_at IS NULL`,
      [hash, expiresAt, memberId],
    );
    return r.changes === 1;
  }

  /** Closes the check if `hash` is its live challenge; true for the one caller that closed it. */
  async close(memberId: string, hash: string, now: number): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE application_token_checks SET confirmed_at = ?
       WHERE member_id = ? AND challenge_hash = ? AND confirmed_at IS NULL AND challenge_expires_at > ?`,
      [now, memberId, hash, now],
    );
    return r.changes === 1;
  }
}

/** What the security journal records (README, "Install, tokens, events"). */
export type InstallationEventKind =
  | 'installed' // a first install, or one after an uninstall
  | 'reinstalled' // an administrator installed again over an active installation
  | 'updated' // an administrator installed a new version (ONAPPUPDATE)
  | 'install_refused' // the installing user is not a portal administrator
  | 'application_token_confirmed' // the portal confirmed the stored token
  | 'application_token_set' // the portal confirmed a first install's token, which differed from its claim
  | 'application_token_changed' // the portal delivered a new token (a reinstall the app missed the uninstall of)
  | 'application_token_claim_ignored' // a reinstall claimed another token; not taken, the portal asked
  | 'uninstalled'
  | 'uninstall_refused'; // ONAPPUNINSTALL while the portal still answered the app's tokens

export interface InstallationEvent {
  id: number;
  memberId: string;
  at: number;
  kind: InstallationEventKind;
  userId: number | null;
  detail: Record<string, unknown>;
}

/** The installation's security journal: append-only, never a token (fingerprints only). */
export class InstallationJournal {
  constructor(private readonly db: Database) {}

  async add(
    memberId: string,
    kind: InstallationEventKind,
    at: number,
    userId: number | null = null,
    detail: Record<string, unknown> = {},
  ): Promise<void> {
    await this.db.run(
      'INSERT INTO installation_events (member_id, at, kind, user_id, detail) VALUES (?, ?, ?, ?, ?)',
      [memberId, at, kind, userId, JSON.stringify(detail)],
    );
  }

  async recent(memberId: string, limit = 20): Promise<InstallationEvent[]> {
    const rows = await this.db.all<{
      id: number;
      member_id: string;
      at: number;
      kind: InstallationEventKind;
      user_id: number | null;
      detail: string;
    }>('SELECT * FROM installation_events WHERE member_id = ? ORDER BY id DESC LIMIT ?', [memberId, limit]);
    return rows.map((r) => ({
      id: r.id,
      memberId: r.member_id,
      at: r.at,
      kind: r.kind,
      userId: r.user_id,
      detail: JSON.parse(r.detail),
    }));
  }
}
