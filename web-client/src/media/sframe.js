// @ts-check
// SFrame (RFC 9605) for Hybridge media: header codec, key derivation, AEAD, and a per-sender
// context with counters and a replay window. Normative text: spec/media-sframe.md.
//
// Security caveats, stated up front:
// - WebCrypto only (globalThis.crypto.subtle). Node 20+ and browsers in a secure context have it.
// - SFrame authenticates the group, not the sender (RFC 9605 §7.2): anyone holding a receive key
//   can forge frames under that KID. Hybridge receivers therefore scope keys per peer connection.
// - Counters are never caller-supplied on the sending path, so (KID, CTR) cannot repeat inside one
//   SFrameContext (RFC 9605 §4.3, §7.4). Running two contexts with the same send key is the one
//   misuse this file cannot see; the spec forbids it (one send context per client).
// - Secrets: derived keys are imported as non-extractable CryptoKeys and the raw bytes are
//   overwritten. Wiping in JavaScript is best effort (spec/security-considerations.md §11).
//
// This file: the replay window and SFrameContext, the keys of one party. It also re-exports the
// formats (sframeFormat.js) and the cryptography (sframeCrypto.js), so that one import gives
// the whole SFrame layer.

import {
  ErrorCode,
  HYBRIDGE_SUITE,
  SFrameError,
  decodeHeader,
  suiteParams,
  toU64,
  vp8ClearLength,
} from './sframeFormat.js';
import { importSFrameKey, openFrame, sealFrame } from './sframeCrypto.js';
import { concat } from '../protocol/bytes.js';

export * from './sframeFormat.js';
export {
  aeadDecrypt,
  aeadEncrypt,
  deriveKeySalt,
  deriveSubkeys,
  formNonce,
  hkdfExpand,
  hkdfExtract,
  importAeadKey,
  importSFrameKey,
  keyLabel,
  openFrame,
  saltLabel,
  sealFrame,
} from './sframeCrypto.js';

const subtle = globalThis.crypto?.subtle;

/** @typedef {import('./sframeFormat.js').Bytes} Bytes */

// ---------------------------------------------------------------------------------------------
// Replay window (spec/media-sframe.md §6). SFrame rides on unreliable, reordering transport, so a
// strict "next CTR only" rule would drop good frames. Each receive KID keeps the highest CTR
// accepted and a bitmap of the `size` CTRs at and below it. A CTR above the highest is new; a CTR
// inside the window is new if its bit is clear; a CTR below the window is refused (it might have
// been accepted before and forgotten). Only authenticated frames touch the window, so forgeries
// cannot move it.

export class ReplayWindow {
  /** @param {number} size */
  constructor(size) {
    if (!Number.isSafeInteger(size) || size < 1 || size > 1 << 20)
      throw new RangeError('bad replay window size');
    this.size = size;
    this.bsize = BigInt(size);
    this.bits = new Uint8Array(size); // slot ctr mod size: 1 = that ctr was accepted
    this.highest = -1n; // no frame yet
  }

  /** True if `ctr` may be new. Pure check; no state change. @param {bigint} ctr */
  check(ctr) {
    if (ctr > this.highest) return true;
    if (ctr <= this.highest - this.bsize) return false;
    return this.bits[Number(ctr % this.bsize)] === 0;
  }

  /** Records `ctr` as accepted; returns false (and changes nothing) if it was not new. @param {bigint} ctr */
  accept(ctr) {
    if (!this.check(ctr)) return false;
    if (ctr > this.highest) {
      const advance = ctr - this.highest;
      if (advance >= this.bsize) {
        this.bits.fill(0);
      } else {
        for (let c = this.highest + 1n; c < ctr; c++) this.bits[Number(c % this.bsize)] = 0;
      }
      this.highest = ctr;
    }
    this.bits[Number(ctr % this.bsize)] = 1;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// SFrameContext: the keys of one party (RFC 9605 §4.4.1).

/** Default per-key frame limit: CTR values 0 .. 2^32-1 (spec/media-sframe.md §5). */
export const DEFAULT_COUNTER_LIMIT = 1n << 32n;
/** Default replay window, in CTR values (spec/media-sframe.md §6). */
export const DEFAULT_REPLAY_WINDOW = 1024;
/** Base keys are 32 random bytes in Hybridge (spec/media-sframe.md §3). */
export const BASE_KEY_LENGTH = 32;

const EMPTY = new Uint8Array(0);

export class SFrameContext {
  /**
   * @param {object} [options]
   * @param {number} [options.cipherSuite=0x0005]
   * @param {number} [options.replayWindow=1024] CTR values remembered per receive KID
   * @param {bigint} [options.counterLimit=2^32] frames per send key; encrypt refuses CTR >= limit
   * @param {number} [options.baseKeyLength=32] required base_key length; 0 accepts any non-empty
   */
  constructor(options = {}) {
    if (subtle === undefined)
      throw new Error('WebCrypto is not available (needs a secure context)');
    this.cipherSuite = options.cipherSuite ?? HYBRIDGE_SUITE;
    this.params = suiteParams(this.cipherSuite);
    this.replayWindowSize = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    new ReplayWindow(this.replayWindowSize); // validates the size now, not at the first key
    this.counterLimit =
      options.counterLimit === undefined ? DEFAULT_COUNTER_LIMIT : toU64(options.counterLimit);
    if (this.counterLimit < 1n) throw new RangeError('counterLimit must be at least 1');
    this.baseKeyLength = options.baseKeyLength ?? BASE_KEY_LENGTH;
    this.send = null; // {key, ctr}
    this.usedSendKids = new Set(); // every KID ever used to send: never again (nonce reuse guard)
    this.receive = new Map(); // kid (bigint) -> {key, window}
    this.usedReceiveKids = new Set(); // every KID ever added for receiving: a KID names one key
  }

  /** @param {unknown} baseKey @returns {asserts baseKey is Bytes} */
  #checkBaseKey(baseKey) {
    if (!(baseKey instanceof Uint8Array) || baseKey.length === 0)
      throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
    if (this.baseKeyLength !== 0 && baseKey.length !== this.baseKeyLength)
      throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
  }

  /** @param {import('./sframeFormat.js').U64Input} kid */
  #kid(kid) {
    try {
      return toU64(kid);
    } catch {
      throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
    }
  }

  /**
   * Makes (kid, baseKey) the send key; the previous send key is dropped at once. CTR starts at 0.
   * Refused (SFRAME_KEY_REJECTED) if this context ever sent under `kid` or ever received with it: a key is for sending or receiving, never both (RFC 9605 §4.4.1), and a KID is never reused
   * for sending, so a (KID, CTR) pair can never repeat here even if a caller reused a base key.
   * @param {import('./sframeFormat.js').U64Input} kid @param {Bytes} baseKey
   */
  async addSendKey(kid, baseKey) {
    const k = this.#kid(kid);
    this.#checkBaseKey(baseKey);
    if (this.usedSendKids.has(k) || this.usedReceiveKids.has(k))
      throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
    this.usedSendKids.add(k); // reserve before the await, so two concurrent calls cannot both win
    const key = await importSFrameKey(this.cipherSuite, k, baseKey);
    this.send = { key, ctr: 0n };
  }

  /** Alias of addSendKey, matching the worker's `setSendKey` message. @param {import('./sframeFormat.js').U64Input} kid @param {Bytes} baseKey */
  setSendKey(kid, baseKey) {
    return this.addSendKey(kid, baseKey);
  }

  /** The current send KID (bigint) or null. */
  get sendKid() {
    return this.send === null ? null : this.send.key.kid;
  }

  /** The next CTR the send key will use (bigint) or null. */
  get sendCounter() {
    return this.send === null ? null : this.send.ctr;
  }

  /**
   * Adds a receive key. Refused for a KID added before (even if removed since: re-adding would
   * reset its replay window), or one this context sends with (RFC 9605 §4.4.1).
   * @param {import('./sframeFormat.js').U64Input} kid @param {Bytes} baseKey
   */
  async addReceiveKey(kid, baseKey) {
    const k = this.#kid(kid);
    this.#checkBaseKey(baseKey);
    if (this.usedReceiveKids.has(k) || this.usedSendKids.has(k))
      throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
    this.usedReceiveKids.add(k);
    /** @type {{key: Awaited<ReturnType<typeof importSFrameKey>> | null, window: ReplayWindow}} */
    const entry = { key: null, window: new ReplayWindow(this.replayWindowSize) };
    this.receive.set(k, entry); // reserve the slot before the await
    try {
      entry.key = await importSFrameKey(this.cipherSuite, k, baseKey);
    } catch (e) {
      if (this.receive.get(k) === entry) this.receive.delete(k);
      throw e;
    }
  }

  /** Forgets a receive key; true if it was present. @param {import('./sframeFormat.js').U64Input} kid */
  removeReceiveKey(kid) {
    return this.receive.delete(this.#kid(kid));
  }

  /** @param {import('./sframeFormat.js').U64Input} kid */
  hasReceiveKey(kid) {
    const e = this.receive.get(toU64(kid));
    return e !== undefined && e.key !== null;
  }

  /** The KIDs (bigint) of the receive keys held. */
  receiveKids() {
    return [...this.receive.keys()];
  }

  /** Encrypts one frame under the send key: header || ciphertext || tag (RFC 9605 §4.4.3). @param {Bytes} frame @param {Bytes} [metadata] */
  encrypt(frame, metadata = EMPTY) {
    // Not an async function: it returns sealFrame's promise itself (no extra promise and ticks
    // per frame) and reports errors as rejections, as an async function would.
    const send = this.send;
    if (send === null) return Promise.reject(new SFrameError(ErrorCode.SFRAME_NO_SEND_KEY));
    if (send.ctr >= this.counterLimit)
      return Promise.reject(new SFrameError(ErrorCode.SFRAME_COUNTER_EXHAUSTED));
    // Take the CTR synchronously, before any await: concurrent encrypt calls get distinct CTRs.
    const ctr = send.ctr;
    send.ctr = ctr + 1n;
    try {
      return sealFrame(send.key, ctr, metadata, frame);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * SF4: decrypts one SFrame ciphertext and returns {kid, ctr, plaintext}. Check order (normative,
   * spec/media-sframe.md §6): header (SFRAME_MALFORMED), length >= header + Nt (SFRAME_MALFORMED),
   * KID (SFRAME_UNKNOWN_KID), replay window (SFRAME_REPLAYED), tag (SFRAME_AUTH_FAILED), then the
   * window is updated, re-checking so two concurrent copies of one frame cannot both pass.
   * @param {Bytes} sframe @param {Bytes} [metadata]
   */
  async decryptFrame(sframe, metadata = EMPTY) {
    if (!(sframe instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
    const header = decodeHeader(sframe);
    if (sframe.length < header.length + this.params.nt)
      throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
    const entry = this.receive.get(header.kid);
    if (entry === undefined || entry.key === null)
      throw new SFrameError(ErrorCode.SFRAME_UNKNOWN_KID);
    if (!entry.window.check(header.ctr)) throw new SFrameError(ErrorCode.SFRAME_REPLAYED);
    const plaintext = await openFrame(entry.key, header, metadata, sframe);
    if (!entry.window.accept(header.ctr)) throw new SFrameError(ErrorCode.SFRAME_REPLAYED);
    return { kid: header.kid, ctr: header.ctr, plaintext };
  }

  /** Decrypts one SFrame ciphertext and returns the plaintext (see decryptFrame). @param {Bytes} sframe @param {Bytes} [metadata] */
  async decrypt(sframe, metadata = EMPTY) {
    return (await this.decryptFrame(sframe, metadata)).plaintext;
  }
}

// ---------------------------------------------------------------------------------------------
// VP8 through the SFU (spec/media-sframe.md §7.5): clear || SFrame(rest), the clear bytes being
// the SFrame metadata, so they are authenticated and can be neither changed nor moved.

/**
 * Seals a VP8 frame in the SFU layout: its first vp8ClearLength bytes in clear, then the SFrame
 * ciphertext of the rest with those bytes as metadata. The CTR is taken synchronously, as encrypt.
 * @param {SFrameContext} ctx @param {Bytes} frame @returns {Promise<Bytes>}
 */
export function sealVp8Frame(ctx, frame) {
  let n;
  try {
    n = vp8ClearLength(frame);
  } catch (e) {
    return Promise.reject(e);
  }
  const clear = frame.subarray(0, n);
  return ctx.encrypt(frame.subarray(n), clear).then((sealed) => concat(clear, sealed));
}

/**
 * Opens a VP8 frame of the SFU layout: {kid, ctr, plaintext} with the plaintext the whole VP8
 * frame again (clear bytes first). The checks and their order are decryptFrame's (§6), after the
 * clear bytes' own length check (SFRAME_MALFORMED).
 * @param {SFrameContext} ctx @param {Bytes} frame
 */
export async function openVp8Frame(ctx, frame) {
  const n = vp8ClearLength(frame);
  const clear = frame.subarray(0, n);
  const r = await ctx.decryptFrame(frame.subarray(n), clear);
  return { kid: r.kid, ctr: r.ctr, plaintext: concat(clear, r.plaintext) };
}
