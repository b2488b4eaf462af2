// Rewriting: how our senders' addresses leave — genericstable (login → full
// address), MASQUERADE_AS, masquerade_entire_domain, masquerade_envelope and
// always_add_domain — with a live preview of one sample address computed by the
// engine's own rewriter (EngineApi.previewRewrite), saved settings vs. this draft.
import { ActionIcon, Button, Card, Group, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import type { Settings } from '../../../engine/api.ts';
import { useLiveState } from '../../state/context.tsx';
import { RemoveIcon, RoutingPage } from './page-shell.tsx';
import { RewritePreview } from './rewrite-preview.tsx';
import { RoutingSaveBar, useRoutingForm } from './routing-form.tsx';

type Rewrite = Settings['rewrite'];
export interface RewriteForm extends Omit<Rewrite, 'generics'> { generics: { login: string; address: string }[] }

function fromSettings(r: Rewrite): RewriteForm {
  return { ...r, generics: Object.entries(r.generics).map(([login, address]) => ({ login, address })) };
}

export function toRewrite(f: RewriteForm): Rewrite {
  const generics: Record<string, string> = {};
  for (const g of f.generics) if (g.login.trim() !== '' && !(g.login.trim() in generics)) generics[g.login.trim()] = g.address.trim();
  return { ...f, masqueradeAs: f.masqueradeAs.trim(), generics };
}

function describe(f: RewriteForm): string[] {
  const r = toRewrite(f);
  const on = (b: boolean): string => (b ? 'on' : 'off');
  return [
    `MASQUERADE_AS: ${r.masqueradeAs || '(none)'}`,
    `masquerade_entire_domain: ${on(r.masqueradeEntireDomain)}`,
    `masquerade_envelope: ${on(r.masqueradeEnvelope)}`,
    `always_add_domain: ${on(r.alwaysAddDomain)}`,
    ...Object.entries(r.generics).map(([login, address]) => `genericstable: ${login} → ${address}`),
  ];
}

export function RewritingPage() {
  const { settings } = useLiveState();
  const rf = useRoutingForm<RewriteForm>('routing.rewrite', (s) => fromSettings(s.rewrite), (f) => ({ rewrite: toRewrite(f) }), describe);
  const f = rf.form.value;
  if (!f) return <Text c="dimmed">Loading settings…</Text>;
  const set = (patch: Partial<RewriteForm>): void => rf.form.set((p) => ({ ...p, ...patch }));
  const setGeneric = (i: number, patch: Partial<RewriteForm['generics'][number]>): void =>
    set({ generics: f.generics.map((g, j) => (j === i ? { ...g, ...patch } : g)) });

  return (
    <RoutingPage title="Rewriting" suggest={`postmaster@${settings?.hostname ?? 'localhost'}`}
      sendmail={<>Sendmail's <code>genericstable</code>, <code>MASQUERADE_AS</code> and friends: how your senders' addresses leave.</>}>
      <RewritePreview draft={toRewrite(f)} hostname={settings?.hostname ?? 'localhost'} />
      <Card withBorder>
        <TextInput label="Masquerade as" description="Senders at this host (and the local domains) leave as user@this domain; root stays as it is"
          placeholder="example.com" value={f.masqueradeAs} w={360} error={rf.errorFor('rewrite.masqueradeAs')}
          onChange={(e) => set({ masqueradeAs: e.currentTarget.value })} />
        <Stack gap="sm" mt="md">
          <Switch label="Entire domain" description="Also masquerade any host under those domains (masquerade_entire_domain)"
            checked={f.masqueradeEntireDomain} onChange={(e) => set({ masqueradeEntireDomain: e.currentTarget.checked })} />
          <Switch label="Envelope too" description="Rewrite the envelope sender (MAIL FROM), not only the headers (masquerade_envelope)"
            checked={f.masqueradeEnvelope} onChange={(e) => set({ masqueradeEnvelope: e.currentTarget.checked })} />
          <Switch label="Always add a domain" description="Qualify bare names in headers (always_add_domain)"
            checked={f.alwaysAddDomain} onChange={(e) => set({ alwaysAddDomain: e.currentTarget.checked })} />
        </Stack>
      </Card>
      <Card withBorder>
        <Text fw={600}>Generic addresses</Text>
        <Text size="sm" c="dimmed" mb="xs">A local login leaves as a full address (genericstable), e.g. web1_user1 → user1@example.com. Wins over masquerading.</Text>
        {f.generics.length === 0 && <Text size="sm" c="dimmed" data-testid="empty-table">Nothing here yet: no generic addresses.</Text>}
        {f.generics.length > 0 && (
          <Table.ScrollContainer minWidth={440} type="native"><Table verticalSpacing="xs" layout="fixed">
            <Table.Thead><Table.Tr><Table.Th w="40%">Login</Table.Th><Table.Th>Leaves as</Table.Th><Table.Th w={48} /></Table.Tr></Table.Thead>
            <Table.Tbody>
              {f.generics.map((g, i) => (
                <Table.Tr key={i}>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <TextInput aria-label={`Generic login ${i + 1}`} value={g.login} placeholder="web1_user1" onChange={(e) => setGeneric(i, { login: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <TextInput aria-label={`Address for ${g.login || `login ${i + 1}`}`} value={g.address} placeholder="user1@example.com"
                      error={rf.errorFor(`rewrite.generics.${g.login.trim()}`)} onChange={(e) => setGeneric(i, { address: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <ActionIcon variant="subtle" color="gray" size="lg" aria-label={`Remove generic ${g.login || i + 1}`}
                      onClick={() => set({ generics: f.generics.filter((_, j) => j !== i) })}><RemoveIcon /></ActionIcon>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table></Table.ScrollContainer>
        )}
        <Group mt="sm"><Button variant="default" onClick={() => set({ generics: [...f.generics, { login: '', address: '' }] })}>Add generic address</Button></Group>
      </Card>
      <RoutingSaveBar rf={rf} />
    </RoutingPage>
  );
}
