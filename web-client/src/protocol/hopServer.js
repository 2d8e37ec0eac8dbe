// @ts-check
// The gateway side of the hop handshake (spec/hop-handshake.md §6.2, §6.4, §7). The browser
// never runs it; it exists so the JS implementation verifies every hop vector step (and for
// tests that run both sides). A HopServer holds the gateway's static keys; each connection
// walks receiveClientHello -> AwaitingClientFinished -> Channel.
//
// SECURITY: each state is used once; any failure is terminal and wipes the connection's
// secrets. The static keys are not connection state and are not wiped.

import { ProtocolError } from './errors.js';
import { concat, constantTimeEquals, wipe } from './bytes.js';
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

export class HopServer {
  #keys;
  #keyIds;

  /** @param keys XWingKeyPair[]: the static keys clients may address (the current one first) @param {import('./xwingKeyPair.js').XWingKeyPair[]} keys */
  constructor(keys) {
    if (!Array.isArray(keys) || keys.length === 0) throw new TypeError('at least one static key');
    this.#keys = [...keys];
    this.#keyIds = this.#keys.map((k) => k.fingerprint());
  }

  /** HS1 from a client: validates it and answers with HS2. Returns { serverHello, next }. @param {Uint8Array} clientHello */
  receiveClientHello(clientHello) {
    const eseed = randomBytes(XWING_ESEED_LEN);
    try {
      return this.#receive(clientHello, eseed, null);
    } finally {
      wipe(eseed);
    }
  }

  // test-hook:begin
  /** Deterministic variant for vectors: the encapsulation randomness is given. @param {Uint8Array} clientHello @param {Uint8Array} eseed @param {Trace | null} [trace] */
  receiveClientHelloForTestingOnly(clientHello, eseed, trace = null) {
    return this.#receive(clientHello, eseed, trace);
  }
  // test-hook:end

  /** @param {unknown} hello @param {Uint8Array} eseed @param {Trace | null} trace */
  #receive(hello, eseed, trace) {
    Wire.checkFrame(hello, Wire.CLIENT_HELLO, Wire.CLIENT_HELLO_LEN); // checks 1-3
    Wire.checkVersionAndSuite(hello); // checks 4-5
    const key = this.#keyFor(Wire.slice(hello, Wire.PREFIX_LEN, Wire.KEY_ID_LEN)); // check 6
    const off = Wire.PREFIX_LEN + Wire.KEY_ID_LEN;
    const epk = Wire.slice(hello, off, XWING_PK_LEN);
    const ctS = Wire.slice(hello, off + XWING_PK_LEN, XWING_CT_LEN);
    // Check 7 before check 8: an invalid epk is INVALID_PUBLIC_KEY whatever ct_s holds.
    const toClient = xwingEncapsulate(epk, eseed);
    let ssS = null;
    const schedule = new HopSchedule(trace);
    try {
      ssS = key.decapsulate(ctS); // check 8
      Trace.put(trace, 'ss_s', ssS);
      Trace.put(trace, 'ss_e', toClient.sharedSecret);
      schedule.clientHello(hello, ssS); // HK1-HK3
      const body = concat(Wire.prefix(Wire.SERVER_HELLO), toClient.ciphertext);
      const serverConfirm = schedule.serverHello(body, toClient.sharedSecret); // HK4-HK6
      const clientConfirm = schedule.serverConfirmed(serverConfirm); // HK7, HK8
      return {
        serverHello: concat(body, serverConfirm),
        next: new AwaitingClientFinished(schedule, clientConfirm, RECEIVE),
      };
    } catch (e) {
      schedule.destroy();
      throw e;
    } finally {
      wipe(ssS, toClient.sharedSecret);
    }
  }

  /** @param {Uint8Array} keyId */
  #keyFor(keyId) {
    for (let i = 0; i < this.#keys.length; i++) {
      // key ids are public: no constant-time compare needed
      if (
        this.#keyIds[i].every((/** @type {number} */ b, /** @type {number} */ j) => b === keyId[j])
      )
        return this.#keys[i];
    }
    throw new ProtocolError('UNKNOWN_GATEWAY_KEY');
  }
}

const RECEIVE = Symbol('HopServer.receive');

/** Waits for HS3 ClientFinished (state WAIT_CLIENT_FINISHED); nothing else may arrive before it. */
export class AwaitingClientFinished {
  #schedule;
  #expectedConfirm;
  #used = false;

  /** @param {HopSchedule} schedule @param {Uint8Array} expectedConfirm @param {symbol} token */
  constructor(schedule, expectedConfirm, token) {
    if (token !== RECEIVE) throw new TypeError('use HopServer.receiveClientHello()');
    this.#schedule = schedule;
    this.#expectedConfirm = expectedConfirm;
  }

  /** §6.4: returns the established Channel (G seals with s2c, opens with c2s). @param {Uint8Array} clientFinished */
  receive(clientFinished) {
    if (this.#used) throw new ProtocolError('UNEXPECTED_MESSAGE');
    this.#used = true;
    try {
      Wire.checkFrame(clientFinished, Wire.CLIENT_FINISHED, Wire.FINISHED_LEN); // checks 1-3
      const got = Wire.slice(clientFinished, 1, Wire.CONFIRM_LEN);
      if (!constantTimeEquals(this.#expectedConfirm, got))
        throw new ProtocolError('CONFIRMATION_FAILED'); // check 4
      const s = this.#schedule.finish(got); // HK9, HK10
      const channel = new Channel(s.s2c, s.c2s, s.handshakeHash, RecordFormat.HOP_MAX_PLAINTEXT);
      wipe(s.c2s, s.s2c);
      return channel;
    } finally {
      this.#schedule.destroy();
      wipe(this.#expectedConfirm);
    }
  }

  /** Abandons the handshake (timeout, connection closed) and wipes its secrets. */
  abandon() {
    this.#used = true;
    this.#schedule.destroy();
    wipe(this.#expectedConfirm);
  }

  // test-hook:begin
  secretsForTestingOnly() {
    return [this.#expectedConfirm, ...this.#schedule.secretsForTestingOnly()];
  }
  // test-hook:end
}
