// The page registry: the navigation and the router are built from this list, so a
// later issue adds a page with one line here (and its component file). Each page
// is its own chunk, loaded when first opened (lazyPage): the first screen needs
// only the shell and its own page, not all sixteen.
import { lazy, type ComponentType } from 'react';
import { IconClock, IconGauge, IconInbox, IconList, IconServer } from '../components/icons.tsx';
import { IconAccess, IconBlock, IconCert, IconPrivacy, IconRelay, IconUsers } from './security/icons.tsx';
import { IconAliases, IconDomains, IconForward, IconRewrite, IconRoutes } from './routing/icons.tsx';
import { IconDkim } from './dkim/icons.tsx';

export interface PageDef {
  /** Hash route, e.g. '/queue'. '/' is the landing page. */
  path: string;
  label: string;
  icon?: ComponentType;
  component: ComponentType;
  /** Draft keys this page edits: the nav marks the page while one is unsaved. */
  drafts?: string[];
}

/** A page component loaded on first use: `lazyPage(() => import('./x.tsx'), 'XPage')`. */
export function lazyPage<M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M & string): ComponentType {
  return lazy(async () => ({ default: (await load())[name] as ComponentType }));
}

export const pages: PageDef[] = [
  { path: '/', label: 'Overview', icon: IconGauge, component: lazyPage(() => import('./overview.tsx'), 'OverviewPage') },
  { path: '/queue', label: 'Queue', icon: IconInbox, component: lazyPage(() => import('./queue/queue-page.tsx'), 'QueuePage') },
  { path: '/delivery', label: 'Delivery', icon: IconClock, component: lazyPage(() => import('./delivery.tsx'), 'DeliveryPage'), drafts: ['delivery'] },
  { path: '/smart-host', label: 'Smart host', icon: IconServer, component: lazyPage(() => import('./smart-host.tsx'), 'SmartHostPage'), drafts: ['smartHost'] },
  { path: '/logs', label: 'Logs', icon: IconList, component: lazyPage(() => import('./logs.tsx'), 'LogsPage') },
  { path: '/domains', label: 'Domains', icon: IconDomains, component: lazyPage(() => import('./routing/domains-page.tsx'), 'DomainsPage'), drafts: ['routing.domains'] },
  { path: '/aliases', label: 'Aliases', icon: IconAliases, component: lazyPage(() => import('./routing/aliases-page.tsx'), 'AliasesPage'), drafts: ['routing.aliases'] },
  { path: '/virtual', label: 'Virtual users', icon: IconAliases, component: lazyPage(() => import('./routing/virtual-page.tsx'), 'VirtualPage'), drafts: ['routing.virtual'] },
  { path: '/forwarding', label: 'Forwarding', icon: IconForward, component: lazyPage(() => import('./routing/forwarding-page.tsx'), 'ForwardingPage'), drafts: ['routing.forwards'] },
  { path: '/routes', label: 'Routes', icon: IconRoutes, component: lazyPage(() => import('./routing/routes-page.tsx'), 'RoutesPage'), drafts: ['routing.routes'] },
  { path: '/rewriting', label: 'Rewriting', icon: IconRewrite, component: lazyPage(() => import('./routing/rewriting-page.tsx'), 'RewritingPage'), drafts: ['routing.rewrite'] },
  { path: '/relaying', label: 'Relaying', icon: IconRelay, component: lazyPage(() => import('./security/relaying-page.tsx'), 'RelayingPage'), drafts: ['security.relay'] },
  { path: '/access', label: 'Access map', icon: IconAccess, component: lazyPage(() => import('./security/access-page.tsx'), 'AccessMapPage'), drafts: ['security.access'] },
  { path: '/block-lists', label: 'Block lists', icon: IconBlock, component: lazyPage(() => import('./security/blocklists-page.tsx'), 'BlockListsPage'), drafts: ['security.antispam'] },
  { path: '/privacy', label: 'Privacy & limits', icon: IconPrivacy, component: lazyPage(() => import('./security/privacy-page.tsx'), 'PrivacyPage'), drafts: ['security.smtp'] },
  { path: '/users', label: 'Users', icon: IconUsers, component: lazyPage(() => import('./security/users-page.tsx'), 'UsersPage'), drafts: ['security.users'] },
  { path: '/certificates', label: 'Certificates', icon: IconCert, component: lazyPage(() => import('./security/certificates-page.tsx'), 'CertificatesPage'), drafts: ['security.tls'] },
  { path: '/dkim', label: 'DKIM & checks', icon: IconDkim, component: lazyPage(() => import('./dkim/dkim-page.tsx'), 'DkimPage'), drafts: ['dkim.auth'] },
  { path: '/import', label: 'Import', icon: IconForward, component: lazyPage(() => import('./import/import-page.tsx'), 'ImportPage') },
];
