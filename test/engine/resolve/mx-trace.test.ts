// The address tester shows MX hosts when it has DNS: a real dns2 server on
// loopback (port 0), asked through node's resolver as engine/dns does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Resolver as DnsResolver } from 'node:dns/promises';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { createResolver, formatTrace, type MxLookup } from '../../../engine/resolve/index.ts';

// dns2 ships no type declarations; load it through require and type what we use.
interface Dns2Packet { questions: { name: string; type: number }[]; answers: unknown[]; header: { rcode: number } }
interface Dns2 {
  Packet: { TYPE: Record<string, number>; CLASS: Record<string, number>; RCODE: Record<string, number>; createResponseFromRequest(r: Dns2Packet): Dns2Packet };
  createServer(o: { udp: boolean; handle: (req: Dns2Packet, send: (res: Dns2Packet) => void) => void }): {
    listen(o: { udp: { port: number; address: string } }): Promise<void>;
    addresses(): { udp: { port: number } };
    close(): Promise<void>;
  };
}
const dns2 = createRequire(import.meta.url)('dns2') as Dns2;
const { Packet } = dns2;

const server = dns2.createServer({
  udp: true,
  handle(request, send) {
    const response = Packet.createResponseFromRequest(request);
    const [q] = request.questions;
    if (q.name === 'two.example' && q.type === Packet.TYPE.MX) {
      response.answers.push(
        { name: q.name, type: Packet.TYPE.MX, class: Packet.CLASS.IN, ttl: 60, exchange: 'backup.two.example', priority: 20 },
        { name: q.name, type: Packet.TYPE.MX, class: Packet.CLASS.IN, ttl: 60, exchange: 'mx.two.example', priority: 10 },
      );
    } else if (q.name !== 'plain.example') {
      response.header.rcode = Packet.RCODE.NXDOMAIN;
    }
    send(response);
  },
});

let dns: MxLookup;
beforeAll(async () => {
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const r = new DnsResolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${server.addresses().udp.port}`]);
  dns = r;
});
afterAll(async () => { await server.close(); });

describe('MX in the trace', () => {
  it.each([
    { got: 'a@two.example', want: 'mx: two.example → 10 mx.two.example, 20 backup.two.example' },
    { got: 'a@plain.example', want: 'mx: plain.example has no MX: the domain itself (implicit MX, RFC 5321 §5.1)' },
    { got: 'a@gone.example', want: 'mx: gone.example does not exist (NXDOMAIN); delivery will bounce' },
  ])('$got', async ({ got, want }) => {
    const resolver = createResolver({ settings: SettingsSchema.parse({}), home: '/nonexistent', passwdFile: '', dns });
    const res = await resolver.resolve(got);
    expect(formatTrace(res.trace)[1]).toBe(want);
    // Whatever DNS says, the decision is delivery's: the destination is the domain.
    expect(res.destinations).toMatchObject([{ transport: 'smtp', nexthop: got.split('@')[1], mailer: 'esmtp' }]);
  });
});
