// @ts-check
// SFrame (RFC 9605) cryptography for Hybridge media: HKDF over WebCrypto HMAC, the key and salt
// derivation of §4.4.2, the AEAD of §4.4 and §4.5.1, and sealing/opening one frame under one
// KID's key. Normative text: spec/media-sframe.md.
//
// SECURITY: WebCrypto only (globalThis.crypto.subtle). Derived keys are imported as
// non-extractable CryptoKeys and the raw bytes are overwritten; wiping in JavaScript is best
// effort (spec/security-considerations.md §11).

import { concat, constantTimeEquals } from '../protocol/bytes.js';
import {
  ErrorCode,
  SFrameError,
  encodeBigEndian,
  encodeHeader,
  suiteParams,
  toU64,
} from './sframeFormat.js';

const subtle = globalThis.crypto?.subtle;

/**
 * @typedef {import('./sframeFormat.js').Bytes} Bytes
 * @typedef {import('./sframeFormat.js').Header} Header
 * @typedef {import('./sframeFormat.js').SuiteParams} SuiteParams
 * @typedef {{suite: number, params: SuiteParams, enc: CryptoKey, auth: CryptoKey | null}} AeadKey
 * @typedef {{suite: number, kid: bigint, aead: AeadKey, salt: Bytes, kidHeader: Bytes}} SFrameKey one KID's imported key
 */

// ---------------------------------------------------------------------------------------------
// HKDF (RFC 5869) over WebCrypto HMAC, so that the intermediate sframe_secret is visible to the
// vectors. Runs once per key, never per frame.

/** @param {string} hash @param {Bytes} key @param {Bytes} data */
async function hmac(hash, key, data) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}

/** HKDF-Extract(salt, ikm), RFC 5869 §2.2. An empty salt means Nh zero bytes (same HMAC key). @param {string} hash @param {Bytes} salt @param {Bytes} ikm */
export async function hkdfExtract(hash, salt, ikm) {
  const nh = hash === 'SHA-512' ? 64 : 32;
  return hmac(hash, salt.length === 0 ? new Uint8Array(nh) : salt, ikm);
}

/** HKDF-Expand(prk, info, length), RFC 5869 §2.3. @param {string} hash @param {Bytes} prk @param {Bytes} info @param {number} length */
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

/** "SFrame 1.0 Secret key " + KID (u64) + cipher_suite (u16), RFC 9605 §4.4.2. @param {import('./sframeFormat.js').U64Input} kid @param {number} cipherSuite */
export function keyLabel(kid, cipherSuite) {
  return concat(KEY_LABEL, encodeBigEndian(toU64(kid), 8), encodeBigEndian(BigInt(cipherSuite), 2));
}

/** "SFrame 1.0 Secret salt " + KID (u64) + cipher_suite (u16), RFC 9605 §4.4.2. @param {import('./sframeFormat.js').U64Input} kid @param {number} cipherSuite */
export function saltLabel(kid, cipherSuite) {
  return concat(
    SALT_LABEL,
    encodeBigEndian(toU64(kid), 8),
    encodeBigEndian(BigInt(cipherSuite), 2),
  );
}

/**
 * SF1: derive_key_salt(KID, base_key) of RFC 9605 §4.4.2, with the suite's hash. Returns raw bytes
 * {sframeSecret, sframeKey, sframeSalt}; the caller wipes them (importSFrameKey does).
 * @param {number} cipherSuite @param {import('./sframeFormat.js').U64Input} kid @param {Bytes} baseKey
 */
export async function deriveKeySalt(cipherSuite, kid, baseKey) {
  const p = suiteParams(cipherSuite);
  const sframeSecret = await hkdfExtract(p.hash, new Uint8Array(0), baseKey);
  const sframeKey = await hkdfExpand(p.hash, sframeSecret, keyLabel(kid, cipherSuite), p.nk);
  const sframeSalt = await hkdfExpand(p.hash, sframeSecret, saltLabel(kid, cipherSuite), p.nn);
  return { sframeSecret, sframeKey, sframeSalt };
}

/** SF2: nonce = sframe_salt XOR encode_big_endian(CTR, Nn), RFC 9605 §4.4.3. @param {Bytes} sframeSalt @param {import('./sframeFormat.js').U64Input} ctr @returns {Bytes} */
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
 * @param {number} cipherSuite @param {Bytes} sframeKey
 */
export function deriveSubkeys(cipherSuite, sframeKey) {
  const p = suiteParams(cipherSuite);
  if (!p.ctrHmac) throw new RangeError('derive_subkeys applies to the AES-CTR + HMAC suites only');
  if (sframeKey.length !== p.nka + p.nh) throw new RangeError('wrong sframe_key length');
  return { encKey: sframeKey.subarray(0, p.nka), authKey: sframeKey.subarray(p.nka) };
}

/** Imports raw sframe_key bytes (AEAD.Nk of them) for `cipherSuite`. @param {number} cipherSuite @param {Bytes} sframeKey @returns {Promise<AeadKey>} */
export async function importAeadKey(cipherSuite, sframeKey) {
  const p = suiteParams(cipherSuite);
  if (sframeKey.length !== p.nk) throw new RangeError('wrong sframe_key length');
  if (!p.ctrHmac) {
    const enc = await subtle.importKey('raw', sframeKey, { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt',
    ]);
    return { suite: cipherSuite, params: p, enc, auth: null };
  }
  const { encKey, authKey } = deriveSubkeys(cipherSuite, sframeKey);
  const enc = await subtle.importKey('raw', encKey, { name: 'AES-CTR' }, false, [
    'encrypt',
    'decrypt',
  ]);
  const auth = await subtle.importKey('raw', authKey, { name: 'HMAC', hash: p.hash }, false, [
    'sign',
  ]);
  return { suite: cipherSuite, params: p, enc, auth };
}

// compute_tag of §4.5.1: HMAC over len(aad) u64 || len(ct) u64 || Nt u64 || nonce || aad || ct.
/** @param {AeadKey} key @param {Bytes} nonce @param {Bytes} aad @param {Bytes} ct */
async function computeTag(key, nonce, aad, ct) {
  const p = key.params;
  const authData = concat(
    encodeBigEndian(BigInt(aad.length), 8),
    encodeBigEndian(BigInt(ct.length), 8),
    encodeBigEndian(BigInt(p.nt), 8),
    nonce,
    aad,
    ct,
  );
  const tag = new Uint8Array(
    await subtle.sign('HMAC', /** @type {CryptoKey} */ (key.auth), authData),
  ); // CTR+HMAC suites have one
  return tag.subarray(0, p.nt);
}

/** @param {Bytes} nonce @returns {AesCtrParams} */
function ctrParams(nonce) {
  // initial_counter = nonce || 0x00000000; the low 32 bits count blocks (a frame is < 2^36 bytes).
  const counter = new Uint8Array(16);
  counter.set(nonce, 0);
  return { name: 'AES-CTR', counter, length: 32 };
}

/**
 * AEAD.Encrypt(key, nonce, aad, pt) → ct || tag. Not an async function: the GCM suites, on every
 * sender's per-frame path, get WebCrypto's promise with one `then` and no extra async frame.
 * @param {AeadKey} key @param {Bytes} nonce @param {Bytes} aad @param {Bytes} pt @returns {Promise<Bytes>}
 */
export function aeadEncrypt(key, nonce, aad, pt) {
  if (!key.params.ctrHmac) {
    return subtle
      .encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, key.enc, pt)
      .then((ct) => new Uint8Array(ct));
  }
  return ctrHmacEncrypt(key, nonce, aad, pt);
}

/** @param {AeadKey} key @param {Bytes} nonce @param {Bytes} aad @param {Bytes} pt */
async function ctrHmacEncrypt(key, nonce, aad, pt) {
  const ct = new Uint8Array(await subtle.encrypt(ctrParams(nonce), key.enc, pt));
  return concat(ct, await computeTag(key, nonce, aad, ct));
}

/** AEAD.Decrypt(key, nonce, aad, ct || tag) → pt; throws SFRAME_AUTH_FAILED. @param {AeadKey} key @param {Bytes} nonce @param {Bytes} aad @param {Bytes} ctAndTag */
export async function aeadDecrypt(key, nonce, aad, ctAndTag) {
  const p = key.params;
  if (ctAndTag.length < p.nt) throw new SFrameError(ErrorCode.SFRAME_MALFORMED);
  if (!p.ctrHmac) {
    try {
      return new Uint8Array(
        await subtle.decrypt(
          { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 },
          key.enc,
          ctAndTag,
        ),
      );
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
 * @param {number} cipherSuite @param {import('./sframeFormat.js').U64Input} kid @param {Bytes} baseKey @returns {Promise<SFrameKey>}
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
 * @param {SFrameKey} sframeKey @param {bigint} ctr
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

/** SF2 for CTR below 2^32: salt XOR CTR touches only the last four bytes (Nn = 12). @param {Bytes} salt @param {bigint} ctr */
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
 * @param {SFrameKey} sframeKey @param {bigint} ctr @param {Bytes} metadata @param {Bytes} plaintext
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
 * @param {SFrameKey} sframeKey @param {Header} header @param {Bytes} metadata @param {Bytes} frame
 */
export async function openFrame(sframeKey, header, metadata, frame) {
  const nonce = formNonce(sframeKey.salt, header.ctr);
  const aad = concat(frame.subarray(0, header.length), metadata);
  return aeadDecrypt(sframeKey.aead, nonce, aad, frame.subarray(header.length));
}
