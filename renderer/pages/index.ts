// The page registry: the navigation and the router are built from this list, so a
// later issue adds a page with one line here (and its component file).
import type { ComponentType } from 'react';
import { IconClock, IconGauge, IconInbox, IconList, IconServer } from '../components/icons.tsx';
import { DeliveryPage } from './delivery.tsx';
import { LogsPage } from './logs.tsx';
import { OverviewPage } from './overview.tsx';
import { QueuePage } from './queue/queue-page.tsx';
import { SmartHostPage } from './smart-host.tsx';
import { AccessMapPage, BlockListsPage, CertificatesPage, IconAccess, IconBlock, IconCert, IconPrivacy, IconRelay, IconUsers, PrivacyPage, RelayingPage, UsersPage } from './security/index.ts';
import { DkimPage, IconDkim } from './dkim/dkim-page.tsx';
import { AliasesPage, DomainsPage, ForwardingPage, IconAliases, IconDomains, IconForward, IconRewrite, IconRoutes, RewritingPage, RoutesPage } from './routing/index.ts';

export interface PageDef {
  /** Hash route, e.g. '/queue'. '/' is the landing page. */
  path: string;
  label: string;
  icon?: ComponentType;
  component: ComponentType;
  /** Draft keys this page edits: the nav marks the page while one is unsaved. */
  drafts?: string[];
}

export const pages: PageDef[] = [
  { path: '/', label: 'Overview', icon: IconGauge, component: OverviewPage },
  { path: '/queue', label: 'Queue', icon: IconInbox, component: QueuePage },
  { path: '/delivery', label: 'Delivery', icon: IconClock, component: DeliveryPage, drafts: ['delivery'] },
  { path: '/smart-host', label: 'Smart host', icon: IconServer, component: SmartHostPage, drafts: ['smartHost'] },
  { path: '/logs', label: 'Logs', icon: IconList, component: LogsPage },
  { path: '/domains', label: 'Domains', icon: IconDomains, component: DomainsPage, drafts: ['routing.domains'] },
  { path: '/aliases', label: 'Aliases', icon: IconAliases, component: AliasesPage, drafts: ['routing.aliases'] },
  { path: '/forwarding', label: 'Forwarding', icon: IconForward, component: ForwardingPage, drafts: ['routing.forwards'] },
  { path: '/routes', label: 'Routes', icon: IconRoutes, component: RoutesPage, drafts: ['routing.routes'] },
  { path: '/rewriting', label: 'Rewriting', icon: IconRewrite, component: RewritingPage, drafts: ['routing.rewrite'] },
  { path: '/relaying', label: 'Relaying', icon: IconRelay, component: RelayingPage, drafts: ['security.relay'] },
  { path: '/access', label: 'Access map', icon: IconAccess, component: AccessMapPage, drafts: ['security.access'] },
  { path: '/block-lists', label: 'Block lists', icon: IconBlock, component: BlockListsPage, drafts: ['security.antispam'] },
  { path: '/privacy', label: 'Privacy & limits', icon: IconPrivacy, component: PrivacyPage, drafts: ['security.smtp'] },
  { path: '/users', label: 'Users', icon: IconUsers, component: UsersPage, drafts: ['security.users'] },
  { path: '/certificates', label: 'Certificates', icon: IconCert, component: CertificatesPage, drafts: ['security.tls'] },
  { path: '/dkim', label: 'DKIM & checks', icon: IconDkim, component: DkimPage, drafts: ['dkim.auth'] },
];
