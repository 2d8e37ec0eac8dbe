// @ts-check
// Fingerprints of X-Wing public keys: fp(pk) = SHA-256(pk) (spec/primitives.md §6).
// Fingerprints are compared as bytes after decoding, never as strings: one fingerprint has
// several string forms.

import { base64UrlEncode, toHex } from './bytes.js';
import { sha256 } from './primitives.js';

export const Fingerprint = Object.freeze({
  LEN: 32,

  /** @param {Uint8Array} publicKey */
  of(publicKey) {
    return sha256(publicKey);
  },

  /** 64 lowercase hex characters (the well-known document's `fingerprint`). @param {Uint8Array} fingerprint */
  toHex(fingerprint) {
    return toHex(fingerprint);
  },

  /** Hex in 16 groups of four, space separated: what people read aloud and compare. @param {Uint8Array} fingerprint */
  toDisplay(fingerprint) {
    return (toHex(fingerprint).match(/.{4}/g) ?? []).join(' ');
  },

  /** base64url without padding (43 characters): the form used in invite links. @param {Uint8Array} fingerprint */
  toBase64Url(fingerprint) {
    return base64UrlEncode(fingerprint);
  },
});
