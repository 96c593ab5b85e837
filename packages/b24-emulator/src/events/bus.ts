import {
  EVENTS_BEFORE_INSTALL_FINISH_DROPPED,
  EVENTS_WITH_REFRESH_TOKEN,
  OFFLINE_PING_SKIPPED_INSIDE_WINDOW,
} from '../assumptions.ts';
import type { Hit, PortalCore } from '../portal-core.ts';
import { unixSec } from '../dates.ts';
import type { EventBinding } from '../model.ts';
import { httpBuildQuery, type NullPolicy } from './form-encode.ts';
import { addOfflineRecord } from './offline-queue.ts';

export interface FireOptions {
  /** the staff user whose action caused the event; null = nobody (tokens are left out) */
  actingUserId: number | null;
  hit?: Hit;
  /** `auth[scope]`; defaults by event family */
  scope?: string;
}

export interface AuthBlockOptions {
  event: string;
  userId: number | null;
  scope: string;
  /** bot-event layout: adds `expires` and `user_id` */
  botStyle?: boolean;
  /** include a refresh token; default: per EVENTS_WITH_REFRESH_TOKEN */
  withRefresh?: boolean;
}

/** Events the portal knows (event.bind answers ERROR_EVENT_NOT_FOUND for anything else). */
export const KNOWN_EVENTS = new Set([
  'ONAPPINSTALL',
  'ONAPPUNINSTALL',
  'ONAPPUPDATE',
  'ONAPPPAYMENT',
  'ONAPPTEST',
  'ONOFFLINEEVENT',
  'ONUSERADD',
  'ONCRMLEADADD',
  'ONCRMLEADUPDATE',
  'ONCRMLEADDELETE',
  'ONCRMCONTACTADD',
  'ONCRMCONTACTUPDATE',
  'ONCRMCONTACTDELETE',
  'ONCRMCOMPANYADD',
  'ONCRMCOMPANYUPDATE',
  'ONCRMCOMPANYDELETE',
  'ONCRMDEALADD',
  'ONCRMDEALUPDATE',
  'ONCRMDEALDELETE',
  'ONCRMDEALMOVETOCATEGORY',
  'ONCRMTIMELINECOMMENTADD',
  'ONIMBOTJOINCHAT',
  'ONIMBOTMESSAGEADD',
  'ONIMBOTMESSAGEUPDATE',
  'ONIMBOTMESSAGEDELETE',
  'ONIMBOTDELETE',
  'ONIMCOMMANDADD',
  'ONSESSIONSTART',
  'ONSESSIONFINISH',
  'ONOPENLINEMESSAGEADD',
  'ONOPENLINEMESSAGEUPDATE',
  'ONOPENLINEMESSAGEDELETE',
  'ONIMCONNECTORMESSAGEADD',
  'ONIMCONNECTORDIALOGSTART',
  'ONIMCONNECTORDIALOGFINISH',
]);

export function scopeOfEvent(event: string): string {
  if (event.startsWith('ONCRM')) return 'crm';
  if (event.startsWith('ONIMBOT') || event === 'ONIMCOMMANDADD') return 'imbot';
  if (event.startsWith('ONSESSION') || event.startsWith('ONOPENLINE')) return 'imopenlines';
  if (event.startsWith('ONIMCONNECTOR')) return 'imconnector';
  if (event === 'ONUSERADD') return 'user';
  return 'basic';
}

/**
 * Turns portal changes into what the event queue does: POSTs to online handlers, records in
 * the offline queue, ONOFFLINEEVENT pings, and the bot handler calls.
 */
export class EventBus {
  private lastOfflinePingAt = new Map<number, number>();
  private pingedInHit = new Map<number, number>();

  constructor(private readonly core: PortalCore) {}

  /** Can the app receive events at all right now? */
  get canDeliver(): boolean {
    const app = this.core.state.app;
    return app.present && (app.installed || !EVENTS_BEFORE_INSTALL_FINISH_DROPPED);
  }

  bindingsFor(event: string): EventBinding[] {
    return [...this.core.state.bindings.values()].filter(
      (b) => b.event === event && b.clientId === this.core.app.clientId,
    );
  }

  /** A standard event (CRM, app, user...) to every binding of it. */
  fire(event: string, data: Record<string, unknown>, opts: FireOptions): void {
    const { state } = this.core;
    if (!state.app.present) return;
    const bindings = this.bindingsFor(event);
    const hit = opts.hit ?? this.core.newHit();
    for (const b of bindings) {
      if (!b.offline) {
        const userId = b.authType > 0 ? b.authType : opts.actingUserId;
        const body = this.standardBody(event, b.id, data, userId, opts.scope ?? scopeOfEvent(event));
        this.post(b.handler, event, body);
      } else if (this.canDeliver) {
        if (hit.authConnector && hit.authConnector === b.authConnector) continue;
        addOfflineRecord(state, this.core.clock(), event, data, b.authConnector);
        this.pingOffline(hit);
      }
    }
  }

  /** The standard event body: event, event_handler_id, data, ts, auth. */
  standardBody(
    event: string,
    handlerId: number,
    data: Record<string, unknown>,
    userId: number | null,
    scope: string,
  ): string {
    return httpBuildQuery({
      event,
      event_handler_id: handlerId,
      data,
      ts: unixSec(this.core.clock()),
      auth: this.authBlock({ event, userId, scope }),
    });
  }

  /** POST a prepared body, or record it as dropped while the app is not fully installed. */
  post(url: string, event: string, body: string): void {
    if (!this.canDeliver) {
      this.core.deliveries.drop(url, event, body, 'application installation not finished');
      return;
    }
    this.core.deliveries.enqueue(url, event, body);
  }

  /** POST an arbitrary payload (bot events) encoded like http_build_query. */
  postPayload(
    url: string,
    event: string,
    payload: Record<string, unknown>,
    nulls: NullPolicy = 'omit',
  ): void {
    this.post(url, event, httpBuildQuery(payload, nulls));
  }

  /** The `auth` block: tokens of `userId` (fresh), or none when nobody on staff caused the event. */
  authBlock(opts: AuthBlockOptions): Record<string, unknown> {
    const { core } = this;
    const withTokens = opts.userId !== null && opts.userId > 0 && core.state.app.present;
    const tokens = withTokens
      ? core.oauth.issue({
          memberId: core.memberId,
          clientId: core.app.clientId,
          userId: opts.userId!,
          withRefresh: opts.withRefresh ?? EVENTS_WITH_REFRESH_TOKEN.has(opts.event),
        })
      : null;
    const block: Record<string, unknown> = {};
    if (tokens) {
      block.access_token = tokens.accessToken;
      if (opts.botStyle) block.expires = tokens.expires;
      block.expires_in = tokens.expiresIn;
    }
    block.scope = opts.scope;
    block.domain = core.domain;
    block.server_endpoint = core.oauth.serverEndpoint;
    block.status = core.app.status;
    block.client_endpoint = core.clientEndpoint;
    block.member_id = core.memberId;
    if (tokens && opts.botStyle) block.user_id = tokens.userId;
    if (tokens?.refreshToken) block.refresh_token = tokens.refreshToken;
    block.application_token = core.state.app.applicationToken;
    return block;
  }

  /** ONOFFLINEEVENT: "queue has new records", throttled by the binding's options.minTimeout. */
  private pingOffline(hit: Hit): void {
    const now = this.core.clock();
    for (const b of this.bindingsFor('ONOFFLINEEVENT')) {
      if (b.offline) continue;
      const minTimeout = Number((b.options as Record<string, unknown>).minTimeout ?? 1);
      if (minTimeout <= 0) {
        if (this.pingedInHit.get(b.id) === hit.id) continue;
        this.pingedInHit.set(b.id, hit.id);
      } else {
        const last = this.lastOfflinePingAt.get(b.id);
        if (last !== undefined && now - last < minTimeout * 1000 && OFFLINE_PING_SKIPPED_INSIDE_WINDOW)
          continue;
      }
      this.lastOfflinePingAt.set(b.id, now);
      const body = httpBuildQuery({
        event: 'ONOFFLINEEVENT',
        event_handler_id: b.id,
        data: {},
        ts: unixSec(now),
        auth: this.authBlock({
          event: 'ONOFFLINEEVENT',
          userId: b.authType > 0 ? b.authType : this.core.state.app.installedBy,
          scope: this.core.app.scope,
        }),
      });
      this.post(b.handler, 'ONOFFLINEEVENT', body);
    }
  }
}

/** The portal with its event bus: what a part that fires events needs (the CRM store, the open lines). */
export type PortalWithEvents = PortalCore & { readonly events: EventBus };
