// @ts-check
// The client side of the hop handshake (spec/hop-handshake.md §6.1, §6.3, §7): start() sends
// HS1 ClientHello and returns an AwaitingServerHello state; its receive(HS2) returns HS3
// ClientFinished and the established hop Channel. The browser needs only this side.
//
// SECURITY caveats:
// - Each state object is used once. A second receive() fails with UNEXPECTED_MESSAGE.
// - Any failure is terminal and wipes the handshake secrets (esk, ss_s, ss_e, ck*, fk*). On
//   success they are wiped too; only the channel's traffic secrets and the public
//   handshake_hash remain.
// - The gateway key passed to start() MUST already have been checked against the link's pinned
//   fingerprint: pinnedGatewayKey() below does that for the well-known document (§3).

import { ProtocolError } from './errors.js';
import { base64UrlDecode, concat, constantTimeEquals, wipe } from './bytes.js';
import { Fingerprint } from './fingerprint.js';
import { HopSchedule } from './hopSchedule.js';
import { Trace } from './kdf.js';
import {
  XWING_CT_LEN,
  XWING_ESEED_LEN,
  XWING_PK_LEN,
  randomBytes,
  xwingEncapsulate,
} from './primitives.js';
import { Channel, RecordFormat } from './record.js';
import * as Wire from './wire.js';
import { XWingKeyPair } from './xwingKeyPair.js';

/**
 * The gateway's static public key from /.well-known/hybridge.json, checked against the
 * fingerprint pinned by the invite link (spec/hop-handshake.md §3): strict base64url, 1216
 * bytes, H(public_key) equal as bytes to the pin, versions and suites containing 1. The
 * document's own `fingerprint` member is informational and never used. Throws an Error (not a
 * ProtocolError: nothing was sent yet) whose message says what to tell the user.
 * @param {any} wellKnown the parsed JSON (checked here) @param {Uint8Array} pinnedFingerprint
 */
export function pinnedGatewayKey(wellKnown, pinnedFingerprint) {
  if (wellKnown === null || typeof wellKnown !== 'object')
    throw new Error('gateway key document is not a JSON object');
  const pk = base64UrlDecode(wellKnown.public_key);
  if (pk === null || pk.length !== XWING_PK_LEN)
    throw new Error('gateway key document has no valid public key');
  if (
    !(pinnedFingerprint instanceof Uint8Array) ||
    !constantTimeEquals(Fingerprint.of(pk), pinnedFingerprint)
  ) {
    throw new Error('gateway key does not match the link');
  }
  const has1 = (/** @type {unknown} */ list) => Array.isArray(list) && list.includes(1);
  if (!has1(wellKnown.versions) || !has1(wellKnown.suites)) {
    throw new Error('gateway does not support protocol version 1 with suite 1');
  }
  return pk;
}

export const HopClient = Object.freeze({
  /**
   * Sends HS1 to the gateway whose static public key is gatewayPublicKey (already pinned).
   * Returns { clientHello, next }. Throws ProtocolError INVALID_PUBLIC_KEY for a bad key.
   * @param {Uint8Array} gatewayPublicKey
   */
  start(gatewayPublicKey) {
    const eseed = randomBytes(XWING_ESEED_LEN);
    const ephemeral = XWingKeyPair.generate();
    try {
      return start(gatewayPublicKey, ephemeral, eseed, null);
    } finally {
      wipe(eseed);
    }
  },

  // test-hook:begin
  /** Deterministic start for vectors: the ephemeral key seed and encapsulation randomness are given. @param {Uint8Array} gatewayPublicKey @param {Uint8Array} ephemeralSeed @param {Uint8Array} eseed @param {Trace | null} [trace] */
  startForTestingOnly(gatewayPublicKey, ephemeralSeed, eseed, trace = null) {
    return start(gatewayPublicKey, XWingKeyPair.fromSeed(ephemeralSeed), eseed, trace);
  },
  // test-hook:end
});

/** @param {Uint8Array} gatewayPublicKey @param {XWingKeyPair} ephemeral @param {Uint8Array} eseed @param {Trace | null} trace */
function start(gatewayPublicKey, ephemeral, eseed, trace) {
  try {
    if (!(gatewayPublicKey instanceof Uint8Array) || gatewayPublicKey.length !== XWING_PK_LEN) {
      throw new ProtocolError('INVALID_PUBLIC_KEY');
    }
    // §6.1 step 2: (ct_s, ss_s) = Encaps(pk_s).
    const enc = xwingEncapsulate(gatewayPublicKey, eseed);
    const hello = concat(
      Wire.prefix(Wire.CLIENT_HELLO),
      Fingerprint.of(gatewayPublicKey),
      ephemeral.publicKey(),
      enc.ciphertext,
    );
    const schedule = new HopSchedule(trace); // HK1
    Trace.put(trace, 'ss_s', enc.sharedSecret);
    schedule.clientHello(hello, enc.sharedSecret); // HK2, HK3
    wipe(enc.sharedSecret);
    return { clientHello: hello, next: new AwaitingServerHello(ephemeral, schedule, trace, START) };
  } catch (e) {
    ephemeral.destroy();
    throw e;
  }
}

const START = Symbol('HopClient.start');

/** Waits for HS2 ServerHello (state WAIT_SERVER_HELLO). */
export class AwaitingServerHello {
  #ephemeral;
  #schedule;
  #trace;
  #used = false;

  /** @param {XWingKeyPair} ephemeral @param {HopSchedule} schedule @param {Trace | null} trace @param {symbol} token */
  constructor(ephemeral, schedule, trace, token) {
    if (token !== START) throw new TypeError('use HopClient.start()');
    this.#ephemeral = ephemeral;
    this.#schedule = schedule;
    this.#trace = trace;
  }

  /**
   * §6.3: checks HS2 in the normative order; returns { clientFinished, channel }. Send
   * clientFinished before any record. Throws ProtocolError; every outcome wipes this state.
   * @param {Uint8Array} serverHello
   */
  receive(serverHello) {
    if (this.#used) throw new ProtocolError('UNEXPECTED_MESSAGE');
    this.#used = true;
    try {
      Wire.checkFrame(serverHello, Wire.SERVER_HELLO, Wire.SERVER_HELLO_LEN); // checks 1-3
      Wire.checkVersionAndSuite(serverHello); // checks 4-5
      const ctE = Wire.slice(serverHello, Wire.PREFIX_LEN, XWING_CT_LEN);
      const ssE = this.#ephemeral.decapsulate(ctE); // check 6
      Trace.put(this.#trace, 'ss_e', ssE);
      const bodyLen = Wire.SERVER_HELLO_LEN - Wire.CONFIRM_LEN;
      const expected = this.#schedule.serverHello(Wire.slice(serverHello, 0, bodyLen), ssE); // HK4-HK6
      wipe(ssE);
      const got = Wire.slice(serverHello, bodyLen, Wire.CONFIRM_LEN);
      if (!constantTimeEquals(expected, got)) throw new ProtocolError('CONFIRMATION_FAILED'); // check 7
      const clientConfirm = this.#schedule.serverConfirmed(got); // HK7, HK8
      const finished = concat(new Uint8Array([Wire.CLIENT_FINISHED]), clientConfirm);
      const s = this.#schedule.finish(clientConfirm); // HK9, HK10
      const channel = new Channel(s.c2s, s.s2c, s.handshakeHash, RecordFormat.HOP_MAX_PLAINTEXT);
      wipe(s.c2s, s.s2c);
      return { clientFinished: finished, channel };
    } finally {
      this.#schedule.destroy();
      this.#ephemeral.destroy();
    }
  }

  /** Abandons the handshake (timeout, connection closed) and wipes its secrets. */
  abandon() {
    this.#used = true;
    this.#schedule.destroy();
    this.#ephemeral.destroy();
  }

  // test-hook:begin
  /** The live secrets of this state, so tests can check the wipe. */
  secretsForTestingOnly() {
    return [...this.#ephemeral.secretsForTestingOnly(), ...this.#schedule.secretsForTestingOnly()];
  }
  // test-hook:end
}
