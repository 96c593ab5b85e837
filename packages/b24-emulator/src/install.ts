import { randomBytes } from 'node:crypto';
import {
  NEW_APPLICATION_TOKEN_ON_REINSTALL,
  NEW_APPLICATION_TOKEN_ON_UPDATE,
  ONAPPINSTALL_SCOPE_SEPARATOR,
} from './assumptions.ts';
import type { EmulatorCore } from './core.ts';
import { unixSec } from './dates.ts';
import { httpBuildQuery } from './events/form-encode.ts';
import type { IssuedTokens } from './oauth-registry.ts';

export interface InstallOptions {
  /** where the app lives, e.g. http://127.0.0.1:3000 */
  appBaseUrl: string;
  installPath?: string;
  /** the installing administrator */
  userId?: number;
  /** the app's main page, used by the iframe host after installFinish; default /app */
  appPath?: string;
}

export interface PageAnswer {
  status: number;
  body: string;
}

/** The query-string half of every iframe load: DOMAIN, PROTOCOL, LANG, APP_SID. */
export function frameQuery(core: EmulatorCore, appSid: string, lang = core.language): string {
  return new URLSearchParams({ DOMAIN: core.domain, PROTOCOL: '0', LANG: lang, APP_SID: appSid }).toString();
}

/** The POSTed half (simple-way.md): tokens of the viewing user and the portal identity. */
export function frameForm(
  core: EmulatorCore,
  tokens: IssuedTokens,
  placement = 'DEFAULT',
): Record<string, string> {
  return {
    AUTH_ID: tokens.accessToken,
    AUTH_EXPIRES: String(tokens.expiresIn),
    REFRESH_ID: tokens.refreshToken ?? '',
    SERVER_ENDPOINT: core.oauth.serverEndpoint,
    APPLICATION_TOKEN: core.state.app.applicationToken,
    APPLICATION_SCOPE: core.app.scope,
    member_id: core.memberId,
    status: core.app.status,
    PLACEMENT: placement,
  };
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export function newAppSid(): string {
  return randomBytes(16).toString('hex');
}

/** The portal side of "an admin installs the app": the app exists on the portal, not yet finished. */
export function ensureAppPresent(core: EmulatorCore, userId: number, opts?: Partial<InstallOptions>): void {
  const app = core.state.app;
  const user = core.state.users.get(userId);
  if (!user?.admin) throw new Error(`user ${userId} is not an administrator and cannot install apps`);
  if (opts?.appBaseUrl) app.appBaseUrl = opts.appBaseUrl;
  if (opts?.installPath) app.installPath = opts.installPath;
  if (opts?.appPath) app.appPath = opts.appPath;
  if (app.present) return;
  app.present = true;
  app.installed = false;
  app.installedBy = userId;
  if (!app.applicationToken || NEW_APPLICATION_TOKEN_ON_REINSTALL)
    app.applicationToken = randomBytes(16).toString('hex');
}

export function issueTokensFor(core: EmulatorCore, userId: number): IssuedTokens {
  if (!core.state.app.present)
    throw new Error('the app is not installed on this portal; call install() first');
  if (!core.state.users.has(userId) && !core.state.bots.has(userId)) throw new Error(`no user ${userId}`);
  return core.oauth.issue({ memberId: core.memberId, clientId: core.app.clientId, userId });
}

/** Plays the installer iframe load: POST of the documented fields to `appBaseUrl + installPath`. */
export async function playInstall(core: EmulatorCore, opts: InstallOptions): Promise<PageAnswer> {
  const userId = opts.userId ?? 1;
  ensureAppPresent(core, userId, opts);
  const tokens = issueTokensFor(core, userId);
  const url = `${joinUrl(opts.appBaseUrl, opts.installPath ?? '/install')}?${frameQuery(core, newAppSid())}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(frameForm(core, tokens)).toString(),
    redirect: 'manual',
  });
  return { status: res.status, body: await res.text() };
}

/** What BX24.installFinish() makes the portal do: INSTALLED, then ONAPPINSTALL. */
export function finishInstall(core: EmulatorCore, installHandlerUrl?: string): void {
  const app = core.state.app;
  if (!app.present) throw new Error('the app is not installed on this portal; call install() first');
  if (app.installed) return;
  app.installed = true;
  const data = { VERSION: String(app.version), ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: core.language };
  const scope = core.app.scope.split(',').join(ONAPPINSTALL_SCOPE_SEPARATOR);
  const userId = app.installedBy;
  for (const b of core.events.bindingsFor('ONAPPINSTALL')) {
    if (b.offline) continue;
    core.events.post(
      b.handler,
      'ONAPPINSTALL',
      core.events.standardBody('ONAPPINSTALL', b.id, data, b.authType || userId, scope),
    );
  }
  if (installHandlerUrl) {
    const body = httpBuildQuery({
      event: 'ONAPPINSTALL',
      data,
      ts: unixSec(core.clock()),
      auth: core.events.authBlock({ event: 'ONAPPINSTALL', userId, scope }),
    });
    core.events.post(installHandlerUrl, 'ONAPPINSTALL', body);
  }
}

/**
 * An administrator installs a new version (common/events/on-app-update.md): ONAPPUPDATE with the
 * versions and the (possibly new) application token, and the administrator's tokens.
 */
export function updateApp(core: EmulatorCore, opts: { userId?: number } = {}): void {
  const app = core.state.app;
  if (!app.present || !app.installed) throw new Error('the app is not installed on this portal');
  const previous = app.version;
  app.version += 1;
  if (NEW_APPLICATION_TOKEN_ON_UPDATE) app.applicationToken = randomBytes(16).toString('hex');
  core.events.fire(
    'ONAPPUPDATE',
    { VERSION: String(app.version), PREVIOUS_VERSION: String(previous), LANGUAGE_ID: core.language },
    { actingUserId: opts.userId ?? app.installedBy },
  );
}

/** Deleting the app: ONAPPUNINSTALL with the reduced auth block, then no access at all. */
export function uninstall(core: EmulatorCore, opts: { clean?: boolean; lost?: boolean } = {}): void {
  const app = core.state.app;
  if (!app.present) return;
  const auth = {
    domain: core.domain,
    server_endpoint: core.oauth.serverEndpoint,
    client_endpoint: core.clientEndpoint,
    member_id: core.memberId,
    application_token: app.applicationToken,
  };
  for (const b of core.events.bindingsFor('ONAPPUNINSTALL')) {
    if (b.offline || opts.lost) continue;
    const body = httpBuildQuery({
      event: 'ONAPPUNINSTALL',
      event_handler_id: b.id,
      data: { LANGUAGE_ID: core.language, CLEAN: opts.clean ? 1 : 0 },
      ts: unixSec(core.clock()),
      auth,
    });
    core.events.post(b.handler, 'ONAPPUNINSTALL', body);
  }
  const { state } = core;
  for (const [id, b] of state.bindings) if (b.clientId === core.app.clientId) state.bindings.delete(id);
  for (const [id, bot] of state.bots) {
    if (bot.clientId !== core.app.clientId) continue;
    state.bots.delete(id);
    for (const chat of state.chats.values()) chat.memberIds = chat.memberIds.filter((m) => m !== id);
  }
  state.offlineQueue.clear();
  core.oauth.revokeApp(core.memberId, core.app.clientId);
  app.present = false;
  app.installed = false;
}
