// Network errors in words: Node and nodemailer report "connect ECONNREFUSED
// 127.0.0.1:2525 (ESOCKET)"; a person needs "nothing is listening at
// 127.0.0.1:2525". The original code stays in brackets for whoever searches it.

const RULES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/connect ECONNREFUSED (\S+)/, (m) => `nothing is listening at ${m[1]}: the connection was refused`],
  [/(?:connect )?ETIMEDOUT(?: (\S+))?|timed? ?out/i, (m) => `no answer${m[1] ? ` from ${m[1]}` : ''}: the connection timed out`],
  [/getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (\S+)/, (m) => `the name ${m[1]} cannot be found in DNS`],
  [/(?:connect )?EHOSTUNREACH(?: (\S+))?/, (m) => `no route to ${m[1] ?? 'the host'}: the host is unreachable`],
  [/(?:connect )?ENETUNREACH(?: (\S+))?/, (m) => `no route to ${m[1] ?? 'the host'}: this machine's network is down`],
  [/ECONNRESET/, () => 'the other side cut the connection'],
  [/self[- ]signed certificate/i, () => "the server's certificate is self-signed, so it is not trusted"],
  [/certificate has expired/i, () => "the server's certificate has expired"],
  [/Hostname\/IP does not match certificate's altnames/i, () => "the server's certificate is for another name"],
  [/Invalid login|535/, () => 'the user name or password was refused'],
];

const CODE = /\b(E[A-Z]{4,}|ESOCKET|ECONNECTION|EAUTH|ETLS)\b/;

/** The error in words, with the technical code kept in brackets; text without a known error comes back as it was. */
export function plainError(text: string): string {
  for (const [re, words] of RULES) {
    const m = re.exec(text);
    if (m) {
      const code = CODE.exec(text)?.[1];
      return code ? `${words(m)} (${code})` : words(m);
    }
  }
  return text;
}

/** What a failed call says, as text (an Error's message, anything else as it prints). */
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
