// @ts-check
// The room secret and the invite link (spec/room-secret.md): room_id (what the gateway sees) and
// psk (what it never sees) from the 32-byte secret, and the strict link fragment
// base64url(secret) "." base64url(fingerprint).
//
// SECURITY caveats:
// - The secret and psk MUST NOT leave the browser, be logged or persisted (spec/room-secret.md
//   §1). Nothing here sends or stores them; RoomSecret hides them from toString/JSON.
// - parseLinkFragment is strict on purpose: a link that decoded in two ways could name two rooms
//   or two gateway keys. Pass it the part after '#', e.g. location.hash.slice(1).

import { ascii, base64UrlDecode, base64UrlEncode, wipe } from './bytes.js';
import { Kdf } from './kdf.js';
import { Labels } from './labels.js';
import { HASH_LEN, randomBytes } from './primitives.js';

export class RoomSecret {
  static LEN = 32;

  #roomId;
  #psk;

  /** @param {Uint8Array} secret @param {symbol} token */
  constructor(secret, token) {
    if (token !== CONSTRUCT) throw new TypeError('use RoomSecret.of()');
    // room-secret.md §3: prk = Extract(ROOM_SALT, secret); room_id, psk = Expand(prk, ...).
    const prk = Kdf.extract(ascii(Labels.ROOM_SALT), secret);
    this.#roomId = Kdf.expand(prk, Labels.ROOM_ID, HASH_LEN);
    this.#psk = Kdf.expand(prk, Labels.ROOM_PSK, HASH_LEN);
    wipe(prk); // nothing else needs it
  }

  /** The room derived from a 32-byte secret (the secret is not kept). @param {Uint8Array} secret */
  static of(secret) {
    if (!(secret instanceof Uint8Array) || secret.length !== RoomSecret.LEN) {
      throw new TypeError(`room secret must be ${RoomSecret.LEN} bytes`);
    }
    return new RoomSecret(secret, CONSTRUCT);
  }

  /** 32 fresh CSPRNG bytes: a new room. */
  static generate() {
    return randomBytes(RoomSecret.LEN);
  }

  /** A copy of room_id. */
  roomId() {
    return this.#roomId.slice();
  }

  /** A copy of psk; the caller wipes it. */
  psk() {
    return this.#psk.slice();
  }

  destroy() {
    wipe(this.#psk);
  }

  toString() {
    return 'RoomSecret[hidden]';
  }

  toJSON() {
    return this.toString();
  }
}

const CONSTRUCT = Symbol('RoomSecret');

const FRAGMENT = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/;

/** The invite-link fragment: base64url(secret) "." base64url(gateway fingerprint), 87 characters. @param {Uint8Array} secret @param {Uint8Array} fingerprint */
export function formatLinkFragment(secret, fingerprint) {
  if (
    !(secret instanceof Uint8Array) ||
    secret.length !== 32 ||
    !(fingerprint instanceof Uint8Array) ||
    fingerprint.length !== 32
  ) {
    throw new TypeError('secret and fingerprint must be 32 bytes each');
  }
  return `${base64UrlEncode(secret)}.${base64UrlEncode(fingerprint)}`;
}

/**
 * Parses an invite-link fragment (without the '#'). Returns { secret, fingerprint } (32 bytes
 * each) or null if the fragment does not match ^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$ or a part
 * is not the canonical encoding of 32 bytes (spec/room-secret.md §2).
 * @param {string} fragment
 */
export function parseLinkFragment(fragment) {
  if (typeof fragment !== 'string' || !FRAGMENT.test(fragment)) return null;
  const secret = base64UrlDecode(fragment.slice(0, 43));
  const fingerprint = base64UrlDecode(fragment.slice(44));
  if (
    secret === null ||
    fingerprint === null ||
    secret.length !== 32 ||
    fingerprint.length !== 32
  ) {
    wipe(secret);
    return null;
  }
  return { secret, fingerprint };
}
