// The detail drawer for one message: envelope, headers, size, attempts, the next
// attempt as a live countdown, the last reply and transcript, and why it is here.
import { Code, Divider, Drawer, Group, Loader, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { MessageDetail } from '../../../engine/api.ts';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { StateBadge } from '../../components/state-badge.tsx';
import { formatSize, formatSpan, formatTime, senderLabel } from '../../lib/format.ts';
import { lastReplyOf, plainReason, type ReasonContext } from '../../lib/reason.ts';
import { useLive } from '../../state/context.tsx';

function Countdown({ at, now, waitingFor }: { at: number; now: number; waitingFor?: string }) {
  if (waitingFor) return <Text size="sm">{waitingFor}</Text>;
  if (at === 0 || at <= now) return <Text size="sm">as soon as possible</Text>;
  return <Text size="sm" data-testid="next-attempt">in {formatSpan(at - now)} <Text span c="dimmed" size="xs">({formatTime(at)})</Text></Text>;
}

/** When the next attempt depends on something other than the clock, say what. */
function waitingFor(entry: QueueEntry, ctx: ReasonContext): string | undefined {
  if (entry.state === 'hold' && entry.heldBy !== 'mode') return 'not until you release it';
  if (ctx.online && !ctx.online.online) return 'when the network is back';
  if (entry.state === 'hold' || (ctx.mode === 'deferred' && entry.attempts === 0)) return 'when you press Flush (hold mode)';
  if (ctx.mode === 'queueonly' && entry.attempts === 0) return 'at the next queue run';
  return undefined;
}

export function QueueDetail({ entry, reason, onClose }: { entry: QueueEntry | null; reason: ReasonContext; onClose(): void }) {
  const { client } = useLive();
  const [detail, setDetail] = useState<MessageDetail | null | 'loading'>('loading');
  const [now, setNow] = useState(Date.now());
  const id = entry?.id;

  useEffect(() => {
    if (!id) return;
    let live = true;
    setDetail('loading');
    client.getMessage(id).then((d) => live && setDetail(d), () => live && setDetail(null));
    return () => { live = false; };
  }, [client, id]);

  useEffect(() => {
    if (!id) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [id]);

  const last = entry ? lastReplyOf(entry) : null;
  return (
    <Drawer opened={entry !== null} onClose={onClose} position="right" size="xl" title={entry ? <Text span fw={700} ff="monospace">{entry.id}</Text> : ''}>
      {entry && (
        <Stack gap="sm" data-testid="queue-detail">
          <Group gap="xs">
            <StateBadge state={entry.state} />
            <Text size="sm" fw={600} data-testid="plain-reason">{plainReason(entry, reason)}</Text>
          </Group>
          <Table withRowBorders={false} verticalSpacing={4}>
            <Table.Tbody>
              <Table.Tr><Table.Th w={140}>From</Table.Th><Table.Td>{senderLabel(entry.sender)}</Table.Td></Table.Tr>
              <Table.Tr><Table.Th>Arrived</Table.Th><Table.Td>{formatTime(entry.arrivalTime)} ({formatSpan(now - entry.arrivalTime)} ago)</Table.Td></Table.Tr>
              <Table.Tr><Table.Th>Size</Table.Th><Table.Td>{formatSize(entry.size)}</Table.Td></Table.Tr>
              <Table.Tr><Table.Th>Attempts</Table.Th><Table.Td>{entry.attempts}{entry.lastAttempt ? `, last ${formatSpan(now - entry.lastAttempt)} ago` : ''}</Table.Td></Table.Tr>
              <Table.Tr><Table.Th>Next attempt</Table.Th><Table.Td><Countdown at={entry.nextAttempt} now={now} waitingFor={waitingFor(entry, reason)} /></Table.Td></Table.Tr>
              <Table.Tr><Table.Th>Queue group</Table.Th><Table.Td>{entry.group}</Table.Td></Table.Tr>
              <Table.Tr><Table.Th>Client</Table.Th><Table.Td>{entry.client.address || 'local'} via {entry.client.daemon} ({entry.client.protocol}){entry.client.user ? `, user ${entry.client.user}` : ''}</Table.Td></Table.Tr>
              {entry.messageId && <Table.Tr><Table.Th>Message-ID</Table.Th><Table.Td>{entry.messageId}</Table.Td></Table.Tr>}
            </Table.Tbody>
          </Table>
          <Divider label="Recipients" labelPosition="left" />
          <Table verticalSpacing={4}>
            <Table.Thead><Table.Tr><Table.Th>Address</Table.Th><Table.Th>Status</Table.Th><Table.Th>Last reply</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {entry.recipients.map((r) => (
                <Table.Tr key={r.address}>
                  <Table.Td>{r.address}</Table.Td>
                  <Table.Td><StateBadge state={r.status} /></Table.Td>
                  <Table.Td><Text size="xs">{r.lastReply ?? '—'}{r.remoteMta ? ` (${r.remoteMta})` : ''}</Text></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {last && <Text size="sm"><b>Last reply:</b> {last.reply}{last.host ? ` from ${last.host}` : ''}</Text>}
          {entry.reason && <Text size="sm"><b>Queue status:</b> {entry.reason}</Text>}
          <Divider label="SMTP transcript of the last attempt" labelPosition="left" />
          {entry.transcript?.length ? (
            <ScrollArea.Autosize mah={220}><Code block>{entry.transcript.join('\n')}</Code></ScrollArea.Autosize>
          ) : <Text size="sm" c="dimmed">No delivery attempt yet.</Text>}
          <Divider label="Headers" labelPosition="left" />
          {detail === 'loading' ? <Loader size="sm" /> : detail ? (
            <ScrollArea.Autosize mah={300}><Code block data-testid="headers">{detail.headers}</Code></ScrollArea.Autosize>
          ) : <Text size="sm" c="dimmed">The message is no longer in the queue.</Text>}
        </Stack>
      )}
    </Drawer>
  );
}
