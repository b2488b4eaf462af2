// Host names, next hops, route keys and bind addresses as the settings accept
// them (issue 11 §4): table-driven, the error path first.
import { describe, expect, it } from 'vitest';
import { bindAddressError, hostNameError, isLoopbackAddress, nextHopError, routeDomainError } from '../../../engine/config/names.ts';

describe('hostNameError', () => {
  const cases: { got: string; want: RegExp | null }[] = [
    { got: 'not a host!!', want: /is not a host name/ },
    { got: 'foo..bar', want: /empty label/ },
    { got: '.example.com', want: /empty label/ },
    { got: '-x-.com', want: /may not start or end with "-"/ },
    { got: 'x-.example', want: /may not start or end with "-"/ },
    { got: `${'a'.repeat(64)}.example`, want: /label longer than 63/ },
    { got: `${'a.'.repeat(127)}ab`, want: /longer than 253/ },
    { got: '999.1.1.1', want: /looks like an IP address: write it as \[999\.1\.1\.1\]/ },
    { got: 'evil\x1b[2J.example', want: /"evil\\x1b\[2J\.example" is not a host name/ },
    { got: '', want: /empty/ },
    { got: 'mail.example.com', want: null },
    { got: 'mail.example.com.', want: null },
    { got: 'localhost', want: null },
    { got: '12345', want: null },
    { got: 'smtp-relay_1.corp.example', want: null },
    { got: 'xn--bcher-kva.example', want: null },
  ];
  for (const c of cases) it(JSON.stringify(c.got), () => {
    const e = hostNameError(c.got);
    if (c.want === null) expect(e).toBeNull();
    else expect(e).toMatch(c.want);
  });
});

describe('nextHopError, routeDomainError, bindAddressError', () => {
  const cases: { name: string; judge: (s: string) => string | null; got: string; ok: boolean }[] = [
    { name: 'next hop: bracketed IPv4', judge: nextHopError, got: '[10.0.0.5]', ok: true },
    { name: 'next hop: bracketed IPv6', judge: nextHopError, got: '[::1]', ok: true },
    { name: 'next hop: IPv6: tag', judge: nextHopError, got: '[IPv6:2001:db8::1]', ok: true },
    { name: 'next hop: bracketed non-IP', judge: nextHopError, got: '[999.1.1.1]', ok: false },
    { name: 'next hop: name', judge: nextHopError, got: 'mx.example.org', ok: true },
    { name: 'next hop: bare IP', judge: nextHopError, got: '127.0.0.1', ok: true },
    { name: 'next hop: bare non-IP quad', judge: nextHopError, got: '999.1.1.1', ok: false },
    { name: 'next hop: garbage', judge: nextHopError, got: 'not a host!!', ok: false },
    { name: 'route key: subdomains', judge: routeDomainError, got: '.corp.example', ok: true },
    { name: 'route key: everything', judge: routeDomainError, got: '.', ok: true },
    { name: 'route key: double dot', judge: routeDomainError, got: '..corp.example', ok: false },
    { name: 'bind: IPv4', judge: bindAddressError, got: '127.0.0.1', ok: true },
    { name: 'bind: wildcard v6', judge: bindAddressError, got: '::', ok: true },
    { name: 'bind: out-of-range octet', judge: bindAddressError, got: '999.1.1.1', ok: false },
    { name: 'bind: a name', judge: bindAddressError, got: 'localhost', ok: false },
  ];
  for (const c of cases) it(c.name, () => expect(c.judge(c.got) === null).toBe(c.ok));

  it('isLoopbackAddress: 127/8 and ::1 only', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '192.168.1.5', '10.0.0.1'].map(isLoopbackAddress)).toEqual([false, false, false, false]);
  });
});
