// Mailertable semantics as tables: which key matches, what a route means.
import { describe, expect, it } from 'vitest';
import { RouteSchema, type Route } from '../../../engine/config/schema.ts';
import { findRoute, parseErrorRoute, routeTarget, splitHostPort } from '../../../engine/resolve/routes.ts';

const routes: Route[] = [
  { domain: 'example.com', mailer: 'esmtp', host: '[192.0.2.1]' },
  { domain: '.example.com', mailer: 'relay', host: 'gw.example.com' },
  { domain: '.a.example.com', mailer: 'smtp', host: 'a-gw.example.com:2525' },
  { domain: 'Dup.Example', mailer: 'esmtp', host: 'first.example' },
  { domain: 'dup.example', mailer: 'esmtp', host: 'second.example' },
].map((r) => RouteSchema.parse(r));

describe('findRoute', () => {
  const cases: { got: string; want: string | undefined }[] = [
    { got: 'example.com', want: 'example.com' },
    { got: 'EXAMPLE.COM', want: 'example.com' },
    { got: 'b.example.com', want: '.example.com' },
    { got: 'x.a.example.com', want: '.a.example.com' },
    { got: 'a.example.com', want: '.example.com' },
    { got: 'notexample.com', want: undefined },
    { got: 'dup.example', want: 'Dup.Example' },
  ];
  it.each(cases)('$got → $want', ({ got, want }) => {
    expect(findRoute(got, routes)?.domain).toBe(want);
  });

  it('"." catches every domain, but only after all longer keys', () => {
    const all = [...routes, RouteSchema.parse({ domain: '.', mailer: 'relay', host: 'outbound.example' })];
    expect(findRoute('anything.example', all)?.domain).toBe('.');
    expect(findRoute('b.example.com', all)?.domain).toBe('.example.com');
  });
});

describe('routeTarget', () => {
  const cases: { name: string; route: Partial<Route>; want: unknown }[] = [
    { name: 'esmtp to an IP, no MX', route: { mailer: 'esmtp', host: '[10.0.0.5]' }, want: { kind: 'smtp', mailer: 'esmtp', nexthop: '[10.0.0.5]' } },
    { name: 'port in the host', route: { mailer: 'smtp', host: '[10.0.0.5]:2525' }, want: { kind: 'smtp', mailer: 'smtp', nexthop: '[10.0.0.5]', port: 2525 } },
    { name: 'port field wins', route: { mailer: 'relay', host: 'gw.example:2525', port: 587 }, want: { kind: 'smtp', mailer: 'relay', nexthop: 'gw.example', port: 587 } },
    { name: 'empty host: the domain\'s own MX', route: { mailer: 'esmtp', host: '' }, want: { kind: 'smtp', mailer: 'esmtp', nexthop: 'dest.example' } },
    { name: 'local:user', route: { mailer: 'local', host: 'Spamtrap' }, want: { kind: 'local', user: 'spamtrap' } },
    { name: 'local: without a user', route: { mailer: 'local', host: '' }, want: { kind: 'local', user: null } },
    { name: 'error with status and reply code', route: { mailer: 'error', host: '5.7.1:550 go away' }, want: { kind: 'error', status: '5.7.1', reason: 'go away' } },
    { name: 'bad port', route: { mailer: 'esmtp', host: 'gw.example:99999' }, want: { kind: 'invalid', reason: 'bad port 99999 in "gw.example:99999"' } },
    { name: 'unknown mailer', route: { mailer: 'uucp' as Route['mailer'], host: 'x' }, want: { kind: 'invalid', reason: 'unknown mailer "uucp"' } },
  ];
  it.each(cases)('$name', ({ route, want }) => {
    expect(routeTarget({ domain: 'dest.example', host: '', ...route } as Route, 'dest.example')).toEqual(want);
  });
});

describe('parseErrorRoute', () => {
  const cases = [
    { got: '5.7.1:This domain is closed', want: { kind: 'error', status: '5.7.1', reason: 'This domain is closed' } },
    { got: '4.4.5:421 try later', want: { kind: 'error', status: '4.4.5', reason: 'try later' } },
    { got: '550 mailbox retired', want: { kind: 'error', status: '5.0.0', reason: 'mailbox retired' } },
    { got: 'no mail here', want: { kind: 'error', status: '5.0.0', reason: 'no mail here' } },
    { got: '', want: { kind: 'error', status: '5.0.0', reason: 'rejected by route' } },
  ];
  it.each(cases)('$got', ({ got, want }) => { expect(parseErrorRoute(got)).toEqual(want); });
});

describe('splitHostPort', () => {
  it.each([
    { got: 'mx.example', want: { host: 'mx.example' } },
    { got: '[::1]:25', want: { host: '[::1]', port: 25 } },
    { got: 'a:b:c', want: { error: 'bad host "a:b:c": use host, host:port, [ip] or [ip]:port' } },
  ])('$got', ({ got, want }) => { expect(splitHostPort(got)).toEqual(want); });
});
