// Delivery: when mail leaves. Mode (Sendmail's confDELIVERY_MODE, named in
// engine/config/modes.ts words), how we tell we are online (the probe and its
// re-checks), queue-run schedules (sendmail -q1h in cron), the slow-queue rule,
// and the warn / return times.
import { Card, NumberInput, Radio, Select, Stack, Switch, Text, TextInput, Textarea, Title, Group } from '@mantine/core';
import { DELIVERY_MODES, MODE_WORDS, type Settings } from '../../engine/api.ts';
import { SaveBar, useSettingsForm } from '../components/settings-form.tsx';

type Delivery = Settings['delivery'];

const MODES = DELIVERY_MODES.map((value) => ({ value, label: MODE_WORDS[value].label, help: MODE_WORDS[value].help }));

function lines(v: string | string[]): string {
  return Array.isArray(v) ? v.join('\n') : v;
}

function fromLines(text: string): string | string[] {
  const l = text.split('\n').map((s) => s.trim()).filter(Boolean);
  return l.length === 1 ? l[0] : l;
}

export function DeliveryPage() {
  const form = useSettingsForm<Delivery>('delivery', (s) => s.delivery, (delivery) => ({ delivery }));
  const d = form.value;
  if (!d) return <Text c="dimmed">Loading settings…</Text>;
  const set = <K extends keyof Delivery>(k: K, v: Delivery[K]): void => form.set((p) => ({ ...p, [k]: v }));
  const setOnline = (patch: Partial<Delivery['online']>): void => form.set((p) => ({ ...p, online: { ...p.online, ...patch } }));
  const setSlow = (patch: Partial<Delivery['slowQueue']>): void => form.set((p) => ({ ...p, slowQueue: { ...p.slowQueue, ...patch } }));
  const num = (v: string | number): number => (typeof v === 'number' ? v : Number.NaN);

  return (
    <Stack gap="md" maw={820}>
      <Title order={2}>Delivery</Title>
      <Card withBorder>
        <Radio.Group label="Delivery mode" value={d.mode} onChange={(v) => set('mode', v as Delivery['mode'])} error={form.error('delivery.mode')}>
          <Stack gap="xs" mt="xs">
            {MODES.map((m) => <Radio key={m.value} value={m.value} label={m.label} description={m.help} />)}
          </Stack>
        </Radio.Group>
      </Card>
      <Card withBorder>
        <Text fw={600} mb="xs">Online detection</Text>
        <Group grow align="flex-start">
          <Select label="How to tell we are online" value={d.online.probe} allowDeselect={false}
            onChange={(v) => v && setOnline({ probe: v as Delivery['online']['probe'] })}
            data={[{ value: 'none', label: 'Always online (no probe)' }, { value: 'smarthost', label: 'The smart host answers' }, { value: 'dns', label: 'A host resolves and answers' }]}
            error={form.error('delivery.online.probe')} />
          <TextInput label="Probe host" description="For the DNS probe" value={d.online.probeHost} disabled={d.online.probe !== 'dns'}
            onChange={(e) => setOnline({ probeHost: e.currentTarget.value })} error={form.error('delivery.online.probeHost')} />
        </Group>
        <Group grow align="flex-start" mt="sm">
          <TextInput label="While offline, check at least every" description="Backs off from 250 ms up to this"
            value={d.online.recheck} onChange={(e) => setOnline({ recheck: e.currentTarget.value })}
            error={form.error('delivery.online.recheck')} />
          <TextInput label="While online, check every" description="A failed delivery checks at once anyway"
            value={d.online.recheckOnline} onChange={(e) => setOnline({ recheckOnline: e.currentTarget.value })}
            error={form.error('delivery.online.recheckOnline')} />
        </Group>
        <Switch mt="sm" label="Flush the queue when coming back online" checked={d.online.flushOnOnline}
          onChange={(e) => setOnline({ flushOnOnline: e.currentTarget.checked })} />
      </Card>
      <Card withBorder>
        <Textarea label="Queue runs" description="cron expressions, one per line (like sendmail -q in cron); e.g. */30 * * * *"
          autosize minRows={1} value={lines(d.queueRun)} onChange={(e) => set('queueRun', fromLines(e.currentTarget.value))}
          error={form.error('delivery.queueRun')} />
        <Group grow mt="sm" align="flex-start">
          <TextInput label="Warn the sender after" value={d.queueWarn} onChange={(e) => set('queueWarn', e.currentTarget.value)} error={form.error('delivery.queueWarn')} />
          <TextInput label="Return to sender after" value={d.queueReturn} onChange={(e) => set('queueReturn', e.currentTarget.value)} error={form.error('delivery.queueReturn')} />
          <TextInput label="First retry after" value={d.minBackoff} onChange={(e) => set('minBackoff', e.currentTarget.value)} error={form.error('delivery.minBackoff')} />
          <TextInput label="Longest retry interval" value={d.maxBackoff} onChange={(e) => set('maxBackoff', e.currentTarget.value)} error={form.error('delivery.maxBackoff')} />
        </Group>
      </Card>
      <Card withBorder>
        <Switch label="Move old messages to a slow queue" description="So they stop delaying new mail (Sendmail queue groups)"
          checked={d.slowQueue.enabled} onChange={(e) => setSlow({ enabled: e.currentTarget.checked })} />
        <Group grow mt="sm" align="flex-start">
          <NumberInput label="After attempts" min={1} value={d.slowQueue.afterAttempts} disabled={!d.slowQueue.enabled}
            onChange={(v) => setSlow({ afterAttempts: num(v) })} error={form.error('delivery.slowQueue.afterAttempts')} />
          <TextInput label="Or after age" value={d.slowQueue.afterAge} disabled={!d.slowQueue.enabled}
            onChange={(e) => setSlow({ afterAge: e.currentTarget.value })} error={form.error('delivery.slowQueue.afterAge')} />
          <TextInput label="Slow queue runs" value={d.slowQueue.queueRun} disabled={!d.slowQueue.enabled}
            onChange={(e) => setSlow({ queueRun: e.currentTarget.value })} error={form.error('delivery.slowQueue.queueRun')} />
        </Group>
      </Card>
      <SaveBar form={form} />
    </Stack>
  );
}
