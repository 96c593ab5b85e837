import type { MethodTable } from '../rest/context.ts';
import { botMethods } from './bots.ts';
import { crmMethods } from './crm.ts';
import { crmActivityMethods } from './crm-activities.ts';
import { eventMethods } from './events.ts';
import { notifyMethods } from './notify.ts';
import { offlineEventMethods } from './offline-events.ts';
import { openlinesConfigMethods } from './openlines-config.ts';
import { openlinesDialogMethods } from './openlines-dialogs.ts';
import { systemMethods } from './system.ts';
import { userMethods } from './users.ts';

/** Every REST method the emulator implements, keyed by lower-case name. */
export function allMethods(): MethodTable {
  const tables = [
    systemMethods,
    userMethods,
    eventMethods,
    offlineEventMethods,
    botMethods,
    openlinesConfigMethods,
    openlinesDialogMethods,
    crmMethods,
    crmActivityMethods,
    notifyMethods,
  ];
  const out: MethodTable = {};
  for (const t of tables) for (const [name, def] of Object.entries(t)) out[name.toLowerCase()] = def;
  return out;
}
