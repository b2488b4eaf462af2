// Password hashes for SMTP AUTH users: round trip, wrong password, unknown user,
// damaged hash — and the stored form carries its parameters.
import { describe, expect, it } from 'vitest';
import { authenticate, hashPassword, parseHash, validateUsers, verifyPassword } from '../../../engine/policy/auth-users.ts';

// A cheap cost for tests (the default is for real passwords).
const FAST = { N: 1024, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  it('stores scrypt$N$r$p$salt$hash and verifies the right password only', async () => {
    const h = await hashPassword('correct horse', FAST);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct horsf', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
  });
  it('salts: the same password hashes differently twice', async () => {
    expect(await hashPassword('pw', FAST)).not.toBe(await hashPassword('pw', FAST));
  });
  it('the default cost is N=16384', async () => {
    expect(parseHash(await hashPassword('pw'))).toMatchObject({ N: 16384, r: 8, p: 1 });
  });
  const damaged = ['', 'plain-text', 'scrypt$1024$8$1$c2FsdA==', 'scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', 'scrypt$4194304$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', 'bcrypt$10$abc'];
  for (const h of damaged) {
    it(`a damaged hash never matches: ${JSON.stringify(h)}`, async () => {
      expect(await verifyPassword('anything', h)).toBe(false);
    });
  }
});

describe('authenticate', () => {
  it('right user and password; wrong password; unknown user', async () => {
    const users = [{ name: 'alice', passwordHash: await hashPassword('s3cret', FAST) }];
    const cases: [string, string, boolean][] = [
      ['alice', 's3cret', true], ['ALICE', 's3cret', true], ['alice', 'S3cret', false], ['bob', 's3cret', false], ['', '', false],
    ];
    for (const [user, pass, want] of cases) expect([user, pass, await authenticate(users, user, pass)]).toEqual([user, pass, want]);
  });
});

describe('validateUsers', () => {
  it('names each bad field', async () => {
    const good = await hashPassword('x', FAST);
    expect(validateUsers([
      { name: 'alice', passwordHash: good },
      { name: 'Alice', passwordHash: good },
      { name: 'bad name', passwordHash: 'plain' },
    ])).toEqual([
      { path: 'users[1].name', message: '"Alice" is listed twice' },
      { path: 'users[2].name', message: 'a user name without spaces or colons' },
      { path: 'users[2].passwordHash', message: 'not a scrypt$N$r$p$salt$hash value; set the password again' },
    ]);
  });
});
