// @ts-check
// The receive side of the SFrame worker (spec/media-sframe.md §4.3, §6, §7): one SFrameContext
// per peer (a key is scoped to the peer it came from), frames held briefly for a KID whose key is
// on its way, previous keys retired after their grace time, drop counters, and key-frame
// requests after a loss. sframe-worker.js routes messages and transforms to it.

import {
  ErrorCode,
  SFrameContext,
  SFrameError,
  decodeHeader,
  kidToHex,
  openVp8Frame,
  vp8ClearLength,
} from './sframe.js';

/**
 * @typedef {{frames: number, authFailed: number, replayed: number}} KidStats
 * @typedef {object} PeerReceive the receive side of one peer: its keys and counters
 * @property {SFrameContext} ctx
 * @property {bigint | null} lastKid
 * @property {number} frames
 * @property {number} empty
 * @property {{malformed: number, unknownKid: number, authFailed: number, replayed: number}} dropped
 * @property {Map<bigint, KidStats>} byKid
 * @property {Map<bigint, ((arrived: boolean) => void)[]>} waiters frames held for a KID, until its key arrives
 * @property {Map<bigint, ReturnType<typeof setTimeout>>} retiring keys in their grace time
 * @property {boolean} holdExpired a hold timed out: unknown KIDs are dropped at once until a frame decrypts
 * @property {boolean} needKeyFrame
 * @property {number} lastKeyFrameRequest
 * @typedef {import('./sframe-worker.js').Transform} Transform
 * @typedef {import('./sframe-worker.js').EncodedFrame} EncodedFrame
 * @typedef {import('./sframe-worker.js').FrameSink} FrameSink
 */

const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
const MAX_KID_STATS_PER_PEER = 64;
const MAX_RECEIVE_KEYS_PER_PEER = 2; // the current key and the one in its grace time (§4.3)

/** A peer id as the key of its receive side ('' when none was given). @param {unknown} peerId */
export function peerKeyOf(peerId) {
  return peerId === undefined || peerId === null ? '' : String(peerId);
}

/** The bytes of `u8` as an ArrayBuffer, without a copy when `u8` spans its whole buffer. @param {Uint8Array} u8 @returns {ArrayBuffer} */
export function toBuffer(u8) {
  // (Our arrays are never views of a SharedArrayBuffer: the cast only tells tsc.)
  return /** @type {ArrayBuffer} */ (
    u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8.buffer : u8.slice().buffer
  );
}

/**
 * The receive side: `peers` and the functions on it. `contextOptions` makes each peer's
 * SFrameContext; `holdMs` is how long a frame may wait for its KID's key; `graceMs` how long a
 * peer's previous key stays after its next one arrives.
 * @param {{contextOptions: {cipherSuite: number}, holdMs: number, graceMs: number}} o
 */
export function createReceiveSide({ contextOptions, holdMs, graceMs }) {
  /** @type {Map<string, PeerReceive>} peer key -> its receive side */
  const peers = new Map();

  /** @param {unknown} peerId @returns {PeerReceive} */
  function peerState(peerId) {
    const key = peerKeyOf(peerId);
    let p = peers.get(key);
    if (p === undefined) {
      p = {
        ctx: new SFrameContext({ ...contextOptions, counterLimit: undefined }),
        lastKid: null,
        frames: 0,
        empty: 0,
        dropped: { malformed: 0, unknownKid: 0, authFailed: 0, replayed: 0 },
        byKid: new Map(), // kid -> {frames, authFailed, replayed}
        waiters: new Map(), // kid -> [resolve]
        retiring: new Map(), // kid -> timer that removes the key when its grace time ends
        holdExpired: false, // a hold timed out: drop unknown KIDs at once until a frame decrypts
        needKeyFrame: false,
        lastKeyFrameRequest: -Infinity,
      };
      peers.set(key, p);
    }
    return p;
  }

  /** @param {PeerReceive} p @param {bigint} kid @returns {KidStats} */
  function kidStats(p, kid) {
    let s = p.byKid.get(kid);
    if (s === undefined) {
      s = { frames: 0, authFailed: 0, replayed: 0 };
      p.byKid.set(kid, s);
      if (p.byKid.size > MAX_KID_STATS_PER_PEER) {
        for (const k of p.byKid.keys()) {
          if (!p.ctx.receive.has(k)) {
            p.byKid.delete(k);
            break;
          }
        }
      }
    }
    return s;
  }

  /** @param {PeerReceive} p @param {bigint} kid */
  function removeKey(p, kid) {
    clearTimeout(p.retiring.get(kid));
    p.retiring.delete(kid);
    p.ctx.removeReceiveKey(kid);
  }

  // §4.3: a peer's previous keys stay for RECEIVE_GRACE after its newest key arrives, for frames
  // in flight; at most MAX_RECEIVE_KEYS_PER_PEER are held, the oldest going first.
  /** @param {PeerReceive} p @param {bigint} newest */
  function retireOlderKeys(p, newest) {
    const older = p.ctx.receiveKids().filter((/** @type {bigint} */ k) => k !== newest); // insertion order: oldest first
    const excess = older.length - (MAX_RECEIVE_KEYS_PER_PEER - 1);
    older.forEach((/** @type {bigint} */ kid, /** @type {number} */ i) => {
      if (i < excess) removeKey(p, kid);
      else if (!p.retiring.has(kid))
        p.retiring.set(
          kid,
          setTimeout(() => removeKey(p, kid), graceMs),
        );
    });
  }

  /** @param {PeerReceive} p @param {bigint} kid @returns {Promise<boolean>} */
  function waitForKey(p, kid) {
    return new Promise((resolve) => {
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      const done = (/** @type {boolean} */ arrived) => {
        clearTimeout(timer);
        resolve(arrived);
      };
      const list = p.waiters.get(kid) ?? [];
      list.push(done);
      p.waiters.set(kid, list);
      timer = setTimeout(() => {
        const l = p.waiters.get(kid);
        if (l !== undefined) {
          const i = l.indexOf(done);
          if (i >= 0) l.splice(i, 1);
          if (l.length === 0) p.waiters.delete(kid);
        }
        resolve(false);
      }, holdMs);
    });
  }

  /**
   * The SFrame header of a received frame: at its start, or after the clear bytes of a VP8
   * frame in the SFU layout (§7.5). Throws SFRAME_MALFORMED.
   * @param {import('./sframe.js').Bytes} data @param {boolean} vp8
   */
  function headerOf(data, vp8) {
    return decodeHeader(vp8 ? data.subarray(vp8ClearLength(data)) : data);
  }

  /** @param {PeerReceive} p @param {import('./sframe.js').Bytes} data @param {boolean} vp8 @param {unknown} e */
  function recordFailure(p, data, vp8, e) {
    const code = e instanceof SFrameError ? e.code : ErrorCode.SFRAME_AUTH_FAILED;
    let kid = null;
    try {
      kid = headerOf(data, vp8).kid;
    } catch {
      // malformed header: counted below
    }
    const known = kid === null ? undefined : p.byKid.get(kid);
    switch (code) {
      case ErrorCode.SFRAME_MALFORMED:
        p.dropped.malformed++;
        break;
      case ErrorCode.SFRAME_UNKNOWN_KID:
        p.dropped.unknownKid++;
        break;
      case ErrorCode.SFRAME_REPLAYED:
        p.dropped.replayed++;
        if (known !== undefined) known.replayed++;
        break;
      default:
        p.dropped.authFailed++;
        if (known !== undefined) known.authFailed++;
    }
  }

  /** @param {Transform} t @param {PeerReceive} p @param {EncodedFrame} frame @param {FrameSink} controller */
  async function decryptFrame(t, p, frame, controller) {
    const video = /** @type {{type?: string}} */ (frame).type !== undefined;
    const data = new Uint8Array(frame.data);
    if (data.length === 0) {
      // Chromium's receive pipeline now and then emits a zero-byte (audio) frame that no sender
      // produced; it carries nothing to decrypt or protect, so it goes on untouched (§7.2).
      p.empty++;
      controller.enqueue(frame);
      return;
    }
    // VP8 through the SFU keeps its first bytes in clear (§7.5); every other frame is sealed whole.
    const vp8 = video && t.layout === 'vp8';
    /** @param {import('./sframe.js').Bytes} d */
    const open = (d) => (vp8 ? openVp8Frame(p.ctx, d) : p.ctx.decryptFrame(d));
    let result;
    try {
      result = await open(data);
    } catch (e) {
      let failure = e;
      if (
        e instanceof SFrameError &&
        e.code === ErrorCode.SFRAME_UNKNOWN_KID &&
        !p.holdExpired &&
        holdMs > 0
      ) {
        // RFC 9605 §4.4.4 allows holding a frame until its key arrives; the stream queues later
        // frames behind it meanwhile. One timed-out hold stops further holds (see holdExpired).
        const kid = headerOf(data, vp8).kid;
        if (await waitForKey(p, kid)) {
          try {
            result = await open(data);
            failure = null;
          } catch (e2) {
            failure = e2;
          }
        } else {
          p.holdExpired = true;
        }
      }
      if (failure !== null) {
        recordFailure(p, data, vp8, failure);
        if (video) p.needKeyFrame = true;
        return; // dropped, never passed through
      }
    }
    p.holdExpired = false;
    const opened = /** @type {{kid: bigint, ctr: bigint, plaintext: Uint8Array}} */ (result); // set: failure is null here
    frame.data = toBuffer(opened.plaintext);
    controller.enqueue(frame);
    p.frames++;
    p.lastKid = opened.kid;
    kidStats(p, opened.kid).frames++;
    const transformer = t.transformer;
    if (p.needKeyFrame && typeof transformer?.sendKeyFrameRequest === 'function') {
      const now = Date.now();
      if (now - p.lastKeyFrameRequest >= KEYFRAME_REQUEST_INTERVAL_MS) {
        p.lastKeyFrameRequest = now;
        p.needKeyFrame = false;
        Promise.resolve()
          .then(() => transformer.sendKeyFrameRequest())
          .catch(() => {});
      }
    }
  }

  /** Per-peer counters for the worker's stats (no key material). */
  function stats() {
    /** @type {Record<string, object>} */
    const receive = {};
    for (const [key, p] of peers) {
      /** @type {Record<string, object>} */
      const byKid = {};
      for (const [kid, s] of p.byKid) byKid[kidToHex(kid)] = { ...s };
      receive[key] = {
        kid: p.lastKid === null ? null : kidToHex(p.lastKid),
        keys: p.ctx.receiveKids().map(kidToHex),
        frames: p.frames,
        empty: p.empty,
        dropped: { ...p.dropped },
        byKid,
      };
    }
    return receive;
  }

  return { peers, peerState, kidStats, removeKey, retireOlderKeys, decryptFrame, stats };
}
