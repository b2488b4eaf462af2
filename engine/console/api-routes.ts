// The EngineApi over HTTP: `POST /api/<method>` with a JSON array of arguments for
// every name in ENGINE_API_METHODS, and `GET /api/events` as server-sent events.
// A thin adapter: it carries calls and events unchanged and holds no logic of its
// own (DESIGN.md "The pipeline"). Authentication happens before we are called.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENGINE_API_METHODS, type EngineApi, type EngineApiMethod } from '../api.ts';

/**
 * Largest request body. `submit` carries a message in base64 (4/3 of its size);
 * the schema's default maxMessageSize is 15 MiB, so 64 MiB leaves room for
 * a raised limit while keeping a stray upload from filling memory.
 */
const MAX_BODY = 64 * 1024 * 1024;
/** SSE comment this often, so proxies and idle timers keep the stream open. */
const HEARTBEAT_MS = 15_000;

const METHODS = new Set<string>(ENGINE_API_METHODS);

export function isApiMethod(name: string): name is EngineApiMethod {
  return METHODS.has(name);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function handleCall(api: EngineApi, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isApiMethod(method)) return sendJson(res, 404, { error: `no such method: ${method}` });
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendJson(res, 405, { error: 'use POST with a JSON array of arguments' });
  }
  // Requiring JSON forces a CORS preflight for any cross-origin form post, and we
  // answer no preflight: a second CSRF wall behind the SameSite cookie.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    return sendJson(res, 415, { error: 'Content-Type must be application/json' });
  }
  let args: unknown;
  try {
    const text = await readBody(req);
    args = text.trim() === '' ? [] : JSON.parse(text);
  } catch (err) {
    if (err instanceof BodyTooLarge) return sendJson(res, 413, { error: 'request too large' });
    if (err instanceof SyntaxError) return sendJson(res, 400, { error: `bad JSON: ${err.message}` });
    throw err;
  }
  if (!Array.isArray(args)) return sendJson(res, 400, { error: 'the body must be a JSON array of arguments' });
  const fn = (api as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') return sendJson(res, 501, { error: `the engine does not implement ${method}` });
  try {
    const result = await (fn as (...a: unknown[]) => Promise<unknown>).apply(api, args);
    sendJson(res, 200, { result: result ?? null });
  } catch (err) {
    // The engine's own message is what a person needs to see; the stack stays here.
    sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
  }
}

/** Open an SSE stream of EngineEvents until the client goes away or the console closes. */
export function handleEvents(api: EngineApi, req: IncomingMessage, res: ServerResponse, onClose: (stop: () => void) => () => void): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  // Tell EventSource to reconnect after 2 s if the stream drops (engine restart).
  res.write('retry: 2000\n: connected\n\n');
  const unsubscribe = api.subscribe((event) => {
    res.write(`data: ${JSON.stringify(event)}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  let done = false;
  const stop = (): void => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    unsubscribe();
    forget();
    res.end();
  };
  const forget = onClose(stop);
  req.on('close', stop);
}
