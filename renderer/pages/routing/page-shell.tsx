// The frame of every routing page: its title, what it is in Sendmail's words, and
// the address tester one click away. Also the small list editor the pages share
// (local domains, forwarding targets): one text field per row, keyboard-first.
import { ActionIcon, Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { TesterButton } from './address-tester.tsx';

export function RoutingPage({ title, sendmail, suggest, children }: { title: string; sendmail: ReactNode; suggest?: string; children: ReactNode }) {
  return (
    <Stack gap="md" maw={920}>
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={2}>{title}</Title>
          <Text size="sm" c="dimmed">{sendmail}</Text>
        </div>
        <TesterButton suggest={suggest} />
      </Group>
      {children}
    </Stack>
  );
}

/** The first local domain (or the host name): where the pages' example addresses live. */
export function exampleDomain(s: { hostname: string; domains: { local: string[] } } | null): string {
  return s?.domains.local[0] ?? s?.hostname ?? 'localhost';
}

export const RemoveIcon = () => (
  <svg width={16} height={16} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" aria-hidden="true" focusable="false">
    <path d="M6 6l12 12M18 6L6 18" />
  </svg>
);

export interface ListEditorProps {
  /** Names the rows for screen readers and tests: "Local domain 1". */
  itemLabel: string;
  values: string[];
  onChange(values: string[]): void;
  errorFor?(index: number): string | undefined;
  placeholder?: string;
  addLabel: string;
}

/** Rows of text fields with remove buttons, and an "add" field that adds on Enter. */
export function ListEditor({ itemLabel, values, onChange, errorFor, placeholder, addLabel }: ListEditorProps) {
  const [next, setNext] = useState('');
  const add = (): void => {
    const v = next.trim();
    if (v === '') return;
    onChange([...values, v]);
    setNext('');
  };
  return (
    <Stack gap={6}>
      {values.map((v, i) => (
        <Group key={i} gap="xs" align="flex-start" wrap="nowrap">
          <TextInput aria-label={`${itemLabel} ${i + 1}`} value={v} style={{ flex: 1 }} error={errorFor?.(i)}
            onChange={(e) => { const copy = [...values]; copy[i] = e.currentTarget.value; onChange(copy); }} />
          <ActionIcon variant="subtle" color="gray" size="lg" aria-label={`Remove ${v || `${itemLabel} ${i + 1}`}`}
            onClick={() => onChange(values.filter((_, j) => j !== i))}><RemoveIcon /></ActionIcon>
        </Group>
      ))}
      <Group gap="xs" wrap="nowrap">
        <TextInput aria-label={addLabel} placeholder={placeholder} value={next} style={{ flex: 1 }}
          onChange={(e) => setNext(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }} />
        <Button variant="default" onClick={add} disabled={next.trim() === ''}>{addLabel}</Button>
      </Group>
    </Stack>
  );
}
