// @ts-check
// SFrame worker for encoded transforms (spec/media-sframe.md §7). Load it as a module worker:
//   const worker = new Worker(new URL('./sframe-worker.js', import.meta.url), { type: 'module' });
//
// Two ways to attach it to a sender or receiver:
// - RTCRtpScriptTransform (standard): `sender.transform = new RTCRtpScriptTransform(worker,
//   { role: 'send' })`, `receiver.transform = new RTCRtpScriptTransform(worker, { role: 'receive',
//   peerId })`. The worker gets an `rtctransform` event whose transformer carries the options.
//   Either role may add `layout: 'vp8'`: its video frames are VP8 in the SFU layout, the first
//   bytes in clear (spec/media-sframe.md §7.5). A layout the worker does not know carries nothing.
// - createEncodedStreams (legacy Chromium): the page calls `createEncodedStreams()` and posts
//   `{ type: 'transform', role, peerId, readable, writable }` with both streams transferred.
//
// Control messages (page -> worker); every one may carry `requestId`, answered with
// `{ type: 'ack', requestId, op }` or `{ type: 'error', requestId, op, code, name }`:
//   { type: 'setSendKey', kid, key }                the send key; replaces the previous one
//   { type: 'addReceiveKey', peerId, kid, key }     a receive key of that peer
//   { type: 'removeReceiveKey', peerId, kid }       (the worker also retires a peer's previous
//                                                    keys RECEIVE_GRACE_MS after its next key)
//   { type: 'removePeer', peerId }                  forget every key and counter of a peer
//   { type: 'keyFrame', rids? }                     a key frame on every SFU video sender
//                                                    (layout 'vp8'): on each simulcast layer
//                                                    named in rids, else generateKeyFrame()
//   { type: 'bindSlot', slot, peerId }              frames of the receive transform made with
//                                                    `{ role: 'receive', slot }` are decrypted with
//                                                    `peerId`'s keys from now on (null: dropped);
//                                                    an SFU receiver's sender is known only later
//                                                    and may change (spec/sfu.md §5)
//   { type: 'stats' }                               -> { type: 'stats', requestId, ... }
// `kid` is a bigint, a safe-integer number, or a decimal / 0x-hex string; `key` is a Uint8Array
// (or ArrayBuffer) of 32 bytes, overwritten with zeros once imported.
//
// Worker -> page, unasked: `{ type: 'rekeyNeeded', reason: 'counter' }` once per send key when its
// CTR reaches SEND_REKEY_FRAMES, and with reason 'exhausted' if it ever hits the hard limit.
//
// The whole encoded frame is encrypted (§7.1). Frames that fail to decrypt are dropped, never
// passed on; send frames without a send key are dropped, never sent in the clear.
//
// This file: messages, transforms and the send side; the receive side is workerReceive.js.

import {
  SFrameContext,
  SFrameError,
  ErrorCode,
  kidToHex,
  toU64,
  HYBRIDGE_SUITE,
  sealVp8Frame,
} from './sframe.js';
import { UNKNOWN_KID_HOLD_MS, SEND_REKEY_FRAMES, RECEIVE_GRACE_MS } from './sframe-keys.js';
import { createReceiveSide, peerKeyOf, toBuffer } from './workerReceive.js';

/**
 * @typedef {import('./workerMessages.js').WorkerRequest} WorkerRequest
 * @typedef {import('./workerMessages.js').WorkerTransform} WorkerTransform
 * @typedef {import('./workerMessages.js').WorkerReply} WorkerReply
 * @typedef {import('./workerMessages.js').WorkerStats} WorkerStats
 * @typedef {import('./sframeFormat.js').Bytes} Bytes
 * @typedef {RTCEncodedVideoFrame | RTCEncodedAudioFrame} EncodedFrame
 * @typedef {{enqueue(frame: EncodedFrame): void}} FrameSink
 * @typedef {{transformer: RTCRtpScriptTransformer | null, video: boolean, layout?: 'vp8'}} Transform one running transform;
 *   `layout: 'vp8'`: its video frames are VP8 in the SFU layout (spec/media-sframe.md §7.5)
 * @typedef {import('./workerReceive.js').PeerReceive} PeerReceive
 * @typedef {object} WorkerOptions (tests shorten the timings)
 * @property {number} [cipherSuite]
 * @property {number} [unknownKidHoldMs]
 * @property {number} [receiveGraceMs]
 * @property {bigint} [sendRekeyFrames]
 * @property {bigint} [counterLimit]
 * @typedef {{postMessage(msg: WorkerReply): void, onmessage?: unknown, onrtctransform?: unknown}} WorkerScope
 */

/** Receive slots bound at once (an SFU subscriber: two per feed of a room of 25, with room to spare). */
const MAX_SLOTS = 256;

/** @param {unknown} key @returns {Bytes} */
function keyBytes(key) {
  if (key instanceof Uint8Array) return /** @type {Bytes} */ (key); // transferred: its own ArrayBuffer
  if (key instanceof ArrayBuffer) return new Uint8Array(key);
  throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
}

/** @param {unknown} kid */
function kidOf(kid) {
  try {
    return toU64(kid);
  } catch {
    throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
  }
}

/**
 * Installs the SFrame message and transform handlers on `scope` (a DedicatedWorkerGlobalScope, or
 * a stand-in with postMessage in tests). Returns the internal state for inspection by tests.
 * @param {WorkerScope} scope @param {WorkerOptions} [options]
 */
export function installSFrameWorker(scope, options = {}) {
  const cipherSuite = options.cipherSuite ?? HYBRIDGE_SUITE;
  const holdMs = options.unknownKidHoldMs ?? UNKNOWN_KID_HOLD_MS;
  const graceMs = options.receiveGraceMs ?? RECEIVE_GRACE_MS;
  const rekeyAt = options.sendRekeyFrames ?? SEND_REKEY_FRAMES;
  const contextOptions = { cipherSuite, counterLimit: options.counterLimit };

  const send = {
    ctx: new SFrameContext(contextOptions),
    frames: 0,
    droppedNoKey: 0,
    failures: 0,
    /** @type {Map<bigint, number>} kid -> frames */
    byKid: new Map(),
    /** @type {bigint | 'exhausted' | null} kid for which 'rekeyNeeded' went out */
    rekeyNotified: null,
    /** key frames asked of SFU video senders by the `keyFrame` message */
    keyFramesAsked: 0,
    /** @type {Record<string, number>} generateKeyFrame refusals, by error name */
    keyFramesRefused: {},
    /** @type {Set<Transform>} */
    transformers: new Set(),
  };
  const receiveSide = createReceiveSide({ contextOptions, holdMs, graceMs });
  const { peers, peerState, kidStats, removeKey, retireOlderKeys, decryptFrame } = receiveSide;
  const active = { send: 0, receive: 0 };
  let writeFailures = 0; // frames the browser's sink refused (each lost alone)
  /** @type {Map<string, string>} receive slot -> the peer whose keys open its frames */
  const slots = new Map();
  let unboundFrames = 0; // frames of a slot bound to no peer: dropped

  // --- control messages, handled strictly in order --------------------------------------------

  /** @param {WorkerRequest} msg @returns {Promise<WorkerStats | undefined>} */
  async function handle(msg) {
    switch (msg.type) {
      case 'setSendKey': {
        const kid = kidOf(msg.kid);
        const bytes = keyBytes(msg.key);
        try {
          for (const p of peers.values())
            if (p.ctx.usedReceiveKids.has(kid))
              throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
          await send.ctx.addSendKey(kid, bytes);
        } finally {
          bytes.fill(0);
        }
        // RFC 9605 §6.2: a key frame under the new key lets receivers decode at once.
        for (const t of send.transformers) {
          if (t.video && typeof t.transformer?.generateKeyFrame === 'function') {
            t.transformer.generateKeyFrame().catch(() => {});
          }
        }
        return undefined;
      }
      case 'keyFrame': {
        // A subscriber through the SFU asks for a key frame of our layers (peer message
        // `keyframe`, spec/sfu.md §5): Firefox does not answer the SFU's PLIs on simulcast layers.
        // Per simulcast layer that sends (the page names them): Firefox's generateKeyFrame()
        // without a rid did not reach every layer.
        const named = Array.isArray(msg.rids)
          ? msg.rids
              .filter(
                (/** @type {unknown} */ r) =>
                  typeof r === 'string' && /^[A-Za-z0-9]{1,16}$/.test(r),
              )
              .slice(0, 3)
          : [];
        const rids = named.length > 0 ? named : [undefined];
        for (const t of send.transformers) {
          const transformer = t.transformer;
          if (!t.video || t.layout !== 'vp8' || typeof transformer?.generateKeyFrame !== 'function')
            continue;
          // One layer after the other, each once the previous key frame is made: Firefox kept
          // only the last of several requests made at once (the others' layers got none).
          // Detached: the worker's other messages do not wait for the encoder.
          void (async () => {
            for (const rid of rids) {
              send.keyFramesAsked++;
              await transformer.generateKeyFrame(rid).catch((/** @type {unknown} */ e) => {
                const name = String(/** @type {{name?: string}} */ (e)?.name);
                send.keyFramesRefused[name] = (send.keyFramesRefused[name] ?? 0) + 1;
              });
            }
          })();
        }
        return undefined;
      }
      case 'addReceiveKey': {
        const kid = kidOf(msg.kid);
        const bytes = keyBytes(msg.key);
        const p = peerState(msg.peerId);
        try {
          // A key is for sending or receiving, never both (RFC 9605 §4.4.1).
          if (send.ctx.usedSendKids.has(kid)) throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
          await p.ctx.addReceiveKey(kid, bytes);
        } finally {
          bytes.fill(0);
        }
        kidStats(p, kid);
        retireOlderKeys(p, kid);
        const waiting = p.waiters.get(kid);
        if (waiting !== undefined) {
          p.waiters.delete(kid);
          for (const resolve of waiting) resolve(true);
        }
        return undefined;
      }
      case 'removeReceiveKey': {
        const p = peers.get(peerKeyOf(msg.peerId));
        if (p !== undefined) removeKey(p, toU64(msg.kid));
        return undefined;
      }
      case 'removePeer': {
        const key = peerKeyOf(msg.peerId);
        const p = peers.get(key);
        if (p !== undefined) {
          for (const waiting of p.waiters.values()) for (const resolve of waiting) resolve(false);
          p.waiters.clear();
          for (const kid of p.ctx.receiveKids()) removeKey(p, kid); // a running transform holds p
          peers.delete(key);
        }
        return undefined;
      }
      case 'bindSlot': {
        if (typeof msg.slot !== 'string' || msg.slot.length > 64) throw new TypeError('slot');
        if (msg.peerId === null) {
          slots.delete(msg.slot);
          return undefined;
        }
        if (!slots.has(msg.slot) && slots.size >= MAX_SLOTS) throw new RangeError('slots');
        slots.set(msg.slot, peerKeyOf(msg.peerId));
        peerState(msg.peerId).needKeyFrame = true; // what came before was dropped, or another sender's
        return undefined;
      }
      case 'stats':
        return stats();
      default:
        throw new TypeError('unknown message type');
    }
  }

  /** @returns {WorkerStats} */
  function stats() {
    /** @type {Record<string, number>} */
    const sendByKid = {};
    for (const [kid, n] of send.byKid) sendByKid[kidToHex(kid)] = n;
    return {
      cipherSuite,
      send: {
        kid: send.ctx.sendKid === null ? null : kidToHex(send.ctx.sendKid),
        counter: send.ctx.sendCounter === null ? null : Number(send.ctx.sendCounter),
        frames: send.frames,
        droppedNoKey: send.droppedNoKey,
        failures: send.failures,
        keyFramesAsked: send.keyFramesAsked,
        keyFramesRefused: { ...send.keyFramesRefused },
        byKid: sendByKid,
      },
      receive: receiveSide.stats(),
      transforms: { ...active },
      writeFailures,
      unboundFrames,
    };
  }

  let queue = Promise.resolve();
  /** @param {MessageEvent} event */
  function onMessage(event) {
    const msg = event.data ?? {};
    if (msg.readable !== undefined && msg.writable !== undefined) {
      // Legacy createEncodedStreams path.
      startTransform({
        role: msg.role ?? msg.options?.role,
        peerId: msg.peerId ?? msg.options?.peerId,
        slot: msg.slot ?? msg.options?.slot,
        layout: msg.layout ?? msg.options?.layout,
        readable: msg.readable,
        writable: msg.writable,
        transformer: null,
      });
      return;
    }
    queue = queue.then(async () => {
      try {
        const result = await handle(msg);
        if (msg.type === 'stats')
          scope.postMessage(
            /** @type {WorkerReply} */ ({ type: 'stats', requestId: msg.requestId, ...result }),
          );
        else if (msg.requestId !== undefined)
          scope.postMessage({ type: 'ack', requestId: msg.requestId, op: msg.type });
      } catch (e) {
        if (msg.requestId !== undefined) {
          const code = e instanceof SFrameError ? e.code : 0;
          const name =
            e instanceof SFrameError
              ? e.codeName
              : e instanceof RangeError || e instanceof TypeError
                ? 'BAD_REQUEST'
                : 'INTERNAL';
          scope.postMessage({ type: 'error', requestId: msg.requestId, op: msg.type, code, name });
        }
      }
    });
  }

  // --- frames -----------------------------------------------------------------------------------

  /** @param {Transform} t @param {EncodedFrame} frame @param {FrameSink} controller */
  async function encryptFrame(t, frame, controller) {
    if (/** @type {{type?: string}} */ (frame).type !== undefined) t.video = true; // RTCEncodedVideoFrame has .type; audio has none
    if (send.ctx.sendKid === null) {
      send.droppedNoKey++;
      return; // never send media in the clear
    }
    const kid = send.ctx.sendKid; // the key this frame is sealed under, even if a new one comes meanwhile
    let out;
    try {
      const data = new Uint8Array(frame.data);
      const video = /** @type {{type?: string}} */ (frame).type !== undefined;
      // VP8 through the SFU keeps its first bytes in clear (spec/media-sframe.md §7.5)
      out = await (video && t.layout === 'vp8'
        ? sealVp8Frame(send.ctx, data)
        : send.ctx.encrypt(data));
    } catch (e) {
      send.failures++;
      if (
        e instanceof SFrameError &&
        e.code === ErrorCode.SFRAME_COUNTER_EXHAUSTED &&
        send.rekeyNotified !== 'exhausted'
      ) {
        send.rekeyNotified = 'exhausted';
        scope.postMessage({ type: 'rekeyNeeded', reason: 'exhausted' });
      }
      return;
    }
    frame.data = toBuffer(out);
    controller.enqueue(frame);
    send.frames++;
    send.byKid.set(kid, (send.byKid.get(kid) ?? 0) + 1);
    if (
      send.ctx.sendCounter !== null &&
      send.ctx.sendCounter >= rekeyAt &&
      send.rekeyNotified !== kid
    ) {
      send.rekeyNotified = kid;
      scope.postMessage({ type: 'rekeyNeeded', reason: 'counter' });
    }
  }

  /** @param {{role: unknown, peerId: unknown, slot?: unknown, layout?: unknown, readable: ReadableStream, writable: WritableStream, transformer: RTCRtpScriptTransformer | null}} o */
  function startTransform({ role, peerId, slot, layout, readable, writable, transformer }) {
    /** @type {Transform} */
    const t = { transformer, video: false };
    if (layout === 'vp8') t.layout = 'vp8';
    else if (layout !== undefined) role = null; // a layout this worker does not know: carry nothing
    /** @type {(frame: EncodedFrame, controller: FrameSink) => Promise<void>} */
    let transform;
    if (role === 'send') {
      transform = (frame, controller) => encryptFrame(t, frame, controller);
      send.transformers.add(t);
    } else if (role === 'receive' && typeof slot === 'string') {
      transform = async (frame, controller) => {
        const pid = slots.get(slot);
        if (pid === undefined) {
          unboundFrames++;
          return; // whose frame this is is not known (yet): never passed on undecrypted
        }
        await decryptFrame(t, peers.get(pid) ?? peerState(pid), frame, controller);
      };
    } else if (role === 'receive') {
      const p = peerState(peerId);
      transform = (frame, controller) =>
        decryptFrame(t, peers.get(peerKeyOf(peerId)) ?? p, frame, controller);
    } else {
      // Unknown role: refuse to carry media rather than guess a direction.
      readable.cancel().catch(() => {});
      writable.abort().catch(() => {});
      return;
    }
    const r = /** @type {'send' | 'receive'} */ (role);
    active[r]++;
    pump(readable, writable, transform).finally(() => {
      active[r]--;
      send.transformers.delete(t);
    });
  }

  /**
   * Reads each frame, transforms it, writes what the transform enqueues, in order: what
   * `readable.pipeThrough(new TransformStream({ transform })).pipeTo(writable)` does, with one
   * reader and one writer instead of two pipes and a TransformStream in between. Every frame
   * (some 70 per second and peer connection) crosses this loop; in a 1:1 call the worker thread
   * took about 18.7 ms of CPU per second this way against 20.7 with the two pipes (bench/browser,
   * per-thread CPU). Writes are not awaited: WebRTC's sink takes a frame at once.
   * @param {ReadableStream} readable @param {WritableStream} writable @param {(frame: EncodedFrame, controller: FrameSink) => Promise<void>} transform
   */
  async function pump(readable, writable, transform) {
    const reader = readable.getReader();
    const writer = writable.getWriter();
    let failed = false;
    // One refused frame loses that frame only; a sink that errors as a whole ends the loop below.
    const onWriteError = () => {
      writeFailures++;
    };
    /** @type {FrameSink} */
    const controller = {
      enqueue(frame) {
        writer.write(frame).catch(onWriteError);
      },
    };
    // The sink going away (the sender or receiver stopped) ends the loop: cancel the source.
    writer.closed.catch(() => {
      failed = true;
      reader.cancel().catch(() => {});
    });
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || failed) break;
        await transform(value, controller);
      }
      if (!failed) await writer.close();
    } catch {
      writer.abort().catch(() => {});
      reader.cancel().catch(() => {});
    }
  }

  /** @param {RTCTransformEvent} event */
  function onRtcTransform(event) {
    const transformer = event.transformer;
    const o = transformer.options ?? {};
    startTransform({
      role: o.role,
      peerId: o.peerId,
      slot: /** @type {{slot?: unknown}} */ (o).slot,
      layout: /** @type {{layout?: unknown}} */ (o).layout,
      readable: transformer.readable,
      writable: transformer.writable,
      transformer,
    });
  }

  scope.onmessage = onMessage;
  scope.onrtctransform = onRtcTransform;
  return { send, peers, active, stats };
}

// Running as a real worker: install on the worker's global scope.
if (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope) {
  installSFrameWorker(globalThis);
}
