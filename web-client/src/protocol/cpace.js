// @ts-check
// CPACE-X25519-SHA512 of draft-irtf-cfrg-cpace (spec/short-codes.md §3, CK2-CK5), on
// @noble/curves: X25519 (RFC 7748) and RFC 9380's Elligator 2 map for curve25519 (Z = 2, the map
// the draft uses), SHA-512 from @noble/hashes. Checked against the draft's published vectors
// (test/published.test.js) and against pq-crypto's Java CPace (test-vectors/code-handshake.json).

import {
  x25519 as nobleX25519,
  _map_to_curve_elligator2_curve25519,
} from '@noble/curves/ed25519.js';
import { invert, mod } from '@noble/curves/abstract/modular.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ProtocolError } from './errors.js';
import { ascii, concat, isAllZero, wipe } from './bytes.js';

export const DSI = ascii('CPace255');
export const DSI_ISK = ascii('CPace255_ISK');
/** SHA-512's input block size (s_in_bytes). */
export const SHA512_BLOCK = 128;
export const POINT_LEN = 32;
export const ISK_LEN = 64;

const P = 2n ** 255n - 19n;

/** prepend_len: LEB128 length, then the bytes. @param {Uint8Array} data */
export function prependLen(data) {
  /** @type {number[]} */
  const len = [];
  let n = data.length;
  do {
    const b = n & 0x7f;
    n >>>= 7;
    len.push(n === 0 ? b : b | 0x80);
  } while (n !== 0);
  return concat(new Uint8Array(len), data);
}

/** lv_cat(a0, a1, ...). @param {...Uint8Array} parts */
export function lvCat(...parts) {
  return concat(...parts.map(prependLen));
}

/** generator_string(DSI, PRS, CI, sid, 128). @param {Uint8Array} prs @param {Uint8Array} ci @param {Uint8Array} sid */
export function generatorString(prs, ci, sid) {
  const zpad = Math.max(0, SHA512_BLOCK - prependLen(prs).length - prependLen(DSI).length - 1);
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

/** RFC 7748 decodeUCoordinate (255 bits): little-endian, bit 255 cleared. @param {Uint8Array} u */
function decodeUCoordinate(u) {
  let x = 0n;
  for (let i = POINT_LEN - 1; i >= 0; i--) x = (x << 8n) | BigInt(i === 31 ? u[i] & 0x7f : u[i]);
  return x;
}

/** @param {bigint} x */
function encodeUCoordinate(x) {
  const out = new Uint8Array(POINT_LEN);
  for (let i = 0; i < POINT_LEN; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** G_X25519.calculate_generator(SHA-512, PRS, CI, sid): a u coordinate. @param {Uint8Array} prs @param {Uint8Array} ci @param {Uint8Array} sid */
export function calculateGenerator(prs, ci, sid) {
  const gen = generatorString(prs, ci, sid);
  const h = sha512(gen);
  const u = mod(decodeUCoordinate(h.subarray(0, POINT_LEN)), P);
  wipe(gen, h);
  const { xMn, xMd } = _map_to_curve_elligator2_curve25519(u);
  return encodeUCoordinate(mod(xMn * invert(xMd, P), P));
}

/**
 * G.scalar_mult_vfy(y, Y) (and scalar_mult: the same function): X25519, and INVALID_PUBLIC_KEY
 * for the neutral element (a low-order point on the curve or its twist) or a wrong length.
 * @param {Uint8Array} scalar @param {Uint8Array} point
 */
export function scalarMultVfy(scalar, point) {
  if (scalar.length !== POINT_LEN || point.length !== POINT_LEN) {
    throw new ProtocolError('INVALID_PUBLIC_KEY');
  }
  let out;
  try {
    out = nobleX25519.scalarMult(scalar, point);
  } catch {
    throw new ProtocolError('INVALID_PUBLIC_KEY'); // noble refuses an all-zero result
  }
  if (isAllZero(out)) throw new ProtocolError('INVALID_PUBLIC_KEY');
  return out;
}

/** transcript_ir(Ya, ADa, Yb, ADb). @param {Uint8Array} ya @param {Uint8Array} ada @param {Uint8Array} yb @param {Uint8Array} adb */
export function transcriptIr(ya, ada, yb, adb) {
  return concat(lvCat(ya, ada), lvCat(yb, adb));
}

/** transcript_oc(Ya, ADa, Yb, ADb): "oc", then the lexicographically larger part first. @param {Uint8Array} ya @param {Uint8Array} ada @param {Uint8Array} yb @param {Uint8Array} adb */
export function transcriptOc(ya, ada, yb, adb) {
  const a = lvCat(ya, ada);
  const b = lvCat(yb, adb);
  return larger(a, b) ? concat(ascii('oc'), a, b) : concat(ascii('oc'), b, a);
}

/** @param {Uint8Array} a @param {Uint8Array} b */
function larger(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] > b[i];
  }
  return a.length > b.length;
}

/** ISK = SHA-512(lv_cat(DSI_ISK, sid, K) || transcript). @param {Uint8Array} sid @param {Uint8Array} k @param {Uint8Array} transcript */
export function isk(sid, k, transcript) {
  const prefix = lvCat(DSI_ISK, sid, k);
  const out = sha512(concat(prefix, transcript));
  wipe(prefix);
  return out;
}

/** sid_output = SHA-512("CPaceSidOutput" || transcript). @param {Uint8Array} transcript */
export function sidOutput(transcript) {
  return sha512(concat(ascii('CPaceSidOutput'), transcript));
}
