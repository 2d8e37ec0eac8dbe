// @ts-check
// The record layer (spec/record-layer.md): record format, epochs and rekey RK1-RK3, the receive
// checks in their normative order, and terminal failure. One record layer serves hop channels
// (plaintexts up to 65536 bytes) and peer channels (up to 65536 on the data channel; the relay
// path keeps its records to 16384, so that one fits in a relay envelope inside one hop record:
// peerPaths.js), as pq-crypto's record/ package does.
//
// SECURITY caveats:
// - AES-GCM runs in WebCrypto (see primitives.js for why), so seal() and open() return promises.
//   Both halves do their checks and take their seq at call time, in call order, and then run
//   the AEAD of several records side by side (a data channel carries records faster than one
//   WebCrypto round trip each), but give the results out strictly in call order: a seq is never
//   used twice, records come out in seq order, and an opener gives out nothing after a record
//   that failed. Callers should still await each result before acting on it.
// - Any receive failure is terminal: the opener wipes its keys, and every later open() fails
//   with the same code. A sender refusal (RECORD_TOO_LARGE) is local and not terminal.
// - Never copy, persist or restore a sealer: two copies would seal different plaintexts under
//   the same nonce.

import { ProtocolError } from './errors.js';
import { getU64, putU64, wipe } from './bytes.js';
import { EpochKeys, RecordFormat, checkMaxPlaintext } from './epochKeys.js';
import { gcmOpen, gcmSeal } from './primitives.js';

export { RecordFormat } from './epochKeys.js';
// test-hook:begin
export { EpochSecrets } from './epochKeys.js';
// test-hook:end

/**
 * @typedef {object} SealOptions
 * @property {boolean} [owned] the plaintext is given away: not copied, wiped once sealed
 * @property {number} [headroom] bytes left free (zero) in front of the record, at most MAX_HEADROOM
 * @typedef {object} OpenOptions
 * @property {boolean} [owned] the record is given away: not copied (nothing else holds or changes it)
 */

/** The most headroom seal() leaves in front of a record (a data-channel frame's tag needs 8). */
const MAX_HEADROOM = 64;

/**
 * Runs async jobs strictly one after another, in call order; a rejected job does not stop the
 * queue. A job that awaits work started at call time gives results out in call order.
 */
class SerialQueue {
  #tail = Promise.resolve();

  /**
   * @template T
   * @param {() => Promise<T>} job
   * @returns {Promise<T>}
   */
  run(job) {
    const result = this.#tail.then(job);
    this.#tail = result.then(
      () => {},
      () => {},
    );
    return result;
  }
}

/** The sending half of a record channel: one traffic secret, strictly increasing seq. */
export class RecordSealer {
  #keys;
  #maxPlaintext;
  #seq = 0;
  #destroyed = false;
  #queue = new SerialQueue();

  /** @param maxPlaintext RecordFormat.HOP_MAX_PLAINTEXT or RecordFormat.PEER_MAX_PLAINTEXT @param {Uint8Array} trafficSecret @param {number} maxPlaintext */
  constructor(trafficSecret, maxPlaintext) {
    checkMaxPlaintext(maxPlaintext);
    this.#keys = new EpochKeys(trafficSecret, 'encrypt');
    this.#maxPlaintext = maxPlaintext;
  }

  /**
   * Seals plaintext as the next record. Rejects with ProtocolError RECORD_TOO_LARGE over the
   * channel's maximum (no seq is used up, the sealer stays usable) and RECORD_LIMIT_REACHED once
   * 2^32 records were sent (re-handshake). The plaintext is copied at call time.
   *
   * Options, for the data channel's bulk path (a file's chunks): `owned`: the caller gives the
   * plaintext away (nothing else holds or changes it), so it is not copied, and it is wiped once
   * sealed like the sealer's own copy; `headroom`: the record is written at that offset of a
   * larger buffer, whose first `headroom` bytes are left zero for the caller (a data-channel
   * frame's tag), so that the record is not copied again into a frame. The promise resolves to
   * that whole buffer.
   * @param {Uint8Array} plaintext @param {SealOptions} [options] @returns {Promise<Uint8Array>}
   */
  seal(plaintext, { owned = false, headroom = 0 } = {}) {
    if (!(plaintext instanceof Uint8Array))
      return Promise.reject(new TypeError('plaintext must be a Uint8Array'));
    if (!Number.isSafeInteger(headroom) || headroom < 0 || headroom > MAX_HEADROOM)
      return Promise.reject(new RangeError(`headroom must be 0 to ${MAX_HEADROOM}`));
    const sealing = this.#start(owned ? plaintext : plaintext.slice(), headroom);
    sealing.catch(() => {}); // given out below, in order
    return this.#queue.run(async () => {
      const record = await sealing;
      if (this.#destroyed) throw new ProtocolError('UNEXPECTED_MESSAGE'); // nothing after destroy()
      return record;
    });
  }

  /** The checks and the seq now, the AEAD started. @param {Uint8Array} plaintext @param {number} headroom @returns {Promise<Uint8Array>} headroom || record */
  #start(plaintext, headroom) {
    let problem = null;
    if (this.#destroyed) problem = 'UNEXPECTED_MESSAGE';
    else if (plaintext.length > this.#maxPlaintext) problem = 'RECORD_TOO_LARGE';
    else if (this.#seq >= RecordFormat.MAX_RECORDS) problem = 'RECORD_LIMIT_REACHED';
    if (problem !== null) {
      wipe(plaintext);
      return Promise.reject(new ProtocolError(problem));
    }
    const seq = this.#seq;
    this.#keys.advanceTo(seq);
    const header = new Uint8Array(RecordFormat.HEADER_LEN);
    header[0] = RecordFormat.TYPE;
    putU64(header, 1, seq);
    const nonce = this.#keys.nonce(seq);
    this.#seq++; // consumed at call time: a seq is never sealed twice, even if sealing throws
    return this.#keys
      .cryptoKey()
      .then((key) => gcmSeal(key, nonce, header, plaintext))
      .then((body) => {
        const out = new Uint8Array(headroom + RecordFormat.HEADER_LEN + body.length);
        out.set(header, headroom);
        out.set(body, headroom + RecordFormat.HEADER_LEN);
        return out;
      })
      .finally(() => wipe(plaintext));
  }

  /** The seq of the next record. */
  nextSeq() {
    return this.#seq;
  }

  destroy() {
    this.#destroyed = true;
    this.#keys.destroy();
  }

  // test-hook:begin
  secretsForTestingOnly() {
    return this.#keys.secretsForTestingOnly();
  }
  // test-hook:end

  // test-hook:begin
  /**
   * Starts at an arbitrary seq, for vectors that exercise epoch boundaries without sealing 65,536
   * records first. Never used by a real channel.
   * @param {Uint8Array} trafficSecret @param {number} maxPlaintext @param {number} seq
   */
  static startingAtForTestingOnly(trafficSecret, maxPlaintext, seq) {
    const s = new RecordSealer(trafficSecret, maxPlaintext);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('seq');
    s.#seq = seq;
    return s;
  }
  // test-hook:end
}

/**
 * The receiving half of a record channel: accepts exactly the next seq, in order, once. Any
 * failure is terminal: the keys are wiped and every later call fails with the same code.
 */
export class RecordOpener {
  #keys;
  #maxRecord;
  /** records given out (opened, in order) */
  #expected = 0;
  /** records checked and being or been decrypted: the seq the next call must carry */
  #next = 0;
  /** @type {string | null} the code of the earliest failure; every later call fails with it */
  #failed = null;
  /** the index (seq) of the earliest failing record; nothing from it on is given out */
  #failedAt = Infinity;
  #queue = new SerialQueue();

  /** @param maxPlaintext RecordFormat.HOP_MAX_PLAINTEXT or RecordFormat.PEER_MAX_PLAINTEXT @param {Uint8Array} trafficSecret @param {number} maxPlaintext */
  constructor(trafficSecret, maxPlaintext) {
    checkMaxPlaintext(maxPlaintext);
    this.#keys = new EpochKeys(trafficSecret, 'decrypt');
    this.#maxRecord = RecordFormat.maxRecord(maxPlaintext);
  }

  /**
   * Opens the next record, with the checks in the order of spec/record-layer.md §4 (and the
   * 2^32 limit after the replay and order checks, as pq-crypto does). Resolves to the plaintext
   * or rejects with a ProtocolError. The record is copied at call time.
   *
   * The checks before the AEAD run at call time, in call order, and the decryption starts at
   * once: records opened back to back are decrypted side by side in WebCrypto (a data channel
   * delivers them faster than one round trip each). Results are still given out strictly in
   * call order, and none after a failing one: if record n fails, every later record's promise
   * rejects with n's code, whether or not its own decryption succeeded.
   *
   * `owned`: the caller gives the record away (a data-channel message's own buffer, which
   * nothing else holds), so it is not copied.
   * @param {Uint8Array} record @param {OpenOptions} [options] @returns {Promise<Uint8Array>}
   */
  open(record, { owned = false } = {}) {
    if (!(record instanceof Uint8Array))
      return Promise.reject(new TypeError('record must be a Uint8Array'));
    const index = this.#next;
    const opening = this.#start(owned ? record : record.slice(), index);
    opening.catch(() => {}); // handled below, in order
    return this.#queue.run(async () => {
      const plaintext = await opening;
      if (this.#failedAt < index) {
        wipe(plaintext);
        throw new ProtocolError(/** @type {string} */ (this.#failed));
      }
      this.#expected++;
      return plaintext;
    });
  }

  /** The checks, then the decryption started. @param {Uint8Array} record @param {number} index @returns {Promise<Uint8Array>} */
  #start(record, index) {
    if (this.#failed !== null) return Promise.reject(new ProtocolError(this.#failed));
    const check = this.#precheck(record);
    if (check !== null) return Promise.reject(this.#fail(check, index));
    this.#keys.advanceTo(index);
    const key = this.#keys.cryptoKey();
    const nonce = this.#keys.nonce(index);
    this.#next++; // the next call is checked against the next seq, before this one is opened
    const header = record.subarray(0, RecordFormat.HEADER_LEN);
    return key
      .then((k) => gcmOpen(k, nonce, header, record.subarray(RecordFormat.HEADER_LEN)))
      .catch((e) => {
        if (e instanceof ProtocolError) throw this.#fail(e.code, index);
        this.#failedAt = Math.min(this.#failedAt, index);
        this.destroy(); // not a protocol failure (no WebCrypto?): still terminal, but surface the bug
        throw e;
      });
  }

  /** @param {Uint8Array} record @returns {string | null} */
  #precheck(record) {
    if (record.length === 0) return 'MALFORMED_MESSAGE';
    if (record[0] !== RecordFormat.TYPE) return 'UNEXPECTED_MESSAGE';
    if (record.length < RecordFormat.MIN_RECORD) return 'MALFORMED_MESSAGE';
    if (record.length > this.#maxRecord) return 'RECORD_TOO_LARGE';
    // seq is an unsigned 64-bit value: a seq with the top bit set is far ahead, not negative.
    const seq = getU64(record, 1);
    const expected = BigInt(this.#next);
    if (seq < expected) return 'RECORD_REPLAYED';
    if (seq > expected) return 'RECORD_OUT_OF_ORDER';
    // The sender may not go this far; never derive epoch 2^16.
    if (this.#next >= RecordFormat.MAX_RECORDS) return 'RECORD_LIMIT_REACHED';
    return null;
  }

  /** The record at `index` failed with `code`; the earliest failure's code is the channel's. @param {string} code @param {number} index */
  #fail(code, index) {
    if (index < this.#failedAt) {
      this.#failedAt = index;
      this.#failed = code;
    }
    this.#keys.destroy();
    return new ProtocolError(/** @type {string} */ (this.#failed));
  }

  /** The number of records given out so far (the seq of the next, once those in flight are out). */
  expectedSeq() {
    return this.#expected;
  }

  isFailed() {
    return this.#failed !== null;
  }

  /** Ends the opener: nothing more is given out, not even records already being decrypted. */
  destroy() {
    if (this.#failed === null) this.#failed = 'UNEXPECTED_MESSAGE';
    this.#failedAt = -1;
    this.#keys.destroy();
  }

  // test-hook:begin
  secretsForTestingOnly() {
    return this.#keys.secretsForTestingOnly();
  }
  // test-hook:end

  // test-hook:begin
  /** Counterpart of RecordSealer.startingAtForTestingOnly. @param {Uint8Array} trafficSecret @param {number} maxPlaintext @param {number} seq */
  static startingAtForTestingOnly(trafficSecret, maxPlaintext, seq) {
    const o = new RecordOpener(trafficSecret, maxPlaintext);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('seq');
    o.#expected = seq;
    o.#next = seq;
    return o;
  }
  // test-hook:end
}

/**
 * An established, bidirectional record channel: the result of a finished handshake. Holds one
 * sealer, one opener and the handshake hash (public: it names the session, it is not a key).
 * A receive failure ends both directions (spec/record-layer.md §4: "both directions of the
 * channel end, all its keys are wiped"): after open() rejects with a ProtocolError, the sealer
 * is destroyed too and seal() rejects with UNEXPECTED_MESSAGE. (pq-crypto's Channel leaves that
 * to its caller.)
 */
export class Channel {
  #sealer;
  #opener;
  #handshakeHash;

  /** @param {Uint8Array} sendSecret @param {Uint8Array} receiveSecret @param {Uint8Array} handshakeHash @param {number} maxPlaintext */
  constructor(sendSecret, receiveSecret, handshakeHash, maxPlaintext) {
    this.#sealer = new RecordSealer(sendSecret, maxPlaintext);
    this.#opener = new RecordOpener(receiveSecret, maxPlaintext);
    this.#handshakeHash = handshakeHash.slice();
  }

  /** @param {Uint8Array} plaintext @param {SealOptions} [options] @returns {Promise<Uint8Array>} */
  seal(plaintext, options) {
    return this.#sealer.seal(plaintext, options);
  }

  /** @param {Uint8Array} record @param {OpenOptions} [options] @returns {Promise<Uint8Array>} */
  open(record, options) {
    return this.#opener.open(record, options).catch((e) => {
      if (e instanceof ProtocolError) this.#sealer.destroy();
      throw e;
    });
  }

  get sealer() {
    return this.#sealer;
  }

  get opener() {
    return this.#opener;
  }

  /** A copy of the handshake hash (th4). */
  handshakeHash() {
    return this.#handshakeHash.slice();
  }

  /** Wipes both directions' keys; the channel is unusable after. */
  destroy() {
    this.#sealer.destroy();
    this.#opener.destroy();
  }
}
