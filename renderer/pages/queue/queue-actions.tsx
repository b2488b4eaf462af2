// What a person can do to the selected messages: hold, release, retry, bounce,
// delete. Bounce and delete cannot be undone, so they ask first: the dialog names
// how many messages and starts on Cancel, so Enter backs out instead of deleting.
import { Alert, Button, Group, Modal, Text } from '@mantine/core';
import { useState } from 'react';
import type { ActionResult, FlushSummary } from '../../../engine/api.ts';
import { useLive } from '../../state/context.tsx';

type Action = 'hold' | 'release' | 'retry' | 'bounce' | 'delete';

const CONFIRM: Partial<Record<Action, { title(n: string): string; text: string; button(n: string): string }>> = {
  bounce: { title: (n) => `Return ${n} to sender?`, text: 'Each sender gets a delivery-failure notice and the messages leave the queue.', button: (n) => `Bounce ${n}` },
  delete: { title: (n) => `Delete ${n} without notice?`, text: 'The messages are removed from the queue and nobody is told. This cannot be undone.', button: (n) => `Delete ${n}` },
};

const messages = (n: number): string => `${n} message${n === 1 ? '' : 's'}`;

export function QueueActions({ ids, allMatching = false, onDone }: { ids: string[]; allMatching?: boolean; onDone(): void }) {
  const live = useLive();
  const { client } = live;
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
        // "Retry selected" is a flush of just these, past any hold mode: the person asked
        // for it. Through the live store, so its progress shows where every flush does.
        const s: FlushSummary | null = await live.flush({ ids, force: true });
        if (!s) throw new Error(live.store.get().flush.error ?? 'the retry failed');
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
        <Text size="sm" c="dimmed" miw={90} data-testid="selected-count">{ids.length} selected{allMatching && ids.length > 0 ? ' (all matching)' : ''}</Text>
        <Button size="xs" variant="default" disabled={none || busy} onClick={() => ask('hold')}>Hold</Button>
        <Button size="xs" variant="default" disabled={none || busy} onClick={() => ask('release')}>Release</Button>
        <Button size="xs" variant="default" disabled={none || busy} onClick={() => ask('retry')}>Retry selected</Button>
        <Button size="xs" variant="light" color="orange" disabled={none || busy} onClick={() => ask('bounce')}>Bounce…</Button>
        <Button size="xs" variant="light" color="red" disabled={none || busy} onClick={() => ask('delete')}>Delete…</Button>
      </Group>
      {result && <Alert color={result.color} mt="xs" withCloseButton onClose={() => setResult(null)} data-testid="action-result">{result.text}</Alert>}
      <Modal opened={confirm !== undefined} onClose={() => setAsking(null)} title={confirm?.title(messages(ids.length))}>
        <Text size="sm">{confirm?.text}</Text>
        <Text size="sm" mt="xs" fw={600} data-testid="confirm-count">{messages(ids.length)}.</Text>
        <Group justify="flex-end" mt="md">
          {/* Cancel has the focus: Enter must never be the way a deletion happens. */}
          <Button variant="default" onClick={() => setAsking(null)} data-autofocus>Cancel</Button>
          <Button color="red" onClick={() => asking && void run(asking)}>{confirm?.button(messages(ids.length))}</Button>
        </Group>
      </Modal>
    </>
  );
}
