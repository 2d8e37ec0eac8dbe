// @ts-check
// The short authentication string of a peer channel (spec/peer-handshake.md §7, PK10): 5 bytes
// from the key schedule, rendered as three numbers from 1000 to 9191 (the decimal method of
// Matrix SAS verification) that two people read to each other.

import { constantTimeEquals } from './bytes.js';
import { SAS_LEN } from './peerSchedule.js';

export class Sas {
  #bytes;

  /** @param {Uint8Array} bytes */
  constructor(bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== SAS_LEN)
      throw new TypeError('SAS is 5 bytes');
    this.#bytes = bytes.slice();
  }

  bytes() {
    return this.#bytes.slice();
  }

  /** The three 13-bit numbers of the first 39 bits, each plus 1000. */
  numbers() {
    const [b0, b1, b2, b3, b4] = this.#bytes;
    return [
      ((b0 << 5) | (b1 >> 3)) + 1000,
      (((b1 & 0x07) << 10) | (b2 << 2) | (b3 >> 6)) + 1000,
      (((b3 & 0x3f) << 7) | (b4 >> 1)) + 1000,
    ];
  }

  /** "n1-n2-n3": decimal, no leading zeros, hyphen-separated. */
  decimal() {
    return this.numbers().join('-');
  }

  /** @param {unknown} other */
  equals(other) {
    return other instanceof Sas && constantTimeEquals(this.#bytes, other.#bytes);
  }

  toString() {
    return this.decimal();
  }
}
