// @ts-check
// The peer messages of file transfer (spec/files.md): five JSON messages whose `t` starts with
// `file`, and the one binary peer message, the file chunk: a record plaintext whose first byte
// is 0x01 (never the first byte of a JSON text), then the transfer id, the chunk's index and the
// raw bytes. Binary, because base64 inside JSON would cost a third more bytes on the data
// channel and a base64 pass on each side (spec/files.md §2).
//
// peerMessages.js calls fileMessageProblem() for the JSON ones and decodeFileChunk() for a
// plaintext that starts with 0x01; the rules are here so that the file code stays in one place.

import { RecordFormat } from '../protocol/record.js';

/**
 * The file messages (spec/files.md §3) as the session passes them up.
 * @typedef {{t: 'file-offer', id: string, name: string, size: number, type: string}
 *   | {t: 'file-accept', id: string}
 *   | {t: 'file-ack', id: string, bytes: number, verified?: boolean}
 *   | {t: 'file-done', id: string, sha256: string}
 *   | {t: 'file-cancel', id: string, reason: string}
 *   | {t: 'file-chunk', id: string, index: number, data: Uint8Array}} FileMessage
 */

/** First byte of a binary file chunk plaintext (spec/files.md §2). */
export const FILE_CHUNK_KIND = 0x01;
/** kind(1) || id(8) || index(4). */
export const FILE_CHUNK_HEADER = 13;
/**
 * The most file bytes one chunk carries: a full data-channel peer record (65536) minus the
 * header. Chunks travel only on the data channel (spec/files.md), where records may be that large.
 */
export const FILE_CHUNK_MAX_DATA = RecordFormat.PEER_DC_MAX_PLAINTEXT - FILE_CHUNK_HEADER;

/** The JSON file messages, and the type the binary chunk is passed up as. */
export const FILE_TYPES = Object.freeze([
  'file-offer',
  'file-accept',
  'file-ack',
  'file-done',
  'file-cancel',
  'file-chunk',
]);

/** Why a transfer ended, as `file-cancel.reason` says it (spec/files.md §3). */
export const CANCEL_REASONS = Object.freeze([
  'cancelled',
  'declined',
  'too-large',
  'busy',
  'failed',
]);

/** Longest file name, in Unicode code points. */
export const MAX_FILE_NAME_CHARS = 255;
/** Longest media type string. */
export const MAX_FILE_TYPE_CHARS = 255;

const HEX16 = /^[0-9a-f]{16}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** @param {string} s */
function chars(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * The rule a JSON file message breaks, or null (spec/files.md §3). `m` is an object with a
 * string `t` that starts with `file`; a `file…` type this client does not know passes (ignored).
 * @param {any} m @returns {string | null}
 */
export function fileMessageProblem(m) {
  if (m.t === 'file-chunk') return 'file-chunk is binary, never JSON';
  if (!FILE_TYPES.includes(m.t)) return null;
  if (typeof m.id !== 'string' || !HEX16.test(m.id))
    return `${m.t}.id must be 16 lowercase hex characters`;
  switch (m.t) {
    case 'file-offer':
      if (typeof m.name !== 'string') return 'file-offer.name must be a string';
      if (chars(m.name) < 1 || chars(m.name) > MAX_FILE_NAME_CHARS)
        return `file-offer.name must have 1 to ${MAX_FILE_NAME_CHARS} characters`;
      if (!Number.isSafeInteger(m.size) || m.size < 0)
        return 'file-offer.size must be an integer from 0 to 2^53-1';
      if (typeof m.type !== 'string' || chars(m.type) > MAX_FILE_TYPE_CHARS)
        return `file-offer.type must be a string of at most ${MAX_FILE_TYPE_CHARS} characters`;
      return null;
    case 'file-ack':
      if (!Number.isSafeInteger(m.bytes) || m.bytes < 0)
        return 'file-ack.bytes must be an integer from 0 to 2^53-1';
      if (m.verified !== undefined && typeof m.verified !== 'boolean')
        return 'file-ack.verified must be a boolean';
      return null;
    case 'file-done':
      if (typeof m.sha256 !== 'string' || !HEX64.test(m.sha256))
        return 'file-done.sha256 must be 64 lowercase hex characters';
      return null;
    case 'file-cancel':
      if (!CANCEL_REASONS.includes(m.reason))
        return `file-cancel.reason must be one of ${CANCEL_REASONS.join(', ')}`;
      return null;
    default:
      return null; // file-accept: the id only
  }
}

/**
 * The plaintext of one chunk: 0x01 || id (8 bytes) || index (u32, big-endian) || data.
 * Throws RangeError for an id that is not 16 hex characters, an index outside u32 or data of
 * 0 or more than FILE_CHUNK_MAX_DATA bytes.
 * @param {string} id @param {number} index @param {Uint8Array} data @returns {Uint8Array}
 */
export function encodeFileChunk(id, index, data) {
  if (!HEX16.test(id)) throw new RangeError('file chunk id must be 16 lowercase hex characters');
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff)
    throw new RangeError('file chunk index must be a u32');
  if (data.length < 1 || data.length > FILE_CHUNK_MAX_DATA)
    throw new RangeError(`file chunk data must be 1 to ${FILE_CHUNK_MAX_DATA} bytes`);
  const out = new Uint8Array(FILE_CHUNK_HEADER + data.length);
  out[0] = FILE_CHUNK_KIND;
  for (let i = 0; i < 8; i++) out[1 + i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  new DataView(out.buffer).setUint32(9, index);
  out.set(data, FILE_CHUNK_HEADER);
  return out;
}

/**
 * A received plaintext that starts with 0x01, as {msg} or {drop: reason}: refused when the first
 * byte is not 0x01, or when the data is not 1 to FILE_CHUNK_MAX_DATA bytes (spec/files.md §2;
 * the reasons are those of test-vectors/file-chunk.json). The data is a view into `bytes` (no
 * copy).
 * @param {Uint8Array} bytes
 * @returns {{msg: {t: 'file-chunk', id: string, index: number, data: Uint8Array}, drop?: undefined} | {drop: string, msg?: undefined}}
 */
export function decodeFileChunk(bytes) {
  if (bytes[0] !== FILE_CHUNK_KIND) return { drop: 'not a file chunk' };
  if (bytes.length <= FILE_CHUNK_HEADER)
    return { drop: `file chunk of ${bytes.length} bytes: at least ${FILE_CHUNK_HEADER + 1}` };
  if (bytes.length > FILE_CHUNK_HEADER + FILE_CHUNK_MAX_DATA)
    return {
      drop: `file chunk of ${bytes.length} bytes: at most ${FILE_CHUNK_HEADER + FILE_CHUNK_MAX_DATA}`,
    };
  let id = '';
  for (let i = 1; i < 9; i++) id += bytes[i].toString(16).padStart(2, '0');
  const index = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(9);
  return { msg: { t: 'file-chunk', id, index, data: bytes.subarray(FILE_CHUNK_HEADER) } };
}
