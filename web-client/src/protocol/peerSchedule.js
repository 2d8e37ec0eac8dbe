// @ts-check
// The peer handshake key schedule, steps PK1-PK10 of spec/peer-handshake.md §5 (mirroring
// pq-crypto's kdf/PeerSchedule.java), with the SAS commitment: PeerInit carries
// commit = H(PEER_COMMIT || nonce_I), PeerFinish reveals nonce_I, th4 = H(th3 || confirm_I ||
// nonce_I) and sas = Expand(Extract(nonce_I, prk), PEER_SAS, 5). Both roles run the same object.

import { ascii, concat, wipe } from './bytes.js';
import { Kdf, Trace } from './kdf.js';
import { Labels } from './labels.js';
import { HASH_LEN } from './primitives.js';

export const SAS_LEN = 5;

export class PeerSchedule {
  /** @type {Trace | null} */
  #trace;
  #th;
  /** @type {Uint8Array | null} */
  #prk = null;

  /** PK1, PK2: th1 = H(H(PEER_PROTOCOL) || room_id || id_I || id_R || pk_R || PeerInit). @param {Uint8Array} roomId @param {Uint8Array} initiatorId @param {Uint8Array} responderId @param {Uint8Array} responderPk @param {Uint8Array} peerInit @param {Trace | null} [trace] */
  constructor(roomId, initiatorId, responderId, responderPk, peerInit, trace = null) {
    this.#trace = trace;
    const th0 = Kdf.hash(ascii(Labels.PEER_PROTOCOL));
    this.#th = Kdf.hash(th0, roomId, initiatorId, responderId, responderPk, peerInit);
    Trace.put(trace, 'th0', th0);
    Trace.put(trace, 'th1', this.#th);
  }

  /** PK1 commitment: commit = H(PEER_COMMIT || nonce_I), sent in PeerInit. @param {Uint8Array} nonceI */
  static commitment(nonceI) {
    return Kdf.hash(ascii(Labels.PEER_COMMIT), nonceI);
  }

  /**
   * PK3-PK5: th2 = H(th1 || PeerAccept without its confirm); prk = Extract(th2, ss_R || ss_I ||
   * psk); returns confirm_R = HMAC(fk_R, th2).
   * @param {Uint8Array} acceptBody @param {Uint8Array} ssR @param {Uint8Array} ssI @param {Uint8Array} psk
   */
  accept(acceptBody, ssR, ssI, psk) {
    this.#th = Kdf.hash(this.#th, acceptBody);
    const ikm = concat(ssR, ssI, psk);
    this.#prk = Kdf.extract(this.#th, ikm);
    wipe(ikm);
    Trace.put(this.#trace, 'th2', this.#th);
    Trace.put(this.#trace, 'prk', this.#prk);
    const fk = Kdf.expand(this.#prk, Labels.PEER_RESPONDER_FINISHED, HASH_LEN);
    const confirm = Kdf.hmac(fk, this.#th);
    Trace.put(this.#trace, 'fk_r', fk);
    Trace.put(this.#trace, 'confirm_r', confirm);
    wipe(fk);
    return confirm;
  }

  /** PK6, PK7: th3 = H(th2 || confirm_R); returns confirm_I = HMAC(fk_I, th3). @param {Uint8Array} confirmR */
  responderConfirmed(confirmR) {
    this.#th = Kdf.hash(this.#th, confirmR);
    Trace.put(this.#trace, 'th3', this.#th);
    const prk = /** @type {Uint8Array} */ (this.#prk); // set by accept() (PK4), which always runs first
    const fk = Kdf.expand(prk, Labels.PEER_INITIATOR_FINISHED, HASH_LEN);
    const confirm = Kdf.hmac(fk, this.#th);
    Trace.put(this.#trace, 'fk_i', fk);
    Trace.put(this.#trace, 'confirm_i', confirm);
    wipe(fk);
    return confirm;
  }

  /**
   * PK8-PK10: th4 = H(th3 || confirm_I || nonce_I); traffic secrets; sas = Expand(Extract(nonce_I,
   * prk), PEER_SAS, 5). The SAS depends on nonce_I, which the initiator committed to before the
   * responder answered and reveals only after: neither side can steer the SAS. Returns
   * { i2r, r2i, sas, handshakeHash }; the schedule is wiped.
   * @param {Uint8Array} confirmI @param {Uint8Array} nonceI
   */
  finish(confirmI, nonceI) {
    const th4 = Kdf.hash(this.#th, confirmI, nonceI);
    const prk = /** @type {Uint8Array} */ (this.#prk); // set by accept() (PK4), which always runs first
    const i2r = Kdf.expand(prk, Labels.PEER_I2R, HASH_LEN);
    const r2i = Kdf.expand(prk, Labels.PEER_R2I, HASH_LEN);
    const sasKey = Kdf.extract(nonceI, prk);
    const sas = Kdf.expand(sasKey, Labels.PEER_SAS, SAS_LEN);
    wipe(sasKey);
    Trace.put(this.#trace, 'handshake_hash', th4);
    Trace.put(this.#trace, 'i2r_secret', i2r);
    Trace.put(this.#trace, 'r2i_secret', r2i);
    Trace.put(this.#trace, 'sas_bytes', sas);
    this.destroy();
    return { i2r, r2i, sas, handshakeHash: th4 };
  }

  destroy() {
    wipe(this.#th, this.#prk);
  }

  // test-hook:begin
  /** The live transcript hash and prk (null before PK4), so tests can check the wipe. */
  secretsForTestingOnly() {
    return [this.#th, this.#prk].filter((x) => x !== null);
  }
  // test-hook:end
}
