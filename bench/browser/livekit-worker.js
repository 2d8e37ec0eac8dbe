// LiveKit's own E2EE worker (npm livekit-client 2.23.0, dist/livekit-client.e2ee.worker.mjs,
// unchanged) driven outside a LiveKit room, for bench.mjs --modes=livekit: the benchmark serves
// this bundle in place of the app's SFrame worker on BOTH pages of a call, so the same call's
// frames are encrypted and decrypted by LiveKit's FrameCryptor instead of Hybridge's SFrame.
//
// What the SDK would do, done here: LiveKit's worker is driven by messages from its
// E2EEManager ('init' with the key provider options, 'setKey' with key material, 'enable' per
// participant) and by RTCRtpScriptTransform options ({kind: 'encode' | 'decode',
// participantIdentity, trackId, codec}). This wrapper sends the first three itself (a shared
// key, as ExternalE2EEKeyProvider does: HKDF key material, LiveKit's ratchet salt, AES-GCM with
// LiveKit's default 128-bit key or --livekit-key-bits=256), and turns the app's transform options
// ({role: 'send'} / {role: 'receive', peerId}) into LiveKit's. The app's own requests to its
// worker (keys, stats) get the acknowledgement the app waits for and nothing else: the keys of
// this call are LiveKit's shared key. LiveKit's worker logs and errors are counted.
import '../../web-client/node_modules/livekit-client/dist/livekit-client.e2ee.worker.mjs';

/* global LIVEKIT_KEY_BITS */
const lkMessage = self.onmessage;
const lkTransform = self.onrtctransform;
const IDENTITY = 'bench-sender'; // both pages: one shared key, one identity to enable
let transforms = 0;
let errors = 0;
let encrypted = 0; // frames received with LiveKit's trailer
let plain = 0; // frames received without it
const realPost = self.postMessage.bind(self);
// LiveKit's worker posts logs, acks and errors to its manager; here they are counted, not shown.
self.postMessage = (m) => {
  if (m?.kind === 'error') errors++;
};

const ready = (async () => {
  lkMessage({
    data: {
      kind: 'init',
      data: {
        loglevel: 'warn',
        keyProviderOptions: {
          sharedKey: true,
          ratchetSalt: 'LKFrameEncryptionKey',
          ratchetWindowSize: 8,
          failureTolerance: -1,
          keyringSize: 16,
          keySize: LIVEKIT_KEY_BITS,
        },
      },
    },
  });
  const material = await crypto.subtle.importKey('raw', new Uint8Array(32).fill(7), 'HKDF', false, [
    'deriveBits',
    'deriveKey',
  ]);
  lkMessage({ data: { kind: 'setKey', data: { key: material, keyIndex: 0 } } });
  lkMessage({ data: { kind: 'enable', data: { enabled: true, participantIdentity: IDENTITY } } });
})();

self.onrtctransform = async (event) => {
  await ready;
  const t = event.transformer;
  const send = t.options?.role === 'send';
  const options = {
    kind: send ? 'encode' : 'decode',
    participantIdentity: IDENTITY,
    trackId: `track-${++transforms}`,
    codec: undefined, // LiveKit reads it from the frame's metadata
  };
  // On the receiving side only (whose CPU the benchmark does not measure): before LiveKit
  // decrypts, count the frames that carry LiveKit's trailer (IV length 12, key index 0), so the
  // benchmark can show that the sender really encrypted.
  let readable = t.readable;
  if (!send) {
    const check = new TransformStream({
      transform(frame, c) {
        const d = new Uint8Array(frame.data);
        if (d.length > 14 && d[d.length - 2] === 12 && d[d.length - 1] === 0) encrypted++;
        else plain++;
        c.enqueue(frame);
      },
    });
    t.readable.pipeTo(check.writable).catch(() => {});
    readable = check.readable;
  }
  lkTransform({
    transformer: new Proxy(t, {
      get: (target, k) =>
        k === 'options' ? options : k === 'readable' ? readable : Reflect.get(target, k, target),
    }),
  });
};

self.onmessage = (e) => {
  const m = e.data ?? {};
  if (m.requestId === undefined) return;
  realPost(
    m.type === 'stats'
      ? {
          type: 'stats',
          requestId: m.requestId,
          diagnostic: 'livekit',
          transforms,
          errors,
          received: { encrypted, plain },
        }
      : { type: 'ack', requestId: m.requestId, op: m.type },
  );
};
