// @ts-check
// The only file that touches the cryptographic libraries: @noble/post-quantum (X-Wing), @noble/
// curves (X25519, published-vector checks only), @noble/hashes (SHA-256, HMAC, HKDF) and the
// platform's WebCrypto (AES-256-GCM). Each export is a thin, validated wrapper around a primitive
// named by its specification (spec/primitives.md); the protocol logic lives in the other files.
//
// SECURITY caveats, read before use:
// - X-Wing validity is checked HERE, before noble runs (spec/primitives.md §1.3: an
//   implementation MUST NOT depend on a library doing so silently): the FIPS 203 §7.2 modulus
//   check on encapsulation keys, and the X25519 low-order check (all-zero shared secret) on
//   encapsulation keys and ciphertexts. noble 0.7.1 also refuses both by throwing a plain Error;
//   such a throw is mapped to the same code, so an unmapped library error never escapes.
// - AES-256-GCM is WebCrypto (crypto.subtle), not @noble/ciphers, on purpose: noble's AES uses
//   T-tables, which its own README says leak access timings, whereas WebCrypto runs the
//   platform's native AES (AES-NI or a constant-time implementation) and keeps record keys in
//   non-extractable CryptoKeys. The price is that seal/open are async; record.js serialises them.
//   Node 20 exposes the same globalThis.crypto.subtle, so the vectors run through the code path
//   the browser runs. A CryptoKey cannot be wiped; dropping the last reference is all we can do.
// - Randomness comes only from crypto.getRandomValues (spec/primitives.md §8).

import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { expand as nobleHkdfExpand } from '@noble/hashes/hkdf.js';
import { ProtocolError } from './errors.js';
import { wipe } from './bytes.js';

/** X-Wing (draft-connolly-cfrg-xwing-kem-10) and suite sizes. */
export const XWING_SEED_LEN = 32;
export const XWING_PK_LEN = 1216;
export const XWING_CT_LEN = 1120;
export const XWING_ESEED_LEN = 64;
export const SS_LEN = 32;
export const HASH_LEN = 32;
export const AES_KEY_LEN = 32;
export const GCM_NONCE_LEN = 12;
export const GCM_TAG_LEN = 16;

const MLKEM768_PK_LEN = 1184;
const MLKEM768_CT_LEN = 1088;
const X25519_LEN = 32;

/** @param {unknown} b @param {number} len @param {string} what @returns {asserts b is Uint8Array} */
function requireBytes(b, len, what) {
  if (!(b instanceof Uint8Array) || b.length !== len) {
    throw new TypeError(`${what} must be a Uint8Array of ${len} bytes`);
  }
}

/** @param {unknown} b @param {string} what @returns {asserts b is Uint8Array} */
function requireUint8Array(b, what) {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
}

/** Fresh CSPRNG bytes (spec/primitives.md §8). @param {number} n */
export function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

// ---------------------------------------------------------------- validity checks

/**
 * FIPS 203 §7.2 encapsulation key check on the 1184-byte ML-KEM-768 key at off: every 12-bit
 * coefficient (two per 3 bytes, little-endian) of the first 1152 bytes is below q = 3329. False
 * if fewer than 1184 bytes follow off. Same loop as Java's Primitives.mlkemPublicKeyValid.
 * @param {Uint8Array} ek @param {number} [off]
 */
export function mlkemPublicKeyValid(ek, off = 0) {
  if (off < 0 || ek.length - off < MLKEM768_PK_LEN) return false;
  let bad = 0;
  for (let i = off; i < off + 1152; i += 3) {
    const b0 = ek[i],
      b1 = ek[i + 1],
      b2 = ek[i + 2];
    const c0 = b0 | ((b1 & 0x0f) << 8);
    const c1 = (b1 >> 4) | (b2 << 4);
    bad |= Number(c0 >= 3329) | Number(c1 >= 3329); // no branch on key bytes
  }
  return bad === 0;
}

// The u-coordinates whose X25519 product with any clamped scalar is zero: the points of order
// dividing 8 on curve25519 and its twist (0, 1, p-1 and the two order-8 points), plus the
// non-canonical encodings p and p+1 of 0 and 1. The same blocklist libsodium and noble use. For
// a clamped scalar (a multiple of 8 below the group order) "X25519(k, u) is all-zero" holds
// exactly for these u, which test/published.test.js confirms on every Wycheproof X25519 case.
const P25519 = 2n ** 255n - 19n;
const LOW_ORDER_U = [
  0n,
  1n,
  P25519 - 1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
  P25519,
  P25519 + 1n,
].map((v) => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
});

/**
 * True if X25519 with this 32-byte u-coordinate gives an all-zero shared secret for every
 * clamped scalar (spec/primitives.md §1.3). The top bit is masked, as RFC 7748 §5 requires of
 * receivers. Constant time in the input (it is public, but this follows libsodium's practice).
 * @param {Uint8Array} u
 */
export function x25519IsLowOrder(u) {
  requireBytes(u, X25519_LEN, 'X25519 u-coordinate');
  let found = 0;
  for (const bad of LOW_ORDER_U) {
    let diff = (u[31] & 0x7f) ^ bad[31];
    for (let i = 0; i < 31; i++) diff |= u[i] ^ bad[i];
    found |= ((diff - 1) >> 8) & 1; // 1 iff diff === 0
  }
  return found === 1;
}

// ---------------------------------------------------------------- X-Wing

/** X-Wing GenerateKeyPairDerand(seed): the 1216-byte public key of a 32-byte seed. @param {Uint8Array} seed */
export function xwingPublicKey(seed) {
  requireBytes(seed, XWING_SEED_LEN, 'X-Wing seed');
  const { secretKey, publicKey } = ml_kem768_x25519.keygen(seed);
  wipe(secretKey); // noble returns a copy of the seed
  return publicKey;
}

/**
 * X-Wing EncapsulateDerand(pk, eseed): eseed[0:32] is ML-KEM's m, eseed[32:64] the X25519
 * ephemeral secret. Returns { ciphertext, sharedSecret }; the caller wipes sharedSecret.
 * Throws ProtocolError INVALID_PUBLIC_KEY on a wrong pk length, an ML-KEM key that fails the
 * modulus check, or an X25519 key that gives an all-zero shared secret.
 * @param {Uint8Array} pk @param {Uint8Array} eseed @returns {{ciphertext: Uint8Array, sharedSecret: Uint8Array}}
 */
export function xwingEncapsulate(pk, eseed) {
  requireBytes(eseed, XWING_ESEED_LEN, 'X-Wing eseed');
  requireUint8Array(pk, 'X-Wing public key');
  if (
    pk.length !== XWING_PK_LEN ||
    !mlkemPublicKeyValid(pk, 0) ||
    x25519IsLowOrder(pk.subarray(MLKEM768_PK_LEN, XWING_PK_LEN))
  ) {
    throw new ProtocolError('INVALID_PUBLIC_KEY');
  }
  let out;
  try {
    out = ml_kem768_x25519.encapsulate(pk, eseed);
  } catch {
    // noble refuses the same keys with a plain Error; never let it escape unmapped.
    throw new ProtocolError('INVALID_PUBLIC_KEY');
  }
  return { ciphertext: out.cipherText, sharedSecret: out.sharedSecret };
}

/**
 * X-Wing Decapsulate(ct, sk) with the 32-byte seed as sk. ML-KEM decapsulation never fails
 * (implicit rejection): a tampered ct_M shows up later as CONFIRMATION_FAILED.
 * Throws ProtocolError MALFORMED_MESSAGE on a wrong ct length, INVALID_CIPHERTEXT if the
 * X25519 part gives an all-zero shared secret.
 * @param {Uint8Array} seed @param {Uint8Array} ct
 */
export function xwingDecapsulate(seed, ct) {
  requireBytes(seed, XWING_SEED_LEN, 'X-Wing seed');
  requireUint8Array(ct, 'X-Wing ciphertext');
  if (ct.length !== XWING_CT_LEN) throw new ProtocolError('MALFORMED_MESSAGE');
  if (x25519IsLowOrder(ct.subarray(MLKEM768_CT_LEN, XWING_CT_LEN))) {
    throw new ProtocolError('INVALID_CIPHERTEXT');
  }
  try {
    return ml_kem768_x25519.decapsulate(ct, seed);
  } catch {
    throw new ProtocolError('INVALID_CIPHERTEXT');
  }
}

/**
 * X25519(k, u) per RFC 7748 §5, for published-vector tests. INVALID_PUBLIC_KEY on a bad length
 * or an all-zero result, like Java's Primitives.x25519.
 * @param {Uint8Array} scalar @param {Uint8Array} u
 */
export function x25519(scalar, u) {
  if (
    !(scalar instanceof Uint8Array) ||
    !(u instanceof Uint8Array) ||
    scalar.length !== X25519_LEN ||
    u.length !== X25519_LEN ||
    x25519IsLowOrder(u)
  ) {
    throw new ProtocolError('INVALID_PUBLIC_KEY');
  }
  try {
    return nobleX25519.getSharedSecret(scalar, u);
  } catch {
    throw new ProtocolError('INVALID_PUBLIC_KEY');
  }
}

// ---------------------------------------------------------------- hashing and key derivation

/** SHA-256 over the concatenation of the parts. @param {...Uint8Array} parts */
export function sha256(...parts) {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HMAC-SHA-256(key, concatenation of the parts). @param {Uint8Array} key @param {...Uint8Array} parts */
export function hmacSha256(key, ...parts) {
  const h = hmac.create(nobleSha256, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HKDF-Extract(salt, ikm) per RFC 5869 §2.2 (an empty salt means HashLen zeros). @param {Uint8Array} salt @param {Uint8Array} ikm */
export function hkdfExtract(salt, ikm) {
  requireUint8Array(salt, 'HKDF salt');
  requireUint8Array(ikm, 'HKDF ikm');
  const zeros = new Uint8Array(HASH_LEN);
  return hmacSha256(salt.length === 0 ? zeros : salt, ikm);
}

/** HKDF-Expand(prk, info, length) per RFC 5869 §2.3; RangeError outside 1..255*HashLen. @param {Uint8Array} prk @param {Uint8Array} info @param {number} length */
export function hkdfExpand(prk, info, length) {
  requireUint8Array(prk, 'HKDF prk');
  requireUint8Array(info, 'HKDF info');
  if (!Number.isInteger(length) || length < 1 || length > 255 * HASH_LEN) {
    throw new RangeError('HKDF output length out of range');
  }
  return nobleHkdfExpand(nobleSha256, prk, info, length);
}

// ---------------------------------------------------------------- AES-256-GCM (WebCrypto)

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    // Browsers expose crypto.subtle only in a secure context (https or localhost).
    throw new Error('WebCrypto (crypto.subtle) is unavailable: open the client over HTTPS');
  }
  return s;
}

/**
 * Imports a raw AES-256 key as a non-extractable CryptoKey for one usage ('encrypt' or
 * 'decrypt'). The caller wipes the raw bytes after the promise settles.
 * @param {Uint8Array} key @param {'encrypt' | 'decrypt'} usage
 */
export async function gcmImportKey(key, usage) {
  requireBytes(key, AES_KEY_LEN, 'AES-256 key');
  return subtle().importKey('raw', /** @type {BufferSource} */ (key), { name: 'AES-GCM' }, false, [
    usage,
  ]);
}

/** Seals: returns ciphertext || 16-byte tag. Each (key, nonce) pair must be used once. @param {CryptoKey} cryptoKey @param {Uint8Array} nonce @param {Uint8Array} aad @param {Uint8Array} plaintext */
export async function gcmSeal(cryptoKey, nonce, aad, plaintext) {
  requireBytes(nonce, GCM_NONCE_LEN, 'GCM nonce');
  // (BufferSource: TypeScript's name for what WebCrypto takes; every Uint8Array here is one.)
  const ct = await subtle().encrypt(
    {
      name: 'AES-GCM',
      iv: /** @type {BufferSource} */ (nonce),
      additionalData: /** @type {BufferSource} */ (aad),
      tagLength: GCM_TAG_LEN * 8,
    },
    cryptoKey,
    /** @type {BufferSource} */ (plaintext),
  );
  return new Uint8Array(ct);
}

/**
 * Opens ciphertext || tag. Throws ProtocolError RECORD_AUTH_FAILED if the tag does not verify;
 * WebCrypto releases no plaintext before the tag is checked.
 * @param {CryptoKey} cryptoKey @param {Uint8Array} nonce @param {Uint8Array} aad @param {Uint8Array} body
 */
export async function gcmOpen(cryptoKey, nonce, aad, body) {
  requireBytes(nonce, GCM_NONCE_LEN, 'GCM nonce');
  if (body.length < GCM_TAG_LEN) throw new ProtocolError('RECORD_AUTH_FAILED');
  try {
    const pt = await subtle().decrypt(
      {
        name: 'AES-GCM',
        iv: /** @type {BufferSource} */ (nonce),
        additionalData: /** @type {BufferSource} */ (aad),
        tagLength: GCM_TAG_LEN * 8,
      },
      cryptoKey,
      /** @type {BufferSource} */ (body),
    );
    return new Uint8Array(pt);
  } catch (e) {
    if (/** @type {{name?: string} | null | undefined} */ (e)?.name === 'OperationError')
      throw new ProtocolError('RECORD_AUTH_FAILED');
    throw e;
  }
}
