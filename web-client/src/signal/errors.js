// @ts-check
// Errors of the signaling layer as the app sees them: a code and a message a person can read.
//
// Codes are the names of spec/errors.md (UNKNOWN_GATEWAY_KEY, ROOM_FULL, CONFIRMATION_FAILED,
// HANDSHAKE_TIMEOUT, ...) wherever one fits, plus a few local conditions that never go on the
// wire and have no number in the one list (LOCAL_CODES below). What they say to a person is in
// src/messages.js, the one table of such texts.

import { describe } from '../messages.js';
import { ErrorCode, ProtocolError } from '../protocol/errors.js';

/** Local conditions of the client that are not protocol failures (no number, never sent). */
export const LOCAL_CODES = Object.freeze({
  /** No WebCrypto (crypto.subtle): the page is not a secure context (https or localhost). */
  INSECURE_CONTEXT: 'INSECURE_CONTEXT',
  /** The gateway's origin could not be reached (fetch or WebSocket failed). */
  GATEWAY_UNREACHABLE: 'GATEWAY_UNREACHABLE',
  /** The well-known document is not what spec/hop-handshake.md §3 requires (not the pin: that is UNKNOWN_GATEWAY_KEY). */
  GATEWAY_INCOMPATIBLE: 'GATEWAY_INCOMPATIBLE',
  /** The WebSocket ended without a protocol code (network loss, close 1000/1006, gateway shut down). */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** The gateway closed the connection with a code this client does not know (4000-4999). */
  UNKNOWN_FAILURE: 'UNKNOWN_FAILURE',
  /** The pin is a key the gateway lists as retired (spec/hop-handshake.md §3.1): ask for a new link. */
  GATEWAY_KEY_RETIRED: 'GATEWAY_KEY_RETIRED',
  /** A peer used, in its peer handshake, another key than the one the gateway announced for it. */
  KEY_MISMATCH: 'KEY_MISMATCH',
  /** send() to a peer whose channel is not established (not yet, or no longer). */
  PEER_NOT_CONNECTED: 'PEER_NOT_CONNECTED',
  /** A peer message was refused by the sender (size, name, chat length, shape) before sealing. */
  INVALID_PEER_MESSAGE: 'INVALID_PEER_MESSAGE',
});

/** A readable message for a code of spec/errors.md or LOCAL_CODES (the one table: src/messages.js). @param {string} code */
export function describeError(code) {
  const line = describe(code);
  if (line !== null) return line;
  if (Object.hasOwn(ErrorCode, code)) return `Protocol failure ${code}.`;
  return 'Unknown failure.';
}

/** An error of the signaling layer: `.code` as above, `.message` readable; `.detail` optional, never secret. */
export class SignalError extends Error {
  /** @param {string} code @param {string} [message] @param {object} [detail] */
  constructor(code, message = describeError(code), detail = undefined) {
    super(message);
    this.name = 'SignalError';
    /** @type {string} */
    this.code = code;
    if (detail !== undefined) this.detail = detail;
  }

  /** Plain data for event details: {code, message}. */
  toJSON() {
    return { code: this.code, message: this.message };
  }

  /**
   * A SignalError for anything thrown: ProtocolError keeps its code; other errors become `fallback`.
   * @param {unknown} e @param {string} [fallback]
   */
  static from(e, fallback = LOCAL_CODES.UNKNOWN_FAILURE) {
    if (e instanceof SignalError) return e;
    if (e instanceof ProtocolError) return new SignalError(e.code);
    return new SignalError(fallback);
  }

  /**
   * What a WebSocket close means (spec/errors.md "WebSocket close codes", spec/room-protocol.md):
   * 4001-4999 map back to their code (unknown ones to UNKNOWN_FAILURE); 1001 SHUTTING_DOWN and
   * 1009 MESSAGE_TOO_LARGE carry their name as the reason; anything else is CONNECTION_LOST.
   * @param {number} code @param {string} reason
   */
  static fromClose(code, reason) {
    if (Number.isInteger(code) && code > 4000 && code <= 4999) {
      const pe = ProtocolError.fromCloseCode(code);
      return pe === null ? new SignalError(LOCAL_CODES.UNKNOWN_FAILURE) : new SignalError(pe.code);
    }
    if (code === 1001 && reason === 'SHUTTING_DOWN') return new SignalError('SHUTTING_DOWN');
    if (code === 1009) return new SignalError('MESSAGE_TOO_LARGE');
    return new SignalError(LOCAL_CODES.CONNECTION_LOST);
  }
}
