// The application shell: header with the engine's state at a glance, navigation
// built from the page registry, and the current page. Unsaved form drafts live
// above this (state/drafts.ts), so switching pages never loses them; leaving the
// app with unsaved changes asks first.
import { AppShell, Badge, Burger, Group, NavLink, Text, Title, Tooltip } from '@mantine/core';
import { MODE_WORDS, modeLabel } from '../engine/api.ts';
import { useDisclosure } from '@mantine/hooks';
import { useEffect } from 'react';
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
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={3}>Mailstop</Title>
          </Group>
          <StatusBadges />
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
      <AppShell.Main>
        <Page />
      </AppShell.Main>
    </AppShell>
  );
}
