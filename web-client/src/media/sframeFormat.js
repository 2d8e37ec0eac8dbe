// @ts-check
// SFrame (RFC 9605) formats for Hybridge media: the error codes, the cipher suites, KID and CTR
// as u64, and the header codec. No keys here; sframeCrypto.js and sframe.js build on it.
// Normative text: spec/media-sframe.md.

/**
 * @typedef {Uint8Array<ArrayBuffer>} Bytes bytes WebCrypto takes as they are (BufferSource)
 * @typedef {{name: string, hash: string, nh: number, nka: number, nk: number, nn: number, nt: number, ctrHmac: boolean}} SuiteParams
 * @typedef {{kid: bigint, ctr: bigint, length: number}} Header a parsed header: KID, CTR, its length in bytes
 * @typedef {bigint | number | string} U64Input what the API accepts for a KID or CTR (see toU64)
 */

// ---------------------------------------------------------------------------------------------
// Errors: SFrame's own family, the table of spec/media-sframe.md §9 (codes 30-39, local to the
// browser, never on the wire; test/spec-agreement.test.js compares them). The message is the name
// only, so an error never carries key material, plaintext or peer input.

export const ErrorCode = Object.freeze({
  SFRAME_MALFORMED: 30,
  SFRAME_UNKNOWN_KID: 31,
  SFRAME_AUTH_FAILED: 32,
  SFRAME_REPLAYED: 33,
  SFRAME_COUNTER_EXHAUSTED: 34,
  SFRAME_NO_SEND_KEY: 35,
  SFRAME_KEY_REJECTED: 36,
});

/** @type {Map<number, string>} */
const ERROR_NAMES = new Map(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

export class SFrameError extends Error {
  /** @param {number} code */
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
  [
    0x0001,
    {
      name: 'AES_128_CTR_HMAC_SHA256_80',
      hash: 'SHA-256',
      nh: 32,
      nka: 16,
      nk: 48,
      nn: 12,
      nt: 10,
      ctrHmac: true,
    },
  ],
  [
    0x0002,
    {
      name: 'AES_128_CTR_HMAC_SHA256_64',
      hash: 'SHA-256',
      nh: 32,
      nka: 16,
      nk: 48,
      nn: 12,
      nt: 8,
      ctrHmac: true,
    },
  ],
  [
    0x0003,
    {
      name: 'AES_128_CTR_HMAC_SHA256_32',
      hash: 'SHA-256',
      nh: 32,
      nka: 16,
      nk: 48,
      nn: 12,
      nt: 4,
      ctrHmac: true,
    },
  ],
  [
    0x0004,
    {
      name: 'AES_128_GCM_SHA256_128',
      hash: 'SHA-256',
      nh: 32,
      nka: 0,
      nk: 16,
      nn: 12,
      nt: 16,
      ctrHmac: false,
    },
  ],
  [
    0x0005,
    {
      name: 'AES_256_GCM_SHA512_128',
      hash: 'SHA-512',
      nh: 64,
      nka: 0,
      nk: 32,
      nn: 12,
      nt: 16,
      ctrHmac: false,
    },
  ],
]);

/** The RFC 9605 §4.5 constants of a suite; throws RangeError for a suite this file lacks. @param {number} cipherSuite @returns {SuiteParams} */
export function suiteParams(cipherSuite) {
  const p = SUITES.get(cipherSuite);
  if (p === undefined) throw new RangeError('unsupported SFrame cipher suite');
  return p;
}

// ---------------------------------------------------------------------------------------------
// Integers. KID and CTR are u64 (RFC 9605 §4.3); they are BigInt here, and the API also accepts
// non-negative safe-integer Numbers and decimal or 0x-hex strings.

export const U64_MAX = (1n << 64n) - 1n;

/** @param {unknown} value @returns {bigint} */
export function toU64(value) {
  let v;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else if (typeof value === 'string' && /^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$/.test(value))
    v = BigInt(value);
  else throw new TypeError('expected an unsigned 64-bit integer');
  if (v < 0n || v > U64_MAX) throw new RangeError('value outside 0..2^64-1');
  return v;
}

/** `x` as a `len`-byte big-endian string (RFC 9605 encode_big_endian). @param {bigint} x @param {number} len @returns {Bytes} */
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

/** @param {Uint8Array} bytes @param {number} offset @param {number} len */
function readBigEndian(bytes, offset, len) {
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(bytes[offset + i]);
  return v;
}

/** @param {bigint} v */
function minimalLength(v) {
  let n = 0;
  for (let x = v; x > 0n; x >>= 8n) n++;
  return n;
}

/** KID as fixed-width hex for logs and stats: `0x` + 16 hex digits. A KID is public. @param {U64Input} kid */
export function kidToHex(kid) {
  return '0x' + toU64(kid).toString(16).padStart(16, '0');
}

// ---------------------------------------------------------------------------------------------
// Header, RFC 9605 §4.3:  config byte |X|K K K|Y|C C C| , then KID bytes, then CTR bytes.
// A value 0..7 sits in K (or C) with X (or Y) = 0; otherwise X (or Y) = 1, K (or C) = length - 1,
// and the value follows in the minimum number of big-endian bytes.

/** encode_sframe_header(CTR, KID) of RFC 9605 §4.4.3. @param {U64Input} kid @param {U64Input} ctr @returns {Bytes} */
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
 * @param {Uint8Array} bytes @returns {Header}
 */
export function decodeHeader(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
  if (bytes.length < 1) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
  const config = bytes[0];
  let offset = 1;
  const field = (/** @type {boolean} */ extended, /** @type {number} */ small) => {
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
// VP8 frames through the SFU (spec/media-sframe.md §7.5): the first bytes of the VP8 payload
// header stay in clear, as the SFrame metadata (authenticated, not encrypted), so that an SFU can
// find key frames to switch simulcast layers on and the receiving browser can tell a key frame.

/** Clear bytes of a VP8 key frame: the 3-byte frame tag, the start code and the dimensions (RFC 6386 §9.1). */
export const VP8_CLEAR_KEY = 10;
/** Clear bytes of a VP8 interframe: the 3-byte frame tag. */
export const VP8_CLEAR_DELTA = 3;

/**
 * How many leading bytes of a VP8 frame stay in clear: 10 for a key frame (bit 0 of the frame tag
 * is 0), 3 for an interframe. The same rule reads a sealed frame, whose first byte is the frame's
 * own. Throws SFRAME_MALFORMED for a frame shorter than that.
 * @param {Bytes} frame
 */
export function vp8ClearLength(frame) {
  if (frame.length < 1) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
  const n = (frame[0] & 0x01) === 0 ? VP8_CLEAR_KEY : VP8_CLEAR_DELTA;
  if (frame.length < n) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
  return n;
}
