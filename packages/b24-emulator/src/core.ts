import type { EventBus } from './events/bus.ts';
import type { OpenLinesEngine } from './openlines/engine.ts';
import type { PortalCore } from './portal-core.ts';

/**
 * Everything the REST methods and the simulation share: the portal (portal-core.ts) with its
 * event bus and its open-line engine.
 */
export interface EmulatorCore extends PortalCore {
  readonly events: EventBus;
  readonly lines: OpenLinesEngine;
}
