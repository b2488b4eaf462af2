// Network errors in words (renderer/lib/errors.ts): what the Smart host test and the
// Queue's "Why" column show instead of raw errno codes.
import { describe, expect, it } from 'vitest';
import { plainError } from '../../../renderer/lib/errors.ts';

describe('plainError', () => {
  const cases = [
    { got: 'connect ECONNREFUSED 127.0.0.1:2525 (ESOCKET)', want: 'nothing is listening at 127.0.0.1:2525: the connection was refused (ECONNREFUSED)' },
    { got: 'getaddrinfo ENOTFOUND smtp.nowhere.example', want: 'the name smtp.nowhere.example cannot be found in DNS (ENOTFOUND)' },
    { got: 'connect ETIMEDOUT 192.0.2.1:587', want: 'no answer from 192.0.2.1:587: the connection timed out (ETIMEDOUT)' },
    { got: 'Invalid login: 535 5.7.8 Error: authentication failed', want: 'the user name or password was refused' },
    { got: '452 4.2.2 Mailbox full', want: '452 4.2.2 Mailbox full' },
  ];
  for (const c of cases) it(c.got, () => expect(plainError(c.got)).toBe(c.want));
});
