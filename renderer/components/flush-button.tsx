// The big "Flush queue" button: sends everything now (even in hold mode — a person
// pressing it means it), shows progress from flush:progress events and the result.
import { Alert, Button, Group, Progress, Stack, Text } from '@mantine/core';
import { useLive, useLiveState } from '../state/context.tsx';
import { IconSend } from './icons.tsx';

export function FlushButton() {
  const live = useLive();
  const { flush, status } = useLiveState();
  const running = flush.running || (status?.flushing ?? false);
  const pct = flush.total > 0 ? Math.round((flush.done / flush.total) * 100) : running ? 100 : 0;
  const s = flush.summary;
  return (
    <Stack gap="xs">
      <Button size="xl" leftSection={<IconSend />} loading={running} onClick={() => void live.flush({ force: true })}
        disabled={running} data-testid="flush-button">
        Flush queue
      </Button>
      <Text size="sm" c="dimmed">Tries every queued message now — also in hold mode — except those you held yourself.</Text>
      {(running || s) && (
        <Progress value={pct} animated={running} size="lg" aria-label="Flush progress" data-testid="flush-progress"
          color={s && (s.deferred > 0 || s.bounced > 0) ? 'yellow' : 'teal'} />
      )}
      {running && <Text size="sm" c="dimmed">Sending… {flush.done} of {flush.total}</Text>}
      {!running && s && (
        <Alert color={s.failed ? 'red' : s.deferred > 0 || s.bounced > 0 ? 'yellow' : 'teal'} title="Flush finished" data-testid="flush-summary">
          <Group gap="md">
            <Text size="sm">{s.sent} sent</Text>
            <Text size="sm">{s.deferred} deferred</Text>
            <Text size="sm">{s.bounced} bounced</Text>
            <Text size="sm">{s.skipped} skipped</Text>
            {s.failed ? <Text size="sm" c="red">{s.failed} failed: queue file not updated (see the Queue page)</Text> : null}
            <Text size="sm" c="dimmed">in {(s.durationMs / 1000).toFixed(1)} s</Text>
          </Group>
        </Alert>
      )}
      {flush.error && <Alert color="red" title="Flush failed">{flush.error}</Alert>}
    </Stack>
  );
}
