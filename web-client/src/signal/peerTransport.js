// @ts-check
// How the records of an established peer channel travel (spec/data-channel.md): through the
// gateway (RELAY envelopes) or on the RTCDataChannel between the two browsers, as the channel's
// PeerPaths decide. Either way they are the same sealed peer records; what arrives is opened in
// strict order on the peer's queue, and passed up as plaintext (in the steady state on the data
// channel, decryption starts on arrival: #openEarly). The table (peerTable.js) keeps the
// lifecycle; this file only moves and opens records.
//
// SECURITY: a data-channel frame can only come from the peer (DTLS, whose fingerprints the peer
// channel authenticated); it still passes every record-layer check. A frame whose tag names no
// current channel is dropped and counted (a record of a channel just replaced), never opened.

import { constantTimeEquals } from '../protocol/bytes.js';
import { DataFrame, decodeDataFrame, frameInPlace } from '../protocol/dataFrame.js';
import { RecordFormat } from '../protocol/record.js';
import { SignalError } from './errors.js';
import { PeerChannelState } from './peerChannel.js';
import { encodePeerMessage } from './peerMessages.js';

/**
 * @typedef {import('./peerState.js').PeerEntry} PeerEntry
 * @typedef {import('./peerChannel.js').PeerChannel} PeerChannel
 * @typedef {import('./events.js').SessionStats} SessionStats
 * @typedef {object} TransportHost
 * @property {(to: Uint8Array, record: Uint8Array) => Promise<boolean>} relay a RELAY, false if not joined
 * @property {(entry: PeerEntry, channel: PeerChannel, plaintext: Uint8Array) => void} plaintext one opened record
 * @property {(entry: PeerEntry, channel: PeerChannel, code: string) => void} failed the channel failed with `code`
 * @property {(entry: PeerEntry) => void} dataChannelClosed the entry's data channel closed
 *
 * @typedef {object} DirectPath our direction of one channel on its open data channel (files)
 * @property {(bytes: Uint8Array) => Promise<boolean>} send like send(), but only on this channel and never on the relay; takes `bytes` (not copied, wiped once sealed)
 * @property {() => boolean} open still this channel, on its open data channel
 * @property {() => number} buffered the data channel's bufferedAmount
 * @property {(low: number) => Promise<void>} drained resolves once bufferedAmount is at most `low` (or the data channel closed)
 */

/**
 * The entry's channel runs peer to peer (both directions on the data channel, which is open):
 * it does not need the gateway (spec/data-channel.md §4).
 * @param {PeerEntry} entry
 */
export function runsPeerToPeer(entry) {
  return (
    entry.channel !== null &&
    entry.channel.established &&
    entry.channel.paths?.peerToPeer === true &&
    entry.dataChannel?.readyState === 'open'
  );
}

/** How long leave() waits at most for the data channels to hand over their last records (the byes). */
const FLUSH_MS = 1000;

export class PeerTransport {
  #host;
  #stats;
  /** @type {WeakSet<PeerChannel>} channels whose records stopped being passed up (ended, failed, said bye) */
  #stopped = new WeakSet();

  /** @param {TransportHost} host @param {SessionStats} stats */
  constructor(host, stats) {
    this.#host = host;
    this.#stats = stats;
  }

  /**
   * Seals one peer record on the entry's current channel and sends it on the channel's path;
   * resolves to whether it was handed on; never rejects. `owned`: the caller gives `bytes` away
   * (not copied, wiped once sealed: a file's chunks).
   * @param {PeerEntry} entry @param {Uint8Array} bytes @param {boolean} [owned] @returns {Promise<boolean>}
   */
  send(entry, bytes, owned = false) {
    const channel = entry.channel;
    if (channel === null || !channel.established) return Promise.resolve(false);
    // A record over the relay's maximum only once our direction is on the data channel for good
    // (spec/data-channel.md §3): refused here, before a seq is used, never sent on the relay.
    if (bytes.length > RecordFormat.PEER_MAX_PLAINTEXT && channel.paths?.sendOnDataChannel !== true)
      return Promise.resolve(false);
    // Seals complete in call order, so the path is chosen in seq order too. The record is sealed
    // with room for a data-channel frame's tag in front, so that it is not copied into a frame.
    return channel.seal(bytes, { owned, headroom: DataFrame.TAG_LEN }).then(
      (framed) => {
        if (entry.channel !== channel || channel.paths === null) return false;
        const dc = entry.dataChannel;
        if (channel.paths.route(dc?.readyState === 'open') === 'relay')
          return this.#host.relay(channel.remoteId, framed.subarray(DataFrame.TAG_LEN));
        try {
          /** @type {RTCDataChannel} */ (dc).send(
            frameInPlace(channel.paths.tag, /** @type {Uint8Array<ArrayBuffer>} */ (framed)),
          );
          return true;
        } catch {
          // The data channel closed under us: this seq is lost, so the channel cannot go on.
          this.#host.failed(entry, channel, 'CONNECTION_LOST');
          return false;
        }
      },
      () => false, // a sealer refusal ends only this send (RECORD_LIMIT_REACHED would need a new handshake)
    );
  }

  /**
   * Our direction of the entry's current channel as a direct path, or null unless it runs on the
   * open data channel (spec/files.md: file bytes never take the relay). Its records still go
   * through send(), so they are sealed and sent in seq order with everything else; a direction
   * on the data channel never moves back, and a replaced channel makes send() false.
   * @param {PeerEntry} entry @returns {DirectPath | null}
   */
  direct(entry) {
    const channel = entry.channel;
    const dc = entry.dataChannel;
    if (channel === null || !channel.established || !channel.paths?.sendOnDataChannel) return null;
    if (dc === null || dc.readyState !== 'open') return null;
    const open = () =>
      entry.channel === channel && entry.dataChannel === dc && dc.readyState === 'open';
    return {
      open,
      send: (bytes) => (open() ? this.send(entry, bytes, true) : Promise.resolve(false)),
      buffered: () => dc.bufferedAmount,
      drained: (low) => {
        if (dc.readyState !== 'open' || dc.bufferedAmount <= low) return Promise.resolve();
        return new Promise((resolve) => {
          const done = () => {
            dc.removeEventListener('bufferedamountlow', done);
            dc.removeEventListener('close', done);
            resolve();
          };
          dc.bufferedAmountLowThreshold = low;
          dc.addEventListener('bufferedamountlow', done);
          dc.addEventListener('close', done);
        });
      },
    };
  }

  /**
   * A RELAYED envelope on an established channel (on the peer's queue).
   * @param {PeerEntry} entry @param {PeerChannel} channel @param {Uint8Array} envelope
   */
  async relayed(entry, channel, envelope) {
    const paths = /** @type {import('./peerPaths.js').PeerPaths} */ (channel.paths);
    let records;
    try {
      records = paths.fromRelay(envelope);
    } catch (e) {
      this.#fail(entry, channel, e);
      return;
    }
    await this.#open(entry, channel, records);
  }

  /**
   * The app's data channel to this peer (one per RTCPeerConnection, kept across peer channels).
   * @param {PeerEntry} entry @param {RTCDataChannel} dc
   */
  attach(entry, dc) {
    entry.dataChannel = dc;
    dc.binaryType = 'arraybuffer';
    dc.addEventListener('message', (e) => {
      if (entry.dataChannel !== dc || !(e.data instanceof ArrayBuffer)) return;
      const frame = new Uint8Array(e.data);
      const early = this.#openEarly(entry, frame);
      if (early !== null) {
        entry.queue = entry.queue.then(() => this.#deliver(entry, early.channel, early.opening));
        return;
      }
      entry.slowFrames++;
      entry.queue = entry.queue.then(async () => {
        try {
          await this.#frame(entry, frame);
        } finally {
          entry.slowFrames--;
        }
      });
    });
    dc.addEventListener('open', () => this.#switch(entry));
    dc.addEventListener('close', () => {
      if (entry.dataChannel !== dc) return;
      entry.dataChannel = null;
      entry.queue = entry.queue.then(() => this.#host.dataChannelClosed(entry));
    });
  }

  /** Resolves once every data channel of `entries` has sent what it buffered (at most FLUSH_MS). @param {Iterable<PeerEntry>} entries */
  async flush(entries) {
    const end = performance.now() + FLUSH_MS;
    for (const entry of entries) {
      const dc = entry.dataChannel;
      while (dc?.readyState === 'open' && dc.bufferedAmount > 0 && performance.now() < end)
        await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Moves our direction of the entry's channel onto the data channel once it can (open, and the
   * peer heard from): a `path` record, the first on the data channel (spec/data-channel.md §3).
   * @param {PeerEntry} entry
   */
  #switch(entry) {
    const paths = entry.channel?.established ? entry.channel.paths : null;
    if (paths === null || paths.switching || entry.dataChannel?.readyState !== 'open') return;
    if (!paths.heardFromPeer) return; // the peer may not hold this channel yet
    paths.switching = true;
    this.send(entry, encodePeerMessage({ t: 'path' }));
  }

  /**
   * The steady state (the peer's direction runs on the data channel, and no frame before this one
   * is still waiting on the slow path): the record's checks run and its decryption starts now, on
   * arrival, instead of after the records before it were passed up. The record layer gives the
   * results out in order (record.js), and #deliver passes them up in queue order; a file's
   * chunks are then decrypted side by side instead of one WebCrypto round trip each.
   * @param {PeerEntry} entry @param {Uint8Array} bytes
   * @returns {{channel: PeerChannel, opening: Promise<Uint8Array>} | null} null: take the slow path
   */
  #openEarly(entry, bytes) {
    const channel = entry.channel;
    if (entry.slowFrames > 0 || channel === null || !channel.established) return null;
    if (channel.paths === null || !channel.paths.receiveOnDataChannel) return null;
    let frame;
    try {
      frame = decodeDataFrame(bytes);
    } catch {
      return null;
    }
    if (!constantTimeEquals(frame.tag, channel.paths.tag)) return null;
    // frame.record views the message event's own buffer, which nothing else holds: no copy.
    const opening = channel.openRecord(frame.record, { owned: true });
    opening.catch(() => {}); // handled in #deliver, in order
    return { channel, opening };
  }

  /** Passes up one record opened by #openEarly, in queue order. @param {PeerEntry} entry @param {PeerChannel} channel @param {Promise<Uint8Array>} opening */
  async #deliver(entry, channel, opening) {
    if (entry.channel !== channel || this.#stopped.has(channel)) {
      this.#stats.ignoredFrames++; // as #frame does for a channel replaced or ended meanwhile
      return;
    }
    let plaintext;
    try {
      plaintext = await opening;
    } catch (e) {
      if (this.#stopped.has(channel) || channel.state === PeerChannelState.CLOSED) {
        this.#stopped.add(channel); // closed (left, bye, replaced): its keys are gone, nothing failed
        this.#stats.ignoredFrames++;
      } else this.#fail(entry, channel, e);
      return;
    }
    /** @type {import('./peerPaths.js').PeerPaths} */ (channel.paths).opened();
    if (entry.channel !== channel) return;
    this.#switch(entry);
    this.#host.plaintext(entry, channel, plaintext);
    if (channel.ended || entry.channel !== channel) this.#stopped.add(channel); // e.g. its bye
  }

  /** @param {PeerEntry} entry @param {Uint8Array} bytes */
  async #frame(entry, bytes) {
    let frame;
    try {
      frame = decodeDataFrame(bytes);
    } catch {
      this.#stats.ignoredFrames++; // not a frame at all: nothing to open
      return;
    }
    const channel = entry.channel;
    if (
      channel === null ||
      !channel.established ||
      channel.paths === null ||
      !constantTimeEquals(frame.tag, channel.paths.tag)
    ) {
      this.#stats.ignoredFrames++; // a channel that was replaced or failed: its records mean nothing now
      return;
    }
    let records;
    try {
      // frame.record views the message event's own buffer, which nothing else holds: no copy.
      records = channel.paths.fromDataChannel(frame.record);
    } catch (e) {
      this.#fail(entry, channel, e);
      return;
    }
    await this.#open(entry, channel, records);
  }

  /** Opens `records` in order, then whatever they release from the data channel. @param {PeerEntry} entry @param {PeerChannel} channel @param {Uint8Array[]} records */
  async #open(entry, channel, records) {
    const paths = /** @type {import('./peerPaths.js').PeerPaths} */ (channel.paths);
    for (let batch = records; batch.length > 0; batch = paths.drain()) {
      // Every record of the batch starts opening now, in order (the record layer checks each seq
      // at call time). Once drain() has put the peer's direction on the data channel, a frame
      // that arrives while these are decrypted is opened on arrival (#openEarly), so it must
      // find them all started; opening them one after another let it jump ahead of the rest:
      // RECORD_OUT_OF_ORDER, and the pair was lost (seen after a gateway restart).
      const openings = batch.map((record) => channel.openRecord(record));
      for (const opening of openings) opening.catch(() => {}); // handled below, in order
      for (const opening of openings) {
        let plaintext;
        try {
          plaintext = await opening;
        } catch (e) {
          this.#fail(entry, channel, e);
          return;
        }
        paths.opened();
        if (entry.channel !== channel) return;
        this.#switch(entry);
        this.#host.plaintext(entry, channel, plaintext);
        if (channel.ended || entry.channel !== channel) {
          this.#stopped.add(channel); // e.g. its bye
          return;
        }
      }
    }
  }

  /** @param {PeerEntry} entry @param {PeerChannel} channel @param {unknown} e */
  #fail(entry, channel, e) {
    this.#stopped.add(channel);
    const code = SignalError.from(e, 'UNEXPECTED_MESSAGE').code;
    channel.fail(code);
    if (entry.channel === channel) this.#host.failed(entry, channel, code);
  }
}
