// Browser side of the SFrame per-frame cost benchmark (bench.mjs --parts=sframe): runs the app's
// own SFrameContext (web-client/src/media/sframe.js) in a dedicated worker, as the SFrame worker
// does: one frame at a time, each awaited before the next (a TransformStream step). The
// automation reads the browser's CPU time (CDP) around each batch; nothing else runs in this
// browser, so the difference is the cost of the batch. `webcrypto` is the reference: the bare
// AES-256-GCM call alone (same key size, nonce and AAD sizes); sframe minus webcrypto is the
// SFrame code around it (header, nonce, counter, output array).
import { SFrameContext } from '../../web-client/src/media/sframe.js';

const ctx = new SFrameContext();
const key = crypto.getRandomValues(new Uint8Array(32));
const ready = ctx.addSendKey(0x1234_5678_0001n, key);
const rawKey = crypto.subtle.importKey(
  'raw',
  crypto.getRandomValues(new Uint8Array(32)),
  { name: 'AES-GCM' },
  false,
  ['encrypt'],
);

const impl = {
  async sframe(frame) {
    return (await ctx.encrypt(frame)).length;
  },
  async webcrypto(frame, i, k) {
    const iv = new Uint8Array(12);
    iv[11] = i & 0xff;
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: new Uint8Array(9), tagLength: 128 },
      k,
      frame,
    );
    return ct.byteLength;
  },
};

onmessage = async (e) => {
  const { size, frames, what } = e.data;
  await ready;
  const k = await rawKey;
  const f = impl[what];
  const frame = crypto.getRandomValues(new Uint8Array(size));
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < frames; i++) bytes += await f(frame, i + 1000, k);
  postMessage({ size, frames, wallMs: performance.now() - t0, bytes });
};
