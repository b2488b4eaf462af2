// A raw SMTP client for the security tests: exact bytes out, whole replies in,
// bound to any loopback address (127.0.0.2 plays a stranger), with STARTTLS and
// implicit TLS. Library clients would hide what these tests look at (pipelined
// bytes around STARTTLS, AUTH on plaintext), so this one does nothing on its own.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export class SmtpClient {
  private buf = '';
  private replies: string[] = [];
  private waiters: ((r: string | null) => void)[] = [];
  closed = false;
  socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.parse();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, opts: { localAddress?: string; tls?: boolean; cert?: { key: Buffer; cert: Buffer } } = {}): Promise<SmtpClient> {
    return new Promise((resolve, reject) => {
      const socket: Socket = opts.tls
        // tls.connect hands localAddress on to net.connect; its typings just do not list it.
        ? tlsConnect({ host: '127.0.0.1', port, localAddress: opts.localAddress, rejectUnauthorized: false, ...(opts.cert ?? {}) } as ConnectionOptions, () => resolve(new SmtpClient(socket)))
        : netConnect({ host: '127.0.0.1', port, localAddress: opts.localAddress }, () => resolve(new SmtpClient(socket)));
      socket.once('error', reject);
    });
  }

  private parse(): void {
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.buf);
      if (!m) return;
      this.buf = this.buf.slice(m[0].length);
      const reply = m[0].replace(/\r\n$/, '').split('\r\n').join('\n');
      const w = this.waiters.shift();
      if (w) w(reply);
      else this.replies.push(reply);
    }
  }

  reply(): Promise<string | null> {
    const r = this.replies.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Replies received but not yet read (to check nothing extra arrived). */
  pending(): string[] { return [...this.replies]; }

  send(data: string): void { this.socket.write(Buffer.from(data, 'latin1')); }

  async cmd(line: string): Promise<string | null> {
    this.send(line + '\r\n');
    return this.reply();
  }

  /** Hand the socket to TLS (after a 220 to STARTTLS). Bytes the server sends in plaintext afterwards are lost, as they should be. */
  async upgrade(cert?: { key: Buffer; cert: Buffer }): Promise<TLSSocket> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    this.buf = '';
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, rejectUnauthorized: false, ...(cert ?? {}) }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
    return secure;
  }

  end(): void { this.socket.destroy(); }
}

/** "250 2.1.5 Ok" → "250 2.1.5"; null → "closed". */
export function codeOf(reply: string | null): string {
  if (reply === null) return 'closed';
  const m = /^(\d{3})[ -](\d\.\d{1,3}\.\d{1,3} )?/.exec(reply.split('\n').pop()!);
  return m ? (m[1] + (m[2] ? ' ' + m[2].trim() : '')) : reply;
}

export const plainAuth = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');
