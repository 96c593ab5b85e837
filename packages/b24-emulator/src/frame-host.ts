import { FRAME_FIRST_RUN } from './assumptions.ts';
import type { EmulatorCore } from './core.ts';
import { fullName } from './portal-core.ts';
import { renderFramePage, renderMessagePage } from './frame-host-page.ts';
import type { ParsedRequest, RouteAnswer } from './http/server.ts';
import { ensureAppPresent, frameForm, frameQuery, issueTokensFor, joinUrl, newAppSid } from './install.ts';
import type { IssuedTokens } from './oauth-registry.ts';
import { asInt, asStr } from './rest/params.ts';

/** One rendered host page: who looks at it and where the frame points. */
interface FrameSession {
  userId: number;
  appBaseUrl: string;
  path: string;
  lang: string;
  placement: string;
  tokens: IssuedTokens;
}

export interface FrameHost {
  handle(req: ParsedRequest): Promise<RouteAnswer | null>;
  /** URL of the host page, e.g. for a browser test: emu.url + /emulator/app?... */
  pageUrl(opts?: { path?: string; user?: number; lang?: 'ru' | 'en'; appBaseUrl?: string }): string;
}

const html = (status: number, body: string): RouteAnswer => ({
  status,
  headers: { 'Content-Type': 'text/html; charset=utf-8' },
  body,
});

/**
 * The portal side of the iframe protocol: GET /emulator/app renders a Bitrix24-like page whose
 * iframe named "DOMAIN|PROTOCOL|APP_SID" is loaded by a form POST of the documented fields, and
 * whose script answers the SDK frame's postMessage commands.
 */
export function createFrameHost(core: EmulatorCore, finishInstall: () => void): FrameHost {
  const sessions = new Map<string, FrameSession>();

  const initData = (s: FrameSession): Record<string, unknown> => {
    const user = core.state.users.get(s.userId);
    return {
      AUTH_ID: s.tokens.accessToken,
      REFRESH_ID: s.tokens.refreshToken ?? '',
      AUTH_EXPIRES: String(s.tokens.expiresIn),
      DOMAIN: core.domain,
      PROTOCOL: '0',
      PATH: s.path,
      LANG: s.lang,
      MEMBER_ID: core.memberId,
      IS_ADMIN: user?.admin === true,
      APP_OPTIONS: {},
      USER_OPTIONS: {},
      PLACEMENT: s.placement,
      PLACEMENT_OPTIONS: {},
      INSTALL: !core.state.app.installed,
      FIRST_RUN: FRAME_FIRST_RUN,
    };
  };

  const formFor = (s: FrameSession, sid: string) => ({
    action: `${joinUrl(s.appBaseUrl, s.path)}?${frameQuery(core, sid, s.lang as 'ru' | 'en')}`,
    fields: frameForm(core, s.tokens, s.placement),
  });

  async function page(req: ParsedRequest): Promise<RouteAnswer> {
    const q = req.query;
    const app = core.state.app;
    const userId = asInt(q.user) ?? (app.installedBy || 1);
    const user = core.state.users.get(userId);
    if (!user) return html(404, renderMessagePage('User not found', `No user ${userId} on this portal.`));
    const appBaseUrl = asStr(q.appBaseUrl) || app.appBaseUrl;
    if (!appBaseUrl) {
      return html(
        400,
        renderMessagePage(
          'No application URL',
          'Call emu.install({ appBaseUrl }) first or pass ?appBaseUrl=…',
        ),
      );
    }
    if (!app.present) {
      if (!user.admin)
        return html(
          403,
          renderMessagePage('Application not installed', 'Ask your administrator to install it.'),
        );
      ensureAppPresent(core, userId, { appBaseUrl });
    }
    if (!app.installed && !user.admin) {
      return html(
        200,
        renderMessagePage(
          'Application not fully installed',
          'The application is not fully installed yet. Ask your administrator to finish the installation.',
        ),
      );
    }
    const lang = asStr(q.lang) || core.language;
    const path = asStr(q.path) || (app.installed ? app.appPath : app.installPath);
    const sid = newAppSid();
    const s: FrameSession = {
      userId,
      appBaseUrl,
      path,
      lang,
      placement: asStr(q.placement) || 'DEFAULT',
      tokens: issueTokensFor(core, userId),
    };
    sessions.set(sid, s);
    const form = formFor(s, sid);
    return html(
      200,
      renderFramePage({
        portalTitle: core.domain,
        userName: fullName(user),
        isAdmin: user.admin,
        frameName: `${core.domain}|0|${sid}`,
        formAction: form.action,
        formFields: form.fields,
        appOrigin: new URL(appBaseUrl).origin,
        appSid: sid,
        initData: initData(s),
        appPath: app.appPath,
        lang,
      }),
    );
  }

  function api(req: ParsedRequest, action: string): RouteAnswer {
    const sid = asStr(req.body.sid);
    const s = sessions.get(sid);
    if (!s) return { status: 404, body: { error: 'unknown frame session' } };
    if (action === 'finish-install') {
      finishInstall();
      return { status: 200, body: { ok: true } };
    }
    if (action === 'refresh-auth') {
      s.tokens = issueTokensFor(core, s.userId);
      return {
        status: 200,
        body: {
          AUTH_ID: s.tokens.accessToken,
          REFRESH_ID: s.tokens.refreshToken,
          AUTH_EXPIRES: String(s.tokens.expiresIn),
        },
      };
    }
    if (action === 'reload') {
      const path = asStr(req.body.path);
      if (path) s.path = path;
      s.tokens = issueTokensFor(core, s.userId);
      const form = formFor(s, sid);
      return { status: 200, body: { ...form, initData: initData(s) } };
    }
    return { status: 404, body: { error: 'unknown action' } };
  }

  return {
    async handle(req) {
      if (req.path === '/emulator/app' && (req.method === 'GET' || req.method === 'POST')) return page(req);
      const m = /^\/emulator\/frame\/([a-z-]+)$/.exec(req.path);
      if (m && req.method === 'POST') return api(req, m[1]);
      return null;
    },
    pageUrl(opts = {}) {
      const q = new URLSearchParams();
      if (opts.path) q.set('path', opts.path);
      q.set('user', String(opts.user ?? (core.state.app.installedBy || 1)));
      q.set('lang', opts.lang ?? core.language);
      if (opts.appBaseUrl) q.set('appBaseUrl', opts.appBaseUrl);
      return `${core.url}/emulator/app?${q.toString()}`;
    },
  };
}
