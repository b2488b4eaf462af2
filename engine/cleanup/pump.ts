// Reads a stream one chunk at a time with backpressure (the next chunk is read only
// after the previous one was handled), without ever buffering the whole message.
// On a handler error the rest of the input is drained and thrown away instead of
// destroying the stream: an SMTP client is still sending, and smtp-server can only
// send our reply once the data terminator has arrived (RFC 5321 §4.1.1.4).
import type { Readable } from 'node:stream';

/** Raised when the input stream stops before its end (client vanished mid-DATA). */
export class InputClosedError extends Error {
  constructor() {
    super('input closed before the end of the message');
  }
}

export function pump(source: Readable, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let busy = false;
    let ended = false;

    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('close', onClose);
      if (err === undefined) {
        resolve();
        return;
      }
      // Keep the stream flowing into nothing so the sender can finish.
      source.on('data', discard);
      source.resume();
      reject(err);
    };

    const onData = (chunk: Buffer | string) => {
      if (settled) return;
      busy = true;
      source.pause();
      // new Promise() also turns a synchronous throw of the handler into a rejection.
      new Promise<void>((res) => res(onChunk(typeof chunk === 'string' ? Buffer.from(chunk) : chunk))).then(
        () => {
          busy = false;
          if (ended) settle();
          else if (!settled) source.resume();
        },
        (err: unknown) => {
          busy = false;
          settle(err);
        },
      );
    };
    const onEnd = () => {
      ended = true;
      if (!busy) settle();
    };
    const onClose = () => {
      if (!ended) settle(new InputClosedError());
    };
    // An 'error' is always followed by 'close'; listening keeps it from being unhandled.
    source.on('error', ignore);
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('close', onClose);
  });
}

function discard(): void {}
function ignore(): void {}
