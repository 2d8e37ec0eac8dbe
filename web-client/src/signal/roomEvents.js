// @ts-check
// What the gateway's room messages mean for a session (spec/room-protocol.md): JOINED (the
// members, our id, the ICE servers), PEER_JOINED and PEER_LEFT (the room view and the peers),
// RELAYED (a peer's envelope), and an ERROR that answers no JOIN (a warning, or nothing).

import { toHex } from '../protocol/bytes.js';
import { errorName } from '../protocol/errors.js';
import { Fingerprint } from '../protocol/fingerprint.js';
import { LOCAL_CODES, SignalError } from './errors.js';

/**
 * @typedef {import('../protocol/roomCodec.js').RoomMessage} RoomMessage
 * @typedef {import('./roomConnection.js').JoinedMessage} JoinedMessage
 * @typedef {import('./events.js').SessionEvents} SessionEvents
 * @typedef {{urls: string[], username?: string, credential?: string}} IceServer
 */

export class RoomEvents {
  #view;
  #table;
  #ownFp;
  #emit;
  #stats;

  /**
   * @param {object} o
   * @param {import('./roomView.js').RoomView} o.view
   * @param {import('./peerTable.js').PeerTable} o.table
   * @param {() => string} o.ownFp our key's fingerprint (hex)
   * @param {<K extends 'warning' | 'members' | 'sfu-event' | 'sfu-error'>(type: K, detail: SessionEvents[K]) => void} o.emit
   * @param {import('./events.js').SessionStats} o.stats
   */
  constructor({ view, table, ownFp, emit, stats }) {
    this.#view = view;
    this.#table = table;
    this.#ownFp = ownFp;
    this.#emit = emit;
    this.#stats = stats;
  }

  /**
   * JOINED, before the state is 'joined': the members (our own id among them); returns the ICE
   * servers. @param {JoinedMessage} msg @returns {IceServer[]}
   */
  joining(msg) {
    this.#view.clear();
    this.#view.set(toHex(msg.peerId), this.#ownFp());
    for (const p of msg.peers)
      this.#view.set(toHex(p.peerId), Fingerprint.toHex(Fingerprint.of(p.publicKey)));
    return msg.iceServers.map(toRtcIceServer);
  }

  /** JOINED, once 'joined': a channel to each member. @param {JoinedMessage} msg */
  joined(msg) {
    // One seat per key: the last listed (join order) is the newest, e.g. a peer that
    // reconnected while its old seat is not yet gone.
    const latest = new Map();
    for (const p of msg.peers) {
      const fp = Fingerprint.toHex(Fingerprint.of(p.publicKey));
      if (fp !== this.#ownFp()) latest.set(fp, p); // our own stale seat: no channel to ourselves
    }
    this.#table.joined(latest);
    this.#view.changed();
    this.#members();
  }

  #members() {
    this.#emit('members', { count: this.#view.members().length });
  }

  /** @param {RoomMessage} msg */
  message(msg) {
    switch (msg.type) {
      case 'PEER_JOINED': {
        const fp = Fingerprint.toHex(Fingerprint.of(msg.publicKey));
        this.#view.set(toHex(msg.peerId), fp);
        if (fp !== this.#ownFp()) this.#table.peerJoined(fp, msg.peerId, msg.publicKey);
        this.#view.changed();
        this.#members();
        break;
      }
      case 'PEER_LEFT': {
        const idHex = toHex(msg.peerId);
        this.#view.delete(idHex);
        this.#table.peerLeft(idHex);
        this.#view.changed();
        this.#members();
        break;
      }
      case 'RELAYED':
        this.#table.relayed(toHex(msg.from), msg.envelope);
        break;
      case 'SFU_EVENT':
        this.#emit('sfu-event', { handle: msg.handle, txn: toHex(msg.txn), json: msg.json });
        break;
      case 'ERROR':
        this.#error(msg);
        break;
      default:
        break; // the decoder accepts only gateway-to-client types
    }
  }

  /** An ERROR that answers no JOIN. @param {Extract<RoomMessage, {type: 'ERROR'}>} msg */
  #error({ code, ref }) {
    const name = errorName(code) ?? LOCAL_CODES.UNKNOWN_FAILURE;
    if (name === 'UNKNOWN_PEER') {
      this.#stats.ignoredEnvelopes++; // the peer just left; its PEER_LEFT is on the way
      return;
    }
    // SFU signaling answers (spec/sfu.md §8): for the SFU client, which shows what the user must see.
    if (name.startsWith('SFU_')) {
      this.#emit('sfu-error', { code: name, txn: ref === null ? null : toHex(ref) });
      return;
    }
    // Not fatal (room-protocol.md: ERROR replies leave the connection open). SHUTTING_DOWN is
    // followed by close 1001, and the reconnection says so.
    if (name !== 'SHUTTING_DOWN') {
      this.#emit('warning', {
        ...new SignalError(name).toJSON(),
        peerId: ref === null ? null : toHex(ref),
      });
    }
  }
}

/** A JOINED ice_server as an RTCIceServer: empty username and credential are omitted (room-protocol.md). @param {{urls: string[], username: string, credential: string}} s */
function toRtcIceServer(s) {
  /** @type {IceServer} */
  const out = { urls: [...s.urls] };
  if (s.username !== '') out.username = s.username;
  if (s.credential !== '') out.credential = s.credential;
  return out;
}
