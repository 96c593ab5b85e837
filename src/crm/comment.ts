import { createHash } from 'node:crypto';
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
  defaultQueue: { ru: string; en: string } = { ru: 'основная очередь лидов', en: 'default lead queue' },
): string {
  const queue =
    lang === 'ru'
      ? route === null
        ? defaultQueue.ru
        : `очередь «${route}»`
      : route === null
        ? defaultQueue.en
        : `queue "${route}"`;
  const head = lang === 'ru' ? `Диспетчер (${queue}):` : `Dispatcher (${queue}):`;
  return `${head} ${explain(reason, lang, nameOf)}`;
}

/**
 * A short code that names one decision, written at the end of its comment. A re-run after a
 * lost answer finds the comment by it (crm.timeline.comment.list), so a comment is never
 * written twice for one decision, whatever the portal does to the rest of the text.
 */
export function decisionRef(memberId: string, leadId: number, decidedAt: number): string {
  return createHash('sha256')
    .update(`${memberId}\u0000${leadId}\u0000${decidedAt}`)
    .digest('base64url')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 8)
    .toUpperCase();
}

export function withRef(comment: string, lang: Lang, ref: string): string {
  return `${comment} (${lang === 'ru' ? 'код' : 'ref.'} ${ref})`;
}

/** The decision code a comment written by withRef() ends with, or null. */
export function refOf(comment: string | null): string | null {
  const m = /\((?:код|ref\.) ([A-Z0-9]{8})\)$/.exec(comment ?? '');
  return m ? m[1] : null;
}
