// The real engine behind the console tests, on loopback with port 0 listeners, in
// queue-only mode so nothing tries to leave the machine.
import type { EngineApi } from '../../../engine/api.ts';
import type { SettingsInput } from '../../../engine/config/schema.ts';
import { createEngine } from '../../../engine/index.ts';

export interface TestEngine { api: EngineApi; stop(): Promise<void> }

export async function createTestEngine(home: string, settings: SettingsInput = {}): Promise<TestEngine> {
  const engine = await createEngine({
    home,
    timers: false,
    passwdFile: '',
    settings: {
      hostname: 'mailstop.test',
      listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
      console: { port: false },
      delivery: { mode: 'queueonly', online: { probe: 'none' } },
      ...settings,
    },
  });
  await engine.start();
  return { api: engine, stop: () => engine.stop() };
}
