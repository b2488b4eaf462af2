#!/usr/bin/env node
// Regenerates every icon in assets/ from the SVG drawn here: the app icon
// (icon.svg, PNGs, icon.ico for Windows installers, icon.icns for macOS) and the
// tray icons per state (online, offline, held, error) in colour and as macOS
// template images (black + alpha, `…Template.png`, which macOS tints itself).
// Rendering is Chromium's (playwright-core, Debian's /usr/bin/chromium); ICO and
// ICNS are packed here — both formats carry PNGs as they are. The output is
// committed, so nothing here runs at build or start time:
//   node assets/generate.mjs
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const DIR = path.dirname(fileURLToPath(import.meta.url));

/** The app icon: a white envelope on a blue rounded square, with a lens — mail you can see. */
export const APP_ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="#2b6fe8"/><stop offset="1" stop-color="#123f96"/>
  </linearGradient></defs>
  <rect x="2" y="2" width="60" height="60" rx="14" fill="url(#bg)"/>
  <rect x="11" y="17" width="36" height="26" rx="3" fill="#fff"/>
  <path d="M12.5 19 L29 32 L45.5 19" fill="none" stroke="#123f96" stroke-width="3" stroke-linejoin="round"/>
  <circle cx="44" cy="42" r="9" fill="#123f96" stroke="#fff" stroke-width="3.5"/>
  <path d="M50.5 48.5 L56 54" stroke="#fff" stroke-width="4.5" stroke-linecap="round"/>
</svg>
`;

/** Tray states, each with its own colour and its own shape (templates have no colour). */
const STATES = {
  online: { colour: '#2f9e44', badge: '' },
  offline: { colour: '#868e96', badge: 'offline' },
  held: { colour: '#e8890c', badge: 'held' },
  error: { colour: '#e03131', badge: 'error' },
};

/** A 16-unit tray glyph: an envelope, plus a badge that tells the state by shape. */
function traySvg(state, template) {
  const { colour, badge } = STATES[state];
  const ink = template ? '#000' : colour;
  // The badge sits bottom right on a cut-out (an alpha hole), readable at 16 px.
  // The flap line of a filled envelope is cut out too, so it reads as an envelope in black + alpha.
  const flap = state === 'offline' ? '' : '<path d="M1.6 3.8 L7.5 8.4 L13.4 3.8" fill="none" stroke="#000" stroke-width="1.3"/>';
  const cut = (badge ? '<circle cx="12" cy="12" r="4.6" fill="#000"/>' : '') + flap;
  const envelope = state === 'offline'
    ? `<rect x="1.5" y="3.5" width="12" height="9" rx="1.2" fill="none" stroke="${ink}" stroke-width="1.4"/>
       <path d="M2 4.2 L7.5 8.4 L13 4.2" fill="none" stroke="${ink}" stroke-width="1.3"/>`
    : `<rect x="0.8" y="2.8" width="13.4" height="10.4" rx="1.4" fill="${ink}"/>`;
  const badges = {
    '': '',
    offline: `<path d="M9.6 9.6 L14.4 14.4 M14.4 9.6 L9.6 14.4" stroke="${ink}" stroke-width="1.6" stroke-linecap="round"/>`,
    held: `<rect x="9.7" y="9.3" width="1.7" height="5.4" fill="${ink}"/><rect x="12.6" y="9.3" width="1.7" height="5.4" fill="${ink}"/>`,
    error: `<rect x="11.2" y="8.6" width="1.6" height="4" rx="0.5" fill="${ink}"/><circle cx="12" cy="14.5" r="0.95" fill="${ink}"/>`,
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">
  <defs><mask id="m"><rect width="16" height="16" fill="#fff"/>${cut}</mask></defs>
  <g mask="url(#m)">${envelope}</g>
  ${badges[badge]}
</svg>
`;
}

async function render(page, svg, size) {
  const sized = svg.replace('<svg ', `<svg width="${size}" height="${size}" `);
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block}</style>${sized}`);
  return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
}

/** ICO with PNG entries (Windows Vista and later read them as they are). */
function packIco(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    header[e] = size >= 256 ? 0 : size; // 0 means 256
    header[e + 1] = size >= 256 ? 0 : size;
    header.writeUInt16LE(1, e + 4); // planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

/** ICNS with PNG entries (OS X 10.7+): OSType + big-endian length (header included) + data. */
function packIcns(entries) {
  const parts = entries.map(({ type, png }) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'ascii');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}

async function main() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    const out = (name, data) => writeFileSync(path.join(DIR, name), data);
    out('icon.svg', APP_ICON_SVG);
    const app = {};
    for (const size of [16, 32, 64, 128, 256, 512, 1024]) app[size] = await render(page, APP_ICON_SVG, size);
    out('icon-16.png', app[16]); out('icon-16@2x.png', app[32]);
    out('icon-32.png', app[32]); out('icon-32@2x.png', app[64]);
    out('icon-256.png', app[256]); out('icon-512.png', app[512]);
    out('icon.ico', packIco([16, 32, 64, 256].map((size) => ({ size, png: app[size] }))));
    out('icon.icns', packIcns([
      { type: 'icp4', png: app[16] }, { type: 'icp5', png: app[32] }, { type: 'icp6', png: app[64] },
      { type: 'ic07', png: app[128] }, { type: 'ic08', png: app[256] }, { type: 'ic09', png: app[512] },
      { type: 'ic10', png: app[1024] }, { type: 'ic11', png: app[32] }, { type: 'ic12', png: app[64] },
      { type: 'ic13', png: app[256] }, { type: 'ic14', png: app[512] },
    ]));
    for (const state of Object.keys(STATES)) {
      for (const template of [false, true]) {
        const svg = traySvg(state, template);
        const base = `tray/tray-${state}${template ? 'Template' : ''}`;
        if (!template) out(`tray/tray-${state}.svg`, svg);
        out(`${base}.png`, await render(page, svg, 16));
        out(`${base}@2x.png`, await render(page, svg, 32));
      }
    }
  } finally {
    await browser.close();
  }
}

await main();
