// The access map: validation names the rule and field; lookups pick the most
// specific key the way Sendmail does; actions become the verdicts smtpd replies with.
import { describe, expect, it } from 'vitest';
import { compileAccessMap, validateAccessRules, verdictOf } from '../../../engine/config/access-map.ts';

describe('validateAccessRules', () => {
  const cases: { name: string; rule: { key: string; action: string }; want: string | null }[] = [
    { name: 'IP', rule: { key: 'Connect:192.168.1.10', action: 'RELAY' }, want: null },
    { name: 'Sendmail prefix', rule: { key: 'Connect:192.168.1', action: 'OK' }, want: null },
    { name: 'CIDR', rule: { key: 'Connect:10.0.0.0/8', action: 'REJECT' }, want: null },
    { name: 'IPv6 tagged', rule: { key: 'Connect:IPv6:2001:db8::1', action: 'OK' }, want: null },
    { name: 'IPv6 CIDR', rule: { key: 'Connect:2001:db8::/32', action: 'OK' }, want: null },
    { name: 'domain', rule: { key: 'From:spam.example', action: 'DISCARD' }, want: null },
    { name: 'address', rule: { key: 'From:a@b.example', action: 'REJECT' }, want: null },
    { name: 'user@', rule: { key: 'To:postmaster@', action: 'OK' }, want: null },
    { name: 'untagged', rule: { key: 'spam.example', action: 'REJECT' }, want: null },
    { name: 'ERROR quoted', rule: { key: 'From:x.example', action: 'ERROR:"550 5.7.1 go away"' }, want: null },
    { name: 'ERROR with dsn', rule: { key: 'From:x.example', action: 'ERROR:4.7.1:"451 try later"' }, want: null },
    { name: 'Srv_Features default', rule: { key: 'Srv_Features:', action: 'V' }, want: null },
    { name: 'Try_TLS', rule: { key: 'Try_TLS:broken.example', action: 'NO' }, want: null },
    { name: 'Spam friend', rule: { key: 'Spam:abuse@example.org', action: 'FRIEND' }, want: null },
    { name: 'bad CIDR prefix', rule: { key: 'Connect:10.0.0.0/33', action: 'OK' }, want: 'access[0].key: "10.0.0.0/33" has a bad prefix length "/33" (0–32)' },
    { name: 'CIDR host bits', rule: { key: 'Connect:10.0.0.1/8', action: 'OK' }, want: 'access[0].key: "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?' },
    { name: 'CIDR not an IP', rule: { key: 'Connect:10.0.0/8', action: 'OK' }, want: 'access[0].key: "10.0.0/8" is not a network: "10.0.0" is not an IP address' },
    { name: 'octet out of range', rule: { key: 'Connect:192.168.300', action: 'OK' }, want: 'access[0].key: "192.168.300" is not an IPv4 address or prefix (octets are 0–255)' },
    { name: 'unknown tag', rule: { key: 'Conect:1.2.3.4', action: 'OK' }, want: 'access[0].key: unknown tag "Conect:" (use Connect:, From:, To:, Srv_Features:, Try_TLS: or Spam:)' },
    { name: 'address on Connect', rule: { key: 'Connect:a@b.example', action: 'OK' }, want: 'access[0].key: "a@b.example" is an address; this tag takes an IP, a network or a host name' },
    { name: 'nothing after tag', rule: { key: 'From:', action: 'OK' }, want: 'access[0].key: "From:" names nothing after the tag' },
    { name: 'bad domain', rule: { key: 'From:bad_domain..example', action: 'OK' }, want: 'access[0].key: "bad_domain..example" is not an IP address, network, domain or address' },
    { name: 'unknown action', rule: { key: 'From:x.example', action: 'DENY' }, want: 'access[0].action: unknown action "DENY" (OK, RELAY, REJECT, DISCARD, SKIP or ERROR:"550 5.7.1 text")' },
    { name: 'ERROR without code', rule: { key: 'From:x.example', action: 'ERROR:go away' }, want: 'access[0].action: ERROR needs a reply code 4xx or 5xx, e.g. ERROR:"550 5.7.1 Access denied"' },
    { name: 'ERROR class mismatch', rule: { key: 'From:x.example', action: 'ERROR:5.7.1:"451 later"' }, want: 'access[0].action: reply code 451 and status 5.7.1 disagree (both 4 or both 5)' },
    { name: 'Srv_Features bad letter', rule: { key: 'Srv_Features:', action: 'X' }, want: 'access[0].action: unknown feature letter "X" (S = no STARTTLS, V = no client certificate, A = no AUTH; lower case turns it on)' },
    { name: 'Try_TLS bad value', rule: { key: 'Try_TLS:x.example', action: 'MAYBE' }, want: 'access[0].action: Try_TLS takes NO or YES' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = validateAccessRules([c.rule]).map((e) => `${e.path}: ${e.message}`);
      expect(got).toEqual(c.want ? [c.want] : []);
    });
  }

  it('names the index of the bad rule among good ones', () => {
    const got = validateAccessRules([
      { key: 'Connect:1.2.3.4', action: 'OK' },
      { key: 'From:a.example', action: 'REJECT' },
      { key: 'To:b.example', action: 'RELAY' },
      { key: 'Connect:1.2.3.0/40', action: 'OK' },
    ]);
    expect(got.map((e) => e.path)).toEqual(['access[3].key']);
  });
});

describe('lookups', () => {
  const map = compileAccessMap([
    { key: 'Connect:192.168', action: 'REJECT' },
    { key: 'Connect:192.168.1', action: 'OK' },
    { key: 'Connect:192.168.1.10', action: 'RELAY' },
    { key: 'Connect:10.0.0.0/8', action: 'DISCARD' },
    { key: 'Connect:10.1.0.0/16', action: 'OK' },
    { key: 'Connect:IPv6:2001:db8::/32', action: 'REJECT' },
    { key: 'Connect:example.net', action: 'REJECT' },
    { key: 'Connect:ok.example.net', action: 'OK' },
    { key: 'From:spam.example', action: 'REJECT' },
    { key: 'From:friend@spam.example', action: 'OK' },
    { key: 'From:mailer-daemon@', action: 'DISCARD' },
    { key: 'To:gone@example.org', action: 'ERROR:"550 5.1.6 User has moved"' },
    { key: 'To:partner.example', action: 'RELAY' },
    { key: '203.0.113.7', action: 'REJECT' },
    { key: 'Srv_Features:', action: 'V' },
    { key: 'Srv_Features:192.0.2', action: 'S' },
    { key: 'Srv_Features:192.0.2.5', action: 'v' },
    { key: 'Try_TLS:broken.example', action: 'NO' },
    { key: 'Try_TLS:198.51.100.9', action: 'NO' },
    { key: 'Spam:abuse@example.org', action: 'FRIEND' },
    { key: 'Spam:example.com', action: 'HATER' },
  ]);
  const kind = (a: ReturnType<typeof map.connect>) => (a ? a.kind : null);

  const connects: { address: string; hostname?: string; want: string | null }[] = [
    { address: '192.168.1.10', want: 'RELAY' },
    { address: '::ffff:192.168.1.10', want: 'RELAY' },
    { address: '192.168.1.11', want: 'OK' },
    { address: '192.168.2.1', want: 'REJECT' },
    { address: '10.9.9.9', want: 'DISCARD' },
    { address: '10.1.2.3', want: 'OK' },
    { address: '2001:db8::5', want: 'REJECT' },
    { address: '2001:db9::5', want: null },
    { address: '203.0.113.7', want: 'REJECT' },
    { address: '198.51.100.1', hostname: 'mx.example.net', want: 'REJECT' },
    { address: '198.51.100.1', hostname: 'mx.ok.example.net', want: 'OK' },
    { address: '198.51.100.1', hostname: 'notexample.net', want: null },
    { address: '198.51.100.1', want: null },
  ];
  for (const c of connects) {
    it(`Connect ${c.address}${c.hostname ? ` (${c.hostname})` : ''} → ${c.want}`, () => {
      expect(kind(map.connect({ address: c.address, hostname: c.hostname }))).toBe(c.want);
    });
  }

  const froms: [string, string | null][] = [
    ['x@spam.example', 'REJECT'], ['x@mail.spam.example', 'REJECT'], ['friend@spam.example', 'OK'],
    ['Friend@SPAM.example', 'OK'], ['MAILER-DAEMON@anywhere.example', 'DISCARD'], ['x@ok.example', null], ['', null],
  ];
  for (const [sender, want] of froms) {
    it(`From <${sender}> → ${want}`, () => expect(kind(map.from(sender))).toBe(want));
  }

  it('To: ERROR carries its own code and text', () => {
    const got = map.to('gone@example.org');
    expect(got && verdictOf(got, '<gone@example.org>')).toEqual({ action: 'reject', code: 550, enhanced: '5.1.6', text: 'User has moved' });
  });
  it('To: RELAY for a domain', () => expect(kind(map.to('x@partner.example'))).toBe('RELAY'));

  it('Srv_Features: default, network and host entries', () => {
    expect(map.srvFeatures({ address: '198.51.100.1' })).toEqual({ starttls: true, requestCert: false, auth: true });
    expect(map.srvFeatures({ address: '192.0.2.1' })).toEqual({ starttls: false, requestCert: true, auth: true });
    expect(map.srvFeatures({ address: '192.0.2.5' })).toEqual({ starttls: true, requestCert: true, auth: true });
  });

  it('Try_TLS by name, by IP, default yes', () => {
    expect(map.tryTls('broken.example')).toBe(false);
    expect(map.tryTls('mx.broken.example')).toBe(false);
    expect(map.tryTls('fine.example', '198.51.100.9')).toBe(false);
    expect(map.tryTls('[198.51.100.9]'.replace(/^\[|\]$/g, ''))).toBe(false);
    expect(map.tryTls('fine.example', '198.51.100.10')).toBe(true);
  });

  it('Spam: FRIEND and HATER', () => {
    expect(map.spam('abuse@example.org')).toBe('FRIEND');
    expect(map.spam('anyone@example.com')).toBe('HATER');
    expect(map.spam('x@example.org')).toBe(null);
  });
});

describe('verdictOf', () => {
  const cases: { action: string; want: unknown }[] = [
    { action: 'OK', want: { action: 'ok' } },
    { action: 'RELAY', want: { action: 'relay' } },
    { action: 'DISCARD', want: { action: 'discard' } },
    { action: 'REJECT', want: { action: 'reject', code: 550, enhanced: '5.7.1', text: '<x@a.example>... Access denied' } },
    { action: 'ERROR:"550 5.7.1 go away"', want: { action: 'reject', code: 550, enhanced: '5.7.1', text: 'go away' } },
    { action: 'ERROR:4.7.1:"451 try later"', want: { action: 'tempfail', code: 451, enhanced: '4.7.1', text: 'try later' } },
    { action: 'ERROR:553 no such domain', want: { action: 'reject', code: 553, enhanced: '5.7.1', text: 'no such domain' } },
  ];
  for (const c of cases) {
    it(c.action, () => {
      const a = compileAccessMap([{ key: 'From:a.example', action: c.action }]).from('x@a.example');
      expect(a && verdictOf(a, '<x@a.example>')).toEqual(c.want);
    });
  }
});
