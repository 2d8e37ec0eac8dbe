// @ts-check
// The one list of protocol failure classes (spec/errors.md), identical in code and name to
// pq-crypto's ErrorCode.java (test/spec-agreement.test.js compares both with the spec).
//
// SECURITY: a ProtocolError reveals only its code. Its message is the code's name and nothing
// else: no key, plaintext or peer input is ever put into it, and no detail about which internal
// check tripped beyond what the code states.

export const ErrorCode = Object.freeze({
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

  // SFrame media failures (spec/media-sframe.md §9): local, never on the wire.
  SFRAME_MALFORMED: 30,
  SFRAME_UNKNOWN_KID: 31,
  SFRAME_AUTH_FAILED: 32,
  SFRAME_REPLAYED: 33,
  SFRAME_COUNTER_EXHAUSTED: 34,
  SFRAME_NO_SEND_KEY: 35,
  SFRAME_KEY_REJECTED: 36,

  // Room protocol (spec/room-protocol.md, codes 100+).
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
});

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
