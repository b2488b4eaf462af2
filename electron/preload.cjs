// Preload for the Mailstop window. It runs sandboxed (webPreferences.sandbox),
// where only a CommonJS file with `require('electron')` works — no tsx, no
// imports from engine/ — so the method list is written out here.
// test/electron/preload.test.ts checks it equals ENGINE_API_METHODS, so the two
// cannot drift.
//
// Exposes exactly `window.mailstop` (renderer/api/bridge.ts): each EngineApi
// request method by its own name, invoking `mailstop:api:<method>`, plus
// `onEvent(cb)`. Never exposes ipcRenderer, the IPC event object or any channel
// outside that prefix (Electron security checklist: "Do not expose Electron
// APIs to untrusted web content").
'use strict';
const { contextBridge, ipcRenderer } = require('electron');

const METHODS = [
  'status', 'listQueue', 'getMessage', 'listCorrupt',
  'flush', 'hold', 'release', 'remove', 'bounceNow', 'requeue', 'moveToGroup',
  'submit', 'getSettings', 'updateSettings', 'tailLog', 'testAddress', 'networkChanged',
  'testSmartHost', 'listQueuePage', 'getHistory',
  // issue 6: relay control / TLS
  'testRelay', 'testDnsbl', 'healthCheck', 'generateSelfSigned', 'generateDhParams',
  'importCertificate', 'certificateInfo', 'hashPassword',
  // issue 5: routing / local delivery
  'parseAliases', 'previewRewrite', 'checkRouting',
];
const PREFIX = 'mailstop:api:';
const EVENT_CHANNEL = 'mailstop:event';

const bridge = {};
for (const name of METHODS) {
  const channel = PREFIX + name;
  bridge[name] = (...args) => ipcRenderer.invoke(channel, ...args);
}

bridge.onEvent = (callback) => {
  if (typeof callback !== 'function') throw new TypeError('mailstop.onEvent: expected a function');
  // Only the event's data crosses over; the IPC event (and its `sender`) stays here.
  const listener = (_ipcEvent, engineEvent) => callback(engineEvent);
  ipcRenderer.on(EVENT_CHANNEL, listener);
  return () => {
    ipcRenderer.removeListener(EVENT_CHANNEL, listener);
  };
};

contextBridge.exposeInMainWorld('mailstop', bridge);

// Chromium hears first when the network comes or goes: pass that on as the
// engine's hint (EngineApi.networkChanged) so hold-until-online reacts at once.
// A failed hint is harmless — the engine re-checks on its own timer.
for (const type of ['online', 'offline']) {
  window.addEventListener(type, () => {
    ipcRenderer.invoke(PREFIX + 'networkChanged').catch(() => undefined);
  });
}
