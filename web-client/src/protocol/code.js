// @ts-check
// Short join codes (spec/short-codes.md): the code's text form, and the key schedule CK1-CK6
// that turns the six secret digits, the gateway key and the slot into the room id and PSK of a
// peer handshake (CPace, then X-Wing: every key depends on both). Same steps as pq-crypto's
// code/CodeSchedule.java; test-vectors/code-handshake.json checks that they agree.

import { ProtocolError } from './errors.js';
import { ascii, concat, u32, wipe } from './bytes.js';
import { Kdf, Trace } from './kdf.js';
import { Labels } from './labels.js';
import { PeerContext } from './peer.js';
import { randomBytes } from './primitives.js';
import {
  POINT_LEN,
  calculateGenerator,
  isk as cpaceIsk,
  scalarMultVfy,
  transcriptIr,
} from './cpace.js';

export const SECRET_DIGITS = 6;
export const SID_LEN = 16;
/** CP1 CodeShareA (joiner -> creator) and CP2 CodeShareB (creator -> joiner). */
export const CP1 = 0x14;
export const CP2 = 0x15;
export const SHARE_MSG_LEN = 1 + POINT_LEN;
/** Peer ids inside a slot: the creator is R, the joiner I. */
export const CREATOR_ID = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1);
export const JOINER_ID = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 2);
const MAX_SLOT = 0xffffffff;

/** Six uniform decimal digits from the CSPRNG (rejection sampling over 20 bits). */
export function newSecretDigits() {
  for (;;) {
    const b = randomBytes(3);
    const v = ((b[0] << 16) | (b[1] << 8) | b[2]) & 0xfffff;
    wipe(b);
    if (v < 1_000_000) return String(v).padStart(SECRET_DIGITS, '0');
  }
}

/** The shown form: slot, then the secret part as 4 + 2 digits: "4-7392-81". @param {number} slot @param {string} digits */
export function formatCode(slot, digits) {
  if (!/^[0-9]{6}$/.test(digits)) throw new TypeError('the secret part is six digits');
  return `${slot}-${digits.slice(0, 4)}-${digits.slice(4)}`;
}

/**
 * Reads a typed code leniently (spec/short-codes.md §1): non-digits separate, the last six
 * digits are the secret part, the digits before them the slot. Null when incomplete or
 * impossible (fewer than seven digits, slot 0 or with a leading zero, slot over 2^32 - 1).
 * @param {string} input
 * @returns {{ slot: number, digits: string } | null}
 */
export function parseCode(input) {
  const all = String(input).replace(/[^0-9]/g, '');
  if (all.length < SECRET_DIGITS + 1 || all.length > SECRET_DIGITS + 10) return null;
  const slotText = all.slice(0, all.length - SECRET_DIGITS);
  if (slotText.startsWith('0')) return null;
  const slot = Number(slotText);
  if (!Number.isSafeInteger(slot) || slot < 1 || slot > MAX_SLOT) return null;
  return { slot, digits: all.slice(all.length - SECRET_DIGITS) };
}

/** CK1: ci = "hybridge/v1/code/ci" || fp || slot u32. @param {Uint8Array} fp @param {number} slot */
export function codeCi(fp, slot) {
  if (fp.length !== 32 || !Number.isInteger(slot) || slot < 1 || slot > MAX_SLOT) {
    throw new TypeError('fingerprint is 32 bytes, slot 1..2^32-1');
  }
  return concat(ascii(Labels.CODE_CI), fp, u32(slot));
}

/** Check order of a received share: empty, type, length. @param {Uint8Array} msg @param {number} type */
function parseShare(msg, type) {
  if (!(msg instanceof Uint8Array) || msg.length === 0)
    throw new ProtocolError('MALFORMED_MESSAGE');
  if (msg[0] !== type) throw new ProtocolError('UNEXPECTED_MESSAGE');
  if (msg.length !== SHARE_MSG_LEN) throw new ProtocolError('MALFORMED_MESSAGE');
  return msg.slice(1);
}

/** One side of the code exchange (CK2-CK6). Its share is ready at construction. */
export class CodeParty {
  #joiner;
  #ci;
  #sid;
  #scalar;
  #share;
  #trace;

  /**
   * @param {boolean} joiner @param {string} digits @param {Uint8Array} fp @param {number} slot
   * @param {Uint8Array} sid @param {Uint8Array} scalar @param {Trace | null} trace
   */
  constructor(joiner, digits, fp, slot, sid, scalar, trace) {
    if (!/^[0-9]{6}$/.test(digits)) throw new TypeError('the secret part is six digits');
    if (sid.length !== SID_LEN || scalar.length !== POINT_LEN) {
      throw new TypeError('sid is 16 bytes, the scalar 32');
    }
    this.#joiner = joiner;
    this.#ci = codeCi(fp, slot);
    this.#sid = sid.slice();
    this.#scalar = scalar.slice();
    this.#trace = trace;
    const prs = ascii(digits);
    const g = calculateGenerator(prs, this.#ci, this.#sid);
    wipe(prs);
    this.#share = scalarMultVfy(this.#scalar, g);
    Trace.put(trace, 'ci', this.#ci);
    Trace.put(trace, 'generator', g);
    Trace.put(trace, joiner ? 'ya' : 'yb', this.#share);
    wipe(g);
  }

  /** The joiner (CPace A), with a fresh scalar unless one is given (vectors). @param {string} digits @param {Uint8Array} fp @param {number} slot @param {Uint8Array} sid @param {Uint8Array} [scalar] @param {Trace | null} [trace] */
  static joiner(digits, fp, slot, sid, scalar, trace) {
    return new CodeParty(
      true,
      digits,
      fp,
      slot,
      sid,
      scalar ?? randomBytes(POINT_LEN),
      trace ?? null,
    );
  }

  /** The creator (CPace B). @param {string} digits @param {Uint8Array} fp @param {number} slot @param {Uint8Array} sid @param {Uint8Array} [scalar] @param {Trace | null} [trace] */
  static creator(digits, fp, slot, sid, scalar, trace) {
    return new CodeParty(
      false,
      digits,
      fp,
      slot,
      sid,
      scalar ?? randomBytes(POINT_LEN),
      trace ?? null,
    );
  }

  /** CP1 (joiner) or CP2 (creator). */
  shareMessage() {
    return concat(Uint8Array.of(this.#joiner ? CP1 : CP2), this.#share);
  }

  /**
   * CK4-CK6 on the other side's share message; returns the peer-handshake context. Throws
   * ProtocolError (MALFORMED_MESSAGE, UNEXPECTED_MESSAGE, INVALID_PUBLIC_KEY). The scalar is
   * wiped whatever happens.
   * @param {Uint8Array} otherShareMessage
   */
  receive(otherShareMessage) {
    try {
      const other = parseShare(otherShareMessage, this.#joiner ? CP2 : CP1);
      const k = scalarMultVfy(this.#scalar, other);
      const ya = this.#joiner ? this.#share : other;
      const yb = this.#joiner ? other : this.#share;
      const empty = new Uint8Array(0);
      const key = cpaceIsk(this.#sid, k, transcriptIr(ya, empty, yb, empty));
      Trace.put(this.#trace, 'k', k);
      Trace.put(this.#trace, 'isk', key);
      wipe(k);
      const prk = Kdf.extract(ascii(Labels.CODE_SALT), key);
      const psk = Kdf.expand(prk, Labels.CODE_PSK, 32);
      const roomId = Kdf.hash(ascii(Labels.CODE_ROOM), this.#ci, this.#sid);
      wipe(key, prk);
      Trace.put(this.#trace, 'psk', psk);
      Trace.put(this.#trace, 'room_id', roomId);
      const ctx = new PeerContext(roomId, psk, JOINER_ID, CREATOR_ID);
      wipe(psk);
      return ctx;
    } finally {
      wipe(this.#scalar);
    }
  }
}
