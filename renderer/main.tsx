// Entry point: picks the API client (IPC in the desktop app, HTTP in the console),
// starts the live engine picture, and mounts the app inside Mantine.
import '@mantine/core/styles.css';
import './app.css';
import { MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { pickClient } from './api/client.ts';
import { App } from './app.tsx';
import { contrastVariables } from './lib/contrast.ts';
import { LiveProvider } from './state/context.tsx';
import { createLive } from './state/live.ts';

// The console's CSP allows inline <style> only with this per-page nonce.
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';
// Modal / Drawer scroll locking (react-remove-scroll via get-nonce) reads the
// nonce from this conventional global.
(globalThis as { __webpack_nonce__?: string }).__webpack_nonce__ = nonce || undefined;
// Text and badge colours that reach WCAG AA 4.5:1 (lib/contrast.ts): "dimmed" is
// gray-7, coloured text and filled backgrounds are darker than Mantine's defaults.
const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'md', primaryShade: { light: 7, dark: 8 } });
const resolver: CSSVariablesResolver = () => ({ variables: {}, light: contrastVariables(), dark: {} });
const live = createLive(pickClient());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={resolver} getStyleNonce={() => nonce}>
      <LiveProvider live={live}>
        <App />
      </LiveProvider>
    </MantineProvider>
  </StrictMode>,
);
