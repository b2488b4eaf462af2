// Which links may leave the app for the system browser / mail client.
// Electron security checklist: "Do not use shell.openExternal with untrusted
// content" — a link in a message header or an SMTP reply is untrusted, and
// `file:`, `javascript:`, `smb:` or a custom handler scheme can run things.
// Owns the allow-list and the one call to shell.openExternal; never navigates
// the app window.
import { shell } from 'electron';

/** Only the web (TLS) and mail: what an MTA console may link to. */
const ALLOWED = new Set(['https:', 'mailto:']);

/**
 * The normalised URL if it may be opened outside the app, else null.
 * https needs a host and no user:password@ part (it hides the real host from a
 * reader: https://bank.example@evil.example/).
 */
export function safeExternalUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    if (err instanceof TypeError) return null; // not a URL
    throw err;
  }
  if (!ALLOWED.has(url.protocol)) return null;
  if (url.protocol === 'https:' && (url.hostname === '' || url.username !== '' || url.password !== '')) return null;
  if (url.protocol === 'mailto:' && url.pathname === '' && url.search === '') return null;
  return url.href;
}

/** Open in the system's handler after validation; false (and nothing opened) when refused. */
export async function openExternalSafely(raw: unknown): Promise<boolean> {
  const url = safeExternalUrl(raw);
  if (url === null) return false;
  await shell.openExternal(url);
  return true;
}
