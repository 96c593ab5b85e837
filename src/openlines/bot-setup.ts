import type { OpenLinesRepository } from '../db/repositories/openlines.ts';
import type { Logger } from '../log/logger.ts';
import type { Manifest } from '../manifest.ts';
import { toInt } from '../operators/parse.ts';
import type { PortalClient } from '../portal/client.ts';
import { findBot, registeredBotId } from './portal-adapter.ts';

/*
 * The portal's open-line bot, as the docs describe chat bots 2.0
 * (api-reference/chat-bots/chat-bots-v2/imbot.v2/bots/):
 * - bot-register.md: `isSupportOpenline` "Enable support for Open Channels … Default `false`";
 *   index.md: it "enables Open Channels support for a bot of the `openline` type". Without it the
 *   bot is never joined to a line's chats, so the app would distribute nothing.
 * - bot-register.md: "a repeated call with the same `fields.code` … returns the existing bot
 *   without updating the data. To update, use imbot.v2.Bot.update": a bot registered by an
 *   earlier version without the flag is updated here.
 * - bot-list.md: imbot.v2.Bot.list "returns a list of bots for the current application"
 *   (`result.bots[]` with `isSupportOpenline`); imbot.bot.list is the deprecated v1 list, used only
 *   where v2 is missing.
 * - colours are lower camel case (`aqua`, `lightBlue`: imbot.v2/chats/chat-add.md#available-colors);
 *   the manifest keeps the v1 spelling (`AQUA`) for imbot.register.
 */

export interface BotSetupDeps {
  repo: OpenLinesRepository;
  manifest: Manifest;
  publicUrl: string;
  clock: () => number;
  log: Logger;
}

const missingMethod = (err: unknown) =>
  /METHOD_NOT_FOUND|not found/i.test(String((err as any)?.b24Error ?? (err as Error)?.message ?? err));

/** v1 colour (`AQUA`, `LIGHT_BLUE`) → v2 colour (`aqua`, `lightBlue`); undefined when none is set. */
export function v2Color(v1: unknown): string | undefined {
  const s = String(v1 ?? '').trim();
  if (!s) return undefined;
  return s.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** imbot.v2.Bot.list → the bot with `code` and whether it supports open lines. */
export function findV2Bot(result: unknown, code: string): { id: number; openline: boolean } | null {
  const bots = (result as any)?.bots;
  for (const b of Array.isArray(bots) ? bots : []) {
    if (String(b?.code ?? '') !== code) continue;
    const id = toInt(b?.id);
    if (id !== null && id > 0)
      return { id, openline: b?.isSupportOpenline === true || b?.isSupportOpenline === 'Y' };
  }
  return null;
}

/**
 * Finds the app's bot by its code, else registers it once (imbot.v2.Bot.register type openline in
 * webhook mode with open-channel support; imbot.register TYPE=O where v2 is missing), with
 * $PUBLIC_URL/events as its handler. A v2 bot without open-channel support is updated.
 */
export async function ensureOpenlineBot(
  d: BotSetupDeps,
  memberId: string,
  client: PortalClient,
): Promise<number> {
  const { manifest, repo } = d;
  const code = manifest.bot.CODE;
  const handler = `${d.publicUrl}${manifest.handlers.events}`;
  const props = manifest.bot.PROPERTIES;
  const v2Fields = {
    isSupportOpenline: true,
    properties: { name: props.NAME, workPosition: props.WORK_POSITION, color: v2Color(props.COLOR) },
  };
  const stored = await repo.bot(memberId);

  let v2: 'yes' | 'no' | 'unknown' = 'unknown';
  let found: { id: number; version: 1 | 2; openline: boolean } | null = null;
  try {
    const hit = findV2Bot(await client.call('imbot.v2.Bot.list', { limit: 50 }), code);
    v2 = 'yes';
    if (hit) found = { ...hit, version: 2 };
  } catch (err) {
    if (missingMethod(err)) v2 = 'no';
  }
  if (!found && v2 !== 'unknown') {
    // v1 portals, and v1 bots of older installs (not in the v2 list): the deprecated list names them.
    const list = await client.call('imbot.bot.list').catch(() => undefined);
    const id = list === undefined ? null : findBot(list, code);
    if (id !== null) found = { id, version: 1, openline: true };
  }
  // The list was unreadable: keep the bot we know (a v2 register by code would be idempotent anyway).
  if (!found && v2 === 'unknown' && stored) return stored.botId;
  if (found) {
    if (found.version === 2 && !found.openline) {
      await client.call('imbot.v2.Bot.update', { botId: found.id, fields: v2Fields });
      d.log.info({ memberId, botId: found.id }, 'open-line bot updated: open-channel support enabled');
    }
    if (stored?.botId !== found.id || stored.version !== found.version) {
      await repo.saveBot({
        memberId,
        botId: found.id,
        version: found.version,
        code,
        registeredAt: d.clock(),
      });
    }
    return found.id;
  }

  let botId: number | null = null;
  let version: 1 | 2 = 2;
  if (v2 !== 'no') {
    try {
      botId = registeredBotId(
        await client.callOnce('imbot.v2.Bot.register', {
          fields: { code, type: 'openline', eventMode: 'webhook', webhookUrl: handler, ...v2Fields },
        }),
      );
    } catch (err) {
      if (!missingMethod(err)) throw err;
      v2 = 'no';
    }
  }
  if (v2 === 'no') {
    version = 1;
    botId = registeredBotId(
      await client.callOnce('imbot.register', {
        CODE: code,
        TYPE: manifest.bot.TYPE,
        OPENLINE: manifest.bot.OPENLINE,
        EVENT_HANDLER: handler,
        PROPERTIES: props,
      }),
    );
  }
  if (botId === null) throw new Error('the portal did not return the bot id');
  await repo.saveBot({ memberId, botId, version, code, registeredAt: d.clock() });
  d.log.info({ memberId, botId, version }, 'open-line bot registered');
  return botId;
}
