// @ts-check
// The record layer's format and keys (spec/record-layer.md §1-§3): the record layout and limits,
// the epochs and the per-epoch keys of rekey RK1-RK3, as pq-crypto's RecordFormat.java and
// EpochKeys.java. record.js builds the sealer, the opener and the channel on them.

import { putU64, wipe } from './bytes.js';
import { Kdf } from './kdf.js';
import { Labels } from './labels.js';
import { AES_KEY_LEN, GCM_NONCE_LEN, HASH_LEN, gcmImportKey } from './primitives.js';

/** Record layout and limits (spec/record-layer.md §1, §5). */
export const RecordFormat = Object.freeze({
  /** The record type byte. */
  TYPE: 0x17,
  /** type (1) || seq (8): the header, also the AEAD associated data. */
  HEADER_LEN: 9,
  TAG_LEN: 16,
  /** Largest plaintext of a hop-channel record: one room message. */
  HOP_MAX_PLAINTEXT: 65536,
  /** Largest plaintext of a peer-channel record on the relay: a whole peer record must fit in one hop record. */
  PEER_MAX_PLAINTEXT: 16384,
  /**
   * Largest plaintext of a peer-channel record on the data channel (spec/data-channel.md §2): it
   * never crosses the relay. A peer channel's sealer and opener take this maximum; the relay path
   * refuses more than PEER_MAX_PLAINTEXT itself (peerPaths.js, peerTransport.js).
   */
  PEER_DC_MAX_PLAINTEXT: 65536,
  MIN_RECORD: 25,
  /** Records per key epoch: epoch = seq >> 16. */
  EPOCH_SHIFT: 16,
  REKEY_INTERVAL: 65536,
  /** A direction carries at most this many records (seq 0 .. 2^32 - 1). */
  MAX_RECORDS: 2 ** 32,
  /** The largest record a channel with this plaintext maximum accepts. */
  maxRecord: (/** @type {number} */ maxPlaintext) => 9 + maxPlaintext + 16,
});

/** @param {number} seq */
export function epochOf(seq) {
  return Math.floor(seq / RecordFormat.REKEY_INTERVAL); // seq may exceed 2^31: no >>>
}

/** @param {number} maxPlaintext */
export function checkMaxPlaintext(maxPlaintext) {
  if (
    maxPlaintext !== RecordFormat.HOP_MAX_PLAINTEXT &&
    maxPlaintext !== RecordFormat.PEER_MAX_PLAINTEXT
  ) {
    throw new RangeError('maxPlaintext must be HOP_MAX_PLAINTEXT or PEER_MAX_PLAINTEXT');
  }
}

/**
 * The keys of one direction in one epoch (RK1-RK3). Holds the epoch's traffic secret so it can
 * step to the next epoch, wiping what it leaves behind. The AES key is derived and imported
 * into WebCrypto on first use in an epoch; its raw bytes are wiped once imported.
 */
export class EpochKeys {
  /** @type {Uint8Array} */
  #secret;
  /** @type {Uint8Array} (set by #derive() in the constructor) */
  #iv = new Uint8Array(0);
  /** @type {Promise<CryptoKey> | null} */
  #cryptoKey = null;
  #usage;
  #epoch = 0;

  /** @param {Uint8Array} trafficSecret @param {'encrypt' | 'decrypt'} usage */
  constructor(trafficSecret, usage) {
    if (!(trafficSecret instanceof Uint8Array) || trafficSecret.length !== HASH_LEN) {
      throw new TypeError('traffic secret must be 32 bytes');
    }
    this.#secret = trafficSecret.slice();
    this.#usage = usage;
    this.#derive();
  }

  /** RK2: iv_e now; key_e on first use (async import). */
  #derive() {
    this.#iv = Kdf.expand(this.#secret, Labels.RECORD_IV, GCM_NONCE_LEN);
    this.#cryptoKey = null;
  }

  /** RK1: s_{e+1} = Expand(s_e, RECORD_UPDATE, 32), until the epoch of seq. @param {number} seq */
  advanceTo(seq) {
    const target = epochOf(seq);
    while (this.#epoch < target) {
      const next = Kdf.expand(this.#secret, Labels.RECORD_UPDATE, HASH_LEN);
      wipe(this.#secret, this.#iv);
      this.#secret = next;
      this.#epoch++;
      this.#derive();
    }
  }

  /** RK3: nonce = iv_e XOR (0^32 || seq). @param {number} seq */
  nonce(seq) {
    const n = this.#iv.slice();
    const s = new Uint8Array(8);
    putU64(s, 0, seq);
    for (let i = 0; i < 8; i++) n[4 + i] ^= s[i];
    return n;
  }

  /** RK2: key_e = Expand(s_e, RECORD_KEY, 32), as a non-extractable CryptoKey. */
  cryptoKey() {
    // The promise is kept, not the key: calls made before the import settles share it, and an
    // epoch advanced meanwhile (#derive) starts afresh instead of being overwritten by a late
    // import of the epoch before (records of several epochs may be in flight at once).
    if (this.#cryptoKey === null) {
      const raw = Kdf.expand(this.#secret, Labels.RECORD_KEY, AES_KEY_LEN);
      this.#cryptoKey = gcmImportKey(raw, this.#usage).finally(() => wipe(raw));
    }
    return this.#cryptoKey;
  }

  get epoch() {
    return this.#epoch;
  }

  destroy() {
    wipe(this.#secret, this.#iv);
    this.#cryptoKey = null;
  }

  // test-hook:begin
  secretsForTestingOnly() {
    return [this.#secret, this.#iv];
  }
  // test-hook:end
}

// test-hook:begin
/** Exposes the RK1/RK2 derivations for vectors and cross-implementation debugging. */
export const EpochSecrets = Object.freeze({
  /** { epoch, secret, key, iv } of epoch `epoch` from the traffic secret s_0. @param {Uint8Array} trafficSecret @param {number} epoch */
  deriveForTestingOnly(trafficSecret, epoch) {
    let s = trafficSecret.slice();
    for (let e = 0; e < epoch; e++) s = Kdf.expand(s, Labels.RECORD_UPDATE, HASH_LEN);
    return {
      epoch,
      secret: s,
      key: Kdf.expand(s, Labels.RECORD_KEY, AES_KEY_LEN),
      iv: Kdf.expand(s, Labels.RECORD_IV, GCM_NONCE_LEN),
    };
  },
});
// test-hook:end
