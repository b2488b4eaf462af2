// Nav icons for the routing pages, drawn like components/icons.tsx (24×24,
// stroke = currentColor, decorative). Kept here so the routing pages own them.
import { Icon } from '../../components/icons.tsx';

export const IconDomains = () => <Icon><circle cx="12" cy="12" r="9" /><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18" /></Icon>;
export const IconAliases = () => <Icon><circle cx="8" cy="8" r="3" /><path d="M3 20a5 5 0 0 1 10 0" /><path d="M15 8h6M15 12h6M17 16h4" /></Icon>;
export const IconForward = () => <Icon><path d="M14 5l7 7-7 7" /><path d="M21 12H9a6 6 0 0 0-6 6v1" /></Icon>;
export const IconRoutes = () => <Icon><circle cx="6" cy="18" r="2" /><circle cx="18" cy="6" r="2" /><path d="M8 18h6a4 4 0 0 0 0-8h-4a4 4 0 0 1 0-8h6" /></Icon>;
export const IconRewrite = () => <Icon><path d="M4 20h4L19 9l-4-4L4 16z" /><path d="M13 7l4 4" /></Icon>;
