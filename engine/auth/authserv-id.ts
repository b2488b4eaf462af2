// The authserv-id of an Authentication-Results: field (RFC 8601 §2.2), apart from
// verify.ts so that cleanup, which every local submission loads, does not load mailauth.
/**
 * The authserv-id of an Authentication-Results field value (RFC 8601 §2.2: the
 * first token, before any version and the ';'), lower-case.
 */
export function authservId(value: string): string {
  const v = value.replace(/\([^()]*\)/g, ' ').trim();
  return (v.split(/[\s;]/)[0] ?? '').toLowerCase();
}
