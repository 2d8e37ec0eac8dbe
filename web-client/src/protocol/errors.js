// @ts-check
// The protocol failure classes that can come over the wire, by layer: the channels' (spec/errors.md,
// Java ErrorCode) and the room layer's (spec/room-protocol.md, Java RoomError), identical in code
// and name to Java's (test/spec-agreement.test.js compares all three with the spec).
//
// SECURITY: a ProtocolError reveals only its code. Its message is the code's name and nothing
// else: no key, plaintext or peer input is ever put into it, and no detail about which internal
// check tripped beyond what the code states.

/** The channels' codes: handshakes and records (spec/errors.md, 1-29; Java ErrorCode). */
export const ChannelError = Object.freeze({
  MALFORMED_MESSAGE: 1,
  UNEXPECTED_MESSAGE: 2,
  UNSUPPORTED_VERSION: 3,
  UNSUPPORTED_SUITE: 4,
  UNKNOWN_GATEWAY_KEY: 5,
  INVALID_PUBLIC_KEY: 6,
  INVALID_CIPHERTEXT: 7,
  CONFIRMATION_FAILED: 8,
  HANDSHAKE_TIMEOUT: 9,

  RECORD_AUTH_FAILED: 20,
  RECORD_REPLAYED: 21,
  RECORD_OUT_OF_ORDER: 22,
  RECORD_TOO_LARGE: 23,
  RECORD_LIMIT_REACHED: 24,
});

/** The room protocol's and the gateway limits' codes (spec/room-protocol.md, 100+; Java RoomError). */
export const RoomError = Object.freeze({
  ROOM_FULL: 100,
  NOT_IN_ROOM: 101,
  UNKNOWN_PEER: 102,
  ALREADY_JOINED: 103,
  RATE_LIMITED: 104,
  TOO_MANY_ROOMS: 105,
  TOO_MANY_CONNECTIONS: 106,
  UNKNOWN_MESSAGE: 107,
  ENVELOPE_TOO_LARGE: 108,
  IDLE_TIMEOUT: 109,
  SHUTTING_DOWN: 110,
  MESSAGE_TOO_LARGE: 111,
  SLOW_CONSUMER: 112,

  // Short join codes (spec/short-codes.md): reply codes of the slot messages.
  SLOT_UNKNOWN: 113,
  SLOT_EXPIRED: 114,
  SLOT_USED: 115,
  SLOT_BURNED: 116,
  TOO_MANY_SLOTS: 117,
  SLOT_RATE_LIMITED: 118,
  // SFU signaling (spec/sfu.md §8): reply codes, ref = the request's txn.
  SFU_UNAVAILABLE: 119,
  SFU_NOT_ALLOWED: 120,
  SFU_MALFORMED: 121,
  SFU_BUSY: 122,
  SFU_TIMEOUT: 123,
});

/**
 * Every code that can come over the wire (in an ERROR message or a close code): the channels'
 * and the room layer's. SFrame's codes (30-39) are the browser's own, in src/media/sframeFormat.js.
 */
export const ErrorCode = Object.freeze({ ...ChannelError, ...RoomError });

/** WebSocket close codes for protocol failures are CLOSE_CODE_BASE + code (spec/errors.md). */
export const CLOSE_CODE_BASE = 4000;

/** The name of a numeric code, or null if the number is not assigned. @param {number} number @returns {string | null} */
export function errorName(number) {
  for (const [name, n] of Object.entries(ErrorCode)) {
    if (n === number) return name;
  }
  return null;
}

/** A protocol failure: `.code` is the name (as in the vectors), `.number` the numeric code. */
export class ProtocolError extends Error {
  /** @param {string} code */
  constructor(code) {
    if (!Object.hasOwn(ErrorCode, code)) throw new TypeError('unknown error code');
    super(code);
    this.name = 'ProtocolError';
    this.code = code;
    this.number = ErrorCode[/** @type {keyof typeof ErrorCode} */ (code)];
  }

  /** The WebSocket close code for this failure (4000 + code). */
  get closeCode() {
    return CLOSE_CODE_BASE + this.number;
  }

  /**
   * Maps a WebSocket close code from the gateway back to a ProtocolError, or null for a close
   * code outside 4001-4999 or one this client does not know (spec/hop-handshake.md §8).
   * @param {number} closeCode
   */
  static fromCloseCode(closeCode) {
    if (!Number.isInteger(closeCode) || closeCode <= CLOSE_CODE_BASE || closeCode > 4999)
      return null;
    const name = errorName(closeCode - CLOSE_CODE_BASE);
    return name === null ? null : new ProtocolError(name);
  }
}
