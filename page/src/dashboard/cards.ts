import type { Component } from 'vue';
import ChartsCard from './ChartsCard.vue';
import DeadCard from './DeadCard.vue';
import JobsCard from './JobsCard.vue';
import LogCard from './LogCard.vue';
import OperatorsCard from './OperatorsCard.vue';
import SecurityCard from './SecurityCard.vue';
import SpeedCard from './SpeedCard.vue';
import TodayCard from './TodayCard.vue';
import WaitingCard from './WaitingCard.vue';

/**
 * The dashboard's cards, in order, each given the dashboard's data (`d`). A new report (another
 * feature's figures from its own /api endpoint) is one entry here; `half` cards sit two abreast
 * on a wide screen, one under the other in the portal's slider.
 */
export const CARDS: { id: string; component: Component; half?: boolean }[] = [
  { id: 'operators', component: OperatorsCard, half: true },
  { id: 'today', component: TodayCard, half: true },
  { id: 'charts', component: ChartsCard },
  { id: 'speed', component: SpeedCard },
  { id: 'waiting', component: WaitingCard },
  { id: 'jobs', component: JobsCard, half: true },
  { id: 'dead', component: DeadCard, half: true },
  { id: 'log', component: LogCard },
  { id: 'security', component: SecurityCard },
];
