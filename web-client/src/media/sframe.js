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

import { concat, constantTimeEquals } from '../protocol/bytes.js';
import { ErrorCode as ProtocolErrorCode } from '../protocol/errors.js';

const subtle = globalThis.crypto?.subtle;

// ---------------------------------------------------------------------------------------------
// Errors: one family, codes listed in spec/media-sframe.md §9, numbered in the one list of
// src/protocol/errors.js (SFRAME_*: local, never on the wire). The message is the name only, so
// an error never carries key material, plaintext or peer input.

export const ErrorCode = Object.freeze(Object.fromEntries(
  Object.entries(ProtocolErrorCode).filter(([name]) => name.startsWith('SFRAME_'))));

const ERROR_NAMES = new Map(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

export class SFrameError extends Error {
  constructor(code) {
    const name = ERROR_NAMES.get(code);
    if (name === undefined) throw new RangeError('unknown SFrame error code');
    super(name);
    this.name = 'SFrameError';
    this.code = code;
    this.codeName = name;
  }
}

// ---------------------------------------------------------------------------------------------
// Cipher suites, RFC 9605 §4.5 Table 1 and §8.1.

export const CipherSuite = Object.freeze({
  AES_128_CTR_HMAC_SHA256_80: 0x0001,
  AES_128_CTR_HMAC_SHA256_64: 0x0002,
  AES_128_CTR_HMAC_SHA256_32: 0x0003,
  AES_128_GCM_SHA256_128: 0x0004,
  AES_256_GCM_SHA512_128: 0x0005,
});

/** The one suite Hybridge v1 uses (spec/media-sframe.md §2). */
export const HYBRIDGE_SUITE = CipherSuite.AES_256_GCM_SHA512_128;

const SUITES = new Map([
  [0x0001, { name: 'AES_128_CTR_HMAC_SHA256_80', hash: 'SHA-256', nh: 32, nka: 16, nk: 48, nn: 12, nt: 10, ctrHmac: true }],
  [0x0002, { name: 'AES_128_CTR_HMAC_SHA256_64', hash: 'SHA-256', nh: 32, nka: 16, nk: 48, nn: 12, nt: 8, ctrHmac: true }],
  [0x0003, { name: 'AES_128_CTR_HMAC_SHA256_32', hash: 'SHA-256', nh: 32, nka: 16, nk: 48, nn: 12, nt: 4, ctrHmac: true }],
  [0x0004, { name: 'AES_128_GCM_SHA256_128', hash: 'SHA-256', nh: 32, nka: 0, nk: 16, nn: 12, nt: 16, ctrHmac: false }],
  [0x0005, { name: 'AES_256_GCM_SHA512_128', hash: 'SHA-512', nh: 64, nka: 0, nk: 32, nn: 12, nt: 16, ctrHmac: false }],
]);

/** The RFC 9605 §4.5 constants of a suite; throws RangeError for a suite this file lacks. */
export function suiteParams(cipherSuite) {
  const p = SUITES.get(cipherSuite);
  if (p === undefined) throw new RangeError('unsupported SFrame cipher suite');
  return p;
}

// ---------------------------------------------------------------------------------------------
// Integers. KID and CTR are u64 (RFC 9605 §4.3); they are BigInt here, and the API also accepts
// non-negative safe-integer Numbers and decimal or 0x-hex strings.

export const U64_MAX = (1n << 64n) - 1n;

export function toU64(value) {
  let v;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else if (typeof value === 'string' && /^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$/.test(value)) v = BigInt(value);
  else throw new TypeError('expected an unsigned 64-bit integer');
  if (v < 0n || v > U64_MAX) throw new RangeError('value outside 0..2^64-1');
  return v;
}

/** `x` as a `len`-byte big-endian string (RFC 9605 encode_big_endian). */
export function encodeBigEndian(x, len) {
  const out = new Uint8Array(len);
  let v = x;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError('value does not fit');
  return out;
}

function readBigEndian(bytes, offset, len) {
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(bytes[offset + i]);
  return v;
}

function minimalLength(v) {
  let n = 0;
  for (let x = v; x > 0n; x >>= 8n) n++;
  return n;
}

/** KID as fixed-width hex for logs and stats: `0x` + 16 hex digits. A KID is public. */
export function kidToHex(kid) {
  return '0x' + toU64(kid).toString(16).padStart(16, '0');
}

// ---------------------------------------------------------------------------------------------
// Header, RFC 9605 §4.3:  config byte |X|K K K|Y|C C C| , then KID bytes, then CTR bytes.
// A value 0..7 sits in K (or C) with X (or Y) = 0; otherwise X (or Y) = 1, K (or C) = length - 1,
// and the value follows in the minimum number of big-endian bytes.

/** encode_sframe_header(CTR, KID) of RFC 9605 §4.4.3. */
export function encodeHeader(kid, ctr) {
  const k = toU64(kid);
  const c = toU64(ctr);
  let config = 0;
  let kidBytes = new Uint8Array(0);
  let ctrBytes = new Uint8Array(0);
  if (k < 8n) {
    config |= Number(k) << 4;
  } else {
    const n = minimalLength(k);
    config |= 0x80 | ((n - 1) << 4);
    kidBytes = encodeBigEndian(k, n);
  }
  if (c < 8n) {
    config |= Number(c);
  } else {
    const n = minimalLength(c);
    config |= 0x08 | (n - 1);
    ctrBytes = encodeBigEndian(c, n);
  }
  const out = new Uint8Array(1 + kidBytes.length + ctrBytes.length);
  out[0] = config;
  out.set(kidBytes, 1);
  out.set(ctrBytes, 1 + kidBytes.length);
  return out;
}

/**
 * Parses the header at the start of `bytes` (RFC 9605 §4.3). Returns {kid, ctr, length} where
 * length is the header size. Throws SFRAME_MALFORMED for a truncated or non-minimal header: the
 * RFC requires the minimum encoding (a MUST on the sender), and accepting only that keeps the
 * parse canonical. (A re-encoded header would fail authentication anyway: it is in the AAD.)
 */
export function decodeHeader(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
  if (bytes.length < 1) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
  const config = bytes[0];
  let offset = 1;
  const field = (extended, small) => {
    if (!extended) return BigInt(small);
    const len = small + 1;
    if (bytes.length < offset + len) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
    const v = readBigEndian(bytes, offset, len);
    if (minimalLength(v) !== len || v < 8n) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
    offset += len;
    return v;
  };
  const kid = field((config & 0x80) !== 0, (config >> 4) & 0x07);
  const ctr = field((config & 0x08) !== 0, config & 0x07);
  return { kid, ctr, length: offset };
}

// ---------------------------------------------------------------------------------------------
// HKDF (RFC 5869) over WebCrypto HMAC, so that the intermediate sframe_secret is visible to the
// vectors. Runs once per key, never per frame.

async function hmac(hash, key, data) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}

/** HKDF-Extract(salt, ikm), RFC 5869 §2.2. An empty salt means Nh zero bytes (same HMAC key). */
export async function hkdfExtract(hash, salt, ikm) {
  const nh = hash === 'SHA-512' ? 64 : 32;
  return hmac(hash, salt.length === 0 ? new Uint8Array(nh) : salt, ikm);
}

/** HKDF-Expand(prk, info, length), RFC 5869 §2.3. */
export async function hkdfExpand(hash, prk, info, length) {
  const k = await subtle.importKey('raw', prk, { name: 'HMAC', hash }, false, ['sign']);
  const out = new Uint8Array(length);
  let t = new Uint8Array(0);
  for (let i = 1, done = 0; done < length; i++) {
    const input = concat(t, info, Uint8Array.of(i));
    t = new Uint8Array(await subtle.sign('HMAC', k, input));
    out.set(t.subarray(0, Math.min(t.length, length - done)), done);
    done += t.length;
  }
  return out;
}

const KEY_LABEL = new TextEncoder().encode('SFrame 1.0 Secret key ');
const SALT_LABEL = new TextEncoder().encode('SFrame 1.0 Secret salt ');

/** "SFrame 1.0 Secret key " + KID (u64) + cipher_suite (u16), RFC 9605 §4.4.2. */
export function keyLabel(kid, cipherSuite) {
  return concat(KEY_LABEL, encodeBigEndian(toU64(kid), 8), encodeBigEndian(BigInt(cipherSuite), 2));
}

/** "SFrame 1.0 Secret salt " + KID (u64) + cipher_suite (u16), RFC 9605 §4.4.2. */
export function saltLabel(kid, cipherSuite) {
  return concat(SALT_LABEL, encodeBigEndian(toU64(kid), 8), encodeBigEndian(BigInt(cipherSuite), 2));
}

/**
 * SF1: derive_key_salt(KID, base_key) of RFC 9605 §4.4.2, with the suite's hash. Returns raw bytes
 * {sframeSecret, sframeKey, sframeSalt}; the caller wipes them (importSFrameKey does).
 */
export async function deriveKeySalt(cipherSuite, kid, baseKey) {
  const p = suiteParams(cipherSuite);
  const sframeSecret = await hkdfExtract(p.hash, new Uint8Array(0), baseKey);
  const sframeKey = await hkdfExpand(p.hash, sframeSecret, keyLabel(kid, cipherSuite), p.nk);
  const sframeSalt = await hkdfExpand(p.hash, sframeSecret, saltLabel(kid, cipherSuite), p.nn);
  return { sframeSecret, sframeKey, sframeSalt };
}

/** SF2: nonce = sframe_salt XOR encode_big_endian(CTR, Nn), RFC 9605 §4.4.3. */
export function formNonce(sframeSalt, ctr) {
  const c = encodeBigEndian(toU64(ctr), sframeSalt.length);
  const nonce = new Uint8Array(sframeSalt.length);
  for (let i = 0; i < nonce.length; i++) nonce[i] = sframeSalt[i] ^ c[i];
  return nonce;
}

// ---------------------------------------------------------------------------------------------
// AEAD, RFC 9605 §4.4 and §4.5.1. An AEAD key is {suite, enc, auth?}: CryptoKeys made from the raw
// sframe_key by importAeadKey.

/**
 * derive_subkeys(sframe_key) of RFC 9605 §4.5.1 for the CTR+HMAC suites: enc_key is the first Nka
 * bytes, auth_key the remaining Nh bytes. Returns views into `sframeKey`, not copies.
 */
export function deriveSubkeys(cipherSuite, sframeKey) {
  const p = suiteParams(cipherSuite);
  if (!p.ctrHmac) throw new RangeError('derive_subkeys applies to the AES-CTR + HMAC suites only');
  if (sframeKey.length !== p.nka + p.nh) throw new RangeError('wrong sframe_key length');
  return { encKey: sframeKey.subarray(0, p.nka), authKey: sframeKey.subarray(p.nka) };
}

/** Imports raw sframe_key bytes (AEAD.Nk of them) for `cipherSuite`. */
export async function importAeadKey(cipherSuite, sframeKey) {
  const p = suiteParams(cipherSuite);
  if (sframeKey.length !== p.nk) throw new RangeError('wrong sframe_key length');
  if (!p.ctrHmac) {
    const enc = await subtle.importKey('raw', sframeKey, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return { suite: cipherSuite, params: p, enc, auth: null };
  }
  const { encKey, authKey } = deriveSubkeys(cipherSuite, sframeKey);
  const enc = await subtle.importKey('raw', encKey, { name: 'AES-CTR' }, false, ['encrypt', 'decrypt']);
  const auth = await subtle.importKey('raw', authKey, { name: 'HMAC', hash: p.hash }, false, ['sign']);
  return { suite: cipherSuite, params: p, enc, auth };
}

// compute_tag of §4.5.1: HMAC over len(aad) u64 || len(ct) u64 || Nt u64 || nonce || aad || ct.
async function computeTag(key, nonce, aad, ct) {
  const p = key.params;
  const authData = concat(
    encodeBigEndian(BigInt(aad.length), 8),
    encodeBigEndian(BigInt(ct.length), 8),
    encodeBigEndian(BigInt(p.nt), 8),
    nonce, aad, ct);
  const tag = new Uint8Array(await subtle.sign('HMAC', key.auth, authData));
  return tag.subarray(0, p.nt);
}

function ctrParams(nonce) {
  // initial_counter = nonce || 0x00000000; the low 32 bits count blocks (a frame is < 2^36 bytes).
  const counter = new Uint8Array(16);
  counter.set(nonce, 0);
  return { name: 'AES-CTR', counter, length: 32 };
}

/**
 * AEAD.Encrypt(key, nonce, aad, pt) → ct || tag. Not an async function: the GCM suites, on every
 * sender's per-frame path, get WebCrypto's promise with one `then` and no extra async frame.
 */
export function aeadEncrypt(key, nonce, aad, pt) {
  if (!key.params.ctrHmac) {
    return subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, key.enc, pt).then((ct) => new Uint8Array(ct));
  }
  return ctrHmacEncrypt(key, nonce, aad, pt);
}

async function ctrHmacEncrypt(key, nonce, aad, pt) {
  const ct = new Uint8Array(await subtle.encrypt(ctrParams(nonce), key.enc, pt));
  return concat(ct, await computeTag(key, nonce, aad, ct));
}

/** AEAD.Decrypt(key, nonce, aad, ct || tag) → pt; throws SFRAME_AUTH_FAILED. */
export async function aeadDecrypt(key, nonce, aad, ctAndTag) {
  const p = key.params;
  if (ctAndTag.length < p.nt) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
  if (!p.ctrHmac) {
    try {
      return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, key.enc, ctAndTag));
    } catch {
      throw new SFrameError(ErrorCode.SFRAME_AUTH_FAILED);
    }
  }
  const ct = ctAndTag.subarray(0, ctAndTag.length - p.nt);
  const tag = ctAndTag.subarray(ctAndTag.length - p.nt);
  const expected = await computeTag(key, nonce, aad, ct);
  if (!constantTimeEquals(tag, expected)) throw new SFrameError(ErrorCode.SFRAME_AUTH_FAILED);
  return new Uint8Array(await subtle.decrypt(ctrParams(nonce), key.enc, ct));
}

// ---------------------------------------------------------------------------------------------
// One KID's key: derived once (§4.4.2), then used for many frames.

/**
 * Derives and imports the key for (cipherSuite, kid, baseKey). Returns {suite, kid, aead, salt}.
 * Raw sframe_secret and sframe_key are wiped; baseKey is left to the caller.
 */
export async function importSFrameKey(cipherSuite, kid, baseKey) {
  const k = toU64(kid);
  const d = await deriveKeySalt(cipherSuite, k, baseKey);
  try {
    const aead = await importAeadKey(cipherSuite, d.sframeKey);
    // The header's KID part (config byte with the CTR bits zero, then the KID bytes) is the same
    // for every frame under this key: encoded once here, not per frame.
    return { suite: cipherSuite, kid: k, aead, salt: d.sframeSalt, kidHeader: encodeHeader(k, 0n) };
  } finally {
    d.sframeSecret.fill(0);
    d.sframeKey.fill(0);
  }
}

const U32_LIMIT = 1n << 32n;

/**
 * encode_sframe_header(CTR, KID) for a key's own KID (RFC 9605 §4.3), the sender's per-frame
 * path: the KID part comes from the key, CTR below 2^32 (Hybridge's per-key limit, §5) is written
 * with Number arithmetic. Byte for byte what encodeHeader gives (the RFC vectors check both).
 */
function frameHeader(sframeKey, ctr) {
  const kidHeader = sframeKey.kidHeader;
  if (ctr >= U32_LIMIT) return encodeHeader(sframeKey.kid, ctr);
  let c = Number(ctr);
  const n = c < 8 ? 0 : c < 0x100 ? 1 : c < 0x10000 ? 2 : c < 0x1000000 ? 3 : 4;
  const out = new Uint8Array(kidHeader.length + n);
  out.set(kidHeader);
  out[0] |= n === 0 ? c : 0x08 | (n - 1);
  for (let i = out.length - 1; i >= kidHeader.length; i--) {
    out[i] = c & 0xff;
    c >>>= 8;
  }
  return out;
}

/** SF2 for CTR below 2^32: salt XOR CTR touches only the last four bytes (Nn = 12). */
function frameNonce(salt, ctr) {
  if (ctr >= U32_LIMIT) return formNonce(salt, ctr);
  const c = Number(ctr);
  const nonce = salt.slice();
  const n = nonce.length;
  nonce[n - 1] ^= c & 0xff;
  nonce[n - 2] ^= (c >>> 8) & 0xff;
  nonce[n - 3] ^= (c >>> 16) & 0xff;
  nonce[n - 4] ^= c >>> 24;
  return nonce;
}

/**
 * SF3: encrypt(CTR, KID, metadata, plaintext) of RFC 9605 §4.4.3 → header || ct || tag.
 * Per frame (the sender runs this some 70 times a second per call): no BigInt arithmetic below
 * CTR 2^32, the header itself is the AAD when there is no metadata, and the output is one array
 * that the ciphertext is copied into once.
 */
export function sealFrame(sframeKey, ctr, metadata, plaintext) {
  const header = frameHeader(sframeKey, ctr);
  const nonce = frameNonce(sframeKey.salt, ctr);
  const aad = metadata.length === 0 ? header : concat(header, metadata);
  return aeadEncrypt(sframeKey.aead, nonce, aad, plaintext).then((body) => {
    const out = new Uint8Array(header.length + body.length);
    out.set(header, 0);
    out.set(body, header.length);
    return out;
  });
}

/**
 * SF4 step 5: decrypt(metadata, sframe_ciphertext) of RFC 9605 §4.4.4 for a frame whose header was parsed
 * already (`header` = decodeHeader(frame)) and whose KID matched `sframeKey`.
 */
export async function openFrame(sframeKey, header, metadata, frame) {
  const nonce = formNonce(sframeKey.salt, header.ctr);
  const aad = concat(frame.subarray(0, header.length), metadata);
  return aeadDecrypt(sframeKey.aead, nonce, aad, frame.subarray(header.length));
}

// ---------------------------------------------------------------------------------------------
// Replay window (spec/media-sframe.md §6). SFrame rides on unreliable, reordering transport, so a
// strict "next CTR only" rule would drop good frames. Each receive KID keeps the highest CTR
// accepted and a bitmap of the `size` CTRs at and below it. A CTR above the highest is new; a CTR
// inside the window is new if its bit is clear; a CTR below the window is refused (it might have
// been accepted before and forgotten). Only authenticated frames touch the window, so forgeries
// cannot move it.

export class ReplayWindow {
  constructor(size) {
    if (!Number.isSafeInteger(size) || size < 1 || size > 1 << 20) throw new RangeError('bad replay window size');
    this.size = size;
    this.bsize = BigInt(size);
    this.bits = new Uint8Array(size); // slot ctr mod size: 1 = that ctr was accepted
    this.highest = -1n; // no frame yet
  }

  /** True if `ctr` may be new. Pure check; no state change. */
  check(ctr) {
    if (ctr > this.highest) return true;
    if (ctr <= this.highest - this.bsize) return false;
    return this.bits[Number(ctr % this.bsize)] === 0;
  }

  /** Records `ctr` as accepted; returns false (and changes nothing) if it was not new. */
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
    if (subtle === undefined) throw new Error('WebCrypto is not available (needs a secure context)');
    this.cipherSuite = options.cipherSuite ?? HYBRIDGE_SUITE;
    this.params = suiteParams(this.cipherSuite);
    this.replayWindowSize = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    new ReplayWindow(this.replayWindowSize); // validates the size now, not at the first key
    this.counterLimit = options.counterLimit === undefined ? DEFAULT_COUNTER_LIMIT : toU64(options.counterLimit);
    if (this.counterLimit < 1n) throw new RangeError('counterLimit must be at least 1');
    this.baseKeyLength = options.baseKeyLength ?? BASE_KEY_LENGTH;
    this.send = null; // {key, ctr}
    this.usedSendKids = new Set(); // every KID ever used to send: never again (nonce reuse guard)
    this.receive = new Map(); // kid (bigint) -> {key, window}
    this.usedReceiveKids = new Set(); // every KID ever added for receiving: a KID names one key
  }

  #checkBaseKey(baseKey) {
    if (!(baseKey instanceof Uint8Array) || baseKey.length === 0) throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
    if (this.baseKeyLength !== 0 && baseKey.length !== this.baseKeyLength) throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
  }

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
   */
  async addSendKey(kid, baseKey) {
    const k = this.#kid(kid);
    this.#checkBaseKey(baseKey);
    if (this.usedSendKids.has(k) || this.usedReceiveKids.has(k)) throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
    this.usedSendKids.add(k); // reserve before the await, so two concurrent calls cannot both win
    const key = await importSFrameKey(this.cipherSuite, k, baseKey);
    this.send = { key, ctr: 0n };
  }

  /** Alias of addSendKey, matching the worker's `setSendKey` message. */
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
   */
  async addReceiveKey(kid, baseKey) {
    const k = this.#kid(kid);
    this.#checkBaseKey(baseKey);
    if (this.usedReceiveKids.has(k) || this.usedSendKids.has(k)) throw new SFrameError(ErrorCode.SFRAME_KEY_REJECTED);
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

  /** Forgets a receive key; true if it was present. */
  removeReceiveKey(kid) {
    return this.receive.delete(this.#kid(kid));
  }

  hasReceiveKey(kid) {
    const e = this.receive.get(toU64(kid));
    return e !== undefined && e.key !== null;
  }

  /** The KIDs (bigint) of the receive keys held. */
  receiveKids() {
    return [...this.receive.keys()];
  }

  /** Encrypts one frame under the send key: header || ciphertext || tag (RFC 9605 §4.4.3). */
  encrypt(frame, metadata = EMPTY) {
    // Not an async function: it returns sealFrame's promise itself (no extra promise and ticks
    // per frame) and reports errors as rejections, as an async function would.
    const send = this.send;
    if (send === null) return Promise.reject(new SFrameError(ErrorCode.SFRAME_NO_SEND_KEY));
    if (send.ctr >= this.counterLimit) return Promise.reject(new SFrameError(ErrorCode.SFRAME_COUNTER_EXHAUSTED));
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
   */
  async decryptFrame(sframe, metadata = EMPTY) {
    if (!(sframe instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
    const header = decodeHeader(sframe);
    if (sframe.length < header.length + this.params.nt) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
    const entry = this.receive.get(header.kid);
    if (entry === undefined || entry.key === null) throw new SFrameError(ErrorCode.SFRAME_UNKNOWN_KID);
    if (!entry.window.check(header.ctr)) throw new SFrameError(ErrorCode.SFRAME_REPLAYED);
    const plaintext = await openFrame(entry.key, header, metadata, sframe);
    if (!entry.window.accept(header.ctr)) throw new SFrameError(ErrorCode.SFRAME_REPLAYED);
    return { kid: header.kid, ctr: header.ctr, plaintext };
  }

  /** Decrypts one SFrame ciphertext and returns the plaintext (see decryptFrame). */
  async decrypt(sframe, metadata = EMPTY) {
    return (await this.decryptFrame(sframe, metadata)).plaintext;
  }
}
