// The security pages (issue 6) for the page registry, with their nav icons.
export { AccessMapPage } from './access-page.tsx';
export { BlockListsPage } from './blocklists-page.tsx';
export { CertificatesPage } from './certificates-page.tsx';
export { PrivacyPage } from './privacy-page.tsx';
export { RelayingPage } from './relaying-page.tsx';
export { UsersPage } from './users-page.tsx';
export { IconAccess, IconBlock, IconCert, IconPrivacy, IconRelay, IconUsers } from './icons.tsx';
