// @ts-check
// The key-schedule vocabulary of the spec (spec/README.md notation, spec/primitives.md §2-4):
// H, Extract, Expand with a label as info, HMAC; and Trace, the recorder of named intermediates
// that only the ...ForTestingOnly entry points accept.

import { ascii } from './bytes.js';
import { hkdfExpand, hkdfExtract, hmacSha256, sha256 } from './primitives.js';

export const Kdf = Object.freeze({
  /** H(parts...) = SHA-256 over the concatenation. */
  hash: (/** @type {Uint8Array[]} */ ...parts) => sha256(...parts),
  /** Extract(salt, ikm) = HMAC(salt, ikm). */
  extract: (/** @type {Uint8Array} */ salt, /** @type {Uint8Array} */ ikm) =>
    hkdfExtract(salt, ikm),
  /** Expand(prk, label, length): the info is the label's ASCII bytes and nothing else. */
  expand: (
    /** @type {Uint8Array} */ prk,
    /** @type {string} */ label,
    /** @type {number} */ length,
  ) => hkdfExpand(prk, ascii(label), length),
  hmac: (/** @type {Uint8Array} */ key, /** @type {Uint8Array} */ data) => hmacSha256(key, data),
});

/**
 * Records named intermediate values of a key schedule, in order, for test vectors and
 * debugging. A production handshake never holds a trace, so secrets are not copied anywhere.
 */
export class Trace {
  constructor() {
    /** @type {Map<string, Uint8Array>} */
    this.values = new Map();
  }

  /** @param {string} name @param {Uint8Array} value */
  put(name, value) {
    this.values.set(name, value.slice());
  }

  /** Adds a value if a trace is present. @param {Trace | null | undefined} trace @param {string} name @param {Uint8Array} value */
  static put(trace, name, value) {
    if (trace != null) trace.put(name, value);
  }
}
