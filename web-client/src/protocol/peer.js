// @ts-check
// The peer handshake (spec/peer-handshake.md), initiator and responder, mirroring pq-crypto's
// handshake/PeerInitiator.java and PeerResponder.java: PeerInit (2372 bytes) ends with
// commit = H(PEER_COMMIT || nonce_I);
// PeerFinish (65 bytes) = 0x13 | confirm_I | nonce_I; the responder checks both confirm_I and
// the commitment and reports either failure as CONFIRMATION_FAILED.
//
// SECURITY caveats:
// - Each state object is used once; any failure is terminal for this pair and wipes ss_R, ss_I,
//   prk, fk_R, fk_I, the expected confirmation and this handshake's copy of psk. The peer's
//   per-session key pair is NOT wiped here: it serves every pair of the session, and the caller
//   destroys it when the peer leaves the room.
// - The initiator MUST NOT send anything that depends on the keys before receive(PeerAccept)
//   returned (confirm_R verified); the responder MUST NOT accept or send records before
//   receive(PeerFinish) returned.
// - Peer records use the peer maximum (16384-byte plaintexts).

import { ProtocolError } from './errors.js';
import { concat, constantTimeEquals, wipe } from './bytes.js';
import { Trace } from './kdf.js';
import { PeerSchedule } from './peerSchedule.js';
import {
  XWING_CT_LEN,
  XWING_ESEED_LEN,
  XWING_PK_LEN,
  randomBytes,
  xwingEncapsulate,
} from './primitives.js';
import { Channel, RecordFormat } from './record.js';
import { Sas } from './sas.js';
import * as Wire from './wire.js';

/**
 * What both peers must agree on before a peer handshake: the room id and PSK (from the peer's
 * own link) and both peer ids (from the gateway). The initiator is the peer that joined later.
 * The fields are copied; a handshake wipes its copy of psk when it ends.
 */
export class PeerContext {
  #roomId;
  #psk;
  #initiatorId;
  #responderId;

  /** @param {Uint8Array} roomId @param {Uint8Array} psk @param {Uint8Array} initiatorId @param {Uint8Array} responderId */
  constructor(roomId, psk, initiatorId, responderId) {
    const ok = (/** @type {unknown} */ b, /** @type {number} */ n) =>
      b instanceof Uint8Array && b.length === n;
    if (
      !ok(roomId, Wire.ROOM_ID_LEN) ||
      !ok(psk, 32) ||
      !ok(initiatorId, Wire.PEER_ID_LEN) ||
      !ok(responderId, Wire.PEER_ID_LEN)
    ) {
      throw new TypeError('peer context field of wrong length');
    }
    this.#roomId = roomId.slice();
    this.#psk = psk.slice();
    this.#initiatorId = initiatorId.slice();
    this.#responderId = responderId.slice();
  }

  get roomId() {
    return this.#roomId;
  }
  get psk() {
    return this.#psk;
  }
  get initiatorId() {
    return this.#initiatorId;
  }
  get responderId() {
    return this.#responderId;
  }

  wipePsk() {
    wipe(this.#psk);
  }

  toString() {
    return 'PeerContext[psk hidden]';
  }

  toJSON() {
    return this.toString();
  }
}

/**
 * An established peer channel, the SAS both people can compare, and the public key the other
 * peer used (to cross-check against the gateway's room view).
 */
export class PeerSession {
  /** @param {Channel} channel @param {Sas} sas @param {Uint8Array} remotePublicKey */
  constructor(channel, sas, remotePublicKey) {
    this.channel = channel;
    this.sas = sas;
    this.remotePublicKey = remotePublicKey;
    Object.freeze(this);
  }
}

/** @param {PeerContext} ctx */
function copyContext(ctx) {
  if (!(ctx instanceof PeerContext)) throw new TypeError('ctx must be a PeerContext');
  return new PeerContext(ctx.roomId, ctx.psk, ctx.initiatorId, ctx.responderId);
}

// ---------------------------------------------------------------- initiator

export const PeerInitiator = Object.freeze({
  /**
   * §6.1: sends PI1 to the responder whose announced key is responderPublicKey. ownKey is this
   * peer's per-session XWingKeyPair. Returns { peerInit, next }. Throws ProtocolError
   * INVALID_PUBLIC_KEY for a responder key of the wrong length or one that fails X-Wing checks.
   * @param {PeerContext} ctx @param {import('./xwingKeyPair.js').XWingKeyPair} ownKey @param {Uint8Array} responderPublicKey
   */
  start(ctx, ownKey, responderPublicKey) {
    const eseed = randomBytes(XWING_ESEED_LEN);
    const nonce = randomBytes(Wire.NONCE_LEN);
    try {
      return startInitiator(ctx, ownKey, responderPublicKey, eseed, nonce, null);
    } finally {
      wipe(eseed, nonce);
    }
  },

  // test-hook:begin
  /** Deterministic start for vectors: encapsulation randomness and the SAS nonce are given. @param {PeerContext} ctx @param {import('./xwingKeyPair.js').XWingKeyPair} ownKey @param {Uint8Array} responderPublicKey @param {Uint8Array} eseed @param {Uint8Array} nonce @param {Trace | null} [trace] */
  startForTestingOnly(ctx, ownKey, responderPublicKey, eseed, nonce, trace = null) {
    return startInitiator(ctx, ownKey, responderPublicKey, eseed, nonce, trace);
  },
  // test-hook:end
});

/** @param {PeerContext} ctx @param {import('./xwingKeyPair.js').XWingKeyPair} ownKey @param {Uint8Array} responderPk @param {Uint8Array} eseed @param {Uint8Array} nonceIn @param {Trace | null} trace */
function startInitiator(ctx, ownKey, responderPk, eseed, nonceIn, trace) {
  if (!(responderPk instanceof Uint8Array) || responderPk.length !== XWING_PK_LEN) {
    throw new ProtocolError('INVALID_PUBLIC_KEY');
  }
  if (!(nonceIn instanceof Uint8Array) || nonceIn.length !== Wire.NONCE_LEN) {
    throw new TypeError(`SAS nonce must be ${Wire.NONCE_LEN} bytes`);
  }
  const own = copyContext(ctx);
  const nonce = nonceIn.slice();
  let enc = null;
  try {
    enc = xwingEncapsulate(responderPk, eseed); // (ct_R, ss_R) = Encaps(pk_R)
    const commit = PeerSchedule.commitment(nonce);
    const init = concat(Wire.prefix(Wire.PEER_INIT), ownKey.publicKey(), enc.ciphertext, commit);
    Trace.put(trace, 'ss_r', enc.sharedSecret);
    Trace.put(trace, 'commit', commit);
    const schedule = new PeerSchedule(
      own.roomId,
      own.initiatorId,
      own.responderId,
      responderPk,
      init,
      trace,
    );
    return {
      peerInit: init,
      next: new AwaitingAccept(
        own,
        ownKey,
        responderPk.slice(),
        enc.sharedSecret,
        nonce,
        schedule,
        trace,
        START,
      ),
    };
  } catch (e) {
    own.wipePsk();
    wipe(nonce, enc?.sharedSecret);
    throw e;
  }
}

const START = Symbol('PeerInitiator.start');

/** Waits for PR2 PeerAccept (state WAIT_PEER_ACCEPT). */
export class AwaitingAccept {
  #ctx;
  #ownKey;
  #responderPk;
  #ssR;
  #nonce;
  #schedule;
  #trace;
  #used = false;

  /** @param {PeerContext} ctx @param {import('./xwingKeyPair.js').XWingKeyPair} ownKey @param {Uint8Array} responderPk @param {Uint8Array} ssR @param {Uint8Array} nonce @param {PeerSchedule} schedule @param {Trace | null} trace @param {symbol} token */
  constructor(ctx, ownKey, responderPk, ssR, nonce, schedule, trace, token) {
    if (token !== START) throw new TypeError('use PeerInitiator.start()');
    this.#ctx = ctx;
    this.#ownKey = ownKey;
    this.#responderPk = responderPk;
    this.#ssR = ssR;
    this.#nonce = nonce;
    this.#schedule = schedule;
    this.#trace = trace;
  }

  /** §6.3: returns { peerFinish, session }. Throws ProtocolError; every outcome wipes this state. @param {Uint8Array} accept */
  receive(accept) {
    if (this.#used) throw new ProtocolError('UNEXPECTED_MESSAGE');
    this.#used = true;
    let ssI = null;
    try {
      Wire.checkFrame(accept, Wire.PEER_ACCEPT, Wire.PEER_ACCEPT_LEN); // checks 1-3
      Wire.checkVersionAndSuite(accept); // checks 4-5
      ssI = this.#ownKey.decapsulate(Wire.slice(accept, Wire.PREFIX_LEN, XWING_CT_LEN)); // check 6
      Trace.put(this.#trace, 'ss_i', ssI);
      const bodyLen = Wire.PEER_ACCEPT_LEN - Wire.CONFIRM_LEN;
      const expected = this.#schedule.accept(
        Wire.slice(accept, 0, bodyLen),
        this.#ssR,
        ssI,
        this.#ctx.psk,
      ); // PK3-PK5
      const got = Wire.slice(accept, bodyLen, Wire.CONFIRM_LEN);
      if (!constantTimeEquals(expected, got)) throw new ProtocolError('CONFIRMATION_FAILED'); // check 7
      const confirmI = this.#schedule.responderConfirmed(got); // PK6, PK7
      const finish = concat(new Uint8Array([Wire.PEER_FINISH]), confirmI, this.#nonce);
      const s = this.#schedule.finish(confirmI, this.#nonce); // PK8-PK10
      const channel = new Channel(
        s.i2r,
        s.r2i,
        s.handshakeHash,
        RecordFormat.PEER_DC_MAX_PLAINTEXT,
      );
      const sas = new Sas(s.sas);
      wipe(s.i2r, s.r2i, s.sas);
      return { peerFinish: finish, session: new PeerSession(channel, sas, this.#responderPk) };
    } finally {
      wipe(this.#ssR, ssI, this.#nonce);
      this.#schedule.destroy();
      this.#ctx.wipePsk();
    }
  }

  /** Abandons the handshake (timeout, responder left) and wipes its secrets. */
  abandon() {
    this.#used = true;
    wipe(this.#ssR, this.#nonce);
    this.#schedule.destroy();
    this.#ctx.wipePsk();
  }

  // test-hook:begin
  secretsForTestingOnly() {
    return [this.#ssR, this.#nonce, this.#ctx.psk, ...this.#schedule.secretsForTestingOnly()];
  }
  // test-hook:end
}

// ---------------------------------------------------------------- responder

export const PeerResponder = Object.freeze({
  /**
   * §6.2: receives PI1 from the peer ctx.initiatorId (the envelope's sender id); ownKey is this
   * peer's per-session XWingKeyPair. Returns { peerAccept, next }. Throws ProtocolError.
   * @param {PeerContext} ctx @param {import('./xwingKeyPair.js').XWingKeyPair} ownKey @param {Uint8Array} peerInit
   */
  receive(ctx, ownKey, peerInit) {
    const eseed = randomBytes(XWING_ESEED_LEN);
    try {
      return receiveInit(ctx, ownKey, peerInit, eseed, null);
    } finally {
      wipe(eseed);
    }
  },

  // test-hook:begin
  /** @param {PeerContext} ctx @param {import('./xwingKeyPair.js').XWingKeyPair} ownKey @param {Uint8Array} peerInit @param {Uint8Array} eseed @param {Trace | null} [trace] */
  receiveForTestingOnly(ctx, ownKey, peerInit, eseed, trace = null) {
    return receiveInit(ctx, ownKey, peerInit, eseed, trace);
  },
  // test-hook:end
});

/** @param {PeerContext} ctx @param {import('./xwingKeyPair.js').XWingKeyPair} ownKey @param {unknown} init @param {Uint8Array} eseed @param {Trace | null} trace */
function receiveInit(ctx, ownKey, init, eseed, trace) {
  const own = copyContext(ctx);
  let ssR = null;
  let toInitiator = null;
  try {
    Wire.checkFrame(init, Wire.PEER_INIT, Wire.PEER_INIT_LEN); // checks 1-3
    Wire.checkVersionAndSuite(init); // checks 4-5
    const pkI = Wire.slice(init, Wire.PREFIX_LEN, XWING_PK_LEN);
    const ctR = Wire.slice(init, Wire.PREFIX_LEN + XWING_PK_LEN, XWING_CT_LEN);
    const commit = Wire.slice(
      init,
      Wire.PREFIX_LEN + XWING_PK_LEN + XWING_CT_LEN,
      Wire.CONFIRM_LEN,
    );
    toInitiator = xwingEncapsulate(pkI, eseed); // check 6, before check 7
    ssR = ownKey.decapsulate(ctR); // check 7
    Trace.put(trace, 'ss_r', ssR);
    Trace.put(trace, 'commit', commit);
    Trace.put(trace, 'ss_i', toInitiator.sharedSecret);
    const schedule = new PeerSchedule(
      own.roomId,
      own.initiatorId,
      own.responderId,
      ownKey.publicKey(),
      init,
      trace,
    ); // PK1, PK2
    const body = concat(Wire.prefix(Wire.PEER_ACCEPT), toInitiator.ciphertext);
    const confirmR = schedule.accept(body, ssR, toInitiator.sharedSecret, own.psk); // PK3-PK5
    const confirmI = schedule.responderConfirmed(confirmR); // PK6, PK7
    return {
      peerAccept: concat(body, confirmR),
      next: new AwaitingFinish(schedule, confirmI, commit, pkI, RECEIVE),
    };
  } finally {
    wipe(ssR, toInitiator?.sharedSecret);
    own.wipePsk();
  }
}

const RECEIVE = Symbol('PeerResponder.receive');

/** Waits for PI3 PeerFinish (state WAIT_PEER_FINISH). */
export class AwaitingFinish {
  #schedule;
  #expectedConfirm;
  #commit;
  #initiatorPk;
  #used = false;

  /** @param {PeerSchedule} schedule @param {Uint8Array} expectedConfirm @param {Uint8Array} commit @param {Uint8Array} initiatorPk @param {symbol} token */
  constructor(schedule, expectedConfirm, commit, initiatorPk, token) {
    if (token !== RECEIVE) throw new TypeError('use PeerResponder.receive()');
    this.#schedule = schedule;
    this.#expectedConfirm = expectedConfirm;
    this.#commit = commit;
    this.#initiatorPk = initiatorPk;
  }

  /** The initiator's public key from PI1, available before the handshake completes. */
  initiatorPublicKey() {
    return this.#initiatorPk.slice();
  }

  /** §6.4: returns the established PeerSession. Throws ProtocolError; every outcome wipes this state. @param {Uint8Array} finish */
  receive(finish) {
    if (this.#used) throw new ProtocolError('UNEXPECTED_MESSAGE');
    this.#used = true;
    try {
      Wire.checkFrame(finish, Wire.PEER_FINISH, Wire.PEER_FINISH_LEN); // checks 1-3
      const got = Wire.slice(finish, 1, Wire.CONFIRM_LEN);
      const nonce = Wire.slice(finish, 1 + Wire.CONFIRM_LEN, Wire.NONCE_LEN);
      // Both checks always run, so the code does not tell which one failed.
      const confirmed = constantTimeEquals(this.#expectedConfirm, got);
      const committed = constantTimeEquals(this.#commit, PeerSchedule.commitment(nonce));
      // `&`, not `&&`: no short circuit on a secret-dependent result.
      if ((Number(confirmed) & Number(committed)) === 0)
        throw new ProtocolError('CONFIRMATION_FAILED'); // check 4
      const s = this.#schedule.finish(got, nonce); // PK8-PK10
      const channel = new Channel(
        s.r2i,
        s.i2r,
        s.handshakeHash,
        RecordFormat.PEER_DC_MAX_PLAINTEXT,
      );
      const sas = new Sas(s.sas);
      wipe(s.i2r, s.r2i, s.sas);
      return new PeerSession(channel, sas, this.#initiatorPk.slice());
    } finally {
      this.#schedule.destroy();
      wipe(this.#expectedConfirm);
    }
  }

  /** Abandons the handshake (timeout, initiator left) and wipes its secrets. */
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
