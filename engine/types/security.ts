// The security part of the EngineApi contract (issue 6): the relay tester's
// question and answer, DNSBL results, health items, certificate facts and the
// SecurityApi methods. Types (and the method list) only: engine/api.ts and the
// stages that answer these questions (policy, tls) both import from here, so the
// contract never names an implementation file.
import type { Settings } from '../config/schema.ts';
import type { FieldError } from '../contracts.ts';

export interface RelayTestRequest {
  /** Client IP address. */
  client: string;
  /** Recipient address (as given to RCPT TO). */
  recipient: string;
  /** Envelope sender; default '' (<>) — no From: rule applies to it. */
  sender?: string;
  /** Client host name if known (matches relay domains / Connect: host rules). */
  hostname?: string;
  /** Authenticated user name, to ask "would alice relay?". */
  user?: string;
  /** Address the client connects to; default the listen address (127.0.0.1 for a wildcard). */
  localAddress?: string;
}

export interface RelayTestResult {
  /** The recipient would be accepted. */
  accepted: boolean;
  /** Accepted and not one of our own domains: mail would leave through us. */
  relayed: boolean;
  /** The recipient's domain is one of ours. */
  local: boolean;
  /** What the client would be told: "250 2.1.5 Ok" or the refusal. */
  reply: string;
  /** Which step decided a refusal. */
  stage: 'connect' | 'mail' | 'rcpt';
}

export type DnsblList = Settings['antispam']['dnsbl'][number];

export interface DnsblResult {
  zone: string;
  /** The name that was looked up. */
  query: string;
  status: 'listed' | 'not-listed' | 'error';
  /** A records returned (also when they did not match). */
  answers: string[];
  /** TXT reason some lists publish (best effort, only when listed). */
  reason?: string;
  /** DNS error code when status is 'error'. */
  error?: string;
}

export type HealthLevel = 'ok' | 'warn' | 'error';

export interface HealthItem {
  level: HealthLevel;
  item: 'open-relay' | 'certificate' | 'auth' | 'dh-params' | 'smart-host' | 'dnsbl' | 'privacy';
  detail: string;
  /** The setting to fix, when there is one. */
  field?: string;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** DNS names and IP addresses of subjectAltName. */
  altNames: string[];
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** Whole days until expiry (negative once expired). */
  daysLeft: number;
  selfSigned: boolean;
  fingerprint256: string;
  serialNumber: string;
  /** "RSA 2048", "EC prime256v1", ... */
  publicKey: string;
}

export interface TlsCheck {
  errors: FieldError[];
  warnings: FieldError[];
  info: CertificateInfo | null;
}

/** The TLS files a change produced (relative to home), whether they were saved to settings, and their check. */
export type TlsChange =
  | { ok: true; tls: Partial<Settings['tls']>; check: TlsCheck; applied: boolean }
  | { ok: false; errors: FieldError[] };

export interface CertificateImport { certPem: string; keyPem: string; caPem?: string }

export type CertificateStatus = TlsCheck & { configured: boolean };

export interface SecurityApi {
  /** "Would this client relay to this recipient?" — the real policy's answer. */
  testRelay(request: RelayTestRequest): Promise<RelayTestResult>;
  /** Look an IP up in the given block lists (an unsaved form) or the saved ones. */
  testDnsbl(ip: string, lists?: DnsblList[]): Promise<DnsblResult[]>;
  /** The Overview's health items; `probeSmartHost` also connects to the smart host. */
  healthCheck(options?: { probeSmartHost?: boolean }): Promise<HealthItem[]>;
  /** Self-signed certificate for the host name, saved as tls.cert / tls.key. */
  generateSelfSigned(options?: { hostname?: string; days?: number }): Promise<TlsChange>;
  /** DH parameters (2048 bits unless more is asked), saved as tls.dhParams; progress as `tls:dhparams` events. */
  generateDhParams(options?: { bits?: number }): Promise<TlsChange>;
  /** Check a certificate/key(/CA) pasted or uploaded as PEM; when they match, save them. */
  importCertificate(pem: CertificateImport): Promise<TlsChange>;
  /** The configured certificate: subject, names, validity, self-signed, problems by field. */
  certificateInfo(): Promise<CertificateStatus>;
  /** scrypt hash for users[].passwordHash (the password never reaches config.json). */
  hashPassword(password: string): Promise<string>;
}

export const SECURITY_API_METHODS = [
  'testRelay', 'testDnsbl', 'healthCheck', 'generateSelfSigned', 'generateDhParams',
  'importCertificate', 'certificateInfo', 'hashPassword',
] as const satisfies readonly (keyof SecurityApi)[];
