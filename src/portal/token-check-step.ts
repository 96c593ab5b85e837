import { RetryLaterError } from '../errors.ts';
import { type ApplicationTokens, CHALLENGE_PARAM } from './application-token.ts';
import { ALREADY_BOUND, type SetupStep } from './setup.ts';
import { yesNo } from './user-call.ts';

export interface TokenCheckStepOptions {
  /** how long setup waits for ONAPPTEST before going on without it (default 15 s) */
  waitMs?: number;
  /** how long setup waits for the administrator to finish the installation (default 1 h) */
  installWaitMs?: number;
}

/**
 * The first setup step: has the portal confirm its application token (application-token.ts)
 * before the app binds the events that will be checked against it. The portal delivers no
 * event before the installation is finished (BX24.installFinish), so until `app.info` says
 * INSTALLED the whole setup waits, quietly and briefly at first.
 */
export function tokenCheckStep(tokens: ApplicationTokens, o: TokenCheckStepOptions = {}): SetupStep {
  const waitMs = o.waitMs ?? 15_000;
  const installWaitMs = o.installWaitMs ?? 3_600_000;
  return {
    name: 'confirm-application-token',
    async run({ memberId, client, publicUrl, manifest, log, requestedAt, now }) {
      if (!(await tokens.needsCheck(memberId))) return;
      const info = await client.call<Record<string, unknown>>('app.info');
      if (yesNo(info?.INSTALLED) !== true) {
        const waited = now() - requestedAt;
        if (waited > installWaitMs) {
          throw new Error('the installation was never finished on the portal (app.info INSTALLED is false)');
        }
        throw new RetryLaterError('waiting for the installation to finish', waited < 10_000 ? 250 : 5_000);
      }
      const handler = `${publicUrl}${manifest.handlers.events}`;
      const bound: { event: string; handler?: string }[] = await client.call('event.get');
      if (!bound.some((b) => b.event.toUpperCase() === 'ONAPPTEST' && b.handler === handler)) {
        await client.call('event.bind', { event: 'ONAPPTEST', handler }).catch((err: any) => {
          if (!ALREADY_BOUND.test(`${err?.b24Error ?? ''} ${err?.message ?? ''}`)) throw err;
        });
      }
      const challenge = await tokens.issueChallenge(memberId);
      await client.call('event.test', { [CHALLENGE_PARAM]: challenge });
      if (await tokens.waitConfirmed(memberId, challenge, waitMs)) return;
      // Not a reason to stop the setup: until the portal answers, events are checked against
      // the token stored now, and the challenge stays good for a late ONAPPTEST.
      log.warn(
        { waitedMs: waitMs },
        'the portal has not delivered ONAPPTEST yet; the application token stays as it is until it does',
      );
    },
  };
}
