// Routes (Sendmail's mailertable): a domain, or .domain for its subdomains, goes
// to a mailer — esmtp/smtp/relay to a host or [ip] (no MX lookup), local to a
// user here, or error with a status and text. The longest match wins and a route
// beats the smart host. The seeds' migration recipe has its own quick form.
import { ActionIcon, Button, Card, Group, NativeSelect, NumberInput, Table, Text, TextInput } from '@mantine/core';
import type { Route } from '../../../engine/api.ts';
import { MigrateForm } from './migrate-form.tsx';
import { RemoveIcon, RoutingPage } from './page-shell.tsx';
import { RoutingSaveBar, useRoutingForm } from './routing-form.tsx';

const MAILERS: { value: Route['mailer']; label: string; host: string }[] = [
  { value: 'esmtp', label: 'esmtp', host: 'host or [ip]; empty = the domain\'s MX' },
  { value: 'smtp', label: 'smtp', host: 'host or [ip]' },
  { value: 'relay', label: 'relay', host: 'host or [ip]' },
  { value: 'local', label: 'local', host: 'user here; empty = same user' },
  { value: 'error', label: 'error', host: '5.7.1:message' },
];

/** "old.example  esmtp:[192.0.2.10]:25" — mailertable's own layout. */
export function routeLine(r: Route): string {
  return `${r.domain}  ${r.mailer}:${r.host}${r.port !== undefined ? `:${r.port}` : ''}`;
}

function clean(routes: Route[]): Route[] {
  return routes.map((r) => ({ ...r, domain: r.domain.trim(), host: r.host.trim() }));
}

export function RoutesPage() {
  const rf = useRoutingForm<Route[]>('routing.routes', (s) => s.routes, (routes) => ({ routes: clean(routes) }), (routes) => clean(routes).map(routeLine));
  const routes = rf.form.value;
  if (!routes) return <Text c="dimmed">Loading settings…</Text>;
  const setRoute = (i: number, patch: Partial<Route>): void => rf.form.set((p) => p.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const first = routes.find((r) => r.domain.trim() !== '')?.domain.replace(/^\./, 'host.');

  return (
    <RoutingPage title="Routes" suggest={first ? `someone@${first}` : undefined}
      sendmail={<>Sendmail's <code>mailertable</code>: the longest match wins; a route beats the smart host.</>}>
      <MigrateForm onAdd={(added) => rf.form.set((p) => {
        const keys = new Set(added.map((r) => r.domain.toLowerCase()));
        // A new route for a domain replaces the old one (mailertable has one line per key).
        return [...p.filter((r) => !keys.has(r.domain.trim().toLowerCase())), ...added];
      })} />
      <Card withBorder>
        <Text fw={600} mb="xs">All routes</Text>
        {routes.length === 0 && <Text size="sm" c="dimmed">Nothing here yet: mail for other domains goes to the smart host, or to each domain's MX.</Text>}
        {routes.length > 0 && (
          <Table.ScrollContainer minWidth={500} type="native"><Table verticalSpacing="xs" layout="fixed">
            <Table.Thead>
              <Table.Tr><Table.Th w="30%">Domain</Table.Th><Table.Th w={112}>Mailer</Table.Th><Table.Th>Host</Table.Th><Table.Th w={92}>Port</Table.Th><Table.Th w={44} /></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {routes.map((r, i) => (
                <Table.Tr key={i} data-testid={`route-${r.domain || i}`}>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <TextInput aria-label={`Route ${i + 1} domain`} value={r.domain} placeholder="example.com or .example.com"
                      error={rf.errorFor(`routes[${i}].domain`)} onChange={(e) => setRoute(i, { domain: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <NativeSelect aria-label={`Route ${i + 1} mailer`} value={r.mailer} data={MAILERS.map((m) => ({ value: m.value, label: m.label }))}
                      error={rf.errorFor(`routes[${i}].mailer`)} onChange={(e) => setRoute(i, { mailer: e.currentTarget.value as Route['mailer'] })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <TextInput aria-label={`Route ${i + 1} host`} value={r.host} ff="monospace"
                      placeholder={MAILERS.find((m) => m.value === r.mailer)?.host}
                      error={rf.errorFor(`routes[${i}].host`)} onChange={(e) => setRoute(i, { host: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <NumberInput aria-label={`Route ${i + 1} port`} value={r.port ?? ''} placeholder="25" min={1} max={65535}
                      disabled={r.mailer === 'local' || r.mailer === 'error'} error={rf.errorFor(`routes[${i}].port`)}
                      onChange={(v) => setRoute(i, { port: typeof v === 'number' ? v : undefined })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <ActionIcon variant="subtle" color="gray" size="lg" aria-label={`Remove route ${r.domain || i + 1}`}
                      onClick={() => rf.form.set((p) => p.filter((_, j) => j !== i))}><RemoveIcon /></ActionIcon>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table></Table.ScrollContainer>
        )}
        <Group mt="sm"><Button variant="default" onClick={() => rf.form.set((p) => [...p, { domain: '', mailer: 'esmtp', host: '' }])}>New route</Button></Group>
        <Text size="xs" c="dimmed" mt="xs">
          <code>[10.0.0.5]</code> in brackets: connect to that address, no MX lookup. <code>error:5.7.1:text</code> bounces with that text.
        </Text>
      </Card>
      <RoutingSaveBar rf={rf} />
    </RoutingPage>
  );
}
