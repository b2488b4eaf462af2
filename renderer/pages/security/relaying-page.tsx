// Relaying: who may send mail anywhere (Sendmail relay-domains / Postfix
// mynetworks) and a "would this client relay to this address?" tester that asks
// the engine's real policy.
import { Alert, Button, Card, Group, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { RelayTestResult } from '../../../engine/api.ts';
import { SaveBar, useSettingsForm } from '../../components/settings-form.tsx';
import { useLive } from '../../state/context.tsx';
import { ListEditor } from '../routing/page-shell.tsx';
import { SecurityPage, Verdict } from './shared.tsx';
import { useAction } from '../../components/use-action.ts';

function RelayTester() {
  const { client } = useLive();
  const [ip, setIp] = useState('');
  const [user, setUser] = useState('');
  const [rcpt, setRcpt] = useState('');
  const [result, setResult] = useState<RelayTestResult | null>(null);
  const { busy, error, act } = useAction();
  function run(): Promise<void> {
    setResult(null);
    return act(async () => setResult(await client.testRelay({ client: ip.trim(), recipient: rcpt.trim(), ...(user.trim() ? { user: user.trim() } : {}) })));
  }
  return (
    <Card withBorder>
      <Text fw={600}>Would it relay?</Text>
      <Text size="sm" c="dimmed">Asks the running policy with the saved settings, as if this client sent RCPT TO.</Text>
      <Group mt="sm" align="flex-end">
        <TextInput label="Client IP" placeholder="203.0.113.9" value={ip} onChange={(e) => setIp(e.currentTarget.value)} w={180} data-testid="relay-ip" />
        <TextInput label="Logged in as (optional)" value={user} onChange={(e) => setUser(e.currentTarget.value)} w={170} />
        <TextInput label="Recipient" placeholder="someone@elsewhere.example" value={rcpt} onChange={(e) => setRcpt(e.currentTarget.value)} style={{ flex: 1 }} data-testid="relay-rcpt" />
        <Button onClick={() => void run()} loading={busy} disabled={!ip.trim() || !rcpt.trim()} data-testid="relay-test">Test</Button>
      </Group>
      {result && (
        <Card mt="sm" bg="gray.0">
          <Verdict testId="relay-result" ok={!result.relayed || !!user.trim()}
            label={result.relayed ? 'RELAYED' : result.accepted ? 'ACCEPTED (local)' : 'REFUSED'} detail={result.reply} />
          <Text size="xs" c="dimmed" mt={4}>decided at {result.stage.toUpperCase()}</Text>
        </Card>
      )}
      {error && <Alert mt="sm" color="red">{error}</Alert>}
    </Card>
  );
}

export function RelayingPage() {
  const form = useSettingsForm<string[]>('security.relay', (s) => s.domains.relay, (relay) => ({ domains: { relay } }));
  if (!form.value) return <Text c="dimmed">Loading settings…</Text>;
  return (
    <SecurityPage title="Relaying" sendmail={<>Sendmail's <code>relay-domains</code>: networks (CIDR or IP) whose clients may send mail anywhere, and domains we relay for: mail <em>to</em> such a domain or its subdomains is accepted from anyone and passed on (backup MX, gateway), and clients named in it may relay. The local machine and logged-in users always may; mail to your own domains is accepted from everyone.</>}>
      <Card withBorder>
        <Text fw={600}>Relay networks and domains</Text>
        <Text size="sm" c="dimmed" mb="sm">192.168.0.0/24, 10.0.0.5, 2001:db8::/32, or a domain we relay mail to (and its subdomains). Access-map <code>Connect:… RELAY</code> rules add more.</Text>
        <ListEditor itemLabel="Relay entry" values={form.value} onChange={(v) => form.set(() => v)}
          errorFor={(i) => form.error(`domains.relay[${i}]`)} placeholder="192.168.0.0/24" addLabel="Add network or domain" />
        <SaveBar form={form} />
      </Card>
      <RelayTester />
    </SecurityPage>
  );
}
