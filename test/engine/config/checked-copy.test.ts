// The checked copy of the settings that one-shot commands (sendmail) use instead of
// validating config.json each run: used only while config.json, the TLS files it
// names and the validator are unchanged; never made of a broken configuration.
// Real files in a temp home; the TLS pair is a real openssl certificate.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCheckedSettings } from '../../../engine/config/checked-copy.ts';
import { ConfigError, loadSettings } from '../../../engine/config/load.ts';
import { selfSignedCert } from '../../helpers/sink.ts';

let home: string;
const copyFile = () => path.join(home, 'config-checked.json');
const writeConfig = (c: unknown) => fs.writeFile(path.join(home, 'config.json'), JSON.stringify(c));

/** Plants a different hostname in the copy, leaving its identities alone: shows whether the copy is what was read. */
async function markCopy(hostname: string): Promise<void> {
  const copy = JSON.parse(await fs.readFile(copyFile(), 'utf8'));
  copy.settings.hostname = hostname;
  await fs.writeFile(copyFile(), JSON.stringify(copy));
}

beforeEach(async () => { home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-checked-')); });
afterEach(async () => { await fs.rm(home, { recursive: true, force: true }); });

describe('loadCheckedSettings', () => {
  it('validates once, writes a private copy, and reads the copy while config.json is unchanged', async () => {
    await writeConfig({ hostname: 'mx.example.org' });
    expect(await loadCheckedSettings(home)).toEqual(await loadSettings(home));
    const st = await fs.stat(copyFile());
    expect(st.mode & 0o777).toBe(0o600);
    await markCopy('from-the-copy.example');
    expect((await loadCheckedSettings(home)).hostname).toBe('from-the-copy.example');
  });

  it('validates afresh once config.json is edited, even to the same size', async () => {
    await writeConfig({ hostname: 'mx1.example.org' });
    await loadCheckedSettings(home);
    await markCopy('stale.example');
    await writeConfig({ hostname: 'mx2.example.org' });
    expect((await loadCheckedSettings(home)).hostname).toBe('mx2.example.org');
  });

  it('never copies a broken config.json, and a broken one is not hidden by an older copy', async () => {
    await writeConfig({ hostname: 'mx.example.org' });
    await loadCheckedSettings(home);
    await writeConfig({ hostname: 'mx.example.org', delivery: { mode: 'sometimes' } });
    await expect(loadCheckedSettings(home)).rejects.toBeInstanceOf(ConfigError);
    await expect(loadCheckedSettings(home)).rejects.toThrow(/delivery\.mode/);
  });

  it('validates afresh when a TLS file the settings name changes', async () => {
    const { cert, key } = await selfSignedCert();
    await fs.writeFile(path.join(home, 'cert.pem'), cert);
    await fs.writeFile(path.join(home, 'key.pem'), key);
    await writeConfig({ hostname: 'mx.example.org', tls: { cert: 'cert.pem', key: 'key.pem' } });
    await loadCheckedSettings(home);
    await markCopy('stale.example');
    expect((await loadCheckedSettings(home)).hostname).toBe('stale.example');
    // A key that no longer parses: the copy must not vouch for it.
    await fs.writeFile(path.join(home, 'key.pem'), 'not a key\n');
    await expect(loadCheckedSettings(home)).rejects.toThrow(/tls\.key/);
  });

  it('ignores a copy that is a symlink (a home others may write to)', async () => {
    await writeConfig({ hostname: 'mx.example.org' });
    await loadCheckedSettings(home);
    await markCopy('planted.example');
    const planted = path.join(home, 'planted.json');
    await fs.rename(copyFile(), planted);
    await fs.symlink(planted, copyFile());
    expect((await loadCheckedSettings(home)).hostname).toBe('mx.example.org');
  });
});
