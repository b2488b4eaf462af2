// An independent DKIM verifier for tests: Debian's python3-dkim (dkimpy), fed the
// TXT records a test's loopback DNS server publishes (looked up through that
// server by node's resolver and handed to dkimpy's dnsfunc). Verifies every
// DKIM-Signature of a message and reports each one's d=, s=, a= and verdict.
import { execFile } from 'node:child_process';
import { promises as dnsPromises } from 'node:dns';

export interface DkimpyResult { d: string; s: string; a: string; ok: boolean; error?: string }

const SCRIPT = String.raw`
import sys, json, re, dkim
records = json.loads(sys.argv[1])
msg = sys.stdin.buffer.read()
def dnsfunc(name, timeout=5):
    n = (name.decode() if isinstance(name, bytes) else name).rstrip('.').lower()
    r = records.get(n)
    return r.encode() if r is not None else None
d = dkim.DKIM(msg)
out = []
sigs = [h for h in d.headers if h[0].lower() == b'dkim-signature']
for i, (_, value) in enumerate(sigs):
    tags = dict((k.strip(), v.strip()) for k, v in (t.split('=', 1) for t in re.sub(rb'\s+', b'', value).decode().split(';') if '=' in t))
    try:
        ok = d.verify(idx=i, dnsfunc=dnsfunc)
        out.append(dict(d=tags.get('d'), s=tags.get('s'), a=tags.get('a'), ok=bool(ok)))
    except Exception as e:
        out.append(dict(d=tags.get('d'), s=tags.get('s'), a=tags.get('a'), ok=False, error=str(e)))
print(json.dumps(out))
`;

/** TXT records of `names`, asked of the DNS server at "127.0.0.1:PORT" (strings of one record joined). */
export async function publishedRecords(server: string, names: string[]): Promise<Record<string, string>> {
  const r = new dnsPromises.Resolver({ timeout: 2000, tries: 2 });
  r.setServers([server]);
  const out: Record<string, string> = {};
  for (const n of names) out[n.toLowerCase()] = (await r.resolveTxt(n)).map((parts) => parts.join('')).join('');
  return out;
}

export function dkimpyVerify(message: Buffer, records: Record<string, string>): Promise<DkimpyResult[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', SCRIPT, JSON.stringify(records)], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`dkimpy failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as DkimpyResult[]);
    });
    child.stdin!.end(message);
  });
}

const SIGN_SCRIPT = String.raw`
import sys, dkim
selector, domain, keyfile = sys.argv[1], sys.argv[2], sys.argv[3]
msg = sys.stdin.buffer.read()
key = open(keyfile, 'rb').read()
sig = dkim.sign(msg, selector.encode(), domain.encode(), key, canonicalize=(b'relaxed', b'relaxed'),
                include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])
sys.stdout.buffer.write(sig + msg)
`;

/** The message signed by dkimpy (a sender we do not write), RSA key in PEM at `keyFile`. */
export function dkimpySign(message: Buffer, selector: string, domain: string, keyFile: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', SIGN_SCRIPT, selector, domain, keyFile], { timeout: 60_000, encoding: 'buffer' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`dkimpy sign failed: ${err.message}\n${stderr.toString()}`));
      resolve(stdout);
    });
    child.stdin!.end(message);
  });
}
