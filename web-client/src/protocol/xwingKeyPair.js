// @ts-check
// An X-Wing key pair held as its 32-byte seed (the draft's private key format, spec/primitives.md
// §1.2: expanded forms never leave) and the derived 1216-byte public key. Used for the client's
// ephemeral hop key and for a peer's per-session key (and, in tests, the gateway's static key).
//
// SECURITY: the seed is kept in a private field and never shown by toString/inspection;
// destroy() wipes it (best effort, see bytes.js).

import { wipe } from './bytes.js';
import { Fingerprint } from './fingerprint.js';
import {
  XWING_PK_LEN,
  XWING_SEED_LEN,
  randomBytes,
  xwingDecapsulate,
  xwingPublicKey,
} from './primitives.js';

export class XWingKeyPair {
  static SEED_LEN = XWING_SEED_LEN;
  static PUBLIC_KEY_LEN = XWING_PK_LEN;

  #seed;
  #publicKey;
  #destroyed = false;

  /** @param {Uint8Array} seed @param {symbol} token */
  constructor(seed, token) {
    if (token !== CONSTRUCT)
      throw new TypeError('use XWingKeyPair.generate() or XWingKeyPair.fromSeed()');
    this.#seed = seed.slice();
    this.#publicKey = xwingPublicKey(this.#seed);
  }

  /** A fresh key pair from the platform CSPRNG. */
  static generate() {
    const seed = randomBytes(XWING_SEED_LEN);
    try {
      return new XWingKeyPair(seed, CONSTRUCT);
    } finally {
      wipe(seed);
    }
  }

  /** X-Wing GenerateKeyPairDerand: the key pair of a 32-byte seed (copied). @param {Uint8Array} seed */
  static fromSeed(seed) {
    if (!(seed instanceof Uint8Array) || seed.length !== XWING_SEED_LEN) {
      throw new TypeError(`X-Wing seed must be ${XWING_SEED_LEN} bytes`);
    }
    return new XWingKeyPair(seed, CONSTRUCT);
  }

  /** A copy of the public key. */
  publicKey() {
    return this.#publicKey.slice();
  }

  /** SHA-256 of the public key. */
  fingerprint() {
    return Fingerprint.of(this.#publicKey);
  }

  /** Decapsulates with this key; see primitives.xwingDecapsulate. @param {Uint8Array} ciphertext */
  decapsulate(ciphertext) {
    this.#checkLive();
    return xwingDecapsulate(this.#seed, ciphertext);
  }

  destroy() {
    this.#destroyed = true;
    wipe(this.#seed);
  }

  isDestroyed() {
    return this.#destroyed;
  }

  // test-hook:begin
  /** The live seed, so tests can check that it was wiped. */
  secretsForTestingOnly() {
    return [this.#seed];
  }
  // test-hook:end

  #checkLive() {
    if (this.#destroyed) throw new Error('key destroyed');
  }

  toString() {
    return `XWingKeyPair[fingerprint=${Fingerprint.toHex(this.fingerprint())}]`;
  }

  toJSON() {
    return this.toString();
  }
}

const CONSTRUCT = Symbol('XWingKeyPair');
