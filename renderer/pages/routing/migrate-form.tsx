// "Migrate a domain": the seeds' recipe for moving a domain to a new server —
// relay it to the new server's IP (`domain esmtp:[ip]`) so mail goes there even
// before DNS changes. Domain + IP → one route (two with subdomains) in the Routes
// draft, previewed and saved from the page. Checks only what it needs to build the
// route; the engine checks the result like any other route.
import { Button, Card, Group, Switch, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Route } from '../../../engine/api.ts';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** Loose on purpose: hex groups and colons (with an optional embedded IPv4); the engine has the last word. */
const IPV6 = /^[0-9a-f:]*:[0-9a-f:.]*$/i;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

export function MigrateForm({ onAdd }: { onAdd(routes: Route[]): void }) {
  const [domain, setDomain] = useState('');
  const [ip, setIp] = useState('');
  const [subdomains, setSubdomains] = useState(false);
  const [tried, setTried] = useState(false);
  const d = domain.trim().toLowerCase().replace(/^\.|\.$/g, '');
  const a = ip.trim().replace(/^\[|\]$/g, '');
  const domainError = d === '' ? 'the domain that moves' : DOMAIN.test(d) ? undefined : 'a domain such as example.com';
  const ipError = a === '' ? 'the new server\'s IP address' : IPV4.test(a) || IPV6.test(a) ? undefined : 'an IP address such as 192.0.2.10';

  function submit(e: FormEvent): void {
    e.preventDefault();
    setTried(true);
    if (domainError || ipError) return;
    const host = `[${a}]`;
    onAdd([{ domain: d, mailer: 'esmtp', host }, ...(subdomains ? [{ domain: `.${d}`, mailer: 'esmtp' as const, host }] : [])]);
    setDomain('');
    setIp('');
    setTried(false);
  }

  return (
    <Card withBorder>
      <Text fw={600}>Migrate a domain</Text>
      <Text size="sm" c="dimmed" mb="xs">
        Moving a domain to a new server? Send its mail straight to the new server's address, whatever DNS still says.
      </Text>
      <form onSubmit={submit} aria-label="Migrate a domain">
        <Group align="flex-start" gap="xs">
          <TextInput label="Domain" placeholder="example.com" value={domain} w={240} error={tried ? domainError : undefined}
            onChange={(e) => setDomain(e.currentTarget.value)} />
          <TextInput label="New server IP" placeholder="192.0.2.10" value={ip} w={200} error={tried ? ipError : undefined}
            onChange={(e) => setIp(e.currentTarget.value)} />
          <Button type="submit" mt={25}>Add route</Button>
        </Group>
        <Switch mt="sm" label="Also its subdomains" checked={subdomains} onChange={(e) => setSubdomains(e.currentTarget.checked)} />
        {d && a && !domainError && !ipError && (
          <Text size="sm" mt="xs" ff="monospace" c="dimmed" data-testid="migrate-preview">
            {d} esmtp:[{a}]{subdomains ? `   .${d} esmtp:[${a}]` : ''}
          </Text>
        )}
      </form>
    </Card>
  );
}
