// @ts-check
// Peer messages (spec/peer-messages.md §1, §2): one UTF-8 JSON object per peer record, with a
// string member `t`. The same checks run on what we send (a refusal is a SignalError
// INVALID_PEER_MESSAGE that says which rule) and on what we receive (a message that breaks a
// rule is dropped and counted; the channel carries on: the record layer already authenticated
// the bytes, so a bad message is a bug or a newer peer, not an attack on the channel).

import { base64UrlDecode } from '../protocol/bytes.js';
import { RecordFormat } from '../protocol/record.js';
import { LOCAL_CODES, SignalError } from './errors.js';
import {
  FILE_CHUNK_KIND,
  FILE_TYPES,
  decodeFileChunk,
  fileMessageProblem,
} from './fileMessages.js';
import { ROOM_TYPES, roomMessageProblem } from './roomMessages.js';

/**
 * One peer message (a discriminated union on `t`; spec/peer-messages.md §2). A received message
 * of another type is passed on as {t: string} and ignored (§1).
 * @typedef {{t: 'hello', name: string, agent?: string}
 *   | {t: 'view', members: {id: string, fp: string}[]}
 *   | {t: 'sdp', description: RTCSessionDescriptionInit}
 *   | {t: 'ice', candidate: object | null}
 *   | {t: 'key', kid: number, key: string}
 *   | {t: 'tracks', screen: string | null}
 *   | {t: 'media', audio: boolean, video: boolean}
 *   | {t: 'chat', id: string, text: string, kind: 'text' | 'code', ts: number}
 *   | {t: 'ack', id: string}
 *   | {t: 'path'}
 *   | {t: 'sfu-seen'}
 *   | {t: 'keyframe'}
 *   | {t: 'ice-restart'}
 *   | {t: 'bye'}
 *   | DocMessage
 *   | import('./roomMessages.js').RoomMessage
 *   | import('./fileMessages.js').FileMessage} PeerMessage
 * The Live Code pad's messages (spec/live-code.md), checked by app/liveDocWire.js:
 * @typedef {{t: 'doc', u: string, sel?: {a: string, h: string} | null}
 *   | {t: 'doc-part', id: string, i: number, n: number, u: string}
 *   | {t: 'doc-sync', sv: string}
 *   | {t: 'doc-have', sv: string}
 *   | {t: 'doc-aware', sel: {a: string, h: string} | null}} DocMessage
 */

export const PeerLimits = Object.freeze({
  /** Largest plaintext of a peer record (spec/record-layer.md §5): one message. */
  MAX_MESSAGE_BYTES: RecordFormat.PEER_MAX_PLAINTEXT,
  /** hello.name: 1 to 64 characters (Unicode code points). */
  MAX_NAME_CHARS: 64,
  /** chat.text: at most 8000 characters (Unicode code points). */
  MAX_CHAT_CHARS: 8000,
  /** view.members: at most this many entries (room capacity is at most 32; stale seats may add some). */
  MAX_VIEW_MEMBERS: 64,
});

/** Peer message types this client understands; others are ignored (spec/peer-messages.md §1). */
export const KNOWN_TYPES = Object.freeze(
  new Set([
    ...['hello', 'view', 'sdp', 'ice', 'key', 'tracks', 'chat', 'ack', 'path', 'bye'],
    'media', // microphone and camera on or off: app/mediaPresence.js
    'sfu-seen', // the sender decodes our feed through the SFU: app/sfuSwitch.js
    'keyframe', // the sender asks a key frame of our SFU video layers: app/sfuMedia.js
    'ice-restart', // the (polite) sender asks us to restart ICE: app/mediaConnection.js
    ...['doc', 'doc-part', 'doc-sync', 'doc-have', 'doc-aware'], // the pad: spec/live-code.md
    ...FILE_TYPES, // files: spec/files.md
    ...ROOM_TYPES, // room control: spec/peer-messages.md §8
  ]),
);

/** Message types the session sends itself; the app sends the others. */
export const SESSION_TYPES = Object.freeze(new Set(['hello', 'view', 'path', 'bye']));

const HEX16 = /^[0-9a-f]{16}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** @param {string} s */
function chars(s) {
  let n = 0;
  for (const _ of s) n++; // code points, so an emoji is one character as people count it
  return n;
}

const isObject = (/** @type {unknown} */ v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The rule a message breaks, as a short English phrase, or null if it follows spec/peer-messages.md
 * §2. Unknown types pass (receivers ignore them; spec §1).
 * @param {any} m a parsed JSON value (checked here) @returns {string | null}
 */
export function peerMessageProblem(m) {
  if (!isObject(m)) return 'a peer message must be a JSON object';
  if (typeof m.t !== 'string') return 'a peer message needs a string member t';
  switch (m.t) {
    case 'hello':
      if (typeof m.name !== 'string') return 'hello.name must be a string';
      if (chars(m.name) < 1 || chars(m.name) > PeerLimits.MAX_NAME_CHARS) {
        return `hello.name must have 1 to ${PeerLimits.MAX_NAME_CHARS} characters`;
      }
      if (m.agent !== undefined && typeof m.agent !== 'string')
        return 'hello.agent must be a string';
      return null;
    case 'view':
      if (!Array.isArray(m.members)) return 'view.members must be an array';
      if (m.members.length > PeerLimits.MAX_VIEW_MEMBERS)
        return 'view.members has too many entries';
      for (const e of m.members) {
        if (
          !isObject(e) ||
          typeof e.id !== 'string' ||
          !HEX16.test(e.id) ||
          typeof e.fp !== 'string' ||
          !HEX64.test(e.fp)
        ) {
          return 'view.members entries must be {id: 16 hex, fp: 64 hex}';
        }
      }
      return null;
    case 'sdp': {
      const d = m.description;
      if (!isObject(d) || !['offer', 'answer', 'rollback'].includes(d.type))
        return 'sdp.description.type must be offer, answer or rollback';
      if (d.type !== 'rollback' && typeof d.sdp !== 'string')
        return 'sdp.description.sdp must be a string';
      if (d.sdp !== undefined && typeof d.sdp !== 'string')
        return 'sdp.description.sdp must be a string';
      return null;
    }
    case 'ice':
      if (m.candidate !== null && !isObject(m.candidate))
        return 'ice.candidate must be an object or null';
      return null;
    case 'key': {
      if (!Number.isSafeInteger(m.kid) || m.kid < 0)
        return 'key.kid must be an integer from 0 to 2^53-1';
      const k = typeof m.key === 'string' ? base64UrlDecode(m.key) : null;
      if (k === null || k.length !== 32)
        return 'key.key must be 32 bytes in base64url without padding';
      return null;
    }
    case 'tracks':
      if (m.screen !== null && typeof m.screen !== 'string')
        return 'tracks.screen must be a string or null';
      return null;
    case 'media':
      if (typeof m.audio !== 'boolean') return 'media.audio must be true or false';
      if (typeof m.video !== 'boolean') return 'media.video must be true or false';
      return null;
    case 'chat':
      if (typeof m.id !== 'string' || !HEX16.test(m.id))
        return 'chat.id must be 16 lowercase hex characters';
      if (typeof m.text !== 'string') return 'chat.text must be a string';
      if (chars(m.text) > PeerLimits.MAX_CHAT_CHARS)
        return `chat.text must have at most ${PeerLimits.MAX_CHAT_CHARS} characters`;
      if (m.kind !== 'text' && m.kind !== 'code') return 'chat.kind must be "text" or "code"';
      if (!Number.isSafeInteger(m.ts)) return 'chat.ts must be an integer (ms since 1970)';
      return null;
    case 'ack':
      if (typeof m.id !== 'string' || !HEX16.test(m.id))
        return 'ack.id must be 16 lowercase hex characters';
      return null;
    case 'path':
    case 'bye':
    case 'sfu-seen':
    case 'keyframe':
    case 'ice-restart':
      return null;
    default:
      if (ROOM_TYPES.includes(m.t)) return roomMessageProblem(m); // §7
      return m.t.startsWith('file') ? fileMessageProblem(m) : null; // spec/files.md
  }
}

/**
 * The record plaintext of a message we send. Throws SignalError INVALID_PEER_MESSAGE with the
 * broken rule as its message (including a size over 16384 bytes).
 * @param {unknown} m @returns {Uint8Array}
 */
export function encodePeerMessage(m) {
  const problem = peerMessageProblem(m);
  if (problem !== null)
    throw new SignalError(LOCAL_CODES.INVALID_PEER_MESSAGE, `peer message refused: ${problem}`);
  let json;
  try {
    json = JSON.stringify(m);
  } catch {
    throw new SignalError(
      LOCAL_CODES.INVALID_PEER_MESSAGE,
      'peer message refused: not serialisable as JSON',
    );
  }
  const bytes = encoder.encode(json);
  if (bytes.length > PeerLimits.MAX_MESSAGE_BYTES) {
    throw new SignalError(
      LOCAL_CODES.INVALID_PEER_MESSAGE,
      `peer message refused: ${bytes.length} bytes of JSON, more than the ${PeerLimits.MAX_MESSAGE_BYTES} bytes a peer record holds`,
    );
  }
  return bytes;
}

/**
 * A received record plaintext as { msg } or { drop: reason }. Unknown types are returned (the
 * caller ignores them); everything else that breaks a rule is a drop.
 * @param {Uint8Array} bytes @returns {{msg: PeerMessage, drop?: undefined} | {drop: string, msg?: undefined}}
 */
export function decodePeerMessage(bytes) {
  if (bytes[0] === FILE_CHUNK_KIND) return decodeFileChunk(bytes); // binary (spec/files.md §2)
  // JSON messages keep the relay's size on both paths; only a file chunk uses a data-channel
  // record's larger maximum.
  if (bytes.length > PeerLimits.MAX_MESSAGE_BYTES)
    return {
      drop: `peer message of ${bytes.length} bytes: JSON at most ${PeerLimits.MAX_MESSAGE_BYTES}`,
    };
  let m;
  try {
    m = JSON.parse(decoder.decode(bytes));
  } catch {
    return { drop: 'not UTF-8 JSON' };
  }
  const problem = peerMessageProblem(m);
  return problem === null ? { msg: m } : { drop: problem };
}

/** A random chat id: 16 lowercase hex characters. */
export function newChatId() {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
