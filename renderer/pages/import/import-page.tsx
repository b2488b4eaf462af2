// Import (issue 14): choose a Sendmail (/etc/mail) or Postfix (/etc/postfix)
// folder, or drop its files; the engine's plan (EngineApi.planImport) is shown
// side by side — each source line as file:line on the left, what it becomes or
// why it is not carried over on the right. Apply saves the plan's patch through
// updateSettings, like every other change; a plan with refused lines applies only
// when the admin ticks "leave out the refused lines".
import { Alert, Badge, Box, Button, Card, Checkbox, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useState, type DragEvent } from 'react';
import type { ImportPlan, PlanItem, SourceFile } from '../../../engine/api.ts';
import { useLive } from '../../state/context.tsx';
import { readFiles } from './read-files.ts';

type Kind = 'sendmail' | 'postfix';
const OUTCOME = {
  set: { label: 'imported', color: 'teal' },
  skip: { label: 'not carried over', color: 'gray' },
  refused: { label: 'refused', color: 'red' },
} as const;

function PlanRow({ item }: { item: PlanItem }) {
  const o = OUTCOME[item.outcome];
  return (
    <Table.Tr data-outcome={item.outcome} data-testid={`plan-${item.file}:${item.line}`}
      style={item.outcome === 'refused' ? { background: 'var(--mantine-color-red-0)' } : undefined}>
      <Table.Td style={{ verticalAlign: 'top' }}>
        <Text size="xs" c="dimmed" ff="monospace">{item.file}:{item.line}</Text>
        <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>{item.text || '(whole file)'}</Text>
      </Table.Td>
      <Table.Td style={{ verticalAlign: 'top' }}>
        <Badge size="xs" variant="light" color={o.color}>{o.label}</Badge>
        {item.becomes.map((b, i) => <Text key={i} size="sm" ff="monospace" c="teal.9">{b}</Text>)}
        {item.reason && <Text size="sm" c={item.outcome === 'refused' ? 'red.8' : 'dimmed'}>{item.reason}</Text>}
      </Table.Td>
    </Table.Tr>
  );
}

export function ImportPage() {
  const { client } = useLive();
  const [kind, setKind] = useState<Kind>('sendmail');
  const [files, setFiles] = useState<SourceFile[]>([]);
  const [plan, setPlan] = useState<ImportPlan | null>(null);
  const [drop, setDrop] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const [hover, setHover] = useState(false);

  async function load(list: FileList | File[] | null, k = kind): Promise<void> {
    if (!list || list.length === 0) return;
    const read = await readFiles(list);
    setFiles(read);
    await makePlan(read, k);
  }
  async function makePlan(read: SourceFile[], k: Kind): Promise<void> {
    setBusy(true);
    setNotice(null);
    setDrop(false);
    try {
      setPlan(await client.planImport(k, read));
    } catch (err) {
      setPlan(null);
      setNotice({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  }
  async function apply(): Promise<void> {
    if (!plan) return;
    setBusy(true);
    try {
      // Dropping is asked of the engine, which checks the rest again; nothing refused can be in its patch.
      const final = plan.refused > 0 ? await client.planImport(kind, files, { dropRefused: true }) : plan;
      if (final.refused > 0) { setPlan(final); setNotice({ ok: false, text: 'Still refused after leaving lines out; nothing saved.' }); return; }
      const r = await client.updateSettings(final.patch);
      if (r.ok) setNotice({ ok: true, text: `Saved: ${final.items.filter((i) => i.outcome === 'set').length} lines imported.` });
      else setNotice({ ok: false, text: `Nothing saved: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}` });
    } catch (err) {
      setNotice({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  }
  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    setHover(false);
    void load(e.dataTransfer.files);
  };
  const counts = plan ? { set: plan.items.filter((i) => i.outcome === 'set').length, skip: plan.items.filter((i) => i.outcome === 'skip').length, refused: plan.refused } : null;
  const canApply = !!plan && counts!.set > 0 && (plan.refused === 0 || drop);

  return (
    <Stack gap="md" maw={1100}>
      <div>
        <Title order={2}>Import</Title>
        <Text size="sm" c="dimmed">Move in from Sendmail (<code>sendmail.mc</code> and <code>/etc/mail</code> maps) or Postfix (<code>main.cf</code> and its maps). Also: <code>mailstop import sendmail|postfix DIR</code>.</Text>
      </div>
      <Card withBorder>
        <Group gap="md" align="center">
          <SegmentedControl aria-label="Configuration kind" value={kind} data={[{ value: 'sendmail', label: 'Sendmail' }, { value: 'postfix', label: 'Postfix' }]}
            onChange={(v) => { setKind(v as Kind); if (files.length) void makePlan(files, v as Kind); }} />
          <Button component="label" variant="default">
            Choose folder…
            <input type="file" hidden multiple data-testid="choose-folder" {...{ webkitdirectory: '' }} onChange={(e) => void load(e.currentTarget.files)} />
          </Button>
          <Button component="label" variant="default">
            Choose files…
            <input type="file" hidden multiple data-testid="choose-files" onChange={(e) => void load(e.currentTarget.files)} />
          </Button>
        </Group>
        <Box mt="sm" p="lg" data-testid="drop-zone" onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); setHover(true); }} onDragLeave={() => setHover(false)}
          style={{ border: `2px dashed var(--mantine-color-${hover ? 'blue' : 'gray'}-4)`, borderRadius: 8, textAlign: 'center' }}>
          <Text size="sm" c="dimmed">…or drop the files here{files.length ? ` (${files.length} read: ${files.map((f) => f.name).join(', ')})` : ''}</Text>
        </Box>
      </Card>
      {plan && counts && (
        <Card withBorder>
          <Group justify="space-between" mb="xs">
            <Group gap="xs" data-testid="plan-summary">
              <Badge color="teal" variant="light">{counts.set} imported</Badge>
              <Badge color="gray" variant="light">{counts.skip} not carried over</Badge>
              <Badge color="red" variant={counts.refused ? 'filled' : 'light'}>{counts.refused} refused</Badge>
            </Group>
          </Group>
          <Table layout="fixed" verticalSpacing={4} data-testid="plan">
            <Table.Thead><Table.Tr><Table.Th>Source (file:line)</Table.Th><Table.Th>In Mailstop</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>{plan.items.map((it, i) => <PlanRow key={i} item={it} />)}</Table.Tbody>
          </Table>
          <Group mt="md" gap="sm">
            {plan.refused > 0 && (
              <Checkbox label={`Leave out the ${plan.refused} refused line${plan.refused === 1 ? '' : 's'} and import the rest`} checked={drop}
                onChange={(e) => setDrop(e.currentTarget.checked)} data-testid="drop-refused" />
            )}
            <Button onClick={() => void apply()} disabled={!canApply} loading={busy} data-testid="apply-import">Apply</Button>
            {plan.refused > 0 && !drop && <Text size="sm" c="red" role="status">Nothing is saved while a line is refused.</Text>}
          </Group>
        </Card>
      )}
      {notice && (notice.ok
        ? <Text c="teal" role="status" data-testid="import-notice">{notice.text}</Text>
        : <Alert color="red" data-testid="import-notice">{notice.text}</Alert>)}
    </Stack>
  );
}
