// Forwarding: per-user ~/.forward, kept in settings. Each user has a list of
// targets (addresses, files, |programs) and a "keep a copy here" switch that adds
// or removes `\user` — the seeds' way to forward without losing the local copy
// and without looping back through the forward.
import { Alert, Anchor, Button, Card, Group, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useLiveState } from '../../state/context.tsx';
import { exampleDomain, ListEditor, RoutingPage } from './page-shell.tsx';
import { RoutingSaveBar, useRoutingForm } from './routing-form.tsx';

interface UserForward { user: string; keep: boolean; targets: string[] }

const keepTarget = (user: string): string => `\\${user.trim().toLowerCase()}`;

function fromSettings(forwards: Record<string, string[]>): UserForward[] {
  return Object.entries(forwards).map(([user, targets]) => {
    const self = keepTarget(user);
    return { user, keep: targets.some((t) => t.trim().toLowerCase() === self), targets: targets.filter((t) => t.trim().toLowerCase() !== self) };
  });
}

/** `\user` first: the saved order the error paths (forwards.alice[i]) count in. */
function toSettings(rows: UserForward[]): Record<string, string[]> {
  return Object.fromEntries(rows.filter((r) => r.user.trim() !== '').map((r) => [r.user.trim(),
    [...(r.keep ? [keepTarget(r.user)] : []), ...r.targets.map((t) => t.trim()).filter(Boolean)]]));
}

function describe(rows: UserForward[]): string[] {
  return Object.entries(toSettings(rows)).map(([user, targets]) => `${user}: ${targets.join(', ') || '(nothing)'}`);
}

function UserCard({ row, onChange, onRemove, errorFor, errorAt }: {
  row: UserForward; onChange(row: UserForward): void; onRemove(): void;
  errorFor(path: string): string | undefined; errorAt(path: string): string | undefined;
}) {
  const user = row.user.trim();
  const offset = row.keep ? 1 : 0;
  return (
    <Card withBorder data-testid={`forward-${user}`}>
      <Group justify="space-between" mb="xs">
        <Text fw={700}>{user}</Text>
        <Button variant="subtle" color="gray" size="xs" onClick={onRemove} aria-label={`Stop forwarding mail of ${user}`}>Stop forwarding</Button>
      </Group>
      {errorAt(`forwards.${user}`) && <Text size="sm" c="red" mb="xs">{errorAt(`forwards.${user}`)}</Text>}
      <ListEditor itemLabel={`Forward ${user} to`} values={row.targets} addLabel="Add target"
        placeholder="someone@elsewhere.example, /var/mail/archive or |/usr/bin/program"
        onChange={(targets) => onChange({ ...row, targets })} errorFor={(i) => errorFor(`forwards.${user}[${i + offset}]`)} />
      <Switch mt="md" label={`Keep a copy here (\\${user})`} description="Also deliver to this user's own mailbox"
        checked={row.keep} onChange={(e) => onChange({ ...row, keep: e.currentTarget.checked })} />
      {!row.keep && row.targets.length > 0 && (
        <Text size="xs" c="dimmed" mt={4}>Without it, mail for {user} leaves and no copy stays here.</Text>
      )}
    </Card>
  );
}

export function ForwardingPage() {
  const { settings } = useLiveState();
  const rf = useRoutingForm<UserForward[]>('routing.forwards', (s) => fromSettings(s.forwards), (rows) => ({ forwards: toSettings(rows) }), describe);
  const [newUser, setNewUser] = useState('');
  const rows = rf.form.value;
  if (!rows) return <Text c="dimmed">Loading settings…</Text>;
  const domain = exampleDomain(settings);
  const taken = rows.some((r) => r.user.trim().toLowerCase() === newUser.trim().toLowerCase());
  const addUser = (): void => {
    const user = newUser.trim();
    if (user === '' || taken) return;
    rf.form.set((p) => [...p, { user, keep: true, targets: [] }]);
    setNewUser('');
  };

  return (
    <RoutingPage title="Forwarding" suggest={rows[0] ? `${rows[0].user}@${domain}` : `postmaster@${domain}`}
      sendmail={<>Each user's <code>~/.forward</code>; <code>\user</code> keeps a copy without looping.</>}>
      {settings && !settings.localDelivery.forwardEnabled && (
        <Alert color="orange" title="Forwarding is switched off">
          These entries are kept but ignored. Turn forwarding on under <Anchor href="#/domains">Domains</Anchor>.
        </Alert>
      )}
      {rows.length === 0 && <Text c="dimmed">Nothing here yet: no user forwards mail.</Text>}
      {rows.map((row, i) => (
        <UserCard key={i} row={row} errorFor={rf.errorFor} errorAt={rf.errorAt}
          onChange={(next) => rf.form.set((p) => p.map((r, j) => (j === i ? next : r)))}
          onRemove={() => rf.form.set((p) => p.filter((_, j) => j !== i))} />
      ))}
      <Card withBorder>
        <Group align="flex-end" gap="xs">
          <TextInput label="Forward mail of user" placeholder="alice" value={newUser} w={240}
            error={taken ? 'already listed above' : undefined}
            onChange={(e) => setNewUser(e.currentTarget.value)}
            onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); addUser(); } }} />
          <Button variant="default" onClick={addUser} disabled={newUser.trim() === '' || taken}>Add user</Button>
        </Group>
      </Card>
      <Stack gap={0}><RoutingSaveBar rf={rf} /></Stack>
    </RoutingPage>
  );
}
