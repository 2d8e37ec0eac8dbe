// @ts-check
// Peer records on a WebRTC data channel (spec/data-channel.md §2): each data-channel message is
// one frame, `tag (8) || record`, where tag = handshake_hash[0:8] names the peer channel the
// record belongs to (a pair runs a new peer channel after a reconnection, on the same data
// channel). The record is a peer record exactly as on the relay path (spec/record-layer.md §1);
// this codec checks only the frame's length, the record layer checks the rest.

import { ProtocolError } from './errors.js';
import { RecordFormat } from './record.js';

export const DataFrame = Object.freeze({
  /** Bytes of the channel tag in front of every record. */
  TAG_LEN: 8,
  /** The shortest frame: a tag and a one-byte record (the record layer refuses it as MALFORMED_MESSAGE). */
  MIN_FRAME: 9,
  /** The longest frame: a tag and the longest peer record on a data channel. */
  MAX_FRAME: 8 + RecordFormat.maxRecord(RecordFormat.PEER_DC_MAX_PLAINTEXT),
});

/** The tag of the peer channel with handshake hash `handshakeHash` (PK8). @param {Uint8Array} handshakeHash */
export function channelTag(handshakeHash) {
  if (!(handshakeHash instanceof Uint8Array) || handshakeHash.length !== 32)
    throw new TypeError('handshake hash must be 32 bytes');
  return handshakeHash.slice(0, DataFrame.TAG_LEN);
}

/** One frame: `tag || record`. @param {Uint8Array} tag @param {Uint8Array} record */
export function encodeDataFrame(tag, record) {
  if (tag.length !== DataFrame.TAG_LEN) throw new TypeError('tag must be 8 bytes');
  const out = new Uint8Array(tag.length + record.length);
  out.set(tag, 0);
  out.set(record, tag.length);
  return out;
}

/**
 * One frame built in place: `framed` is a record with TAG_LEN bytes of room in front (a record
 * sealed with that headroom); the tag is written there and `framed` returned, with no copy of
 * the record. @param {Uint8Array} tag @param {Uint8Array<ArrayBuffer>} framed
 */
export function frameInPlace(tag, framed) {
  if (tag.length !== DataFrame.TAG_LEN) throw new TypeError('tag must be 8 bytes');
  if (framed.length < DataFrame.MIN_FRAME) throw new RangeError('no record behind the tag room');
  framed.set(tag, 0);
  return framed;
}

/**
 * A received frame as { tag, record } (views into `frame`). Throws ProtocolError
 * MALFORMED_MESSAGE for fewer than 9 bytes, RECORD_TOO_LARGE for more than MAX_FRAME.
 * @param {Uint8Array} frame
 */
export function decodeDataFrame(frame) {
  if (frame.length < DataFrame.MIN_FRAME) throw new ProtocolError('MALFORMED_MESSAGE');
  if (frame.length > DataFrame.MAX_FRAME) throw new ProtocolError('RECORD_TOO_LARGE');
  return {
    tag: frame.subarray(0, DataFrame.TAG_LEN),
    record: frame.subarray(DataFrame.TAG_LEN),
  };
}

/** The seq of a record (bytes 1-8, big-endian), not yet authenticated; null if it is too short. @param {Uint8Array} record */
export function recordSeq(record) {
  if (record.length < RecordFormat.HEADER_LEN) return null;
  return new DataView(record.buffer, record.byteOffset, record.byteLength).getBigUint64(1);
}
