// The address tester (sendmail -bv / -bt) as a UI tool: ask the engine how one
// address resolves and show every step of the trace — alias → forward → route →
// transport — and the final verdicts. Used in a drawer one click away on every
// routing page. Asks the engine only (EngineApi.testAddress); resolves nothing itself.
import { Alert, Badge, Button, Drawer, Group, List, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Resolution, ResolveStep } from '../../../engine/contracts.ts';
import { useLive } from '../../state/context.tsx';
import { useAction } from '../../components/use-action.ts';

const STAGE_COLOR: Record<ResolveStep['stage'], string> = {
  input: 'gray', rewrite: 'grape', local: 'blue', virtual: 'pink', alias: 'cyan', forward: 'teal',
  luser: 'orange', route: 'indigo', smarthost: 'violet', mx: 'gray', verdict: 'dark',
};

function StepLine({ step }: { step: ResolveStep }) {
  const bounce = step.stage === 'verdict' && step.detail.startsWith('bounce');
  const color = step.stage === 'verdict' ? (bounce ? 'red' : 'teal') : STAGE_COLOR[step.stage];
  return (
    <List.Item>
      <Text size="sm" ff="monospace" data-stage={step.stage}>
        <Text span fw={700} c={color} ff="monospace">{step.stage}:</Text> {step.detail}
      </Text>
    </List.Item>
  );
}

function Verdict({ r }: { r: Resolution }) {
  const sent = r.destinations.length;
  const bounced = r.failures.length;
  return (
    <Group gap="xs" data-testid="tester-verdict">
      {sent > 0 && <Badge color="teal" variant="light">{sent} destination{sent === 1 ? '' : 's'}</Badge>}
      {bounced > 0 && <Badge color="red" variant="light">{bounced} bounce{bounced === 1 ? '' : 's'}</Badge>}
    </Group>
  );
}

export function AddressTester({ initial = '' }: { initial?: string }) {
  const { client } = useLive();
  const [address, setAddress] = useState(initial);
  const { busy, error, act } = useAction();
  const [result, setResult] = useState<{ address: string; r: Resolution } | null>(null);

  async function test(e?: FormEvent): Promise<void> {
    e?.preventDefault();
    const a = address.trim();
    if (a === '') return;
    await act(async () => setResult({ address: a, r: await client.testAddress(a) }), () => setResult(null));
  }

  return (
    <Stack gap="sm">
      <form onSubmit={(e) => void test(e)}>
        <Group align="flex-end" gap="xs">
          <TextInput label="Address to test" placeholder="alice@example.com" value={address} data-autofocus
            onChange={(e) => setAddress(e.currentTarget.value)} style={{ flex: 1 }} />
          <Button type="submit" loading={busy} disabled={address.trim() === ''}>Test</Button>
        </Group>
      </form>
      <Text size="xs" c="dimmed">Uses the saved settings, like <code>mailstop sendmail -bv</code>. Nothing is sent.</Text>
      {error && <Alert color="red" title="The engine could not answer">{error}</Alert>}
      {result && (
        <Stack gap={6} data-testid="tester-result">
          <Group justify="space-between">
            <Text fw={600} size="sm">{result.address}</Text>
            <Verdict r={result.r} />
          </Group>
          <List spacing={4} listStyleType="none" data-testid="trace" aria-label={`Resolution of ${result.address}`}>
            {result.r.trace.map((s, i) => <StepLine key={i} step={s} />)}
          </List>
        </Stack>
      )}
    </Stack>
  );
}

/** "Test an address" next to a page's title; the tester opens in a drawer. */
export function TesterButton({ suggest }: { suggest?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="light" onClick={() => setOpen(true)} data-testid="open-tester">Test an address</Button>
      <Drawer opened={open} onClose={() => setOpen(false)} position="right" size="lg" title={<Text fw={700}>Address tester</Text>}>
        {/* Mounted only while open, so each opening starts from the page's suggestion. */}
        {open && <AddressTester initial={suggest ?? ''} />}
      </Drawer>
    </>
  );
}
