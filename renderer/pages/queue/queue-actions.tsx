// What a person can do to the selected messages: hold, release, retry now, bounce,
// delete. Bounce and delete cannot be undone, so they ask first.
import { Alert, Button, Group, Modal, Text } from '@mantine/core';
import { useState } from 'react';
import type { ActionResult, FlushSummary } from '../../../engine/api.ts';
import { useLive } from '../../state/context.tsx';

type Action = 'hold' | 'release' | 'retry' | 'bounce' | 'delete';

const CONFIRM: Partial<Record<Action, { title: string; text: string; button: string }>> = {
  bounce: { title: 'Return to sender?', text: 'Each sender gets a delivery-failure notice and the messages leave the queue.', button: 'Bounce' },
  delete: { title: 'Delete without notice?', text: 'The messages are removed from the queue and nobody is told. This cannot be undone.', button: 'Delete' },
};

export function QueueActions({ ids, onDone }: { ids: string[]; onDone(): void }) {
  const { client } = useLive();
  const [asking, setAsking] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ color: string; text: string } | null>(null);

  async function run(action: Action): Promise<void> {
    setAsking(null);
    setBusy(true);
    setResult(null);
    const selector = { ids };
    try {
      let text: string;
      if (action === 'retry') {
        // "Retry now" is a flush of just these, past any hold mode: the person asked for it.
        const s: FlushSummary = await client.flush({ ids, force: true });
        text = `Retried ${s.attempted}: ${s.sent} sent, ${s.deferred} deferred, ${s.bounced} bounced.`;
      } else {
        const call = { hold: client.hold, release: client.release, bounce: client.bounceNow, delete: client.remove }[action];
        const r: ActionResult = await call(selector);
        text = `${r.changed.length} ${action === 'bounce' ? 'bounced' : action === 'delete' ? 'deleted' : action === 'hold' ? 'held' : 'released'}` +
          (r.missing.length ? `; ${r.missing.length} were already gone.` : '.');
      }
      setResult({ color: 'teal', text });
      onDone();
    } catch (err) {
      setResult({ color: 'red', text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  }

  const ask = (a: Action): void => (CONFIRM[a] ? setAsking(a) : void run(a));
  const none = ids.length === 0;
  const confirm = asking ? CONFIRM[asking] : undefined;
  return (
    <>
      <Group gap="xs">
        <Text size="sm" c="dimmed" w={90}>{ids.length} selected</Text>
        <Button size="xs" variant="default" disabled={none || busy} onClick={() => ask('hold')}>Hold</Button>
        <Button size="xs" variant="default" disabled={none || busy} onClick={() => ask('release')}>Release</Button>
        <Button size="xs" variant="default" disabled={none || busy} onClick={() => ask('retry')}>Retry now</Button>
        <Button size="xs" variant="light" color="orange" disabled={none || busy} onClick={() => ask('bounce')}>Bounce…</Button>
        <Button size="xs" variant="light" color="red" disabled={none || busy} onClick={() => ask('delete')}>Delete…</Button>
      </Group>
      {result && <Alert color={result.color} mt="xs" withCloseButton onClose={() => setResult(null)} data-testid="action-result">{result.text}</Alert>}
      <Modal opened={confirm !== undefined} onClose={() => setAsking(null)} title={confirm?.title}>
        <Text size="sm">{confirm?.text}</Text>
        <Text size="sm" mt="xs" fw={600}>{ids.length} message{ids.length === 1 ? '' : 's'}.</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setAsking(null)}>Cancel</Button>
          <Button color="red" onClick={() => asking && void run(asking)} data-autofocus>{confirm?.button}</Button>
        </Group>
      </Modal>
    </>
  );
}
