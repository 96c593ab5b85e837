/**
 * Every choice the portal emulator makes where the Bitrix24 docs are silent or contradict each
 * other. Each one is a thing "to verify on a real portal" (README). Nothing else in
 * the emulator may hard-code one of these decisions: import it from here.
 *
 * Sources referred to: shared/reference/bitrix24-rest.md (the research note, §-numbers) and the
 * official docs repo bitrix24/b24restdocs at 5988ed13.
 */

// ---------------------------------------------------------------------------------------------
// OAuth
// ---------------------------------------------------------------------------------------------

/** Refresh tokens live 180 days (documented); the emulator also enforces it. */
export const REFRESH_TOKEN_TTL_SEC = 180 * 24 * 3600;

/**
 * A refresh rotates the pair: the old refresh token stops working at once (answer
 * `invalid_grant`), but the old access token stays valid until its own expiry.
 * UNVERIFIED: the docs only say "overwrite the old one".
 */
export const OLD_ACCESS_TOKEN_SURVIVES_REFRESH = true;

/** HTTP status of every OAuth-server error answer (`invalid_grant`, `invalid_client`, …). Not documented. */
export const OAUTH_ERROR_HTTP_STATUS = 400;

/**
 * After uninstall, a refresh answers `invalid_client` (the docs: "the application may not be
 * installed"), and calls with old access tokens answer 401 `NO_AUTH_FOUND`.
 */
export const OAUTH_ERROR_WHEN_APP_NOT_INSTALLED = 'invalid_client';

/** An unsupported `grant_type` answers `invalid_request`. */
export const OAUTH_ERROR_UNSUPPORTED_GRANT = 'invalid_request';

/** A fresh install (after an uninstall) gets a new `application_token`. */
export const NEW_APPLICATION_TOKEN_ON_REINSTALL = true;

/** ONAPPUPDATE "transmits … the updated application_token" (on-app-update.md): a new one each update. */
export const NEW_APPLICATION_TOKEN_ON_UPDATE = true;

/** Default app status sent as `status` everywhere (`F` = free marketplace app). */
export const DEFAULT_APP_STATUS = 'F';

// ---------------------------------------------------------------------------------------------
// REST infrastructure
// ---------------------------------------------------------------------------------------------

/**
 * The leaky bucket is checked before authentication (every HTTP request to /rest counts, even a
 * 401), and a rejected request does not fill the bucket. The bucket drains with the injected
 * clock, so a frozen test clock never drains it.
 */
export const RATE_LIMIT_COUNTS_UNAUTHENTICATED = true;

/** A batch with more than 50 commands fails as a whole with HTTP 400 (the docs say both this and
 * "the commands beyond 50 fail"). */
export const BATCH_OVER_LIMIT_FAILS_WHOLE_REQUEST = true;

/** Authentication is checked before the method name, so an unknown method with a bad token is a 401. */
export const AUTH_CHECKED_BEFORE_METHOD_LOOKUP = true;

/** With `start=-1` list methods answer `total: 0` and no `next` (huge-data.md shows `[total] => 0`). */
export const TOTAL_WHEN_START_IS_MINUS_ONE = 0;

/** `time.operating` is always 0: the emulator does not model the per-method time budget (429). */
export const OPERATING_TIME_MODELLED = false;

/** Dates are rendered in the portal's time zone; default UTC+3 (a typical ru portal). */
export const DEFAULT_TZ_OFFSET_MIN = 180;

/** The REST endpoint answers CORS (any origin) so the iframe page can call it from the browser. */
export const REST_ALLOWS_CORS = true;

// ---------------------------------------------------------------------------------------------
// Events and the event queue
// ---------------------------------------------------------------------------------------------

/**
 * The body is built like PHP's `http_build_query`: brackets in keys are percent-encoded
 * (`data%5BFIELDS%5D%5BID%5D=5`), spaces become `+`, `null` values are left out of v1 events
 * and sent as "" in imbot.v2 webhooks (documented for v2), `true`/`false` become "1"/"0".
 */
export const EVENT_BODY_ENCODES_BRACKETS = true;

/** How long the queue waits for a handler before recording the delivery as failed. Not documented. */
export const EVENT_DELIVERY_TIMEOUT_MS = 5000;

/** Deliveries to one handler URL go out one at a time, in the order the events happened. */
export const EVENT_DELIVERY_SERIAL_PER_URL = true;

/**
 * Which events carry `refresh_token` in `auth`. The docs' text says only ONAPPINSTALL and
 * ONOFFLINEEVENT; the bot event examples show it too, so bot events carry it as well.
 */
export const EVENTS_WITH_REFRESH_TOKEN = new Set([
  'ONAPPINSTALL',
  'ONOFFLINEEVENT',
  'ONIMBOTJOINCHAT',
  'ONIMBOTMESSAGEADD',
  'ONIMBOTMESSAGEUPDATE',
  'ONIMBOTMESSAGEDELETE',
  'ONIMBOTDELETE',
]);

/** `auth.scope` of ONAPPINSTALL is space-separated (documented there); everywhere else comma-separated. */
export const ONAPPINSTALL_SCOPE_SEPARATOR = ' ';

/**
 * Events caused by nobody on the staff (a client writing through a connector, a web-form lead
 * made by `sim.addLead` without `createdById`) carry an `auth` block without tokens.
 */
export const OMIT_TOKENS_WHEN_NO_ACTING_USER = true;

/** Before `installFinish` every event (online, offline and bot) is dropped, not queued. */
export const EVENTS_BEFORE_INSTALL_FINISH_DROPPED = true;

/** A second `event.bind` of the same event+handler+auth_type answers this error. */
export const DUPLICATE_BIND_ERROR = {
  error: 'ERROR_HANDLER_ALREADY_EXIST',
  description: 'Handler already exists!',
};

/** An online `event.bind` without `handler` answers this error; loopback handler URLs are accepted. */
export const MISSING_HANDLER_ERROR = { error: 'WRONG_HANDLER_URL', description: 'Wrong handler URL' };

/**
 * `event.test` sends ONAPPTEST with the call's own parameters (without `auth`) in `data.QUERY`,
 * as the example in events/test-handler.md shows for `any=data`; the app's application-token
 * confirmation relies on it (README, "To verify on a real portal").
 */
export const ONAPPTEST_QUERY_IS_CALL_PARAMS = true;

/** Handlers bound implicitly by `imbot.register` / `imbot.v2.Bot.register` are not listed by `event.get`. */
export const BOT_HANDLERS_VISIBLE_IN_EVENT_GET = false;

/** imbot.v2 webhook deliveries carry no `event_handler_id` (none in the documented example). */
export const V2_WEBHOOK_HAS_EVENT_HANDLER_ID = false;

// ---------------------------------------------------------------------------------------------
// Offline events
// ---------------------------------------------------------------------------------------------

/** `EVENT_DATA` of a CRM offline record is the online event's `data` (`{"FIELDS":{"ID":5}}`). UNVERIFIED (§8.11). */
export const OFFLINE_EVENT_DATA_IS_ONLINE_DATA = true;

/** `EVENT_ADDITIONAL` is always `false` (as in the documented example). */
export const OFFLINE_EVENT_ADDITIONAL = false;

/**
 * "Latest state per object": a change of an object that already has an unreserved record
 * (same MESSAGE_ID = hash of event name + data + auth_connector) moves that record's TIMESTAMP_X
 * instead of adding one; a reserved record is left alone and a new one is added.
 */
export const OFFLINE_DEDUP_SKIPS_RESERVED = true;

/** `event.offline.error` clears the record's reservation and sets ERROR=1 (re-read with `error=1`). */
export const OFFLINE_ERROR_RELEASES_RESERVATION = true;

/** Missing `process_id` on event.offline.clear / .error. */
export const OFFLINE_MISSING_PROCESS_ID_ERROR = {
  error: 'ERROR_ARGUMENT',
  description: "Argument 'process_id' is null or empty",
};

/** ONOFFLINEEVENT with minTimeout>0: pings inside the window are skipped, not postponed. */
export const OFFLINE_PING_SKIPPED_INSIDE_WINDOW = true;

// ---------------------------------------------------------------------------------------------
// Users and availability
// ---------------------------------------------------------------------------------------------

/** `user.get` LAST_ACTIVITY_DATE is "YYYY-MM-DD HH:MM:SS" and TIMESTAMP_X "DD.MM.YYYY HH:MM:SS" (as in batch.md's example). */
export const USER_GET_LEGACY_DATE_FORMATS = true;

/** `im.user.list.get` `status` is "online" for an online user and "offline" otherwise. */
export const IM_STATUS_OFFLINE_VALUE = 'offline';

/**
 * The native queue counts an operator available when: active, not absent, online, and the
 * workday is OPENED (not PAUSED/CLOSED/EXPIRED) — only with CHECK_AVAILABLE=Y; with N only
 * "active" is checked. Helpdesk describes it loosely (bitrix24-users.md §1).
 */
export const NATIVE_AVAILABILITY_NEEDS_ONLINE = true;

/** MAX_CHAT "0" means no limit. */
export const MAX_CHAT_ZERO_IS_UNLIMITED = true;

/** Department queue entries include users of sub-departments. */
export const DEPARTMENT_QUEUE_INCLUDES_SUBDEPARTMENTS = true;

/** Dismissed users stay in QUEUE when listed explicitly; department expansion skips them. */
export const DISMISSED_USERS_STAY_IN_EXPLICIT_QUEUE = true;

// ---------------------------------------------------------------------------------------------
// Open lines
// ---------------------------------------------------------------------------------------------

/** WELCOME_BOT_TIME = 0 means "never hand over to the queue automatically" (UNVERIFIED, §8.4). */
export const WELCOME_BOT_TIME_ZERO_MEANS_NEVER = true;

/** Undistributed dialogs are retried by the native queue every 2 minutes (helpdesk). */
export const NATIVE_RETRY_INTERVAL_SEC = 120;

/**
 * The native QUEUE_TIME pass-on applies only to dialogs the native queue gave out; dialogs
 * transferred to a named user (bot or operator transfer) wait for that user.
 */
export const QUEUE_TIME_ONLY_FOR_NATIVE_ASSIGNMENTS = true;

/** The native queue's evenly mode picks the available operator who got a dialog least recently. */
export const EVENLY_PICKS_LEAST_RECENTLY_ASSIGNED = true;

/** "all" mode: the dialog waits unowned, offered to every available queue member; the first to answer takes it. */
export const ALL_MODE_OFFERS_TO_EVERYONE = true;

/**
 * A new session with WELCOME_BOT_ENABLE=Y: the bot joins and gets ONIMBOT(V2)JOINCHAT; the
 * client's first message does not also produce a MESSAGEADD; later messages do while the bot is
 * a member of the chat.
 */
export const FIRST_MESSAGE_NOT_SENT_TO_BOT = true;

/** With CRM=Y the CRM binding (found by phone/email, or a created lead) is made before the bot joins. */
export const CRM_BINDING_BEFORE_BOT_JOIN = true;

/** SOURCE_ID of a lead the open line creates for a new client. */
export const OPENLINE_LEAD_SOURCE_ID = 'OPENLINE';

/**
 * `imopenlines.bot.session.transfer` / `.finish` work only while the app's bot is the session's
 * current operator; otherwise 400 OPERATOR_WRONG (transfer) / WRONG_CHAT (finish). UNVERIFIED (§8.3).
 */
export const BOT_METHODS_NEED_BOT_AS_OPERATOR = true;

/** With LEAVE=N the bot stays a chat member until the new operator answers. */
export const BOT_STAYS_UNTIL_ANSWER_WHEN_LEAVE_N = true;

/**
 * Admins have permission on every dialog (operator.transfer, another.finish, dialog.get,
 * session.history.get); other users only on dialogs they are a member of. UNVERIFIED (§8.2).
 */
export const ADMINS_HAVE_DIALOG_PERMISSION = true;

/** operator.transfer on an unknown chat → 400 ACCESS_DENIED; on a chat without an open session → 400 OPERATOR_WRONG. */
export const TRANSFER_UNKNOWN_CHAT_ERROR = 'ACCESS_DENIED';

/** On close the operator (and the bot) leave the chat and `owner` becomes 0. */
export const CLOSE_RESETS_OWNER = true;

/** WITH_QUEUE and SHOW_OFFLINE default to "Y". */
export const CONFIG_GET_DEFAULT_WITH_QUEUE = 'Y';

/** Transferring to another line's queue (QUEUE_ID) moves the session to that line; USER_CODE keeps the original line. */
export const QUEUE_TRANSFER_MOVES_SESSION_LINE = true;

/** Native auto-close (AUTO_CLOSE_*) is not modelled: dialogs close only by explicit action. */
export const NATIVE_AUTO_CLOSE_MODELLED = false;

/** Positions 7–10 of entity_data_1: session start unix time, then 0|0|0. */
export const ENTITY_DATA_1_TAIL = '0|0|0';

// ---------------------------------------------------------------------------------------------
// Bots
// ---------------------------------------------------------------------------------------------

/** imbot.register with a CODE that already exists. */
export const IMBOT_DUPLICATE_CODE_ERROR = {
  error: 'WRONG_REQUEST',
  description: "Bot can't be created: a bot with this CODE is already registered",
};

/** At most 5 v1 bots per app (documented), 100 v2 bots (documented). */
export const MAX_V1_BOTS_PER_APP = 5;
export const MAX_V2_BOTS_PER_APP = 100;

/**
 * A v2 bot registered (or updated) without `isSupportOpenline: true` is not joined to open-line
 * chats even when a line names it as WELCOME_BOT_ID: the session goes to the line's queue as if
 * no bot were set. The docs say only that the flag (default false) "enables Open Channels
 * support for a bot of the `openline` type" (chat-bots-v2/imbot.v2/bots/index.md).
 */
export const V2_BOT_NEEDS_OPENLINE_SUPPORT = true;

/** imbot.v2.Bot.list lists only the calling application's bots ("bots for the current application", bot-list.md). */
export const V2_BOT_LIST_FILTERS_BY_APP = true;

/** The open-line bot used by imopenlines.bot.session.* is the app's first registered bot (§3.8). */
export const BOT_SESSION_USES_FIRST_APP_BOT = true;

// ---------------------------------------------------------------------------------------------
// CRM
// ---------------------------------------------------------------------------------------------

/** crm.item.list without `select` returns every field except `fm`; `select:["*"]` adds `fm`. */
export const ITEM_LIST_DEFAULT_SELECT_OMITS_FM = true;

/** crm.item.list filter accepts `phone`, `email`, `imol` (matched against fm values, phones by digits). */
export const ITEM_LIST_FM_FILTERS = ['phone', 'email', 'imol'] as const;

/** crm.timeline.comment.list without ENTITY_ID/ENTITY_TYPE in filter. */
export const TIMELINE_LIST_MISSING_FILTER_ERROR = {
  error: 'INVALID_ARG_VALUE',
  description: 'ENTITY_ID and ENTITY_TYPE are required in filter',
};

/**
 * lastActivityBy / lastActivityTime ("who last interacted in the timeline") follow every
 * activity added (its author) and every timeline comment (its author); a new item starts with
 * its creator. The docs name the fields, not every kind of interaction that moves them.
 */
export const LAST_ACTIVITY_FOLLOWS_TIMELINE = true;

/** movedBy / movedTime change only when the stage changes (the acting user; nobody → the last editor). */
export const MOVED_BY_ON_STAGE_CHANGE_ONLY = true;

/** crm.activity.add: AUTHOR_ID is the calling user (not a writable field in the docs' list). */
export const ACTIVITY_AUTHOR_IS_CALLER = true;

/** crm.activity.add with TYPE_ID 3 (task) is refused: the docs send tasks through tasks.task.add. */
export const ACTIVITY_TASK_TYPE_REFUSED = true;

/** crm.activity.get of an unknown id (the docs list no error for it). */
export const ACTIVITY_NOT_FOUND_ERROR = { error: '', description: 'Not found' };

/**
 * crm.activity.list with a filter or order field that is not an activity field answers the
 * documented general error rather than ignoring it; dates in a filter are compared as
 * instants whatever offset they are written in.
 */
export const ACTIVITY_UNKNOWN_FILTER_ERROR = { error: '', description: 'Failed to get list. General error.' };

/** crm.activity.list without `select` answers every field but COMMUNICATIONS and FILES (asked for by name). */
export const ACTIVITY_LIST_DEFAULT_SELECT = '*';

/**
 * im.notify.system.add with a TAG removes the same app's earlier notifications with that tag
 * to the same recipient (the docs: "other notifications will be removed", not whose).
 */
export const NOTIFY_TAG_REPLACES_PER_RECIPIENT = true;

/** A lead created by `sim.addLead` without `createdById` counts as made by nobody (web form). */
export const SIM_LEAD_DEFAULT_CREATOR: number | null = null;

// ---------------------------------------------------------------------------------------------
// Deals
// ---------------------------------------------------------------------------------------------

/**
 * A deal moved to another pipeline (`crm.item.update` with a new `categoryId`) fires
 * ONCRMDEALMOVETOCATEGORY with `FIELDS {ID, CATEGORY_ID, STAGE_ID}`
 * (on-crm-deal-move-to-category.md) and, only when other fields changed too, ONCRMDEALUPDATE.
 * Whether the move alone also fires ONCRMDEALUPDATE is not documented.
 */
export const DEAL_CATEGORY_CHANGE_EVENTS: readonly string[] = ['ONCRMDEALMOVETOCATEGORY'];

/** crm.item.add/update of a deal with a `categoryId` that is no pipeline of the portal. */
export const DEAL_UNKNOWN_CATEGORY_ERROR = {
  error: 'CATEGORY_NOT_FOUND',
  description: 'Category not found',
};

/**
 * A pipeline's first stage is `NEW` in the general pipeline (0) and `C<id>:NEW` in the others,
 * and a deal's stage group (`stageSemanticId`) is S for `…WON`, F for `…LOSE`, else P; the
 * documented stage ids follow this pattern, the full stage lists (crm.status) are not modelled.
 */
export const DEAL_STAGE_IDS = { first: 'NEW', won: 'WON', lost: 'LOSE' } as const;

/**
 * Converting a lead to a deal (`sim.convertLead`) makes a deal with `leadId` set, the lead's
 * responsible, contact and company copied, created by whoever converted it; the lead moves to
 * CONVERTED (one ONCRMLEADUPDATE) and ONCRMDEALADD fires. What the portal copies is not
 * documented for REST.
 */
export const DEAL_CONVERSION_COPIES_RESPONSIBLE = true;

/** A lead bound to an open-line chat, once converted, binds the chat to its deal as well (entity_data_2 `DEAL|<id>`). */
export const DEAL_CONVERSION_BINDS_CHAT = true;

/** crm.item.list filters deals by the read-only `stageSemanticId` and `categoryId`. */
export const ITEM_LIST_FILTERS_STAGE_SEMANTIC = true;

// ---------------------------------------------------------------------------------------------
// Transfers by people
// ---------------------------------------------------------------------------------------------

/**
 * An operator who transfers a dialog in the UI (`sim.operatorTransfers`) fires no event an app
 * can bind: OnSessionStart/OnOpenLineMessage* are only for the app's own connectors
 * (imopenlines/openlines/events), and the bot has left the chat. The chat's `owner`
 * (imopenlines.dialog.get) changes and a system message is written to the session.
 */
export const OPERATOR_TRANSFER_FIRES_NO_APP_EVENT = true;

/**
 * The responsible change CRM_TRANSFER_CHANGE=Y makes (the lead the line created follows the new
 * operator, one ONCRMLEADUPDATE) is the transferring person's when a person transferred in the
 * UI (their tokens in `auth`); after a REST transfer it carries no tokens.
 */
export const TRANSFER_CRM_CHANGE_ACTOR = true;

// ---------------------------------------------------------------------------------------------
// Iframe
// ---------------------------------------------------------------------------------------------

/** FIRST_RUN in getInitData is always false. */
export const FRAME_FIRST_RUN = false;

/** After setInstallFinish the host reloads the frame with the app's main page (default /app). */
export const FRAME_RELOADS_AFTER_INSTALL_FINISH = true;

/** Replies to UI commands (resizeWindow, setTitle, …) carry no payload: "<callbackId>:". */
export const FRAME_EMPTY_ACK = true;

// ---------------------------------------------------------------------------------------------
// Smaller choices (documented here so the list is complete)
// ---------------------------------------------------------------------------------------------

/** crm.item.add/update with an assignedById that is not a portal user. */
export const CRM_UNKNOWN_RESPONSIBLE_ERROR = {
  error: 'CRM_FIELD_ERROR_VALUE_NOT_VALID',
  description: 'Invalid value for field "Responsible person"',
};

/** operator.answer / operator.finish / operator.another.finish on a chat without an open session. */
export const NO_OPEN_SESSION_ERROR = {
  error: 'ACCESS_DENIED',
  description: 'You cannot open this conversation as you do not have sufficient rights',
};

/** MAX_CHAT is counted per line (it is a line setting), not across lines. */
export const MAX_CHAT_COUNTED_PER_LINE = true;

/** Native CRM_FORWARD routes by CRM objects found for the client, not by a lead the line itself just created. */
export const CRM_FORWARD_IGNORES_LINE_CREATED_LEAD = true;

/**
 * The absence chart (vacations, sick leave; `sim.addAbsence`) has no REST method and fires no
 * event (none is documented; a search of the docs found none): im.user.list.get / im.user.get
 * `absent` is its only trace, the end of the absence the user is on now ("date until which the
 * user is on vacation, in ATOM format", im-user-list-get.md), `false` before it starts and after
 * it ends. Overlapping entries report the latest end.
 */
export const ABSENCE_CHART_NOT_IN_REST = true;

/** `absentUntil` given as a date (YYYY-MM-DD) means absent through the end of that day. */
export const ABSENCE_DATE_COVERS_WHOLE_DAY = true;

/** In chat bots 2.0 objects an open-line chat has type "lines" and messageType "L". */
export const V2_OPENLINE_CHAT_TYPE = 'lines';

/** feature.get without CODE. */
export const FEATURE_GET_MISSING_CODE_ERROR = {
  error: 'ERROR_ARGUMENT',
  description: "Argument 'CODE' is null or empty",
};

/**
 * Inbound webhooks (/rest/<user>/<secret>/<method>) are not emulated: 401 NO_AUTH_FOUND.
 * REST 3.0 (/rest/api/…) is not emulated: 404 ERROR_METHOD_NOT_FOUND.
 */
export const WEBHOOK_AND_REST_V3_EMULATED = false;

/** JSON answers are plain JSON.stringify: no PHP-style `\/` escaping, no `\uXXXX` for non-ASCII. */
export const PHP_JSON_ESCAPING = false;

/** /oauth/authorize/ answers at once for `user` (default: the installer) — no consent page. */
export const OAUTH_AUTHORIZE_WITHOUT_CONSENT = true;

/** The emulator that owns the OAuth registry answers /rest/app.info for any portal's token (like oauth.bitrix.info). */
export const OAUTH_SERVER_ANSWERS_APP_INFO = true;

/** sim.addUser fires ONUSERADD (as when an invited employee registers), caused by nobody. */
export const SIM_ADD_USER_FIRES_ONUSERADD = true;

/** A new external client is named "Guest #N" ("Гость #N" on ru portals) unless a name is given. */
export const CLIENT_DEFAULT_NAME = { ru: 'Гость', en: 'Guest' };
