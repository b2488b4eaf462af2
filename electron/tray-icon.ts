// The tray's icon, drawn here rather than shipped: a 16×16 dot, green when
// online, grey when offline. 16 px is the tray size on Windows and Linux (macOS
// scales it). Owns only pixels; the tray decides which one to show.
import { deflateSync } from 'node:zlib';

const SIZE = 16;
const ONLINE: readonly [number, number, number] = [0x2f, 0x9e, 0x44];
const OFFLINE: readonly [number, number, number] = [0x86, 0x8e, 0x96];

/** CRC-32 as PNG chunks need it (ISO 3309 / PNG spec §5.5). */
function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGBA PNG of a filled circle, transparent outside it. */
export function trayIconPng(online: boolean): Buffer {
  const [r, g, b] = online ? ONLINE : OFFLINE;
  const rows: Buffer[] = [];
  const centre = (SIZE - 1) / 2;
  const radius = SIZE / 2 - 1.5; // a little margin so the dot does not touch the tray's edge
  for (let y = 0; y < SIZE; y++) {
    const row = Buffer.alloc(1 + SIZE * 4); // filter byte 0 (None), then RGBA pixels
    for (let x = 0; x < SIZE; x++) {
      const inside = Math.hypot(x - centre, y - centre) <= radius;
      row.set(inside ? [r, g, b, 0xff] : [0, 0, 0, 0], 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit depth, colour type 6 (RGBA), deflate, no filter set, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
