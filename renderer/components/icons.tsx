// A handful of line icons drawn inline (24×24, stroke = currentColor), so the UI
// needs no icon font or extra package. Decorative: hidden from screen readers.
import type { ReactNode } from 'react';

/** The frame every line icon shares; pages draw their own icons inside it. */
export function Icon({ children, size = 18 }: { children: ReactNode; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2}
      strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const IconGauge = () => <Icon><path d="M12 13l3-3" /><path d="M4 17a9 9 0 1 1 16 0" /><circle cx="12" cy="13" r="1" /></Icon>;
export const IconInbox = () => <Icon><path d="M4 13h4l1 3h6l1-3h4" /><path d="M4 13l2-8h12l2 8v6H4z" /></Icon>;
export const IconClock = () => <Icon><circle cx="12" cy="12" r="9" /><path d="M12 7v5l3 3" /></Icon>;
export const IconServer = () => <Icon><rect x="3" y="4" width="18" height="7" rx="2" /><rect x="3" y="13" width="18" height="7" rx="2" /><path d="M7 8h.01M7 17h.01" /></Icon>;
export const IconList = () => <Icon><path d="M9 6h11M9 12h11M9 18h11M5 6h.01M5 12h.01M5 18h.01" /></Icon>;
export const IconSend = () => <Icon><path d="M10 14L21 3" /><path d="M21 3l-6.5 18a.55.55 0 0 1-1 0L10 14l-7-3.5a.55.55 0 0 1 0-1z" /></Icon>;
