import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { AppError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { type InstallService, installFormSchema, normaliseLang } from '../portal/install-service.ts';
import { describeIssues } from '../events/intake.ts';
import { framedPageCsp, render } from './views.ts';

const TEXT = {
  en: {
    title: 'Dispatcher',
    ok: 'The app is installed. Distribution starts as soon as this page finishes the installation.',
    bad: 'This page is opened by Bitrix24 when the app is installed.',
    refused: 'The portal could not confirm this installation.',
    notAdmin: 'Only a portal administrator can install or reinstall this app. Nothing was changed.',
  },
  ru: {
    title: 'Диспетчер',
    ok: 'Приложение установлено. Распределение начнётся, как только эта страница завершит установку.',
    bad: 'Эту страницу открывает Битрикс24 при установке приложения.',
    refused: 'Портал не подтвердил эту установку.',
    notAdmin:
      'Устанавливать и переустанавливать это приложение может только администратор портала. Ничего не изменено.',
  },
};

/** POST (and GET) /install: the installer page the portal frames on installation. */
export function installRouter(d: { install: InstallService; log: Logger }): Router {
  const r = express.Router();
  const handler = async (req: Request, res: Response) => {
    const fields = { ...(req.query as Record<string, unknown>), ...(req.body ?? {}) };
    const lang = normaliseLang(String(fields.LANG ?? ''));
    const t = TEXT[lang];
    const nonce = randomBytes(16).toString('base64');
    const page = (status: number, ok: boolean, message: string, origin?: string) => {
      res.setHeader('Content-Security-Policy', framedPageCsp(origin, nonce));
      res
        .status(status)
        .type('html')
        .send(render('install', { lang, title: t.title, ok: ok ? 'yes' : 'no', message, nonce }));
    };
    const form = installFormSchema.safeParse(fields);
    if (!form.success) {
      page(400, false, `${t.bad} (${describeIssues(form.error)})`);
      return;
    }
    try {
      const inst = await d.install.fromForm(form.data);
      page(200, true, t.ok, new URL(inst.clientEndpoint).origin);
    } catch (err) {
      const status = err instanceof AppError && err.httpStatus < 500 ? err.httpStatus : 502;
      d.log.warn({ err: (err as Error).message }, 'install refused');
      page(status, false, status === 403 ? t.notAdmin : t.refused);
    }
  };
  r.get('/install', handler);
  r.post('/install', express.urlencoded({ extended: true, limit: '64kb' }), handler);
  return r;
}
