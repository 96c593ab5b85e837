import {
  IMBOT_DUPLICATE_CODE_ERROR,
  MAX_V1_BOTS_PER_APP,
  MAX_V2_BOTS_PER_APP,
  V2_BOT_LIST_FILTERS_BY_APP,
} from '../assumptions.ts';
import type { EmulatorCore } from '../core.ts';
import { fullName } from '../portal-core.ts';
import type { EmuBot } from '../model.ts';
import { nextId } from '../model.ts';
import { sendBotDelete } from '../openlines/bot-events.ts';
import { type MethodTable, ok } from '../rest/context.ts';
import { asBool, asInt, asObject, asStr, pick } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';
import { colorOf, v2UserItem } from './user-views.ts';

const isUrl = (s: string) => /^https?:\/\/\S+$/i.test(s);

/**
 * The avatar colours of chat bots 2.0, lower camel case
 * (chat-bots/chat-bots-v2/imbot.v2/chats/chat-add.md#available-colors). Bot.register: "If not
 * specified — assigned automatically"; Bot.update: "If specified incorrectly, it is ignored".
 */
export const V2_COLORS: Record<string, string> = {
  red: '#df532d',
  green: '#64a513',
  mint: '#4ba984',
  lightBlue: '#4ba5c3',
  darkBlue: '#3e99ce',
  purple: '#8474c8',
  aqua: '#1eb4aa',
  pink: '#f76187',
  lime: '#58cc47',
  brown: '#ab7761',
  azure: '#29619b',
  khaki: '#728f7a',
  sand: '#ba9c7b',
  marengo: '#556574',
  gray: '#909090',
  graphite: '#5e5f5e',
};

const v2Color = (v: unknown): string | null => {
  const s = asStr(v);
  return Object.hasOwn(V2_COLORS, s) ? s : null;
};

function handlerUrl(
  params: Record<string, unknown>,
  key: string,
  common: string,
  required: boolean,
  code: string,
): string {
  const v = asStr(pick(params, key)) || common;
  if (!v && required) throw restError(400, code, `Handler for "${key}" event isn't specified`);
  if (v && !isUrl(v)) throw restError(400, code, 'Wrong handler URL');
  return v;
}

function botsOf(core: EmulatorCore, clientId: string, version: 1 | 2): EmuBot[] {
  return [...core.state.bots.values()].filter((b) => b.clientId === clientId && b.version === version);
}

/** Removes a bot from every chat it is in and from line settings referring to it. */
export function removeBot(core: EmulatorCore, bot: EmuBot, byUserId: number | null): void {
  sendBotDelete(core, bot, byUserId);
  core.state.bots.delete(bot.id);
  for (const chat of core.state.chats.values()) {
    chat.memberIds = chat.memberIds.filter((id) => id !== bot.id);
    if (chat.ownerId === bot.id) chat.ownerId = 0;
  }
  for (const s of core.state.sessions.values()) {
    if (s.status === 'bot' && s.operatorId === bot.id) {
      s.status = 'waiting';
      s.operatorId = 0;
      s.lastDistributionAt = null;
    }
  }
}

function v2BotView(b: EmuBot, language: string, extended: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: b.id,
    code: b.code,
    type: b.type,
    isHidden: false,
    isSupportOpenline: b.openline,
    isReactionsEnabled: true,
    backgroundId: null,
    language,
  };
  if (extended)
    Object.assign(view, {
      moduleId: 'rest',
      eventMode: b.eventMode,
      countMessage: 0,
      countCommand: 0,
      countChat: 0,
      countUser: 0,
    });
  return view;
}

export const botMethods: MethodTable = {
  'imbot.register': {
    scope: 'imbot',
    handler: ({ core, params, caller }) => {
      const code = asStr(pick(params, 'CODE'));
      if (!code) throw restError(400, 'CODE_ERROR', "Bot code isn't specified");
      const common = asStr(pick(params, 'EVENT_HANDLER'));
      if (common && !isUrl(common)) throw restError(400, 'EVENT_MESSAGE_ADD_ERROR', 'Wrong handler URL');
      const messageAdd = handlerUrl(params, 'EVENT_MESSAGE_ADD', common, true, 'EVENT_MESSAGE_ADD_ERROR');
      const messageUpdate = handlerUrl(
        params,
        'EVENT_MESSAGE_UPDATE',
        common,
        false,
        'EVENT_MESSAGE_UPDATE_ERROR',
      );
      const messageDelete = handlerUrl(
        params,
        'EVENT_MESSAGE_DELETE',
        common,
        false,
        'EVENT_MESSAGE_DELETE_ERROR',
      );
      const welcome = handlerUrl(
        params,
        'EVENT_WELCOME_MESSAGE',
        common,
        true,
        'EVENT_WELCOME_MESSAGE_ERROR',
      );
      const botDelete = handlerUrl(params, 'EVENT_BOT_DELETE', common, true, 'EVENT_BOT_DELETE_ERROR');
      const props = asObject(pick(params, 'PROPERTIES'));
      const name = asStr(pick(props, 'NAME'));
      const lastName = asStr(pick(props, 'LAST_NAME'));
      if (!name && !lastName) throw restError(400, 'NAME_ERROR', "Bot name isn't specified");
      if ([...core.state.bots.values()].some((b) => b.code === code)) {
        throw restError(400, IMBOT_DUPLICATE_CODE_ERROR.error, IMBOT_DUPLICATE_CODE_ERROR.description);
      }
      if (botsOf(core, caller.clientId, 1).length >= MAX_V1_BOTS_PER_APP) {
        throw restError(
          400,
          'MAX_COUNT_ERROR',
          `Has reached the maximum number of bots for application (max: ${MAX_V1_BOTS_PER_APP})`,
        );
      }
      const type = (asStr(pick(params, 'TYPE')) || 'B').toUpperCase();
      const id = nextId(core.state, 'user');
      const bot: EmuBot = {
        id,
        code,
        version: 1,
        type,
        clientId: caller.clientId,
        openline: type === 'O' || asBool(pick(params, 'OPENLINE')),
        eventMode: 'webhook',
        handlers: { messageAdd, messageUpdate, messageDelete, welcome, botDelete },
        webhookUrl: '',
        name,
        lastName,
        workPosition: asStr(pick(props, 'WORK_POSITION')),
        color: asStr(pick(props, 'COLOR')) || colorOf(id),
        gender: (asStr(pick(props, 'PERSONAL_GENDER')) as EmuBot['gender']) || '',
        createdAt: core.clock(),
        handlerIds: {
          messageAdd: nextId(core.state, 'binding'),
          welcome: nextId(core.state, 'binding'),
          botDelete: nextId(core.state, 'binding'),
        },
      };
      core.state.bots.set(id, bot);
      return ok(id);
    },
  },
  'imbot.unregister': {
    scope: 'imbot',
    handler: ({ core, params, caller }) => {
      const bot = core.state.bots.get(asInt(pick(params, 'BOT_ID')) ?? -1);
      if (!bot) throw restError(400, 'BOT_ID_ERROR', 'Bot not found');
      if (bot.clientId !== caller.clientId)
        throw restError(400, 'APP_ID_ERROR', 'Bot was installed by another REST application');
      removeBot(core, bot, caller.isBot ? null : caller.userId);
      return ok(true);
    },
  },
  'imbot.bot.list': {
    scope: 'imbot',
    handler: ({ core }) => {
      const rows = [...core.state.bots.values()].map((b) => [
        String(b.id),
        { ID: b.id, NAME: fullName(b), CODE: b.code, OPENLINE: b.openline ? 'Y' : 'N' },
      ]);
      return ok(rows.length ? Object.fromEntries(rows) : []);
    },
  },
  'imbot.v2.bot.register': {
    scope: 'imbot',
    handler: ({ core, params, caller }) => {
      const fields = asObject(pick(params, 'fields'));
      const code = asStr(fields.code);
      if (!code) throw restError(400, 'BOT_CODE_REQUIRED', 'Bot code is required');
      const props = asObject(fields.properties);
      if (!asStr(props.name)) throw restError(400, 'BOT_PROPERTIES_REQUIRED', 'Bot properties are required');
      const type = asStr(fields.type) || 'bot';
      if (!['bot', 'network', 'openline', 'supervisor', 'personal'].includes(type)) {
        throw restError(400, 'BOT_INVALID_TYPE', 'Invalid bot type');
      }
      const eventMode = asStr(fields.eventMode) || 'fetch';
      if (eventMode !== 'fetch' && eventMode !== 'webhook')
        throw restError(400, 'BOT_INVALID_EVENT_MODE', 'Invalid event mode');
      const webhookUrl = asStr(fields.webhookUrl);
      if (eventMode === 'webhook' && !webhookUrl)
        throw restError(400, 'BOT_WEBHOOK_URL_REQUIRED', 'Webhook URL is required');
      if (webhookUrl && !isUrl(webhookUrl))
        throw restError(400, 'BOT_INVALID_CALLBACK', 'Invalid callback URL');
      const existing = [...core.state.bots.values()].find((b) => b.code === code);
      if (existing && existing.clientId !== caller.clientId)
        throw restError(400, 'BOT_CODE_ALREADY_TAKEN', 'Bot code is already taken');
      let bot = existing;
      if (!bot) {
        if (botsOf(core, caller.clientId, 2).length >= MAX_V2_BOTS_PER_APP)
          throw restError(400, 'BOT_LIMIT_EXCEEDED', 'Bot limit exceeded');
        const id = nextId(core.state, 'user');
        bot = {
          id,
          code,
          version: 2,
          type,
          clientId: caller.clientId,
          // "Enable support for Open Channels … Default `false`" (bots/bot-register.md): the type
          // alone does not enable it.
          openline: fields.isSupportOpenline === true || asBool(fields.isSupportOpenline),
          eventMode: eventMode as EmuBot['eventMode'],
          handlers: { messageAdd: '', messageUpdate: '', messageDelete: '', welcome: '', botDelete: '' },
          webhookUrl,
          name: asStr(props.name),
          lastName: asStr(props.lastName),
          workPosition: asStr(props.workPosition),
          color: v2Color(props.color) ?? colorOf(id),
          gender: (asStr(props.gender) as EmuBot['gender']) || '',
          createdAt: core.clock(),
          handlerIds: { webhook: nextId(core.state, 'binding') },
        };
        core.state.bots.set(id, bot);
      }
      const user = v2UserItem(
        {
          id: bot.id,
          kind: 'bot',
          name: bot.name,
          lastName: bot.lastName,
          workPosition: bot.workPosition,
          gender: bot.gender,
          active: true,
          departments: [],
          bot,
        },
        core,
      );
      return ok({ bot: v2BotView(bot, core.language, true), users: [{ ...user, lastActivityDate: false }] });
    },
  },
  'imbot.v2.bot.update': {
    scope: 'imbot',
    // bots/bot-update.md: "Who can execute the method: owner of the registered bot".
    handler: ({ core, params, caller }) => {
      const bot = core.state.bots.get(asInt(pick(params, 'botId')) ?? -1);
      if (!bot || bot.version !== 2) throw restError(400, 'BOT_NOT_FOUND', 'Bot not found');
      if (bot.clientId !== caller.clientId)
        throw restError(403, 'BOT_OWNERSHIP_ERROR', 'Bot ownership error');
      const fields = asObject(pick(params, 'fields'));
      if (fields.isSupportOpenline !== undefined)
        bot.openline = fields.isSupportOpenline === true || asBool(fields.isSupportOpenline);
      const mode = asStr(fields.eventMode);
      if (mode === 'fetch' || mode === 'webhook') bot.eventMode = mode;
      const url = asStr(fields.webhookUrl);
      if (url) {
        if (!isUrl(url)) throw restError(400, 'BOT_INVALID_CALLBACK', 'Invalid callback URL');
        bot.webhookUrl = url;
      }
      const props = asObject(fields.properties);
      if (asStr(props.name)) bot.name = asStr(props.name);
      if (props.lastName !== undefined) bot.lastName = asStr(props.lastName);
      if (props.workPosition !== undefined) bot.workPosition = asStr(props.workPosition);
      const color = v2Color(props.color);
      if (color) bot.color = color;
      return ok({ bot: v2BotView(bot, core.language, true) });
    },
  },
  'imbot.v2.bot.list': {
    scope: 'imbot',
    // bots/bot-list.md: "returns a list of bots for the current application in an extended format".
    handler: ({ core, params, caller }) => {
      const filter = asObject(pick(params, 'filter'));
      const type = asStr(filter.type);
      const limit = Math.max(1, asInt(pick(params, 'limit')) ?? 50);
      const offset = Math.max(0, asInt(pick(params, 'offset')) ?? 0);
      const all = [...core.state.bots.values()]
        .filter((b) => b.version === 2 && (!V2_BOT_LIST_FILTERS_BY_APP || b.clientId === caller.clientId))
        .filter((b) => !type || b.type === type)
        .sort((a, b) => a.id - b.id);
      const page = all.slice(offset, offset + limit);
      return ok({
        bots: page.map((b) => v2BotView(b, core.language, true)),
        users: page.map((b) => ({ id: b.id, active: true, name: fullName(b), bot: true, type: 'bot' })),
        hasNextPage: offset + limit < all.length,
      });
    },
  },
};
