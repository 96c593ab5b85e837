import BulletedListIcon from '@bitrix24/b24icons-vue/outline/BulletedListIcon';
import ChatsIcon from '@bitrix24/b24icons-vue/outline/ChatsIcon';
import GraphsDiagramIcon from '@bitrix24/b24icons-vue/outline/GraphsDiagramIcon';
import LeadIcon from '@bitrix24/b24icons-vue/outline/LeadIcon';
import MyDealsIcon from '@bitrix24/b24icons-vue/outline/MyDealsIcon';
import VacationIcon from '@bitrix24/b24icons-vue/outline/VacationIcon';
import PersonIcon from '@bitrix24/b24icons-vue/outline/PersonIcon';
import type { Component } from 'vue';
import AbsencesView from './views/AbsencesView.vue';
import DashboardView from './views/DashboardView.vue';
import DealsView from './views/DealsView.vue';
import LeadsView from './views/LeadsView.vue';
import LinesView from './views/LinesView.vue';
import LogView from './views/LogView.vue';
import OperatorsView from './views/OperatorsView.vue';

/**
 * The page's tabs, in order. A new view (e.g. a settings section of another feature) is one
 * entry here, one `tab_<name>` word in views/i18n.json, and its component in views/.
 */
export const VIEWS = [
  { name: 'dashboard', icon: GraphsDiagramIcon, component: DashboardView },
  { name: 'lines', icon: ChatsIcon, component: LinesView },
  { name: 'leads', icon: LeadIcon, component: LeadsView },
  { name: 'deals', icon: MyDealsIcon, component: DealsView },
  { name: 'operators', icon: PersonIcon, component: OperatorsView },
  { name: 'absences', icon: VacationIcon, component: AbsencesView },
  { name: 'log', icon: BulletedListIcon, component: LogView },
] as const satisfies readonly { name: string; icon: Component; component: Component }[];

export type ViewName = (typeof VIEWS)[number]['name'];
