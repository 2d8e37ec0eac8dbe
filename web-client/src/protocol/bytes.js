// @ts-check
// Small byte helpers shared by the protocol files (the JS counterpart of Java's internal/Bytes).
//
// SECURITY: wipe() overwrites a Uint8Array in place. JavaScript gives no guarantee that a
// secret has no other copy (the engine may have moved or copied the buffer, and strings are
// immutable), so wiping is best effort: it shortens the life of the copies we own
// (spec/security-considerations.md §11). Secrets are therefore never held as strings.

/** Concatenates byte arrays into a new one. @param {...Uint8Array} parts @returns {Uint8Array<ArrayBuffer>} */
export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Constant-time equality for secrets and confirmations. The length is not secret, so unequal
 * lengths return false at once; equal lengths always touch every byte.
 * @param {Uint8Array} a @param {Uint8Array} b
 */
export function constantTimeEquals(a, b) {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i] ^ b[i];
  return acc === 0;
}

/** Overwrites every given array with zeros; null and undefined are skipped. @param {...(Uint8Array | null | undefined)} arrays */
export function wipe(...arrays) {
  for (const a of arrays) {
    if (a != null) a.fill(0);
  }
}

/** True if every byte is zero (constant time in the length). @param {Uint8Array} a */
export function isAllZero(a) {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i];
  return acc === 0;
}

/** Big-endian u16 at off. @param {Uint8Array} src @param {number} off */
export function getU16(src, off) {
  return (src[off] << 8) | src[off + 1];
}

/** Big-endian u64 at off, as a BigInt (seq is compared as an unsigned 64-bit value). @param {Uint8Array} src @param {number} off */
export function getU64(src, off) {
  return new DataView(src.buffer, src.byteOffset, src.byteLength).getBigUint64(off, false);
}

/** Writes a non-negative safe integer as a big-endian u64 at off. @param {Uint8Array} dst @param {number} off @param {number} value */
export function putU64(dst, off, value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('u64 value out of range');
  new DataView(dst.buffer, dst.byteOffset, dst.byteLength).setBigUint64(off, BigInt(value), false);
}

/** A big-endian u16 as 2 bytes. @param {number} value */
export function u16(value) {
  return new Uint8Array([(value >>> 8) & 0xff, value & 0xff]);
}

/** A big-endian u32 as 4 bytes. @param {number} value */
export function u32(value) {
  return new Uint8Array([
    (value >>> 24) & 0xff,
    (value >>> 16) & 0xff,
    (value >>> 8) & 0xff,
    value & 0xff,
  ]);
}

/** ASCII bytes of a string that must be ASCII (labels). @param {string} s */
export function ascii(s) {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new TypeError('not ASCII');
    out[i] = c;
  }
  return out;
}

const HEX = '0123456789abcdef';

/** Lowercase hex, no separators. @param {Uint8Array} bytes */
export function toHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

/** Parses hex (either case, even length); throws TypeError on anything else. @param {string} hex */
export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError('invalid hex');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---------------------------------------------------------------- base64url (spec/primitives.md §7)

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_INDEX[B64URL.charCodeAt(i)] = i;

/** base64url without padding (RFC 4648 §5). @param {Uint8Array} bytes */
export function base64UrlEncode(bytes) {
  let s = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63] + B64URL[(v >> 6) & 63] + B64URL[v & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63];
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63] + B64URL[(v >> 6) & 63];
  }
  return s;
}

/**
 * Strict base64url decoding (spec/primitives.md §7): no padding, only A-Z a-z 0-9 - _, no
 * impossible length, and the unused trailing bits must be zero, so every byte string has exactly
 * one accepted encoding. Returns null on any violation (the caller decides the error).
 * @param {unknown} s @returns {Uint8Array | null}
 */
export function base64UrlDecode(s) {
  if (typeof s !== 'string' || s.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64URL_INDEX[c] : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null; // non-canonical: unused bits set
  return out;
}
