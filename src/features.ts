import type { Feature } from './app-context.ts';
import { leadsFeature } from './crm/feature.ts';
import { offlineEventsFeature } from './events/offline-events.ts';
import { jobsFeature } from './jobs/feature.ts';
import { maintenanceFeature } from './jobs/maintenance/feature.ts';
import { openLinesFeature } from './openlines/feature.ts';
import { ownerFeature } from './owner/feature.ts';
import { absenceFeature } from './absence/feature.ts';
import { retentionFeature } from './jobs/retention-feature.ts';
import { webFeature } from './web/feature.ts';

/**
 * Every part of the product that plugs into the app, in load order. A new part adds one
 * line here.
 */
export const allFeatures: Feature[] = [
  offlineEventsFeature,
  jobsFeature,
  webFeature,
  leadsFeature,
  openLinesFeature,
  ownerFeature,
  absenceFeature,
  maintenanceFeature,
  retentionFeature,
];
