// DKIM & checks (issue 15): per sending domain its keys, the TXT record to
// publish for each (zone-file form), signing on/off, removing a retired
// selector, *Check DNS* (DKIM / SPF / DMARC as the world sees them), a form to
// make a key, and the inbound checks' settings (`auth`). Every action is one
// EngineApi call; the words come from the engine.
import { Alert, Badge, Button, Card, Checkbox, Code, Group, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { DkimDomainInfo, ReadinessItem, Settings } from '../../../engine/api.ts';
import { Icon } from '../../components/icons.tsx';
import { SaveBar, useSettingsForm } from '../../components/settings-form.tsx';
import { useLive, useLiveState } from '../../state/context.tsx';
import { errorText, SecurityPage } from '../security/shared.tsx';
import { ReadinessList } from './readiness-list.tsx';
import { useAction } from '../../components/use-action.ts';

function DomainCard({ d, onChange }: { d: DkimDomainInfo; onChange: () => void }) {
  const { client } = useLive();
  const [check, setCheck] = useState<ReadinessItem[] | null>(null);
  const { busy, error, act } = useAction();
  return (
    <Card withBorder data-testid={`dkim-domain-${d.domain}`}>
      <Group justify="space-between">
        <Text fw={600}>{d.domain}</Text>
        <Group gap="sm">
          <Switch label="Sign outgoing mail" checked={d.sign} disabled={busy}
            onChange={(e) => { const sign = e.currentTarget.checked; void act(async () => { await client.dkimSetSigning(d.domain, sign); onChange(); }); }} />
          <Button size="xs" variant="default" loading={busy} data-testid="dkim-check"
            onClick={() => void act(async () => setCheck(await client.dkimCheck(d.domain)))}>Check DNS</Button>
        </Group>
      </Group>
      <Table mt="xs" verticalSpacing={6}>
        <Table.Tbody>
          {d.keys.map((k) => (
            <Table.Tr key={k.selector}>
              <Table.Td w={180} valign="top">
                <Text size="sm" ff="monospace">{k.selector}</Text>
                <Group gap={4} mt={2}>
                  <Badge variant="light" color="gray">{k.type}</Badge>
                  <Badge variant="light" color={k.signing ? 'teal' : 'orange'}>{k.signing ? 'signs' : 'retired'}</Badge>
                </Group>
              </Table.Td>
              <Table.Td>
                {k.zone
                  ? <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid="dkim-record">{k.zone}</Code>
                  : <Alert color="red" p="xs">{k.error}</Alert>}
                {!k.signing && <Text size="xs" c="dimmed" mt={4}>Keep this record published until mail signed with it has been read, then remove it here and from the zone.</Text>}
              </Table.Td>
              <Table.Td w={90} valign="top">
                {!k.signing && <Button size="xs" variant="subtle" color="red" disabled={busy}
                  onClick={() => void act(async () => { await client.dkimRemove(d.domain, k.selector); onChange(); })}>Remove</Button>}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {error && <Alert mt="sm" color="red">{error}</Alert>}
      {check && <Stack mt="sm"><ReadinessList items={check} testId="dkim-readiness" /></Stack>}
    </Card>
  );
}

function NewKey({ suggest, onMade }: { suggest: string; onMade: () => void }) {
  const { client } = useLive();
  const [domain, setDomain] = useState('');
  const [selector, setSelector] = useState('');
  const [type, setType] = useState<'rsa' | 'ed25519' | 'both'>('rsa');
  const [force, setForce] = useState(false);
  const { busy, error, act } = useAction();
  const make = () => act(async () => {
    await client.dkimKeygen(domain.trim() || suggest, { type, force, ...(selector.trim() ? { selector: selector.trim() } : {}) });
    setSelector('');
    onMade();
  });
  return (
    <Card withBorder>
      <Text fw={600}>New key</Text>
      <Text size="sm" c="dimmed">Makes the key, switches signing on for the domain and shows the record to publish. A new key of the same type retires the old one (still listed, so its record stays published until you remove it).</Text>
      <Group mt="sm" align="flex-end">
        <TextInput label="Domain" placeholder={suggest} value={domain} onChange={(e) => setDomain(e.currentTarget.value)} w={220} data-testid="dkim-new-domain" />
        <TextInput label="Selector" placeholder="s202612 (automatic)" value={selector} onChange={(e) => setSelector(e.currentTarget.value)} w={200} />
        <Select label="Type" w={200} allowDeselect={false} value={type} onChange={(v) => v && setType(v as typeof type)}
          data={[{ value: 'rsa', label: 'RSA 2048' }, { value: 'ed25519', label: 'Ed25519 (RFC 8463)' }, { value: 'both', label: 'Both' }]} />
        <Button onClick={() => void make()} loading={busy} data-testid="dkim-keygen">Generate key</Button>
      </Group>
      <Checkbox mt="sm" label="Allow a domain we do not send for" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />
      {error && <Alert mt="sm" color="red" data-testid="dkim-error">{error}</Alert>}
    </Card>
  );
}

function InboundChecks() {
  const form = useSettingsForm<Settings['auth']>('dkim.auth', (s) => s.auth, (auth) => ({ auth }));
  const a = form.value;
  if (!a) return null;
  return (
    <Card withBorder>
      <Text fw={600}>Checking what arrives</Text>
      <Text size="sm" c="dimmed">Mail from strangers on the SMTP port gets an Authentication-Results: header (SPF, DKIM, DMARC, ARC). Authenticated and relay clients are signed, not checked.</Text>
      <Stack gap="xs" mt="sm">
        <Switch label="Add Authentication-Results" checked={a.verify} onChange={(e) => { const verify = e.currentTarget.checked; form.set((p) => ({ ...p, verify })); }} />
        <Switch label="Act on the sender's DMARC policy (p=reject → 550 5.7.1)" checked={a.enforceDmarc}
          onChange={(e) => { const enforceDmarc = e.currentTarget.checked; form.set((p) => ({ ...p, enforceDmarc })); }} />
        <Select label="DMARC p=quarantine failures" w={320} allowDeselect={false} value={a.quarantine} disabled={!a.enforceDmarc}
          onChange={(v) => v && form.set((p) => ({ ...p, quarantine: v as typeof a.quarantine }))}
          data={[{ value: 'hold', label: 'Hold in the queue' }, { value: 'tag', label: 'Deliver with X-Quarantine: header' }]} />
      </Stack>
      <SaveBar form={form} />
    </Card>
  );
}

export function DkimPage() {
  const { client } = useLive();
  const { settings } = useLiveState();
  const [domains, setDomains] = useState<DkimDomainInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => { client.dkimShow().then(setDomains, (err: unknown) => setError(errorText(err))); };
  useEffect(load, [settings]); // eslint-disable-line react-hooks/exhaustive-deps
  const suggest = settings?.domains.local[0] ?? settings?.hostname ?? 'example.com';
  return (
    <SecurityPage title="DKIM & checks" sendmail={<>What OpenDKIM does for Sendmail and Postfix, built in: mail leaving for a smart host or an MX is signed with each domain's key (relaxed/relaxed, after sender rewriting); <b>Check DNS</b> says whether the DKIM, SPF and DMARC records are right.</>}>
      {error && <Alert color="red">{error}</Alert>}
      {domains?.length === 0 && <Text c="dimmed">No DKIM keys yet: make one below.</Text>}
      {domains?.map((d) => <DomainCard key={d.domain} d={d} onChange={load} />)}
      <NewKey suggest={suggest} onMade={load} />
      <InboundChecks />
    </SecurityPage>
  );
}

