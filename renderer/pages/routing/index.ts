// The routing pages (issue 5) for the page registry, with their nav icons.
export { AliasesPage } from './aliases-page.tsx';
export { DomainsPage } from './domains-page.tsx';
export { ForwardingPage } from './forwarding-page.tsx';
export { RewritingPage } from './rewriting-page.tsx';
export { RoutesPage } from './routes-page.tsx';
export { IconAliases, IconDomains, IconForward, IconRewrite, IconRoutes } from './icons.tsx';
export { VirtualPage } from './virtual-page.tsx';
