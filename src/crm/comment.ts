import { explain, type Reason } from '../engine/index.ts';

export type Lang = 'ru' | 'en';

/** The portal's language for texts the app writes into it: Russian for ru (and kindred) portals, else English. */
export function portalLang(language: string | null | undefined): Lang {
  const l = String(language ?? '').toLowerCase();
  return l === 'ru' || l === 'ua' || l === 'by' || l === 'kz' ? 'ru' : 'en';
}

/**
 * The timeline comment that says why the lead went to its responsible: which queue, which
 * rule, and who was passed over. Rendered once, when the decision is made, and stored with it,
 * so a re-run writes the same text (and can recognise a comment it already wrote).
 */
export function leadComment(
  lang: Lang,
  route: string | null,
  reason: Reason,
  nameOf?: (id: number) => string,
): string {
  const queue =
    lang === 'ru'
      ? route === null
        ? 'основная очередь лидов'
        : `очередь «${route}»`
      : route === null
        ? 'default lead queue'
        : `queue "${route}"`;
  const head = lang === 'ru' ? `Диспетчер (${queue}):` : `Dispatcher (${queue}):`;
  return `${head} ${explain(reason, lang, nameOf)}`;
}
