// Users: who may log in with SMTP AUTH (PLAIN/LOGIN, only inside TLS, on
// submission and SMTPS) and so relay. Passwords go to the engine once to be
// hashed (scrypt); only the hash is kept in the settings.
import { ActionIcon, Alert, Button, Card, Group, PasswordInput, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { Settings } from '../../../engine/api.ts';
import { SaveBar, useSettingsForm } from '../../components/settings-form.tsx';
import { useLive } from '../../state/context.tsx';
import { RemoveIcon } from '../routing/page-shell.tsx';
import { errorText, SecurityPage } from './shared.tsx';

/** The engine's minimum (hashPassword, MIN_PASSWORD in engine/security-api.ts): said here before a round trip. */
const MIN_PASSWORD = 8;

type User = Settings['users'][number];

export function UsersPage() {
  const { client } = useLive();
  const form = useSettingsForm<User[]>('security.users', (s) => s.users, (users) => ({ users }));
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resetting, setResetting] = useState<{ index: number; password: string } | null>(null);
  const users = form.value;
  if (!users) return <Text c="dimmed">Loading settings…</Text>;

  async function hashed(pw: string): Promise<string | null> {
    setBusy(true);
    setError(null);
    try {
      return await client.hashPassword(pw);
    } catch (err) {
      setError(errorText(err));
      return null;
    } finally {
      setBusy(false);
    }
  }
  async function add(): Promise<void> {
    const passwordHash = await hashed(password);
    if (!passwordHash) return;
    form.set((p) => [...p, { name: name.trim(), passwordHash }]);
    setName('');
    setPassword('');
  }
  async function reset(): Promise<void> {
    if (!resetting) return;
    const passwordHash = await hashed(resetting.password);
    if (!passwordHash) return;
    form.set((p) => p.map((u, j) => (j === resetting.index ? { ...u, passwordHash } : u)));
    setResetting(null);
  }

  return (
    <SecurityPage title="Users" sendmail={<>SMTP AUTH accounts (Sendmail's sasldb). They log in on the submission and SMTPS ports, only inside TLS, and may then relay. Five failures from one address lock it out for 15 minutes.</>}>
      <Card withBorder>
        {users.length === 0 && <Text size="sm" c="dimmed" data-testid="users-empty">Nothing here yet: no SMTP AUTH users. Add one below.</Text>}
        <Table.ScrollContainer minWidth={480} type="native"><Table verticalSpacing={4} data-testid="users-table">
          <Table.Thead><Table.Tr><Table.Th>User</Table.Th><Table.Th>Password</Table.Th><Table.Th w={60} /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {users.map((u, i) => (
              <Table.Tr key={i}>
                <Table.Td><Text ff="monospace">{u.name}</Text>{form.error(`users[${i}].name`) && <Text size="xs" c="red">{form.error(`users[${i}].name`)}</Text>}</Table.Td>
                <Table.Td>
                  {resetting?.index === i ? (
                    <Group gap="xs">
                      <PasswordInput aria-label={`New password for ${u.name}`} value={resetting.password} autoComplete="new-password" placeholder={`at least ${MIN_PASSWORD} characters`}
                        onChange={(e) => setResetting({ index: i, password: e.currentTarget.value })} />
                      <Button size="xs" onClick={() => void reset()} loading={busy} disabled={resetting.password.length < MIN_PASSWORD}>Set</Button>
                      <Button size="xs" variant="default" onClick={() => setResetting(null)}>Cancel</Button>
                    </Group>
                  ) : (
                    <Group gap="xs">
                      <Text size="sm" c={form.error(`users[${i}].passwordHash`) ? 'red' : 'dimmed'}>{form.error(`users[${i}].passwordHash`) ?? 'set (scrypt)'}</Text>
                      <Button size="compact-xs" variant="light" onClick={() => setResetting({ index: i, password: '' })}>Change</Button>
                    </Group>
                  )}
                </Table.Td>
                <Table.Td><ActionIcon variant="subtle" color="gray" aria-label={`Remove user ${u.name}`}
                  onClick={() => form.set((p) => p.filter((_, j) => j !== i))}><RemoveIcon /></ActionIcon></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table></Table.ScrollContainer>
        <Group mt="sm" align="flex-end">
          <TextInput label="User name" value={name} onChange={(e) => setName(e.currentTarget.value)} autoComplete="off" data-testid="user-name" />
          <PasswordInput label="Password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="new-password" w={220} data-testid="user-password"
            description={`At least ${MIN_PASSWORD} characters`}
            error={password.length > 0 && password.length < MIN_PASSWORD ? `${MIN_PASSWORD - password.length} more character${MIN_PASSWORD - password.length === 1 ? '' : 's'} needed` : undefined} />
          <Button variant="default" onClick={() => void add()} loading={busy}
            disabled={!name.trim() || password.length < MIN_PASSWORD || users.some((u) => u.name.toLowerCase() === name.trim().toLowerCase())}>Add user</Button>
        </Group>
        {error && <Alert mt="sm" color="red">{error}</Alert>}
        <SaveBar form={form} />
      </Card>
    </SecurityPage>
  );
}
