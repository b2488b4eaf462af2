// Smart host: where outgoing mail is relayed (Sendmail SMART_HOST + authinfo), with
// presets for the two usual submission setups and a step-by-step test of the
// settings as typed — before saving them.
import { Alert, Button, Card, Group, List, NumberInput, PasswordInput, Select, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import type { SmartHostTestStep } from '../../engine/api.ts';
import type { SmartHost } from '../../engine/api.ts';
import { SaveBar, useSettingsForm } from '../components/settings-form.tsx';
import { useLive } from '../state/context.tsx';
import { plainError } from '../lib/errors.ts';

interface SmartHostForm {
  enabled: boolean;
  host: string;
  port: number;
  tls: SmartHost['tls'];
  requireTls: boolean;
  user: string;
  pass: string;
}

const PRESETS: { label: string; port: number; tls: SmartHost['tls'] }[] = [
  { label: '587 STARTTLS', port: 587, tls: 'starttls' },
  { label: '465 implicit TLS', port: 465, tls: 'implicit' },
  { label: '25 plain', port: 25, tls: 'none' },
];

function fromSettings(s: SmartHost | null): SmartHostForm {
  return s
    ? { enabled: true, host: s.host, port: s.port, tls: s.tls, requireTls: s.requireTls, user: s.auth?.user ?? '', pass: s.auth?.pass ?? '' }
    : { enabled: false, host: '', port: 587, tls: 'starttls', requireTls: false, user: '', pass: '' };
}

function toSmartHost(f: SmartHostForm): SmartHost | null {
  if (!f.enabled) return null;
  return { host: f.host.trim(), port: f.port, tls: f.tls, requireTls: f.requireTls, ...(f.user ? { auth: { user: f.user, pass: f.pass } } : {}) };
}

function Steps({ steps }: { steps: SmartHostTestStep[] }) {
  return (
    <List spacing={4} size="sm" data-testid="test-steps">
      {steps.map((s, i) => (
        <List.Item key={i} icon={<Text span c={s.ok ? 'teal' : 'red'} fw={700} aria-label={s.ok ? 'passed' : 'failed'}>{s.ok ? '✓' : '✗'}</Text>}>
          <b>{s.step}</b>: {s.ok ? s.detail : plainError(s.detail)}
        </List.Item>
      ))}
    </List>
  );
}

export function SmartHostPage() {
  const { client } = useLive();
  const form = useSettingsForm<SmartHostForm>('smartHost', (s) => fromSettings(s.smartHost), (f) => ({ smartHost: toSmartHost(f) }));
  const [testTo, setTestTo] = useState('');
  const [testing, setTesting] = useState<'connect' | 'send' | null>(null);
  const [steps, setSteps] = useState<SmartHostTestStep[] | null>(null);
  const [testError, setTestError] = useState<string | null>(null);
  const f = form.value;
  if (!f) return <Text c="dimmed">Loading settings…</Text>;
  const set = (patch: Partial<SmartHostForm>): void => form.set((p) => ({ ...p, ...patch }));

  async function test(kind: 'connect' | 'send'): Promise<void> {
    setTesting(kind);
    setSteps(null);
    setTestError(null);
    try {
      setSteps(await client.testSmartHost(toSmartHost({ ...f!, enabled: true }), kind === 'send' ? { sendTo: testTo.trim() } : undefined));
    } catch (err) {
      setTestError(err instanceof Error ? err.message : String(err));
    } finally {
      setTesting(null);
    }
  }

  return (
    <Stack gap="md" maw={820}>
      <Title order={2}>Smart host</Title>
      <Card withBorder>
        <Switch label="Send all outgoing mail through a smart host" description="Otherwise each domain's MX is contacted directly"
          checked={f.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} data-testid="smarthost-enabled" />
        <Group mt="md" gap="xs">
          <Text size="sm" fw={500}>Presets:</Text>
          {PRESETS.map((p) => (
            <Button key={p.label} size="xs" variant={f.port === p.port && f.tls === p.tls ? 'filled' : 'default'} disabled={!f.enabled}
              onClick={() => set({ port: p.port, tls: p.tls })}>{p.label}</Button>
          ))}
        </Group>
        <Group grow mt="sm" align="flex-start">
          <TextInput label="Host" placeholder="smtp.provider.example" value={f.host} disabled={!f.enabled} withAsterisk
            onChange={(e) => set({ host: e.currentTarget.value })} error={form.error('smartHost.host') ?? (form.error('smartHost') && !f.host ? form.error('smartHost') : undefined)} />
          <NumberInput label="Port" min={1} max={65535} value={f.port} disabled={!f.enabled}
            onChange={(v) => set({ port: typeof v === 'number' ? v : Number.NaN })} error={form.error('smartHost.port')} />
          <Select label="Encryption" value={f.tls} disabled={!f.enabled} allowDeselect={false}
            onChange={(v) => v && set({ tls: v as SmartHost['tls'] })} error={form.error('smartHost.tls')}
            data={[{ value: 'starttls', label: 'STARTTLS' }, { value: 'implicit', label: 'Implicit TLS (SMTPS)' }, { value: 'none', label: 'None' }]} />
        </Group>
        <Switch mt="sm" label="Refuse to send without TLS" checked={f.requireTls} disabled={!f.enabled || f.tls === 'none'}
          onChange={(e) => set({ requireTls: e.currentTarget.checked })} />
        <Group grow mt="sm" align="flex-start">
          <TextInput label="User name" value={f.user} disabled={!f.enabled} autoComplete="off"
            onChange={(e) => set({ user: e.currentTarget.value })} error={form.error('smartHost.auth.user')} />
          <PasswordInput label="Password" value={f.pass} disabled={!f.enabled || !f.user} autoComplete="new-password"
            onChange={(e) => set({ pass: e.currentTarget.value })} error={form.error('smartHost.auth.pass')} />
        </Group>
        <Text size="xs" c="dimmed" mt="xs">Credentials are kept by the engine, never in this page's storage.</Text>
        <SaveBar form={form} />
      </Card>
      <Card withBorder>
        <Text fw={600}>Try it</Text>
        <Text size="sm" c="dimmed">Uses the settings above as typed, saved or not.</Text>
        <Group mt="sm" align="flex-end">
          <Button variant="light" onClick={() => void test('connect')} loading={testing === 'connect'} disabled={!f.enabled || !f.host || testing !== null}>
            Test connection
          </Button>
          <TextInput label="Send a test message to" placeholder="you@example.com" value={testTo} onChange={(e) => setTestTo(e.currentTarget.value)} w={260} />
          <Button variant="light" onClick={() => void test('send')} loading={testing === 'send'} disabled={!f.enabled || !f.host || !testTo.includes('@') || testing !== null}>
            Send test message
          </Button>
        </Group>
        {steps && <Card mt="sm" bg="gray.0"><Steps steps={steps} /></Card>}
        {testError && <Alert mt="sm" color="red" title="Test failed">{testError}</Alert>}
      </Card>
    </Stack>
  );
}
