import { createHash, randomBytes } from 'node:crypto';
import type {
  InstallationEventKind,
  InstallationJournal,
  TokenCheckReason,
  TokenCheckRepository,
} from '../db/repositories/installation-security.ts';
import type { Logger } from '../log/logger.ts';
import type { InstallationStore } from './installation.ts';

/**
 * The application token is the only proof that an event comes from the portal, and every
 * request that mentions one (the installer page, ONAPPINSTALL, ONAPPUPDATE) is just a claim:
 * any employee who opens the app is shown it, and anyone can post any value. So the token
 * events are checked against is taken from the portal itself: the app calls `event.test`
 * with a secret challenge, and the portal delivers ONAPPTEST to the app's handler with the
 * call's parameters in `data.QUERY` (events/test-handler.md) and the genuine token in `auth`.
 * Only a delivery that carries the live challenge can set the token.
 */

/** The event.test parameter that carries the challenge (echoed in data.QUERY). */
export const CHALLENGE_PARAM = 'DISPATCHER_CHALLENGE';
/** How long a challenge stays good: the portal's event queue may lag. */
export const CHALLENGE_TTL_MS = 10 * 60_000;

export interface ApplicationTokensDeps {
  store: Pick<InstallationStore, 'find' | 'confirmApplicationToken'>;
  checks: TokenCheckRepository;
  journal: InstallationJournal;
  log: Logger;
  clock: () => number;
  /** drops cached per-portal state (the installation cache, REST clients) */
  forget(memberId: string): void;
}

export class ApplicationTokens {
  constructor(private readonly d: ApplicationTokensDeps) {}

  /** Asks the next setup to have the portal confirm its token. */
  request(memberId: string, reason: TokenCheckReason, requestedBy: number | null): Promise<void> {
    return this.d.checks.request(memberId, reason, requestedBy, this.d.clock());
  }

  /** Does this portal's token still wait for the portal's word? */
  async needsCheck(memberId: string): Promise<boolean> {
    const inst = await this.d.store.find(memberId);
    if (inst?.status !== 'active') return false;
    const check = await this.d.checks.find(memberId);
    if (check && check.confirmedAt === null) return true;
    return inst.applicationTokenConfirmedAt === null;
  }

  /** A fresh challenge for event.test; any earlier one is void. */
  async issueChallenge(memberId: string): Promise<string> {
    if (!(await this.d.checks.find(memberId))) await this.request(memberId, 'install', null);
    const challenge = randomBytes(32).toString('hex');
    await this.d.checks.setChallenge(memberId, sha256(challenge), this.d.clock() + CHALLENGE_TTL_MS);
    return challenge;
  }

  /**
   * ONAPPTEST: takes `deliveredToken` as the portal's if `challenge` is the live one. The
   * hash, not the challenge, is compared (in SQL), so its timing says nothing about it.
   */
  async confirm(memberId: string, challenge: unknown, deliveredToken: unknown): Promise<boolean> {
    if (typeof challenge !== 'string' || challenge.length < 32) return false;
    if (typeof deliveredToken !== 'string' || deliveredToken.length === 0) return false;
    const now = this.d.clock();
    const inst = await this.d.store.find(memberId);
    if (inst?.status !== 'active') return false;
    const check = await this.d.checks.find(memberId);
    if (!check || !(await this.d.checks.close(memberId, sha256(challenge), now))) return false;
    await this.d.store.confirmApplicationToken(memberId, deliveredToken, new Date(now));
    this.d.forget(memberId);
    const same = deliveredToken === inst.applicationToken;
    const kind: InstallationEventKind = same
      ? 'application_token_confirmed'
      : inst.applicationTokenConfirmedAt === null && check.reason === 'install'
        ? 'application_token_set'
        : 'application_token_changed';
    await this.d.journal.add(memberId, kind, now, check.requestedBy, {
      from: fingerprint(inst.applicationToken),
      to: fingerprint(deliveredToken),
    });
    const log = { memberId, requestedBy: check.requestedBy, to: fingerprint(deliveredToken) };
    if (same) this.d.log.info(log, 'application token confirmed by the portal');
    else this.d.log.warn({ ...log, from: fingerprint(inst.applicationToken) }, 'application token changed');
    return true;
  }

  /** Waits (polling the store, so another instance's intake counts) until `challenge` is answered. */
  async waitConfirmed(memberId: string, challenge: string, timeoutMs: number): Promise<boolean> {
    const hash = sha256(challenge);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const check = await this.d.checks.find(memberId);
      if (!check || check.challengeHash !== hash) return false;
      if (check.confirmedAt !== null) return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Names a token in logs and the journal without giving it away: 8 hex digits of its hash. */
export function fingerprint(token: string): string {
  return sha256(`application-token:${token}`).slice(0, 8);
}
