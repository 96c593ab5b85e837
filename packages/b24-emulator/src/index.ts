/**
 * The Bitrix24 portal emulator: a stateful local portal + OAuth server on loopback, for the
 * app's integration tests, the demo, the benchmarks, and anyone building a Bitrix24 app.
 * Choices the docs leave open are listed in ./assumptions.ts.
 */
export { type PortalClock, portalClock } from './clock.ts';
export {
  DEFAULT_SCOPE,
  type Emulator,
  type EmulatorAppOptions,
  type EmulatorOptions,
  startEmulator,
} from './emulator.ts';
export type { DeliveryRecord } from './events/delivery.ts';
export { httpBuildQuery } from './events/form-encode.ts';
export type { InstallOptions, PageAnswer } from './install.ts';
export type * from './model.ts';
export { createOAuthRegistry, type IssuedTokens, OAuthRegistry } from './oauth-registry.ts';
export type { ClientWrite } from './openlines/dialog-records.ts';
export type { ClientWriteResult } from './openlines/engine.ts';
export { SimError } from './openlines/engine.ts';
export type { CallRecord, FaultSpec } from './rest/pipeline.ts';
export type { HeldAnswers, HoldMatch, WireFaultSpec } from './rest/wire-faults.ts';
export type { RateLimitSettings } from './rest/rate-limiter.ts';
export {
  defaultSeed,
  type PortalSeed,
  type SeedCrmItem,
  type SeedDepartment,
  type SeedLine,
  type SeedUser,
} from './seed.ts';
export type {
  NewActivity,
  NewContact,
  NewLead,
  NewLine,
  NewUser,
  Simulation,
  UserPatch,
} from './sim.ts';
