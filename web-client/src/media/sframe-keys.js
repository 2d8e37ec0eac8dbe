// @ts-check
// Hybridge SFrame key ids and sender-key epochs (spec/media-sframe.md §3, §4).
//
// KID (48 bits) = sender_tag (u32, random, drawn once per room session) << 16 | generation (u16).
// This is the sender-key scheme of RFC 9605 §5.1 with no ratchet (R = 0): the generation counts
// the sender's key epochs, and the random tag in the high bits makes KIDs of different senders
// distinct with high probability without any coordination. Receivers still never rely on that:
// they keep receive keys per peer connection (spec/media-sframe.md §4.3).

import { BASE_KEY_LENGTH } from './sframe.js';

export const GENERATION_BITS = 16n;
export const GENERATION_MAX = (1n << GENERATION_BITS) - 1n;
export const TAG_MAX = (1n << 32n) - 1n;

/** Receivers keep a peer's previous key this long after its next key arrives (§4.4). */
export const RECEIVE_GRACE_MS = 5000;
/** A receiver holds frames with a not-yet-known KID at most this long (§4.5). */
export const UNKNOWN_KID_HOLD_MS = 1000;
/** A sender starts a new epoch once its send CTR reaches this (§5); the hard limit is 2^32. */
export const SEND_REKEY_FRAMES = 1n << 24n;

/** @param {bigint | number} senderTag @param {bigint | number} generation */
export function makeKid(senderTag, generation) {
  const t = BigInt(senderTag);
  const g = BigInt(generation);
  if (t < 0n || t > TAG_MAX || g < 0n || g > GENERATION_MAX)
    throw new RangeError('sender tag or generation out of range');
  return (t << GENERATION_BITS) | g;
}

/** @param {bigint | number} kid */
export function kidSenderTag(kid) {
  return BigInt(kid) >> GENERATION_BITS;
}

/** @param {bigint | number} kid */
export function kidGeneration(kid) {
  return BigInt(kid) & GENERATION_MAX;
}

/** @param {(a: Uint32Array) => unknown} getRandomValues */
function randomTag(getRandomValues) {
  const b = new Uint32Array(1);
  getRandomValues(b);
  return BigInt(b[0]);
}

/**
 * A sender's sequence of key epochs. `next()` returns a fresh {kid, baseKey, generation} for each
 * epoch: a new random 32-byte base key and the next KID. The caller distributes the pair to every
 * current member inside peer channels, then installs it as the send key (spec §4.2).
 */
export class SenderKeyEpochs {
  /** @param {{getRandomValuesForTestingOnly?: (a: Uint8Array | Uint32Array) => unknown}} [options] */
  constructor(options = {}) {
    /** @type {(a: Uint8Array | Uint32Array) => unknown} */
    this.getRandomValues = (a) => globalThis.crypto.getRandomValues(a);
    // test-hook:begin
    if (options.getRandomValuesForTestingOnly !== undefined)
      this.getRandomValues = options.getRandomValuesForTestingOnly;
    // test-hook:end
    this.senderTag = randomTag(this.getRandomValues);
    this.generation = -1n; // next() yields generation 0 first
  }

  next() {
    if (this.generation >= GENERATION_MAX) {
      // 65536 epochs used up: new tag (different from the old one), generation restarts at 0.
      let tag;
      do tag = randomTag(this.getRandomValues);
      while (tag === this.senderTag);
      this.senderTag = tag;
      this.generation = -1n;
    }
    this.generation += 1n;
    const baseKey = new Uint8Array(BASE_KEY_LENGTH);
    this.getRandomValues(baseKey);
    return { kid: makeKid(this.senderTag, this.generation), baseKey, generation: this.generation };
  }
}
