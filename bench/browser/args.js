// The browser benchmark's options (bench.mjs documents them) and small helpers, shared by
// bench.mjs and parts.js.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DRIVERS } from './drivers.js';

export const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
export const RUNS = arg('runs', 5);
export const CPU_SECONDS = arg('cpu-seconds', 20);
export const CPU_ROUNDS = arg('cpu-rounds', 3);
const listArg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.split('=')[1].split(',').filter(Boolean) : dflt;
};
export const PARTS = new Set(listArg('parts', ['first', 'handshake', 'sframe', 'cpu']));
export const MODES = listArg('modes', ['off', 'sframe']);
for (const m of MODES)
  if (!['off', 'sframe', 'pipe', 'touch', 'hop', 'livekit'].includes(m))
    throw new Error(`unknown mode ${m} (off, sframe, pipe, touch, hop, livekit)`);
export const BROWSERS = listArg('browsers', ['chromium', 'firefox']).map((b) => {
  if (!(b in DRIVERS)) throw new Error(`unknown browser ${b} (chromium, firefox)`);
  return DRIVERS[b];
});
// LiveKit's AES-GCM key size (its default is 128; Hybridge's SFrame suite is AES-256-GCM).
export const LIVEKIT_KEY_BITS = arg('livekit-key-bits', 128);
export const BENCH_VIDEO = { width: 640, height: 480, frameRate: 30 };
// The Opus frame duration the pages ask of each other: the app's own (40 ms, web-client/src/app/sdp.js)
// unless --audio-frame-ms says otherwise (20 is what browsers use by default).
export const AUDIO_FRAME_MS = arg('audio-frame-ms', undefined);

export const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const fmt = (x, d = 0) =>
  x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d);
const b64 = (u8) => Buffer.from(u8).toString('base64url');

export function newLink(gw) {
  return `${gw.url}/#${b64(crypto.getRandomValues(new Uint8Array(32)))}.${b64(gw.fingerprint)}`;
}
