// @ts-check
// Room protocol messages (spec/room-protocol.md, "Messages"): the counterpart of pq-crypto's
// dev.hybridge.protocol.RoomCodec. Each hop-record plaintext is exactly one room message.
//
// SECURITY: every length is checked before it is used; no input makes the decoder throw anything
// but a ProtocolError. Envelopes are opaque here as they are to the gateway.

import { ProtocolError } from './errors.js';
import { XWING_PK_LEN } from './primitives.js';
import { PEER_ID_LEN, ROOM_ID_LEN } from './wire.js';

/**
 * One room message, decoded (a discriminated union on `type`; spec/room-protocol.md "Messages").
 * @typedef {{type: 'JOIN', roomId: Uint8Array, publicKey: Uint8Array}
 *   | {type: 'RELAY', to: Uint8Array, envelope: Uint8Array}
 *   | {type: 'LEAVE'}
 *   | {type: 'JOINED', peerId: Uint8Array, peers: {peerId: Uint8Array, publicKey: Uint8Array}[],
 *      iceServers: {urls: string[], username: string, credential: string}[]}
 *   | {type: 'PEER_JOINED', peerId: Uint8Array, publicKey: Uint8Array}
 *   | {type: 'PEER_LEFT', peerId: Uint8Array}
 *   | {type: 'RELAYED', from: Uint8Array, envelope: Uint8Array}
 *   | {type: 'ERROR', code: number, ref: Uint8Array | null}
 *   | {type: 'SLOT_OPEN', publicKey: Uint8Array}
 *   | {type: 'SLOT_JOIN', slot: number, publicKey: Uint8Array}
 *   | {type: 'SLOT_DONE', outcome: 'used' | 'burned'}
 *   | {type: 'SLOT_OPENED', slot: number, sid: Uint8Array, ttl: number}
 *   | {type: 'SLOT_PAIRED', sid: Uint8Array, publicKey: Uint8Array}
 *   | {type: 'SFU_REQUEST', handle: number, txn: Uint8Array, json: Uint8Array}
 *   | {type: 'SFU_EVENT', handle: number, txn: Uint8Array, json: Uint8Array}} RoomMessage
 */

export const RoomType = Object.freeze({
  JOIN: 0x20,
  RELAY: 0x21,
  LEAVE: 0x22,
  SLOT_OPEN: 0x23,
  SLOT_JOIN: 0x24,
  SLOT_DONE: 0x25,
  SFU_REQUEST: 0x28,
  JOINED: 0x30,
  PEER_JOINED: 0x31,
  PEER_LEFT: 0x32,
  RELAYED: 0x33,
  SLOT_OPENED: 0x34,
  SLOT_PAIRED: 0x35,
  SFU_EVENT: 0x38,
  ERROR: 0x3f,
});

export const MAX_MESSAGE = 65536;
export const RELAY_HEADER_LEN = 1 + PEER_ID_LEN;
export const MAX_ENVELOPE = MAX_MESSAGE - RELAY_HEADER_LEN;
/** The CPace sid of a short-code slot (spec/short-codes.md §4.1). */
export const SID_LEN = 16;
/** SFU signaling (spec/sfu.md §2): the two handles, and the txn before the JSON. */
export const SfuHandle = Object.freeze({ PUBLISHER: 1, SUBSCRIBER: 2 });
export const TXN_LEN = 8;
const SFU_HEADER_LEN = 2 + TXN_LEN;

const NAMES = Object.freeze(Object.fromEntries(Object.entries(RoomType).map(([k, v]) => [v, k])));
/** @type {Set<number>} */
const CLIENT_TO_GATEWAY = new Set([
  RoomType.JOIN,
  RoomType.RELAY,
  RoomType.LEAVE,
  RoomType.SLOT_OPEN,
  RoomType.SLOT_JOIN,
  RoomType.SLOT_DONE,
  RoomType.SFU_REQUEST,
]);

export const Direction = Object.freeze({
  CLIENT_TO_GATEWAY: 'client_to_gateway',
  GATEWAY_TO_CLIENT: 'gateway_to_client',
});

const malformed = () => new ProtocolError('MALFORMED_MESSAGE');
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** A bounds-checked cursor: running past the end is MALFORMED_MESSAGE. */
class Reader {
  /** @param {Uint8Array} bytes @param {number} pos */
  constructor(bytes, pos) {
    this.b = bytes;
    this.pos = pos;
  }

  /** @param {number} n */
  bytes(n) {
    if (this.b.length - this.pos < n) throw malformed();
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8() {
    return this.bytes(1)[0];
  }

  string() {
    const len = this.bytes(2);
    const raw = this.bytes((len[0] << 8) | len[1]);
    try {
      return utf8.decode(raw);
    } catch {
      throw malformed();
    }
  }

  end() {
    if (this.pos !== this.b.length) throw malformed();
  }
}

/**
 * Decodes `msg` sent in `direction` (spec/room-protocol.md decoding order): empty → MALFORMED;
 * over 64 KiB → MESSAGE_TOO_LARGE; unknown type → UNKNOWN_MESSAGE; wrong direction →
 * UNEXPECTED_MESSAGE; then the type's own layout → MALFORMED_MESSAGE.
 * @param {unknown} msg @param {string} direction @returns {RoomMessage}
 */
export function decodeRoomMessage(msg, direction) {
  if (!(msg instanceof Uint8Array) || msg.length === 0) throw malformed();
  if (msg.length > MAX_MESSAGE) throw new ProtocolError('MESSAGE_TOO_LARGE');
  const type = msg[0];
  if (!(type in NAMES)) throw new ProtocolError('UNKNOWN_MESSAGE');
  const dir = CLIENT_TO_GATEWAY.has(type)
    ? Direction.CLIENT_TO_GATEWAY
    : Direction.GATEWAY_TO_CLIENT;
  if (dir !== direction) throw new ProtocolError('UNEXPECTED_MESSAGE');
  const r = new Reader(msg, 1);
  const exact = (/** @type {number} */ len) => {
    if (msg.length !== len) throw malformed();
  };
  switch (type) {
    case RoomType.JOIN:
      exact(1 + ROOM_ID_LEN + XWING_PK_LEN);
      return { type: 'JOIN', roomId: r.bytes(ROOM_ID_LEN), publicKey: r.bytes(XWING_PK_LEN) };
    case RoomType.RELAY:
    case RoomType.RELAYED: {
      if (msg.length < RELAY_HEADER_LEN + 1) throw malformed();
      const peer = r.bytes(PEER_ID_LEN);
      const envelope = msg.slice(RELAY_HEADER_LEN);
      return type === RoomType.RELAY
        ? { type: 'RELAY', to: peer, envelope }
        : { type: 'RELAYED', from: peer, envelope };
    }
    case RoomType.LEAVE:
      exact(1);
      return { type: 'LEAVE' };
    case RoomType.JOINED: {
      const peerId = r.bytes(PEER_ID_LEN);
      const peers = [];
      for (let n = r.u8(), i = 0; i < n; i++) {
        peers.push({ peerId: r.bytes(PEER_ID_LEN), publicKey: r.bytes(XWING_PK_LEN) });
      }
      const iceServers = [];
      for (let n = r.u8(), i = 0; i < n; i++) {
        const urlCount = r.u8();
        if (urlCount === 0) throw malformed();
        const urls = [];
        for (let j = 0; j < urlCount; j++) {
          const url = r.string();
          if (url.length === 0) throw malformed();
          urls.push(url);
        }
        iceServers.push({ urls, username: r.string(), credential: r.string() });
      }
      r.end();
      return { type: 'JOINED', peerId, peers, iceServers };
    }
    case RoomType.PEER_JOINED:
      exact(1 + PEER_ID_LEN + XWING_PK_LEN);
      return {
        type: 'PEER_JOINED',
        peerId: r.bytes(PEER_ID_LEN),
        publicKey: r.bytes(XWING_PK_LEN),
      };
    case RoomType.PEER_LEFT:
      exact(1 + PEER_ID_LEN);
      return { type: 'PEER_LEFT', peerId: r.bytes(PEER_ID_LEN) };
    case RoomType.SLOT_OPEN:
      exact(1 + XWING_PK_LEN);
      return { type: 'SLOT_OPEN', publicKey: r.bytes(XWING_PK_LEN) };
    case RoomType.SLOT_JOIN:
      exact(1 + 4 + XWING_PK_LEN);
      return { type: 'SLOT_JOIN', slot: slotNumber(r), publicKey: r.bytes(XWING_PK_LEN) };
    case RoomType.SLOT_DONE:
      exact(2);
      if (msg[1] > 1) throw malformed();
      return { type: 'SLOT_DONE', outcome: msg[1] === 1 ? 'burned' : 'used' };
    case RoomType.SLOT_OPENED: {
      exact(1 + 4 + SID_LEN + 2);
      const slot = slotNumber(r);
      const sid = r.bytes(SID_LEN);
      const ttl = r.bytes(2);
      return { type: 'SLOT_OPENED', slot, sid, ttl: (ttl[0] << 8) | ttl[1] };
    }
    case RoomType.SLOT_PAIRED:
      exact(1 + SID_LEN + XWING_PK_LEN);
      return { type: 'SLOT_PAIRED', sid: r.bytes(SID_LEN), publicKey: r.bytes(XWING_PK_LEN) };
    case RoomType.SFU_REQUEST:
    case RoomType.SFU_EVENT: {
      if (msg.length < SFU_HEADER_LEN + 1) throw malformed();
      const handle = r.u8();
      if (handle !== SfuHandle.PUBLISHER && handle !== SfuHandle.SUBSCRIBER) throw malformed();
      const txn = r.bytes(TXN_LEN);
      // a request's txn is never all zero: 0^8 marks events Janus sent on its own
      if (type === RoomType.SFU_REQUEST && txn.every((b) => b === 0)) throw malformed();
      const json = msg.slice(SFU_HEADER_LEN);
      return {
        type: type === RoomType.SFU_REQUEST ? 'SFU_REQUEST' : 'SFU_EVENT',
        handle,
        txn,
        json,
      };
    }
    case RoomType.ERROR: {
      if (msg.length !== 3 && msg.length !== 3 + PEER_ID_LEN) throw malformed();
      const code = (msg[1] << 8) | msg[2];
      return { type: 'ERROR', code, ref: msg.length === 3 ? null : msg.slice(3) };
    }
    default:
      throw new ProtocolError('UNKNOWN_MESSAGE');
  }
}

/** A slot number, u32 1 .. 2^32 - 1; 0 is MALFORMED_MESSAGE. @param {Reader} r */
function slotNumber(r) {
  const b = r.bytes(4);
  const v = ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
  if (v === 0) throw malformed();
  return v;
}

/** @param {number} slot */
function slotBytes(slot) {
  if (!Number.isInteger(slot) || slot < 1 || slot > 0xffffffff)
    throw new TypeError('slot out of range');
  return [(slot >>> 24) & 0xff, (slot >>> 16) & 0xff, (slot >>> 8) & 0xff, slot & 0xff];
}

/** @param {unknown} bytes @param {number} len @param {string} what @returns {Uint8Array} */
function fixed(bytes, len, what) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== len)
    throw new TypeError(`${what} must be ${len} bytes`);
  return bytes;
}

/** @param {unknown} bytes @returns {Uint8Array} */
function envelope(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_ENVELOPE) {
    throw new TypeError(`envelope must be 1..${MAX_ENVELOPE} bytes`);
  }
  return bytes;
}

/** @param {string} s */
function str(s) {
  const b = utf8Encoder.encode(s);
  if (b.length > 0xffff) throw new TypeError('string over 65535 bytes');
  return [b.length >> 8, b.length & 0xff, ...b];
}

/** Encodes a message object as decodeRoomMessage returns them; a wrong field size is a TypeError (a caller bug). @param {RoomMessage} m @returns {Uint8Array} */
export function encodeRoomMessage(m) {
  /** @type {number[]} */
  const out = [RoomType[/** @type {keyof typeof RoomType} */ (m.type)]];
  if (out[0] === undefined) throw new TypeError(`unknown room message type ${m.type}`);
  const push = (/** @type {Iterable<number>} */ b) => {
    for (const x of b) out.push(x);
  };
  switch (m.type) {
    case 'JOIN':
      push(fixed(m.roomId, ROOM_ID_LEN, 'room id'));
      push(fixed(m.publicKey, XWING_PK_LEN, 'public key'));
      break;
    case 'RELAY':
      push(fixed(m.to, PEER_ID_LEN, 'peer id'));
      push(envelope(m.envelope));
      break;
    case 'RELAYED':
      push(fixed(m.from, PEER_ID_LEN, 'peer id'));
      push(envelope(m.envelope));
      break;
    case 'LEAVE':
      break;
    case 'JOINED':
      push(fixed(m.peerId, PEER_ID_LEN, 'peer id'));
      if (m.peers.length > 255 || m.iceServers.length > 255) throw new TypeError('count over 255');
      out.push(m.peers.length);
      for (const p of m.peers) {
        push(fixed(p.peerId, PEER_ID_LEN, 'peer id'));
        push(fixed(p.publicKey, XWING_PK_LEN, 'public key'));
      }
      out.push(m.iceServers.length);
      for (const s of m.iceServers) {
        if (s.urls.length === 0 || s.urls.length > 255)
          throw new TypeError('an ICE server needs 1..255 URLs');
        out.push(s.urls.length);
        for (const url of s.urls) {
          if (url.length === 0) throw new TypeError('empty ICE URL');
          push(str(url));
        }
        push(str(s.username));
        push(str(s.credential));
      }
      break;
    case 'PEER_JOINED':
      push(fixed(m.peerId, PEER_ID_LEN, 'peer id'));
      push(fixed(m.publicKey, XWING_PK_LEN, 'public key'));
      break;
    case 'PEER_LEFT':
      push(fixed(m.peerId, PEER_ID_LEN, 'peer id'));
      break;
    case 'SLOT_OPEN':
      push(fixed(m.publicKey, XWING_PK_LEN, 'public key'));
      break;
    case 'SLOT_JOIN':
      push(slotBytes(m.slot));
      push(fixed(m.publicKey, XWING_PK_LEN, 'public key'));
      break;
    case 'SLOT_DONE':
      if (m.outcome !== 'used' && m.outcome !== 'burned') throw new TypeError('outcome');
      out.push(m.outcome === 'burned' ? 1 : 0);
      break;
    case 'SLOT_OPENED':
      push(slotBytes(m.slot));
      push(fixed(m.sid, SID_LEN, 'sid'));
      if (!Number.isInteger(m.ttl) || m.ttl < 0 || m.ttl > 0xffff) throw new TypeError('ttl');
      out.push(m.ttl >> 8, m.ttl & 0xff);
      break;
    case 'SLOT_PAIRED':
      push(fixed(m.sid, SID_LEN, 'sid'));
      push(fixed(m.publicKey, XWING_PK_LEN, 'public key'));
      break;
    case 'SFU_REQUEST':
    case 'SFU_EVENT':
      if (m.handle !== SfuHandle.PUBLISHER && m.handle !== SfuHandle.SUBSCRIBER)
        throw new TypeError('handle must be 1 or 2');
      out.push(m.handle);
      push(fixed(m.txn, TXN_LEN, 'txn'));
      if (!(m.json instanceof Uint8Array) || m.json.length === 0) throw new TypeError('empty json');
      push(m.json);
      break;
    case 'ERROR':
      if (!Number.isInteger(m.code) || m.code < 0 || m.code > 0xffff)
        throw new TypeError('error code out of range');
      out.push(m.code >> 8, m.code & 0xff);
      if (m.ref != null) push(fixed(m.ref, PEER_ID_LEN, 'peer id'));
      break;
    default:
      throw new TypeError(`unknown room message type ${/** @type {{type: unknown}} */ (m).type}`);
  }
  if (out.length > MAX_MESSAGE) throw new TypeError(`room message over ${MAX_MESSAGE} bytes`);
  return Uint8Array.from(out);
}
