// "Flush queue": sends everything now (even in hold mode — a person pressing it
// means it). One action in three places — the Overview's big button, the Queue
// page and the header on every page — all through live.flush, so each shows the
// same progress (flush:progress events) and the same result.
import { Alert, Button, Group, Progress, Stack, Text } from '@mantine/core';
import { useLive, useLiveState } from '../state/context.tsx';
import { IconSend } from './icons.tsx';

function useFlush() {
  const live = useLive();
  const { flush, status } = useLiveState();
  const running = flush.running || (status?.flushing ?? false);
  const pct = flush.total > 0 ? Math.round((flush.done / flush.total) * 100) : running ? 100 : 0;
  return { flush, running, pct, start: () => void live.flush({ force: true }) };
}

function Summary({ compact }: { compact?: boolean }) {
  const { flush, running } = useFlush();
  const s = flush.summary;
  if (running || !s) return null;
  const words = (
    <Group gap="md">
      <Text size="sm">{s.sent} sent</Text>
      <Text size="sm">{s.deferred} deferred</Text>
      <Text size="sm">{s.bounced} bounced</Text>
      <Text size="sm">{s.skipped} skipped</Text>
      {s.failed ? <Text size="sm" c="red">{s.failed} failed: queue file not updated (see the Queue page)</Text> : null}
      <Text size="sm" c="dimmed">in {(s.durationMs / 1000).toFixed(1)} s</Text>
    </Group>
  );
  return (
    <Alert color={s.failed ? 'red' : s.deferred > 0 || s.bounced > 0 ? 'yellow' : 'teal'} title={compact ? undefined : 'Flush finished'} py={compact ? 4 : undefined}
      data-testid="flush-summary">
      {compact ? <Group gap="xs"><Text size="sm" fw={600}>Flush finished:</Text>{words}</Group> : words}
    </Alert>
  );
}

/** Progress while a flush runs: bar + "Sending… n of m", announced politely to screen readers. */
function FlushProgress() {
  const { flush, running, pct } = useFlush();
  const s = flush.summary;
  return (
    <>
      {(running || s) && (
        <Progress value={pct} animated={running} size="lg" aria-label="Flush progress" data-testid="flush-progress"
          color={s && (s.deferred > 0 || s.bounced > 0) ? 'yellow' : 'teal'} />
      )}
      <Text size="sm" c="dimmed" aria-live="polite" data-testid="flush-status">{running ? `Sending… ${flush.done} of ${flush.total}` : ''}</Text>
    </>
  );
}

export function FlushButton({ compact = false }: { compact?: boolean }) {
  const { flush, running, start } = useFlush();
  if (compact) {
    return (
      <Stack gap={4} data-testid="queue-flush">
        <Group gap="xs">
          <Button size="sm" leftSection={<IconSend />} loading={running} onClick={start} disabled={running} data-testid="flush-button">
            Flush queue
          </Button>
          <Text size="xs" c="dimmed">Tries every message now, also in hold mode, except those you held.</Text>
        </Group>
        {running && <FlushProgress />}
        <Summary compact />
        {flush.error && <Alert color="red" py={4}>Flush failed: {flush.error}</Alert>}
      </Stack>
    );
  }
  return (
    <Stack gap="xs">
      <Button size="xl" leftSection={<IconSend />} loading={running} onClick={start} disabled={running} data-testid="flush-button">
        Flush queue
      </Button>
      <Text size="sm" c="dimmed">Tries every queued message now — also in hold mode — except those you held yourself.</Text>
      <FlushProgress />
      <Summary />
      {flush.error && <Alert color="red" title="Flush failed">{flush.error}</Alert>}
    </Stack>
  );
}

/** The header's one-click flush: a small button that shows "n / m" while it runs. */
export function HeaderFlush() {
  const { flush, running, start } = useFlush();
  return (
    <Button size="xs" variant="filled" leftSection={<IconSend />} onClick={start} disabled={running} data-testid="header-flush"
      aria-label={running ? `Flushing: ${flush.done} of ${flush.total} sent` : 'Flush queue'}>
      {running ? `Flushing ${flush.done}/${flush.total}` : 'Flush'}
    </Button>
  );
}
