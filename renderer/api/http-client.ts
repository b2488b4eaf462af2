// MailstopClient over the headless console: `POST /api/<method>` with the
// arguments as a JSON array, events from `GET /api/events` (server-sent events).
// The session cookie set by the console carries the token, so no secret lives
// in page script. Holds no logic beyond carrying calls.
import { ENGINE_API_METHODS, type EngineApi, type EngineEvent } from '../../engine/api.ts';
import type { MailstopClient } from './client.ts';

export class ConsoleCallError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

function explain(status: number, body: string): string {
  if (status === 401) return 'The console token is missing or expired: open the URL printed by `mailstop serve` again.';
  try {
    const parsed = JSON.parse(body) as { error?: string };
    if (parsed.error) return parsed.error;
  } catch {
    // Not JSON (a proxy page, a plain-text refusal): show it as it is.
  }
  return `${status}: ${body.slice(0, 200)}`;
}

export function createHttpClient(base: string): MailstopClient {
  const eventListeners = new Set<(e: EngineEvent) => void>();
  const connectionListeners = new Set<(c: boolean) => void>();
  let source: EventSource | null = null;
  let connected = false;

  function setConnected(value: boolean): void {
    if (value === connected) return;
    connected = value;
    for (const l of connectionListeners) l(value);
  }

  function open(): void {
    if (source) return;
    // EventSource reconnects by itself (the console sends `retry:`); we only report it.
    source = new EventSource(`${base}/api/events`, { withCredentials: false });
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.onmessage = (msg) => {
      const event = JSON.parse(msg.data as string) as EngineEvent;
      for (const l of eventListeners) l(event);
    };
  }

  function closeIfIdle(): void {
    if (eventListeners.size > 0 || connectionListeners.size > 0 || !source) return;
    source.close();
    source = null;
    connected = false;
  }

  async function call(method: string, args: unknown[]): Promise<unknown> {
    // JSON drops trailing `undefined`s as null; trim them so optional parameters stay optional.
    while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
    const res = await fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(args),
      credentials: 'same-origin',
    });
    const text = await res.text();
    if (!res.ok) throw new ConsoleCallError(res.status, explain(res.status, text));
    return (JSON.parse(text) as { result: unknown }).result;
  }

  const methods = Object.fromEntries(ENGINE_API_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as Omit<EngineApi, 'subscribe'>;

  return {
    ...methods,
    kind: 'http',
    subscribe(listener) {
      eventListeners.add(listener);
      open();
      return () => {
        eventListeners.delete(listener);
        closeIfIdle();
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      open();
      listener(connected);
      return () => {
        connectionListeners.delete(listener);
        closeIfIdle();
      };
    },
  };
}
