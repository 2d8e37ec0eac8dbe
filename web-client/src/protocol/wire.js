// @ts-check
// Message type bytes, sizes and the common header checks (spec/hop-handshake.md §4,
// spec/peer-handshake.md §4; pq-crypto's handshake/Wire.java): PeerInit ends with the 32-byte SAS
// commitment, PeerFinish carries confirm_I and the 32-byte nonce_I.

import { ProtocolError } from './errors.js';
import { getU16 } from './bytes.js';
import { XWING_CT_LEN, XWING_PK_LEN } from './primitives.js';

export const VERSION = 1;
export const SUITE = 0x0001;

export const CLIENT_HELLO = 0x01;
export const SERVER_HELLO = 0x02;
export const CLIENT_FINISHED = 0x03;
export const PEER_INIT = 0x11;
export const PEER_ACCEPT = 0x12;
export const PEER_FINISH = 0x13;

// X-Wing key and ciphertext lengths: XWING_PK_LEN, XWING_CT_LEN of primitives.js.
export const CONFIRM_LEN = 32;
export const KEY_ID_LEN = 32;
export const PEER_ID_LEN = 8;
export const ROOM_ID_LEN = 32;
/** The initiator's SAS nonce, committed in PeerInit and revealed in PeerFinish. */
export const NONCE_LEN = 32;

/** type | version | suite. */
export const PREFIX_LEN = 4;
export const CLIENT_HELLO_LEN = PREFIX_LEN + KEY_ID_LEN + XWING_PK_LEN + XWING_CT_LEN; // 2372
export const SERVER_HELLO_LEN = PREFIX_LEN + XWING_CT_LEN + CONFIRM_LEN; // 1156
export const FINISHED_LEN = 1 + CONFIRM_LEN; // 33
export const PEER_INIT_LEN = PREFIX_LEN + XWING_PK_LEN + XWING_CT_LEN + CONFIRM_LEN; // 2372
export const PEER_ACCEPT_LEN = PREFIX_LEN + XWING_CT_LEN + CONFIRM_LEN; // 1156
export const PEER_FINISH_LEN = 1 + CONFIRM_LEN + NONCE_LEN; // 65

/**
 * Checks empty, type and length, in that order (checks 1-3 of every receive table). Anything
 * that is not a Uint8Array (a WebSocket text message arrives as a string) is MALFORMED_MESSAGE.
 * @param {unknown} msg @param {number} type @param {number} length @returns {asserts msg is Uint8Array}
 */
export function checkFrame(msg, type, length) {
  if (!(msg instanceof Uint8Array) || msg.length === 0)
    throw new ProtocolError('MALFORMED_MESSAGE');
  if (msg[0] !== type) throw new ProtocolError('UNEXPECTED_MESSAGE');
  if (msg.length !== length) throw new ProtocolError('MALFORMED_MESSAGE');
}

/** Checks the version byte and suite that follow the type byte (checks 4-5). @param {Uint8Array} msg */
export function checkVersionAndSuite(msg) {
  if (msg[1] !== VERSION) throw new ProtocolError('UNSUPPORTED_VERSION');
  if (getU16(msg, 2) !== SUITE) throw new ProtocolError('UNSUPPORTED_SUITE');
}

/** The 4-byte prefix type | version | suite of a message. @param {number} type */
export function prefix(type) {
  return new Uint8Array([type, VERSION, SUITE >> 8, SUITE & 0xff]);
}

/** A copy of msg[off, off + len). @param {Uint8Array} msg @param {number} off @param {number} len */
export function slice(msg, off, len) {
  return msg.slice(off, off + len);
}
