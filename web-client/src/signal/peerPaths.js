// @ts-check
// The two paths of one peer channel (spec/data-channel.md §3): the gateway relay and the data
// channel between the two browsers. Each direction starts on the relay and moves to the data
// channel once, never back. The record layer's one sequence space spans both paths, so the rules
// here keep every record in strict order and never deliver one twice:
//
// - Sender: the next record goes on the data channel once it is open and a record of this
//   channel has come from the peer (so the peer holds this channel and can tell its frames by
//   the tag); from then on every record does.
// - Receiver: the first data-channel frame names the switch point s (its seq). Frames wait
//   (at most MAX_HELD, and MAX_HELD_BYTES) until every relay record before s is opened; then the direction is on the
//   data channel. A relay record at or past s, or any relay record after the switch, is refused:
//   RECORD_REPLAYED below the next expected seq, RECORD_OUT_OF_ORDER otherwise. Like every record
//   failure, that ends the channel.
// - Sizes: a record on the data channel may carry up to PEER_DC_MAX_PLAINTEXT (65536) bytes, one
//   through the relay at most PEER_MAX_PLAINTEXT (16384): a longer relay record is
//   RECORD_TOO_LARGE here, before it is opened (the channel's opener takes the larger maximum).
//
// This object decides only; the caller opens the records it hands back, one after another, and
// calls opened() after each.

import { recordSeq } from '../protocol/dataFrame.js';
import { ProtocolError } from '../protocol/errors.js';
import { RecordFormat } from '../protocol/record.js';

/** Frames held for the relay records before the switch point; more ends the channel. */
export const MAX_HELD = 1024;
/** Bytes of records held so (1024 records of the relay's size); more ends the channel. */
export const MAX_HELD_BYTES = 16 * 1024 * 1024;
/** The longest record the relay path carries. */
export const MAX_RELAY_RECORD = RecordFormat.maxRecord(RecordFormat.PEER_MAX_PLAINTEXT);

export class PeerPaths {
  /** Records of the peer opened so far: the record layer's `expected`. */
  #expected = 0n;
  /** @type {Uint8Array[]} data-channel records waiting for the relay records before the first */
  #held = [];
  #heldBytes = 0;
  /** @type {bigint | null} the seq of the first data-channel record (the switch point) */
  #switchAt = null;

  /** @param {Uint8Array} tag this channel's tag (dataFrame.js channelTag) */
  constructor(tag) {
    this.tag = tag;
    /** Our direction runs on the data channel (for good). */
    this.sendOnDataChannel = false;
    /** The peer's direction runs on the data channel (for good). */
    this.receiveOnDataChannel = false;
    /** Our `path` record, which moves our direction, is on its way (peerTransport.js). */
    this.switching = false;
  }

  /** Both directions on the data channel: the channel no longer needs the gateway. */
  get peerToPeer() {
    return this.sendOnDataChannel && this.receiveOnDataChannel;
  }

  /** True once a record of the peer was opened on this channel. */
  get heardFromPeer() {
    return this.#expected > 0n;
  }

  /**
   * The path of our next record: 'data' or 'relay'.
   * @param {boolean} dataChannelOpen
   * @returns {'data' | 'relay'}
   */
  route(dataChannelOpen) {
    if (!this.sendOnDataChannel && dataChannelOpen && this.heardFromPeer)
      this.sendOnDataChannel = true;
    return this.sendOnDataChannel ? 'data' : 'relay';
  }

  /**
   * A record that came through the gateway: returns it to open, or throws ProtocolError.
   * @param {Uint8Array} record @returns {Uint8Array[]}
   */
  fromRelay(record) {
    if (record.length > MAX_RELAY_RECORD) throw new ProtocolError('RECORD_TOO_LARGE');
    if (this.receiveOnDataChannel || this.#switchAt !== null) {
      const seq = recordSeq(record);
      // Past the switch point only the data channel carries this direction.
      if (
        this.receiveOnDataChannel ||
        seq === null ||
        seq >= /** @type {bigint} */ (this.#switchAt)
      )
        throw new ProtocolError(
          seq !== null && seq < this.#expected ? 'RECORD_REPLAYED' : 'RECORD_OUT_OF_ORDER',
        );
    }
    return [record];
  }

  /**
   * A record that came on the data channel: returns the records to open now, in order (none
   * while relay records before the switch point are missing), or throws ProtocolError.
   * @param {Uint8Array} record @returns {Uint8Array[]}
   */
  fromDataChannel(record) {
    if (this.receiveOnDataChannel) return [record];
    if (this.#held.length >= MAX_HELD || this.#heldBytes + record.length > MAX_HELD_BYTES)
      throw new ProtocolError('RECORD_OUT_OF_ORDER');
    if (this.#switchAt === null) {
      const seq = recordSeq(record);
      if (seq === null) return [record]; // too short: the record layer says MALFORMED_MESSAGE
      if (seq < this.#expected) throw new ProtocolError('RECORD_REPLAYED');
      this.#switchAt = seq;
    }
    this.#held.push(record);
    this.#heldBytes += record.length;
    return this.drain();
  }

  /** The caller opened one record of the peer. */
  opened() {
    this.#expected++;
  }

  /** The held data-channel records, once every record before the switch point is opened. @returns {Uint8Array[]} */
  drain() {
    if (this.#switchAt === null || this.#expected !== this.#switchAt || this.#held.length === 0)
      return [];
    this.receiveOnDataChannel = true;
    const out = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    return out;
  }
}
