// The DKIM page's navigation icon, apart from the page so the menu does not load the page's chunk.
import { Icon } from '../../components/icons.tsx';

export const IconDkim = () => <Icon><circle cx="8" cy="12" r="4" /><path d="M12 12h9M18 12v3M21 12v2" /></Icon>;
