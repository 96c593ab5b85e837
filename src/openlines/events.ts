import { z } from 'zod';
import { authSchema } from '../events/lifecycle.ts';
import type { EventDefinition } from '../events/router.ts';
import { toInt } from '../operators/parse.ts';
import { authorOfV1, authorOfV2, parseEntityData1, parseEntityData2 } from './portal-adapter.ts';
import type { OpenLinesService } from './service.ts';

/**
 * The bot's events, from either bot API (v1 ONIMBOT*, v2 ONIMBOTV2* in webhook mode), all
 * arriving at $PUBLIC_URL/events through intake. Values come as strings; only what routing needs
 * is required. One chat's events run in order (objectKey chat:<id>).
 */

const id = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = toInt(v);
  if (n === null || n <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive id' });
    return z.NEVER;
  }
  return n;
});
const str = z.union([z.string(), z.number()]).transform(String).optional();

const v1Join = z.object({
  event: z.string(),
  ts: str,
  data: z.object({
    PARAMS: z.looseObject({
      CHAT_ID: id,
      CHAT_ENTITY_TYPE: str,
      CHAT_ENTITY_ID: str,
      CHAT_ENTITY_DATA_1: str,
      CHAT_ENTITY_DATA_2: str,
    }),
    BOT: z.record(z.string(), z.unknown()).optional(),
  }),
  auth: authSchema,
});

const v2Chat = z.looseObject({
  id,
  entityType: str,
  entityId: str,
  entityData1: str,
  entityData2: str,
});

const v2Join = z.object({
  event: z.string(),
  ts: str,
  data: z.looseObject({ chat: v2Chat, bot: z.looseObject({ id: id.optional() }).optional() }),
  auth: authSchema,
});

const v1Message = z.object({
  event: z.string(),
  ts: str,
  data: z.object({
    PARAMS: z.looseObject({
      CHAT_ID: id,
      MESSAGE_ID: id,
      FROM_USER_ID: str,
      AUTHOR_ID: str,
      SYSTEM: str,
      CHAT_ENTITY_TYPE: str,
    }),
    USER: z.looseObject({ IS_CONNECTOR: str, IS_BOT: str }).optional(),
  }),
  auth: authSchema,
});

const v2Message = z.object({
  event: z.string(),
  ts: str,
  data: z.looseObject({
    message: z.looseObject({ id, chatId: id.optional(), authorId: str, isSystem: str }),
    chat: v2Chat.partial().optional(),
    user: z.looseObject({ connector: str, bot: str, type: str }).optional(),
  }),
  auth: authSchema,
});

const anyDelete = z.object({
  event: z.string(),
  data: z.looseObject({ BOT_ID: str, bot: z.looseObject({ id: str }).optional() }).optional(),
  auth: authSchema,
});

const isLines = (t: string | undefined) => String(t ?? '').toUpperCase() === 'LINES';

export function botEventDefinitions(service: OpenLinesService): EventDefinition[] {
  const joinV1: EventDefinition<z.output<typeof v1Join>> = {
    event: 'ONIMBOTJOINCHAT',
    schema: v1Join,
    objectKey: (b) => `chat:${b.data.PARAMS.CHAT_ID}`,
    // v1 joins carry no session id; an identical re-delivery is still one event (same ts).
    dedupKey: (b) =>
      `ONIMBOTJOINCHAT:${b.auth.member_id}:${b.data.PARAMS.CHAT_ID}:${parseEntityData1(b.data.PARAMS.CHAT_ENTITY_DATA_1).sessionId ?? `ts${b.ts ?? ''}`}`,
    async handle({ memberId, body, row, client }) {
      const p = body.data.PARAMS;
      if (!isLines(p.CHAT_ENTITY_TYPE)) return;
      await service.intake.onJoin(
        memberId,
        {
          chatId: p.CHAT_ID,
          // CHAT_ENTITY_DATA_1/2 are not in the v1 event's documented fields
          // (chat-bots/outdated/chats/events/on-imbot-join-chat.md): used when present, read from
          // imopenlines.dialog.get when not (DialogIntake.onJoin).
          sessionId: parseEntityData1(p.CHAT_ENTITY_DATA_1).sessionId,
          userCode: p.CHAT_ENTITY_ID ?? '',
          crm:
            p.CHAT_ENTITY_DATA_2 === undefined
              ? undefined
              : p.CHAT_ENTITY_DATA_2
                ? parseEntityData2(p.CHAT_ENTITY_DATA_2)
                : null,
        },
        { receivedAt: row.receivedAt, eventId: row.id, client },
      );
    },
  };
  const joinV2: EventDefinition<z.output<typeof v2Join>> = {
    event: 'ONIMBOTV2JOINCHAT',
    schema: v2Join,
    objectKey: (b) => `chat:${b.data.chat.id}`,
    // The join of one session is one event, however often it is delivered.
    dedupKey: (b) =>
      `ONIMBOTV2JOINCHAT:${b.auth.member_id}:${b.data.chat.id}:${parseEntityData1(b.data.chat.entityData1).sessionId ?? `ts${b.ts ?? ''}`}`,
    async handle({ memberId, body, row, client }) {
      const c = body.data.chat;
      if (!isLines(c.entityType)) return;
      await service.intake.onJoin(
        memberId,
        {
          chatId: c.id,
          sessionId: parseEntityData1(c.entityData1).sessionId,
          userCode: c.entityId ?? '',
          crm: c.entityData2 ? parseEntityData2(c.entityData2) : null,
        },
        { receivedAt: row.receivedAt, eventId: row.id, client },
      );
    },
  };
  const messageV1: EventDefinition<z.output<typeof v1Message>> = {
    event: 'ONIMBOTMESSAGEADD',
    schema: v1Message,
    objectKey: (b) => `chat:${b.data.PARAMS.CHAT_ID}`,
    dedupKey: (b) => `ONIMBOTMESSAGEADD:${b.auth.member_id}:${b.data.PARAMS.MESSAGE_ID}`,
    async handle({ memberId, body }) {
      const p = body.data.PARAMS;
      if (!isLines(p.CHAT_ENTITY_TYPE)) return;
      await service.intake.onMessage(memberId, {
        chatId: p.CHAT_ID,
        messageId: p.MESSAGE_ID,
        authorId: toInt(p.AUTHOR_ID ?? p.FROM_USER_ID) ?? 0,
        author: authorOfV1(p, body.data.USER),
      });
    },
  };
  const messageV2: EventDefinition<z.output<typeof v2Message>> = {
    event: 'ONIMBOTV2MESSAGEADD',
    schema: v2Message,
    objectKey: (b) => `chat:${b.data.message.chatId ?? b.data.chat?.id ?? 0}`,
    dedupKey: (b) => `ONIMBOTV2MESSAGEADD:${b.auth.member_id}:${b.data.message.id}`,
    async handle({ memberId, body }) {
      const chatId = body.data.message.chatId ?? body.data.chat?.id;
      if (!chatId || (body.data.chat?.entityType !== undefined && !isLines(body.data.chat.entityType)))
        return;
      await service.intake.onMessage(memberId, {
        chatId,
        messageId: body.data.message.id,
        authorId: toInt(body.data.message.authorId) ?? 0,
        author: authorOfV2(body.data.message, body.data.user),
      });
    },
  };
  const deleted = (event: string): EventDefinition<z.output<typeof anyDelete>> => ({
    event,
    schema: anyDelete,
    objectKey: () => 'portal',
    async handle({ memberId, body }) {
      await service.onBotDeleted(memberId, toInt(body.data?.BOT_ID ?? body.data?.bot?.id));
    },
  });
  return [joinV1, joinV2, messageV1, messageV2, deleted('ONIMBOTDELETE'), deleted('ONIMBOTV2DELETE')];
}
