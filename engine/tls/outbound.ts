// Outbound TLS policy for the SMTP transport: may we try STARTTLS with this
// remote server? `Try_TLS:host NO` in the access map says no for servers whose TLS
// is broken (the seeds' "TLS handshake failed" case); a smart host that requires
// TLS is never downgraded. Pure; the transport asks, this answers.
import type { Settings } from '../config/schema.ts';
import { accessMapOf } from '../config/access-map.ts';

/** false = skip STARTTLS with this server (host name as connected, and its IP if known). */
export function tryTls(settings: Pick<Settings, 'access'>, host: string, ip?: string): boolean {
  return accessMapOf(settings).tryTls(host.replace(/^\[|\]$/g, ''), ip);
}
