import type { Request, Response } from 'express';

const TEXT = {
  en: {
    title: 'Dispatcher for Bitrix24',
    what: 'This server is the Dispatcher app: it decides who handles each new open-line dialog and CRM lead of a Bitrix24 portal, and cleans up after people and time.',
    how: 'It is used from inside Bitrix24. To install it on a portal, register a local or marketplace application there (Applications → Developer resources) with these addresses:',
    app: 'App URL',
    install: 'Installation URL',
    events: 'Event handler URL',
    health: 'Health check',
  },
  ru: {
    title: 'Диспетчер для Битрикс24',
    what: 'Этот сервер — приложение «Диспетчер»: оно решает, кто возьмёт каждый новый диалог открытой линии и каждый новый лид CRM портала Битрикс24, и наводит порядок, когда сотрудники уходят и диалоги простаивают.',
    how: 'Им пользуются изнутри Битрикс24. Чтобы установить его на портал, зарегистрируйте там локальное или тиражное приложение (Приложения → Разработчикам) с такими адресами:',
    app: 'Адрес приложения',
    install: 'Адрес установки',
    events: 'Обработчик событий',
    health: 'Проверка работы',
  },
};

function html(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** GET /: what this server is and how to install it, in the visitor's language (RU or EN). */
export function homePage(publicUrl: string) {
  return (req: Request, res: Response) => {
    const lang = /^ru\b|,\s*ru\b/i.test(String(req.headers['accept-language'] ?? '')) ? 'ru' : 'en';
    const t = TEXT[lang];
    const row = (label: string, path: string) =>
      `<li>${html(label)}: <code>${html(`${publicUrl}${path}`)}</code></li>`;
    res
      .status(200)
      .set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'")
      .set('Content-Language', lang)
      .type('html')
      .send(
        `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${html(t.title)}</title></head>` +
          `<body><h1>${html(t.title)}</h1><p>${html(t.what)}</p><p>${html(t.how)}</p><ul>` +
          row(t.app, '/app') +
          row(t.install, '/install') +
          row(t.events, '/events') +
          `</ul><p>${html(t.health)}: <a href="/healthz">/healthz</a></p></body></html>`,
      );
  };
}
