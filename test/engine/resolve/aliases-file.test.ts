// newaliases: /etc/aliases text → entries + line-numbered problems.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAliasTargets, findAliasLoops, formatAliasesFile, formatProblem, parseAliasesFile } from '../../../engine/resolve/aliases-file.ts';

describe('parseAliasesFile', () => {
  it('reads a typical file: comments, continuations, quoted programs, includes, /dev/null', () => {
    const text = [
      '# Basic system aliases',
      'MAILER-DAEMON: postmaster',
      'postmaster: root',
      '',
      'dev-null: /dev/null',
      'staff: alice, bob,',
      '\tcarol@other.example',
      'tickets: "|/usr/local/bin/ticket --queue support, urgent"',
      'list: :include:/etc/mail/list',
      'Self: self, \\bob',
    ].join('\n');
    const got = parseAliasesFile(text);
    expect(got.problems).toEqual([]);
    expect(got.aliases).toEqual({
      'mailer-daemon': ['postmaster'],
      postmaster: ['root'],
      'dev-null': ['/dev/null'],
      staff: ['alice', 'bob', 'carol@other.example'],
      tickets: ['"|/usr/local/bin/ticket --queue support, urgent"'],
      list: [':include:/etc/mail/list'],
      self: ['self', '\\bob'],
    });
    expect(got.entries.map((e) => [e.name, e.line])).toContainEqual(['staff', 6]);
  });

  it('reports every problem with its line and keeps the good entries', () => {
    const text = [
      'postmaster: root',        // 1
      'no colon here',           // 2
      'empty:',                  // 3
      'rel: mail/inbox, alice',  // 4
      'prog: |',                 // 5
      'inc: :include:lists/x',   // 6
      'bad name!: root',         // 7
      'postmaster: alice',       // 8
      '  orphan',                // 9 (continues "postmaster" of line 8, still a duplicate)
      'a: b',                    // 10
      'b: c',                    // 11
      'c: a',                    // 12
    ].join('\n');
    const got = parseAliasesFile(text);
    expect(got.problems.map(formatProblem)).toEqual([
      'line 2: error: missing ":" after the alias name in "no colon here"',
      'line 3: error: empty: no targets',
      'line 4: error: rel: relative path "mail/inbox": use an absolute path such as /home/user/mail',
      'line 5: error: prog: empty program after "|"',
      'line 6: error: inc: :include: needs an absolute path, got "lists/x"',
      'line 7: error: bad alias name "bad name!"',
      'line 8: warning: duplicate alias "postmaster" (first on line 1); this one is ignored',
      'line 10: error: alias loop: a → b → c → a',
    ]);
    expect(got.aliases.postmaster).toEqual(['root']);
    expect(got.aliases.rel).toBeUndefined();
  });

  it('a continuation with nothing before it is an error', () => {
    expect(parseAliasesFile('  alice\n').problems.map(formatProblem)).toEqual(['line 1: error: continuation line with no alias before it']);
  });
});

describe('findAliasLoops', () => {
  const cases: { name: string; got: Record<string, string[]>; want: string[][] }[] = [
    { name: 'self reference is not a loop', got: { self: ['self', 'bob'] }, want: [] },
    { name: 'two-step loop', got: { a: ['b'], b: ['a', 'x@y.example'] }, want: [['a', 'b', 'a']] },
    { name: 'a chain without a cycle', got: { a: ['b'], b: ['c'], c: ['/dev/null'] }, want: [] },
  ];
  it.each(cases)('$name', ({ got, want }) => { expect(findAliasLoops(got)).toEqual(want); });
});

describe('checkAliasTargets', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'mailstop-aliases-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('names programs that cannot run and include files that cannot be read', async () => {
    const list = join(dir, 'list');
    await writeFile(list, 'alice\n');
    const { entries } = parseAliasesFile([
      `ok: "|/bin/cat", :include:${list}`,
      'gone: |/nonexistent/procmail -d gone',
      `missing: :include:${join(dir, 'nope')}`,
      'path: |procmail',
    ].join('\n'));
    const got = (await checkAliasTargets(entries)).map(formatProblem);
    expect(got).toEqual([
      'line 2: error: gone: program /nonexistent/procmail cannot be run (ENOENT)',
      `line 3: error: missing: :include: file ${join(dir, 'nope')} cannot be read (ENOENT)`,
    ]);
  });
});

it('formatAliasesFile round-trips through the parser', () => {
  const aliases = { postmaster: ['root'], staff: ['alice', 'bob@other.example'], 'dev-null': ['/dev/null'] };
  expect(parseAliasesFile(formatAliasesFile(aliases)).aliases).toEqual(aliases);
});
