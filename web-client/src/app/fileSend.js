// @ts-check
// One outgoing file to one person (spec/files.md §4): wait for a direct path, offer, and once
// accepted send the file in binary chunks inside peer records on the data channel, never on the
// gateway relay. The file is sent from slices (File.slice().arrayBuffer()) under three bounds:
// the data channel's bufferedAmount (bufferedAmountLowThreshold / bufferedamountlow), the
// records still being sealed, and the receiver's window (bytes it has not acknowledged).
// Its SHA-256 is WebCrypto's, once per file whatever the number of recipients, computed while
// the chunks go (spec/files.md §4): WebCrypto hashes off the page's main thread, where a
// JavaScript SHA-256 of each slice was the sender's largest cost (measured: bench/README.md).
// DOM-free: fileTransfer.js drives it; tests run it in Node.

import { FILE_CHUNK_MAX_DATA, encodeFileChunk } from '../signal/fileMessages.js';

/** @type {WeakMap<Blob, Promise<string>>} a file -> its SHA-256 (hex), one digest per file */
const digests = new WeakMap();

/**
 * The SHA-256 of `file` as lowercase hex, computed once per file and shared by its transfers.
 * WebCrypto has no streaming digest, so the file is read whole for it: at most the size cap.
 * @param {Blob} file @returns {Promise<string>}
 */
export function fileDigest(file) {
  let d = digests.get(file);
  if (d === undefined) {
    d = file
      .arrayBuffer()
      .then((b) => crypto.subtle.digest('SHA-256', b))
      .then((h) => Array.from(new Uint8Array(h), (x) => x.toString(16).padStart(2, '0')).join(''));
    digests.set(file, d);
    d.catch(() => digests.delete(file)); // a file that could not be read may be tried again
  }
  return d;
}

export const FileSendLimits = Object.freeze({
  /** Bytes sent but not acknowledged by the receiver, at most. */
  WINDOW_BYTES: 8 * 1024 * 1024,
  /** Wait for the data channel's buffer to drain to LOW_WATER when it holds more than this. */
  HIGH_WATER: 1024 * 1024,
  LOW_WATER: 256 * 1024,
  /** Records handed to the sealer and not yet on the data channel, at most. */
  MAX_SEALING: 32,
  /** Chunks read from the file at a time (one slice of 1 MiB). */
  SLICE_CHUNKS: 16,
  /** How long to wait for a direct path (data channel) to the recipient before failing. */
  DIRECT_WAIT_MS: 30_000,
  /** An offer nobody answers (accept or decline) for this long is withdrawn: not sent. */
  OFFER_WAIT_MS: 120_000,
  /** No acknowledgement for this long while sending: the transfer failed. */
  STALL_MS: 30_000,
});

/**
 * @typedef {import('../signal/peerTransport.js').DirectPath} DirectPath
 * @typedef {import('./fileTransfer.js').FileItem} FileItem
 * @typedef {object} SendHost what a sender needs of the transfers
 * @property {(msg: object) => boolean} send a JSON file message to the recipient; false without a channel
 * @property {() => DirectPath | null} direct the recipient's direct path now
 * @property {(item: FileItem) => void} changed the item changed (state or progress)
 * @property {(ms: number) => Promise<void>} sleep
 * @property {number} [directWaitMs] DIRECT_WAIT_MS unless a test shortens it
 * @property {number} [offerWaitMs] OFFER_WAIT_MS unless a test shortens it
 */

/** Ends a send early: the transfer's state and error are already set. */
class Stop extends Error {}

export class FileSender {
  #host;
  #file;
  /** @type {(() => void) | null} wakes the loop (accept, ack, cancel, peer down) */
  #wake = null;
  accepted = false;
  /** @type {boolean | null} the receiver's checksum verdict (file-ack.verified) */
  verified = null;

  /** @param {FileItem} item @param {Blob} file @param {SendHost} host */
  constructor(item, file, host) {
    this.item = item;
    this.#file = file;
    this.#host = host;
  }

  /** Something the loop may wait for happened. */
  wake() {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** @param {number} ms @returns {Promise<boolean>} true if woken, false on the timeout */
  #waitWake(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        if (this.#wake === done) this.#wake = null;
        resolve(false);
      }, ms);
      const done = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.#wake = done;
    });
  }

  get #active() {
    return ['waiting', 'offered', 'sending', 'finishing'].includes(this.item.state);
  }

  /** @param {string} state @param {string | null} [error] */
  #set(state, error = null) {
    this.item.state = state;
    this.item.error = error;
    this.#host.changed(this.item);
  }

  /** @param {string} error */
  #fail(error) {
    if (this.#active) this.#set('failed', error);
    return new Stop(error);
  }

  #check() {
    if (!this.#active) throw new Stop(this.item.state);
  }

  /** Runs the transfer to its end; never rejects (the item says how it ended). */
  async run() {
    try {
      await this.#run();
    } catch (e) {
      if (!(e instanceof Stop)) this.#fail(`internal error: ${/** @type {Error} */ (e)?.name}`);
    }
  }

  async #run() {
    const item = this.item;
    const L = FileSendLimits;
    // 1. A direct path: file bytes never take the gateway relay.
    const until = performance.now() + (this.#host.directWaitMs ?? L.DIRECT_WAIT_MS);
    let direct = this.#host.direct();
    if (direct === null) {
      this.#set('waiting', 'waiting for a direct connection (files never go through the gateway)');
      while ((direct = this.#host.direct()) === null) {
        this.#check();
        if (performance.now() > until)
          throw this.#fail(
            'no direct connection to this person: not sent (files never go through the gateway)',
          );
        await this.#host.sleep(250);
      }
    }
    this.#check();
    // 2. The offer; the receiver accepts, declines, or never answers (the sender can cancel).
    const offer = {
      t: 'file-offer',
      id: item.id,
      name: item.name,
      size: item.size,
      type: item.type,
    };
    if (!this.#host.send(offer)) throw this.#fail('the connection to this person closed');
    this.#set('offered');
    const offerWait = this.#host.offerWaitMs ?? L.OFFER_WAIT_MS;
    const answerBy = performance.now() + offerWait;
    while (!this.accepted) {
      this.#check();
      const left = answerBy - performance.now();
      if (left <= 0) {
        // Withdrawn, so that the receiver's offer ends too (it shows the sender cancelled).
        this.#host.send({ t: 'file-cancel', id: item.id, reason: 'cancelled' });
        throw this.#fail(
          `no answer to the offer in ${Math.ceil(offerWait / 1000)} s: not sent (try again)`,
        );
      }
      await this.#waitWake(left);
    }
    this.#check();
    this.#set('sending');
    // 3. The chunks, while WebCrypto hashes the file (no await yet: it runs alongside).
    const digest = fileDigest(this.#file);
    digest.catch(() => {}); // awaited below; a failure there fails the transfer
    /** @type {Promise<boolean>[]} */
    const sealing = [];
    let index = 0;
    let sent = 0;
    const sliceBytes = FILE_CHUNK_MAX_DATA * L.SLICE_CHUNKS;
    for (let off = 0; off < item.size; off += sliceBytes) {
      const slice = new Uint8Array(await this.#file.slice(off, off + sliceBytes).arrayBuffer());
      this.#check();
      for (let p = 0; p < slice.length; p += FILE_CHUNK_MAX_DATA) {
        // The receiver's window, then the data channel's buffer, then the sealer.
        while (sent - item.bytes >= L.WINDOW_BYTES) {
          this.#check();
          if (!(await this.#waitWake(L.STALL_MS)) && sent - item.bytes >= L.WINDOW_BYTES)
            throw this.#fail('no progress for 30 s: the other side stopped receiving');
        }
        this.#check();
        if (!direct.open()) throw this.#fail('the direct connection to this person closed');
        if (direct.buffered() > L.HIGH_WATER) {
          await direct.drained(L.LOW_WATER);
          this.#check();
        }
        if (sealing.length >= L.MAX_SEALING) {
          const ok = await /** @type {Promise<boolean>} */ (sealing.shift());
          if (!ok) throw this.#fail('the direct connection to this person closed');
          this.#check();
        }
        const data = slice.subarray(p, p + FILE_CHUNK_MAX_DATA);
        sealing.push(direct.send(encodeFileChunk(item.id, index++, data)));
        sent += data.length;
        item.sent = sent;
      }
      this.#host.changed(item);
    }
    for (const s of sealing) {
      if (!(await s)) throw this.#fail('the direct connection to this person closed');
    }
    this.#check();
    // 4. The checksum; the receiver answers with its verdict.
    let sha;
    try {
      sha = await digest;
    } catch {
      throw this.#fail('the file could not be read to check it: not delivered');
    }
    this.#check();
    item.sha256 = sha;
    if (!this.#host.send({ t: 'file-done', id: item.id, sha256: sha }))
      throw this.#fail('the connection to this person closed');
    this.#set('finishing');
    while (this.verified === null) {
      this.#check();
      if (!(await this.#waitWake(L.STALL_MS)) && this.verified === null)
        throw this.#fail('no answer to the checksum for 30 s');
    }
    if (this.verified) this.#set('delivered');
    else throw this.#fail("the other side's SHA-256 did not match: the file is not delivered");
  }
}
