// @ts-check
// The hop handshake key schedule, steps HK1-HK10 of spec/hop-handshake.md §5. Client and
// gateway run the same object; each method is one or more spec steps, called in order.

import { ascii, concat, wipe } from './bytes.js';
import { Kdf, Trace } from './kdf.js';
import { Labels } from './labels.js';
import { HASH_LEN } from './primitives.js';

export class HopSchedule {
  /** @type {Trace | null} */
  #trace;
  #ck;
  #th;

  /** HK1: ck0 = th0 = H(HOP_PROTOCOL). @param {Trace | null} [trace] */
  constructor(trace = null) {
    this.#trace = trace;
    this.#ck = Kdf.hash(ascii(Labels.HOP_PROTOCOL));
    this.#th = this.#ck.slice();
    Trace.put(trace, 'ck0', this.#ck);
  }

  /** HK2, HK3: th1 = H(th0 || ClientHello); ck1 = Extract(ck0, ss_s || th1). @param {Uint8Array} clientHello @param {Uint8Array} ssS */
  clientHello(clientHello, ssS) {
    this.#th = Kdf.hash(this.#th, clientHello);
    this.#mix(ssS, 'th1', 'ck1');
  }

  /**
   * HK4-HK6: th2 = H(th1 || ServerHello without its confirm); ck2 = Extract(ck1, ss_e || th2);
   * returns server_confirm = HMAC(fk_s, th2).
   * @param {Uint8Array} serverHelloBody @param {Uint8Array} ssE
   */
  serverHello(serverHelloBody, ssE) {
    this.#th = Kdf.hash(this.#th, serverHelloBody);
    this.#mix(ssE, 'th2', 'ck2');
    const fk = Kdf.expand(this.#ck, Labels.HOP_SERVER_FINISHED, HASH_LEN);
    const confirm = Kdf.hmac(fk, this.#th);
    Trace.put(this.#trace, 'fk_s', fk);
    Trace.put(this.#trace, 'server_confirm', confirm);
    wipe(fk);
    return confirm;
  }

  /** HK7, HK8: th3 = H(th2 || server_confirm); returns client_confirm = HMAC(fk_c, th3). @param {Uint8Array} serverConfirm */
  serverConfirmed(serverConfirm) {
    this.#th = Kdf.hash(this.#th, serverConfirm);
    Trace.put(this.#trace, 'th3', this.#th);
    const fk = Kdf.expand(this.#ck, Labels.HOP_CLIENT_FINISHED, HASH_LEN);
    const confirm = Kdf.hmac(fk, this.#th);
    Trace.put(this.#trace, 'fk_c', fk);
    Trace.put(this.#trace, 'client_confirm', confirm);
    wipe(fk);
    return confirm;
  }

  /**
   * HK9, HK10: th4 = H(th3 || client_confirm) = handshake_hash; c2s and s2c traffic secrets.
   * Returns { c2s, s2c, handshakeHash }; the schedule is wiped.
   * @param {Uint8Array} clientConfirm
   */
  finish(clientConfirm) {
    const th4 = Kdf.hash(this.#th, clientConfirm);
    const c2s = Kdf.expand(this.#ck, Labels.HOP_C2S, HASH_LEN);
    const s2c = Kdf.expand(this.#ck, Labels.HOP_S2C, HASH_LEN);
    Trace.put(this.#trace, 'handshake_hash', th4);
    Trace.put(this.#trace, 'c2s_secret', c2s);
    Trace.put(this.#trace, 's2c_secret', s2c);
    this.destroy();
    return { c2s, s2c, handshakeHash: th4 };
  }

  /** @param {Uint8Array} ss @param {string} thName @param {string} ckName */
  #mix(ss, thName, ckName) {
    const ikm = concat(ss, this.#th);
    const next = Kdf.extract(this.#ck, ikm);
    wipe(ikm, this.#ck);
    this.#ck = next;
    Trace.put(this.#trace, thName, this.#th);
    Trace.put(this.#trace, ckName, this.#ck);
  }

  destroy() {
    wipe(this.#ck, this.#th);
  }

  // test-hook:begin
  /** The live chaining key and transcript hash, so tests can check that they were wiped. */
  secretsForTestingOnly() {
    return [this.#ck, this.#th];
  }
  // test-hook:end
}
