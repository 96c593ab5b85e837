import type { AppContext } from '../../src/context.ts';

/** Stores an installation directly, for tests of intake that need no portal behind it. */
export async function seedInstallation(
  ctx: AppContext,
  o: { memberId?: string; applicationToken?: string; clientEndpoint?: string } = {},
) {
  const memberId = o.memberId ?? 'member-a';
  await ctx.store.saveInstall(
    {
      memberId,
      domain: 'a.bitrix24.test',
      clientEndpoint: o.clientEndpoint ?? 'http://127.0.0.1:9/rest/',
      serverEndpoint: 'http://127.0.0.1:9/rest/',
      accessToken: 'at-1',
      refreshToken: 'rt-1',
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      applicationToken: o.applicationToken ?? 'app-token-a',
      scope: ['crm'],
      planStatus: 'F',
      ratePlan: 'standard',
      userId: 1,
      language: 'en',
    },
    new Date(),
  );
  return { memberId, applicationToken: o.applicationToken ?? 'app-token-a' };
}
