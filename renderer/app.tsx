// The application shell: header with the engine's state at a glance, navigation
// built from the page registry, and the current page. Unsaved form drafts live
// above this (state/drafts.ts), so switching pages never loses them; leaving the
// app with unsaved changes asks first. Pages load as their own chunks (Suspense);
// a skip link leads past the navigation, and after a page change the focus moves
// to the new page's heading, so a keyboard or screen-reader user lands on it.
import { AppShell, Badge, Burger, Group, Loader, NavLink, Text, Title, Tooltip } from '@mantine/core';
import { MODE_WORDS, modeLabel } from '../engine/api.ts';
import { useDisclosure } from '@mantine/hooks';
import { Suspense, useEffect } from 'react';
import { HeaderFlush } from './components/flush-button.tsx';
import { pages } from './pages/index.ts';
import { useRoute } from './router.ts';
import { anyDirty, dirtyKeys, useAllDrafts } from './state/drafts.ts';
import { useLiveState } from './state/context.tsx';

function useLeaveWarning(): void {
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent): void => {
      if (!anyDirty()) return;
      e.preventDefault();
      // Older browsers need returnValue set to show the prompt.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, []);
}

// Online state, mode and count: all from the engine's one snapshot (status, then
// its queue:counts events), so the header says what the cards and the tray say.
function StatusBadges() {
  const { status, connected } = useLiveState();
  return (
    <Group gap="xs">
      {!connected && <Badge color="orange" variant="light">reconnecting…</Badge>}
      {status && (
        <Tooltip label={status.online.reason} withArrow>
          <Badge color={status.online.online ? 'teal' : 'gray'} variant="filled" data-testid="online-badge" tabIndex={0}>
            {status.online.online ? 'online' : 'offline'}
          </Badge>
        </Tooltip>
      )}
      {status && (
        <Tooltip label={modeLabel(status.mode)} withArrow>
          <Badge variant="outline" data-testid="mode-badge" tabIndex={0}>{MODE_WORDS[status.mode]?.short ?? status.mode}</Badge>
        </Tooltip>
      )}
      {status && <Badge variant="light" data-testid="queue-count">{status.counts.total} queued</Badge>}
    </Group>
  );
}

/** The page's own heading (h2 in main), made focusable without entering the tab order. */
function focusHeading(): boolean {
  const h = document.querySelector<HTMLElement>('main h2');
  if (!h) return false;
  h.tabIndex = -1;
  h.focus();
  return true;
}

/** The first page of a visit keeps the browser's own start (the skip link comes first). */
let firstPage = true;

/**
 * Rendered after the page inside its Suspense boundary, so its effect runs once the
 * page's chunk has loaded and the page is in the DOM; a page that draws its heading
 * only after its data arrives is waited for.
 */
function FocusHeading() {
  useEffect(() => {
    if (firstPage) {
      firstPage = false;
      return;
    }
    if (focusHeading()) return;
    const main = document.querySelector('main');
    if (!main) return;
    const seen = new MutationObserver(() => { if (focusHeading()) seen.disconnect(); });
    seen.observe(main, { childList: true, subtree: true });
    const giveUp = setTimeout(() => seen.disconnect(), 10_000);
    return () => { seen.disconnect(); clearTimeout(giveUp); };
  }, []);
  return null;
}

function SkipLink() {
  return (
    <a className="skip-link" href="#main-content" onClick={(e) => {
      // Hash routing owns the URL's fragment: move the focus without navigating.
      e.preventDefault();
      if (!focusHeading()) document.getElementById('main-content')?.focus();
    }}>Skip to content</a>
  );
}

export function App() {
  const route = useRoute();
  const [opened, { toggle }] = useDisclosure();
  const drafts = useAllDrafts();
  const dirty = new Set(dirtyKeys(drafts));
  useLeaveWarning();
  const page = pages.find((p) => p.path === route) ?? pages[0];
  const Page = page.component;

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 210, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <SkipLink />
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={3}>Mailstop</Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <StatusBadges />
            <HeaderFlush />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Pages">
        {pages.map((p) => {
          const Icon = p.icon;
          const unsaved = p.drafts?.some((k) => dirty.has(k));
          return (
            <NavLink key={p.path} href={`#${p.path}`} label={p.label} active={p.path === page.path}
              leftSection={Icon ? <Icon /> : undefined}
              rightSection={unsaved ? <Text c="orange" size="xs" aria-label="unsaved changes">unsaved</Text> : undefined}
              aria-current={p.path === page.path ? 'page' : undefined} />
          );
        })}
      </AppShell.Navbar>
      <AppShell.Main id="main-content" tabIndex={-1}>
        <Suspense fallback={<Loader size="sm" aria-label="Loading the page" />}>
          <Page />
          <FocusHeading key={page.path} />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
