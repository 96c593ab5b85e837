import type { DeliveryQueue } from './events/delivery.ts';
import type { EmuBot, EmuUser, PortalState } from './model.ts';
import type { OAuthRegistry } from './oauth-registry.ts';

/** The registered marketplace app as the portal knows it. */
export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  scope: string;
  status: string;
  code: string;
}

/**
 * One "hit" on the portal: an HTTP request to /rest or one simulation verb. Events it causes
 * share it (ONOFFLINEEVENT minTimeout=0 sends one ping per hit; auth_connector suppresses
 * offline records of the app's own writes).
 */
export interface Hit {
  id: number;
  authConnector: string;
}

/**
 * What every part of the portal shares: who it is, its clock, its state, its OAuth server and
 * its outgoing deliveries. The event bus and the open-line engine are built on this; the whole
 * emulator (core.ts) adds them on top, so neither imports what is built on it.
 */
export interface PortalCore {
  readonly clock: () => number;
  readonly tzOffsetMin: number;
  readonly language: 'ru' | 'en';
  readonly memberId: string;
  readonly domain: string;
  readonly url: string;
  readonly clientEndpoint: string;
  readonly app: AppRegistration;
  readonly tokenTtlSec: number;
  readonly state: PortalState;
  readonly oauth: OAuthRegistry;
  readonly deliveries: DeliveryQueue;
  newHit(authConnector?: string): Hit;
}

/** Who a user id is: staff, a bot, or an external (connector) client. */
export interface AnyUser {
  id: number;
  kind: 'employee' | 'bot' | 'connector';
  name: string;
  lastName: string;
  workPosition: string;
  gender: 'M' | 'F' | '';
  active: boolean;
  departments: number[];
  employee?: EmuUser;
  bot?: EmuBot;
}

export function findAnyUser(state: PortalState, id: number): AnyUser | null {
  const u = state.users.get(id);
  if (u) {
    return {
      id,
      kind: 'employee',
      name: u.name,
      lastName: u.lastName,
      workPosition: u.workPosition,
      gender: u.gender,
      active: u.active,
      departments: u.departments,
      employee: u,
    };
  }
  const b = state.bots.get(id);
  if (b) {
    return {
      id,
      kind: 'bot',
      name: b.name,
      lastName: b.lastName,
      workPosition: b.workPosition,
      gender: b.gender,
      active: true,
      departments: [],
      bot: b,
    };
  }
  const c = state.clients.get(id);
  if (c) {
    return {
      id,
      kind: 'connector',
      name: c.name,
      lastName: c.lastName,
      workPosition: '',
      gender: '',
      active: true,
      departments: [],
    };
  }
  return null;
}

export function fullName(u: { name: string; lastName: string }): string {
  return [u.name, u.lastName].filter(Boolean).join(' ');
}
