// Nav icons of the security pages (issue 6): inline line drawings like components/icons.tsx.
import { Icon } from '../../components/icons.tsx';

export const IconRelay = () => <Icon><path d="M4 12h12" /><path d="M12 8l4 4-4 4" /><path d="M20 5v14" /></Icon>;
export const IconAccess = () => <Icon><rect x="4" y="4" width="16" height="16" rx="2" /><path d="M4 10h16M10 10v10" /></Icon>;
export const IconBlock = () => <Icon><circle cx="12" cy="12" r="9" /><path d="M6 6l12 12" /></Icon>;
export const IconPrivacy = () => <Icon><path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z" /></Icon>;
export const IconUsers = () => <Icon><circle cx="9" cy="8" r="3" /><path d="M3 20c0-3.3 2.7-6 6-6s6 2.7 6 6" /><path d="M16 11a3 3 0 1 0 0-6M21 20c0-2.8-1.9-5.2-4.5-5.8" /></Icon>;
export const IconCert = () => <Icon><rect x="3" y="4" width="18" height="12" rx="2" /><circle cx="12" cy="17" r="3" /><path d="M10.5 19.5L10 22l2-1 2 1-.5-2.5" /></Icon>;
