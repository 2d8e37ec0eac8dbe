// @ts-check
// The peer messages that control the room (spec/peer-messages.md §2 and §7): raise hand,
// reactions, mute requests, lock and admission, removal, recording. They travel inside the peer
// channels like every other message: the gateway relays them as opaque records and learns nothing
// of them, and the room's control is enforced by the members' clients, never by the gateway.
//
// peerMessages.js calls roomMessageProblem() for these types; the rules are here so that the
// room control stays in one place (as fileMessages.js does for files).

import { base64UrlDecode } from '../protocol/bytes.js';

/**
 * The room-control messages as the session passes them up.
 * @typedef {{t: 'hand', up: boolean}
 *   | {t: 'react', emoji: string}
 *   | {t: 'mute-ask', id: string}
 *   | {t: 'mute-answer', id: string, ok: boolean}
 *   | {t: 'lock', locked: boolean, ts: number, by: string}
 *   | {t: 'wait'}
 *   | {t: 'admit', fp: string}
 *   | {t: 'remove', fp: string, secret: string}
 *   | {t: 'removed'}
 *   | {t: 'rec', on: boolean}} RoomMessage
 */

/** The reactions a person can send: a fixed set, so a reaction is never free text. */
export const REACTIONS = Object.freeze(['👍', '👏', '😂', '🎉', '❤️', '😮']);

export const ROOM_TYPES = Object.freeze([
  'hand',
  'react',
  'mute-ask',
  'mute-answer',
  'lock',
  'wait',
  'admit',
  'remove',
  'removed',
  'rec',
]);

const HEX16 = /^[0-9a-f]{16}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The rule a room-control message breaks, or null (spec/peer-messages.md §2). `m` is an object
 * whose `t` is one of ROOM_TYPES.
 * @param {any} m @returns {string | null}
 */
export function roomMessageProblem(m) {
  switch (m.t) {
    case 'hand':
      return typeof m.up === 'boolean' ? null : 'hand.up must be a boolean';
    case 'react':
      return REACTIONS.includes(m.emoji)
        ? null
        : `react.emoji must be one of ${REACTIONS.join(' ')}`;
    case 'mute-ask':
      return typeof m.id === 'string' && HEX16.test(m.id)
        ? null
        : 'mute-ask.id must be 16 lowercase hex characters';
    case 'mute-answer':
      if (typeof m.id !== 'string' || !HEX16.test(m.id))
        return 'mute-answer.id must be 16 lowercase hex characters';
      return typeof m.ok === 'boolean' ? null : 'mute-answer.ok must be a boolean';
    case 'lock':
      if (typeof m.locked !== 'boolean') return 'lock.locked must be a boolean';
      if (!Number.isSafeInteger(m.ts) || m.ts < 0)
        return 'lock.ts must be an integer from 0 to 2^53-1 (ms since 1970)';
      return typeof m.by === 'string' && HEX64.test(m.by)
        ? null
        : 'lock.by must be 64 lowercase hex characters';
    case 'admit':
      return typeof m.fp === 'string' && HEX64.test(m.fp)
        ? null
        : 'admit.fp must be 64 lowercase hex characters';
    case 'remove': {
      if (typeof m.fp !== 'string' || !HEX64.test(m.fp))
        return 'remove.fp must be 64 lowercase hex characters';
      const s = typeof m.secret === 'string' ? base64UrlDecode(m.secret) : null;
      return s !== null && s.length === 32
        ? null
        : 'remove.secret must be 32 bytes in base64url without padding';
    }
    case 'rec':
      return typeof m.on === 'boolean' ? null : 'rec.on must be a boolean';
    default:
      return null; // wait, removed: no members
  }
}
