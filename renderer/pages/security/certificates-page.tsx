// Certificates: the server certificate (subject, names, validity, self-signed),
// import of a certificate/key/CA as PEM (checked to match before anything is
// written), a self-signed one for the host name, DH parameters with progress,
// and the TLS options (cipher list, client certificates).
import { Alert, Badge, Button, Card, Group, Modal, Progress, Stack, Switch, Text, Textarea, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { FieldError } from '../../../engine/api.ts';
import type { Settings } from '../../../engine/api.ts';
import type { CertificateStatus, TlsChange } from '../../../engine/api.ts';
import { SaveBar, useSettingsForm } from '../../components/settings-form.tsx';
import { useLive } from '../../state/context.tsx';
import { errorText, SecurityPage } from './shared.tsx';

type Tls = Settings['tls'];

/** What a problem is about, in the words of this page rather than a settings path. */
const FIELD_WORDS: Record<string, string> = {
  'tls.cert': 'Certificate file', 'tls.key': 'Key file', 'tls.ca': 'CA file', 'tls.dhParams': 'DH parameters file', 'tls.ciphers': 'Cipher list',
  certPem: 'Certificate', keyPem: 'Private key', caPem: 'CA bundle', cert: 'Certificate', key: 'Private key', ca: 'CA bundle',
};

function Problems({ items, color }: { items: FieldError[]; color: string }) {
  return <>{items.map((e) => <Alert key={e.path + e.message} color={color} py={4} mt={4}><b>{FIELD_WORDS[e.path] ?? 'Certificate'}</b>: {e.message}</Alert>)}</>;
}

function CurrentCertificate({ status }: { status: CertificateStatus | null }) {
  if (!status) return <Text c="dimmed">Reading certificate…</Text>;
  if (!status.configured) return <Text data-testid="cert-none">No certificate: STARTTLS is not offered and SMTPS cannot start.</Text>;
  const i = status.info;
  return (
    <Stack gap={4} data-testid="cert-info">
      {i && (
        <>
          <Group gap="xs">
            <Text fw={600}>{i.subject}</Text>
            {i.selfSigned && <Badge color="yellow" variant="light">self-signed</Badge>}
            <Badge color={i.daysLeft < 0 ? 'red' : i.daysLeft < 14 ? 'orange' : 'teal'} variant="light">
              {i.daysLeft < 0 ? 'expired' : `${i.daysLeft} days left`}
            </Badge>
          </Group>
          <Text size="sm">Names: {i.altNames.join(', ') || '—'} · Issuer: {i.issuer} · Key: {i.publicKey}</Text>
          <Text size="sm">Valid {i.validFrom.slice(0, 10)} to {i.validTo.slice(0, 10)}</Text>
          <Text size="xs" c="dimmed" ff="monospace">SHA-256 {i.fingerprint256}</Text>
        </>
      )}
      <Problems items={status.errors} color="red" />
      <Problems items={status.warnings} color="orange" />
    </Stack>
  );
}

export function CertificatesPage() {
  const live = useLive();
  const { client } = live;
  const form = useSettingsForm<Tls>('security.tls', (s) => s.tls, (tls) => ({ tls }));
  const [status, setStatus] = useState<CertificateStatus | null>(null);
  const [pem, setPem] = useState({ certPem: '', keyPem: '', caPem: '' });
  const [busy, setBusy] = useState<'import' | 'self' | 'dh' | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string; errors?: FieldError[]; kind?: 'import' | 'self' | 'dh' } | null>(null);
  const [confirmReplace, setConfirmReplace] = useState(false);
  const [dhMarks, setDhMarks] = useState(0);
  const tls = form.value;

  const refresh = () => client.certificateInfo().then(setStatus, (err: unknown) => setResult({ ok: false, text: errorText(err) }));
  useEffect(() => { void refresh(); }, [tls?.cert, tls?.key, tls?.ca, tls?.dhParams]); // eslint-disable-line react-hooks/exhaustive-deps

  async function act(kind: 'import' | 'self' | 'dh', call: () => Promise<TlsChange>, done: string): Promise<void> {
    setBusy(kind);
    setResult(null);
    let off: (() => void) | undefined;
    if (kind === 'dh') {
      setDhMarks(0);
      off = client.subscribe((e) => { if (e.type === 'tls:dhparams') setDhMarks(e.marks); });
    }
    try {
      const r = await call();
      if (!r.ok) return setResult({ ok: false, text: 'Nothing was changed.', errors: r.errors, kind });
      setResult({ ok: true, text: r.applied ? `${done} Saved in the settings; the listeners pick it up with the next connection.` : done, kind });
      live.setSettings(await client.getSettings());
      await refresh();
    } catch (err) {
      setResult({ ok: false, text: errorText(err), kind });
    } finally {
      off?.();
      setBusy(null);
    }
  }

  const generateSelfSigned = (): void => void act('self', () => client.generateSelfSigned(), 'Self-signed certificate generated.');
  // A certificate someone imported (not one we generated) is not replaced without asking.
  const imported = status?.info && !status.info.selfSigned ? status.info : null;
  const resultAlert = (where: 'import' | 'other') => result && (result.kind === 'import') === (where === 'import') && (
    <Alert mt="sm" color={result.ok ? 'teal' : 'red'} data-testid="cert-result">{result.text}{result.errors && <Problems items={result.errors} color="red" />}</Alert>
  );

  return (
    <SecurityPage title="Certificates" sendmail={<>Sendmail's <code>confSERVER_CERT</code>, <code>confSERVER_KEY</code>, <code>confCACERT</code> and <code>confDH_PARAMETERS</code>. STARTTLS on the SMTP and submission ports, implicit TLS on SMTPS.</>}>
      <Card withBorder>
        <Text fw={600} mb="xs">Server certificate</Text>
        <CurrentCertificate status={status} />
        <Group mt="md">
          <Button variant="light" loading={busy === 'self'} disabled={busy !== null} data-testid="generate-self-signed"
            onClick={() => (imported ? setConfirmReplace(true) : generateSelfSigned())}>Generate self-signed</Button>
          <Button variant="light" loading={busy === 'dh'} disabled={busy !== null} data-testid="generate-dh"
            onClick={() => void act('dh', () => client.generateDhParams(), 'DH parameters generated.')}>Generate DH parameters (2048 bits)</Button>
        </Group>
        {busy === 'dh' && (
          <Stack gap={2} mt="sm">
            <Progress value={100} animated striped />
            <Text size="xs" c="dimmed">Searching for a safe prime: {dhMarks} candidates tried. This can take a minute or two.</Text>
          </Stack>
        )}
        {resultAlert('other')}
        <Modal opened={confirmReplace} onClose={() => setConfirmReplace(false)} title="Replace the imported certificate?">
          <Text size="sm">The certificate for <b>{imported?.subject}</b> (issued by {imported?.issuer}, valid to {imported?.validTo.slice(0, 10)}) would be
            replaced by a self-signed one that mail clients will not trust. Its files stay on disk, but the settings will no longer use them.</Text>
          <Group justify="flex-end" mt="md">
            <Button variant="default" onClick={() => setConfirmReplace(false)} data-autofocus>Cancel</Button>
            <Button color="orange" onClick={() => { setConfirmReplace(false); generateSelfSigned(); }}>Replace with self-signed</Button>
          </Group>
        </Modal>
      </Card>
      <Card withBorder>
        <Text fw={600}>Import</Text>
        <Text size="sm" c="dimmed">PEM text. The key must belong to the certificate; nothing is written otherwise.</Text>
        <Group grow mt="sm" align="flex-start">
          <Textarea label="Certificate (and chain)" autosize minRows={4} maxRows={10} ff="monospace" value={pem.certPem}
            onChange={(e) => { const v = e.currentTarget.value; setPem((p) => ({ ...p, certPem: v })); }} placeholder="-----BEGIN CERTIFICATE-----" />
          <Textarea label="Private key" autosize minRows={4} maxRows={10} ff="monospace" value={pem.keyPem}
            onChange={(e) => { const v = e.currentTarget.value; setPem((p) => ({ ...p, keyPem: v })); }} placeholder="-----BEGIN PRIVATE KEY-----" />
          <Textarea label="CA bundle (optional)" autosize minRows={4} maxRows={10} ff="monospace" value={pem.caPem}
            onChange={(e) => { const v = e.currentTarget.value; setPem((p) => ({ ...p, caPem: v })); }} />
        </Group>
        <Button mt="sm" variant="default" loading={busy === 'import'} disabled={busy !== null || !pem.certPem || !pem.keyPem}
          onClick={() => void act('import', () => client.importCertificate({ certPem: pem.certPem, keyPem: pem.keyPem, ...(pem.caPem ? { caPem: pem.caPem } : {}) }), 'Certificate imported.')}>
          Check and import</Button>
        {resultAlert('import')}
      </Card>
      {tls && (
        <Card withBorder>
          <Text fw={600} mb="xs">TLS options</Text>
          <Group grow align="flex-start">
            <TextInput label="Certificate file" value={tls.cert} error={form.error('tls.cert')} onChange={(e) => { const v = e.currentTarget.value; form.set((p) => ({ ...p, cert: v })); }} />
            <TextInput label="Key file" value={tls.key} error={form.error('tls.key')} onChange={(e) => { const v = e.currentTarget.value; form.set((p) => ({ ...p, key: v })); }} />
          </Group>
          <Group grow align="flex-start" mt="xs">
            <TextInput label="CA file" value={tls.ca} error={form.error('tls.ca')} onChange={(e) => { const v = e.currentTarget.value; form.set((p) => ({ ...p, ca: v })); }} />
            <TextInput label="DH parameters file" value={tls.dhParams} error={form.error('tls.dhParams')} onChange={(e) => { const v = e.currentTarget.value; form.set((p) => ({ ...p, dhParams: v })); }} />
          </Group>
          <TextInput mt="xs" label="Cipher list (OpenSSL syntax, empty = OpenSSL's default)" ff="monospace" value={tls.ciphers} error={form.error('tls.ciphers')}
            onChange={(e) => { const v = e.currentTarget.value; form.set((p) => ({ ...p, ciphers: v })); }} />
          <Switch mt="sm" label="Ask clients for a certificate (verify=OK|NO|FAIL in the log; mail is accepted either way)" checked={tls.verifyClients}
            onChange={(e) => { const v = e.currentTarget.checked; form.set((p) => ({ ...p, verifyClients: v })); }} />
          <Text size="xs" c="dimmed" mt={4}>Relative paths are under the data directory. TLS 1.2 is the minimum.</Text>
          <SaveBar form={form} />
        </Card>
      )}
    </SecurityPage>
  );
}
