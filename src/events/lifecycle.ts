import { z } from 'zod';
import { AppError, ErrorCode, PortalError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Manifest } from '../manifest.ts';
import type { InstallService } from '../portal/install-service.ts';
import type { SetupStep } from '../portal/setup.ts';
import type { EventDefinition } from './router.ts';

/** The auth block every portal event carries; only member_id and application_token are relied on. */
export const authSchema = z.object({
  member_id: z.string().min(1),
  application_token: z.string().min(1),
  domain: z.string().optional(),
  client_endpoint: z.string().optional(),
  access_token: z.string().optional(),
  refresh_token: z.string().optional(),
});

export const SETUP_EVENT = 'APP_SETUP';

/**
 * ONAPPUNINSTALL: verified by application token at intake (the only proof it carries), then
 * by the portal: an app it still answers is not uninstalled.
 */
export function uninstallDefinition(install: InstallService): EventDefinition {
  return {
    event: 'ONAPPUNINSTALL',
    schema: z.object({
      event: z.string(),
      data: z
        .object({ CLEAN: z.string().optional(), LANGUAGE_ID: z.string().optional() })
        .partial()
        .optional(),
      auth: authSchema,
    }),
    objectKey: () => 'portal',
    dedupKey: (b: any) => `ONAPPUNINSTALL:${b.auth.member_id}:${b.ts ?? ''}`,
    async handle({ memberId, client }) {
      await install.uninstall(memberId, async () => {
        try {
          await (await client()).call('app.info');
          return true;
        } catch (err) {
          if (appIsGone(err)) return false;
          throw err;
        }
      });
    },
  };
}

/** The app's own event, queued after each install: runs the setup steps in order. */
export function setupDefinition(deps: {
  steps: SetupStep[];
  publicUrl: string;
  manifest: Manifest;
}): EventDefinition {
  return {
    event: SETUP_EVENT,
    schema: z.object({ event: z.literal(SETUP_EVENT) }),
    objectKey: () => 'portal',
    async handle({ memberId, client, log, row, now }) {
      const c = await client();
      for (const step of deps.steps) {
        await step.run({
          memberId,
          client: c,
          publicUrl: deps.publicUrl,
          manifest: deps.manifest,
          log: log as Logger,
          requestedAt: row.receivedAt,
          now,
        });
        log.info({ step: step.name }, 'setup step done');
      }
    },
  };
}

/** The portal no longer takes the app's tokens: it refused them and their refresh. */
function appIsGone(err: unknown): boolean {
  if (err instanceof PortalError && (err.status === 401 || err.code === ErrorCode.AuthLost)) return true;
  return err instanceof AppError && err.code === ErrorCode.AuthLost;
}
