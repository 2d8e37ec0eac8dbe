// @ts-check
// The session's peers: one PeerEntry per remote per-session key (peerState.js), found by key
// fingerprint and by current peer id, driven by the room messages and the envelopes of
// spec/room-protocol.md and the peer handshake of spec/peer-handshake.md. The later joiner
// initiates, the others respond; a peer that reconnects keeps its Peer (spec/peer-messages.md §5).
//
// SECURITY:
// - A failure of one peer channel fails that peer only; other peers are not disturbed.
// - Event details carry no secret: codes, readable messages, public ids and fingerprints.

import { toHex } from '../protocol/bytes.js';
import { SignalError, describeError } from './errors.js';
import { PeerChannel } from './peerChannel.js';
import { KNOWN_TYPES, decodePeerMessage, encodePeerMessage } from './peerMessages.js';
import { PeerEntry, PeerPhase } from './peerState.js';
import { PeerTransport } from './peerTransport.js';

/**
 * @typedef {import('./peerState.js').Peer} Peer
 * @typedef {import('./roomView.js').RoomView} RoomView
 * @typedef {import('./events.js').SessionEvents} SessionEvents
 * @typedef {import('./events.js').SessionStats} SessionStats
 * @typedef {import('./peerMessages.js').PeerMessage} PeerMessage
 * @typedef {import('./peerChannel.js').ChannelContext} ChannelContext
 * @typedef {object} PeerTableHost what the table needs of its session
 * @property {<K extends keyof SessionEvents>(type: K, detail: SessionEvents[K]) => void} emit
 * @property {(to: Uint8Array, envelope: Uint8Array) => Promise<boolean>} relay a RELAY, false if not joined
 * @property {(remoteId: Uint8Array, remoteKey: Uint8Array) => ChannelContext} context for a new PeerChannel
 */

/** Gone peers kept for recognition by key fingerprint (a peer that comes back is the same Peer). */
const MAX_GONE_PEERS = 32;

export class PeerTable {
  /** @type {Map<string, PeerEntry>} key fp hex -> entry */
  #entries = new Map();
  /** @type {Map<string, PeerEntry>} current id hex (of its channel or candidate) -> entry */
  #byId = new Map();
  /** @type {Map<string, Peer>} key fp hex -> Peer: the app's view of #entries */
  #peers = new Map();
  #host;
  #view;
  #name;
  #agent;
  #handshakeTimeoutMs;
  #helloTimeoutMs;
  #now;
  #stats;
  #transport;

  /**
   * @param {object} o
   * @param {PeerTableHost} o.host
   * @param {RoomView} o.view
   * @param {string} o.name our display name (hello)
   * @param {string} o.agent hello.agent
   * @param {number} o.handshakeTimeoutMs spec/peer-handshake.md §8
   * @param {number} o.helloTimeoutMs 'peer-up' without a hello after this
   * @param {() => number} o.now the session clock (ms)
   * @param {SessionStats} o.stats counters, shared with the session
   */
  constructor({ host, view, name, agent, handshakeTimeoutMs, helloTimeoutMs, now, stats }) {
    this.#host = host;
    this.#view = view;
    this.#name = name;
    this.#agent = agent;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    this.#helloTimeoutMs = helloTimeoutMs;
    this.#now = now;
    this.#stats = stats;
    this.#transport = new PeerTransport(
      {
        relay: (to, record) => host.relay(to, record),
        plaintext: (entry, channel, plaintext) => this.#plaintext(entry, channel, plaintext),
        failed: (entry, channel, code) => this.#failed(entry, channel, code),
        dataChannelClosed: (entry) => this.#dataChannelClosed(entry),
      },
      stats,
    );
  }

  /** Every peer seen in this call, including failed and gone ones. */
  get peers() {
    return this.#peers;
  }

  /** The entry of `keyFp` if its channel is established, else null. @param {string} keyFp */
  established(keyFp) {
    const entry = this.#entries.get(keyFp);
    return entry !== undefined && entry.channel?.established ? entry : null;
  }

  /** One record to every established channel; resolves to how many were handed on. @param {Uint8Array} bytes */
  sendToAll(bytes) {
    const sends = [];
    for (const entry of this.#entries.values()) {
      if (entry.channel?.established) sends.push(this.send(entry, bytes));
    }
    return Promise.all(sends).then((sent) => sent.filter(Boolean).length);
  }

  /**
   * Seals one peer record on the entry's current channel and sends it on its path (relay or
   * data channel, peerTransport.js); never rejects.
   * @param {PeerEntry} entry @param {Uint8Array} bytes @returns {Promise<boolean>}
   */
  send(entry, bytes) {
    return this.#transport.send(entry, bytes);
  }

  /**
   * The app's data channel to the peer with key `keyFp` (spec/data-channel.md): its records take
   * it once it is open. @param {string} keyFp @param {RTCDataChannel} dc
   */
  attachDataChannel(keyFp, dc) {
    const entry = this.#entries.get(keyFp);
    if (entry !== undefined) this.#transport.attach(entry, dc);
  }

  /** True while some peer's channel runs peer to peer (both directions on the data channel). */
  get peerToPeer() {
    for (const entry of this.#entries.values()) if (this.#keepsWithoutGateway(entry)) return true;
    return false;
  }

  /**
   * The paths of the peer's current channel: {send, receive}, each 'relay' or 'data', or null
   * without an established channel. @param {string} keyFp
   */
  pathsOf(keyFp) {
    const paths = this.established(keyFp)?.channel?.paths;
    if (!paths) return null;
    return {
      send: paths.sendOnDataChannel ? 'data' : 'relay',
      receive: paths.receiveOnDataChannel ? 'data' : 'relay',
    };
  }

  /** Waits (briefly) until the data channels have sent what they buffered, e.g. the byes. */
  flush() {
    return this.#transport.flush(this.#entries.values());
  }

  /** Its channel runs peer to peer on an open data channel: it does not need the gateway. @param {PeerEntry} entry */
  #keepsWithoutGateway(entry) {
    return (
      entry.channel !== null &&
      entry.channel.established &&
      entry.channel.paths?.peerToPeer === true &&
      entry.dataChannel?.readyState === 'open'
    );
  }

  // ------------------------------------------------------------------ room messages

  /**
   * After JOINED: peers we knew that are no longer in the room are gone; to each member listed
   * (the newest seat of each key, not ours) we send PI1.
   * @param {Map<string, {peerId: Uint8Array, publicKey: Uint8Array}>} latest key fp -> its newest seat
   */
  joined(latest) {
    for (const entry of this.#entries.values()) {
      if (this.#keepsWithoutGateway(entry)) continue; // not back at the gateway yet, but here
      if (!latest.has(entry.peer.keyFp) && entry.phase !== PeerPhase.GONE)
        this.#markGone(entry, 'left');
    }
    for (const [fp, p] of latest) {
      const entry = this.#entryFor(fp);
      // A channel that ran peer to peer meanwhile stays until the new one is up (spec/data-channel.md §4).
      if (this.#keepsWithoutGateway(entry))
        this.#startCandidate(entry, p.peerId, p.publicKey, true);
      else this.#startInitiator(entry, p.peerId, p.publicKey);
    }
  }

  /** PEER_JOINED of another key (not ours). @param {string} fp @param {Uint8Array} peerId @param {Uint8Array} publicKey */
  peerJoined(fp, peerId, publicKey) {
    const entry = this.#entryFor(fp);
    const current = entry.channel;
    if (
      current !== null &&
      current.established &&
      (this.#view.has(current.remoteIdHex) || this.#keepsWithoutGateway(entry))
    ) {
      // A known key under a new id while its channel is up and its old seat still there: the
      // peer reconnected before the gateway noticed its old connection was dead, or someone
      // who saw the key announces it. Only a completed handshake proves the key's owner is
      // behind the new seat, so the channel we have stays until the new one is up.
      this.#startCandidate(entry, peerId, publicKey);
    } else {
      this.#startResponder(entry, peerId, publicKey);
    }
  }

  /** PEER_LEFT (the id is already out of the view). @param {string} idHex */
  peerLeft(idHex) {
    const entry = this.#byId.get(idHex);
    if (entry === undefined) return;
    this.#byId.delete(idHex);
    // After the envelopes already queued for this peer: a `bye` just before PEER_LEFT must
    // be read first. Then only if the id is still the one that left.
    entry.queue = entry.queue.then(() => {
      if (entry.candidate?.remoteIdHex === idHex) this.#dropCandidate(entry, null);
      else if (entry.peer.id === idHex) this.#left(entry);
    });
  }

  /** RELAYED from `fromHex`. @param {string} fromHex @param {Uint8Array} envelope */
  relayed(fromHex, envelope) {
    const entry = this.#byId.get(fromHex);
    let channel = null;
    if (entry !== undefined) {
      if (entry.channel?.remoteIdHex === fromHex) channel = entry.channel;
      else if (entry.candidate?.remoteIdHex === fromHex) channel = entry.candidate;
    }
    if (entry === undefined || channel === null || channel.ended) {
      this.#stats.ignoredEnvelopes++; // a stale or failed id: its messages mean nothing now
      return;
    }
    const c = channel;
    entry.queue = entry.queue.then(() => this.#processEnvelope(entry, c, envelope));
  }

  /**
   * Our hop connection is gone: a channel that runs peer to peer carries on (its peer stays up);
   * every other rode on the connection. Peers re-handshake after the rejoin.
   */
  connectionLost() {
    this.#byId.clear();
    for (const entry of this.#entries.values()) {
      if (this.#keepsWithoutGateway(entry)) {
        this.#dropCandidate(entry, null);
        continue;
      }
      entry.endChannel();
      this.#dropCandidate(entry, null);
      this.#view.removePeer(entry.peer.keyFp);
      if (entry.peer.channelOpen) {
        const wasUp = entry.to(PeerPhase.HANDSHAKING, { sas: null });
        if (wasUp) this.#host.emit('peer-down', { peer: entry.peer, reason: 'reconnecting' });
        this.#host.emit('peer-state', { peer: entry.peer });
      }
    }
  }

  /**
   * The session ended (`error` null: we left): every channel ends; an UP peer gets 'peer-down'
   * (local) and every peer is GONE, without 'peer-state' events (the session's 'state' says it).
   * @param {{code: string} | null} error
   */
  closeAll(error) {
    for (const entry of this.#entries.values()) {
      entry.endChannel();
      this.#dropCandidate(entry, null);
      if (entry.to(PeerPhase.GONE)) {
        this.#host.emit(
          'peer-down',
          error === null
            ? { peer: entry.peer, reason: 'left', local: true }
            : { peer: entry.peer, reason: 'failed', local: true, code: error.code },
        );
      }
    }
    this.#byId.clear();
  }

  // ------------------------------------------------------------------ entries and channels

  /** @param {string} fp */
  #entryFor(fp) {
    let entry = this.#entries.get(fp);
    if (entry === undefined) {
      entry = new PeerEntry(fp);
      this.#entries.set(fp, entry);
      this.#peers.set(fp, entry.peer);
      this.#pruneGone();
    }
    return entry;
  }

  #pruneGone() {
    const gone = [...this.#entries.values()]
      .filter((e) => e.phase === PeerPhase.GONE)
      .sort((a, b) => a.goneAt - b.goneAt);
    for (const e of gone.slice(0, Math.max(0, gone.length - MAX_GONE_PEERS))) this.#forget(e);
  }

  /** @param {PeerEntry} entry */
  #forget(entry) {
    this.#entries.delete(entry.peer.keyFp);
    this.#peers.delete(entry.peer.keyFp);
  }

  /** We joined later: PI1 to the peer listed in JOINED. @param {PeerEntry} entry @param {Uint8Array} peerId @param {Uint8Array} publicKey */
  #startInitiator(entry, peerId, publicKey) {
    entry.endChannel();
    this.#dropCandidate(entry, null);
    let started;
    try {
      started = PeerChannel.initiate(this.#host.context(peerId, publicKey));
    } catch (e) {
      // INVALID_PUBLIC_KEY: the announced key is unusable. Track the id so its envelopes are ignored.
      this.#bindId(entry, toHex(peerId));
      this.#failed(entry, null, SignalError.from(e, 'INVALID_PUBLIC_KEY').code, {
        id: toHex(peerId),
        role: 'initiator',
        polite: false,
      });
      return;
    }
    this.#attach(entry, started.channel);
    this.#host.relay(peerId, started.peerInit);
  }

  /** The peer joined later: wait for its PI1. @param {PeerEntry} entry @param {Uint8Array} peerId @param {Uint8Array} publicKey */
  #startResponder(entry, peerId, publicKey) {
    if (entry.up) {
      entry.to(PeerPhase.HANDSHAKING);
      this.#host.emit('peer-down', { peer: entry.peer, reason: 'reconnecting' });
    }
    entry.endChannel();
    this.#dropCandidate(entry, null);
    this.#attach(entry, PeerChannel.respond(this.#host.context(peerId, publicKey)));
  }

  /**
   * A second seat with the key of an established peer (or, `initiate`, the peer listed in our
   * JOINED while its channel ran peer to peer): a handshake beside the current channel.
   * @param {PeerEntry} entry @param {Uint8Array} peerId @param {Uint8Array} publicKey @param {boolean} [initiate]
   */
  #startCandidate(entry, peerId, publicKey, initiate = false) {
    this.#dropCandidate(entry, null);
    const context = this.#host.context(peerId, publicKey);
    let peerInit = null;
    let channel;
    if (initiate) {
      try {
        ({ channel, peerInit } = PeerChannel.initiate(context));
      } catch {
        return; // INVALID_PUBLIC_KEY: the channel we have carries on
      }
    } else {
      channel = PeerChannel.respond(context);
    }
    entry.candidate = channel;
    this.#byId.set(channel.remoteIdHex, entry);
    this.#armTimer(entry, channel);
    if (peerInit !== null) this.#host.relay(peerId, peerInit);
  }

  /** The candidate replaces the current channel: its handshake finished, or the old seat left. @param {PeerEntry} entry */
  #promoteCandidate(entry) {
    this.#stats.seatsTakenOver++;
    const channel = /** @type {PeerChannel} */ (entry.candidate);
    entry.candidate = null;
    const oldId = entry.channel?.remoteIdHex;
    entry.endChannel();
    if (oldId !== undefined && this.#byId.get(oldId) === entry) this.#byId.delete(oldId);
    this.#view.removePeer(entry.peer.keyFp);
    this.#setChannel(entry, channel);
  }

  /**
   * Ends the candidate; `code` non-null: its handshake failed, which is worth a warning (the
   * current channel is unaffected). Its id stays mapped (if still in the room) so that its
   * envelopes are ignored, not misread.
   * @param {PeerEntry} entry @param {string | null} code
   */
  #dropCandidate(entry, code) {
    const channel = entry.candidate;
    if (channel === null) return;
    entry.candidate = null;
    clearTimeout(channel.timer ?? undefined);
    if (code !== null) {
      this.#stats.seatsRefused++;
      channel.fail(code);
      this.#host.emit('warning', {
        code,
        message: `A second seat announced with the key of a connected peer failed its handshake: ${describeError(code)}`,
        peerId: channel.remoteIdHex,
        peer: entry.peer,
      });
    } else {
      channel.close();
    }
  }

  /** @param {PeerEntry} entry @param {string} idHex */
  #bindId(entry, idHex) {
    const old = entry.peer.id;
    if (old !== null && this.#byId.get(old) === entry) this.#byId.delete(old);
    this.#byId.set(idHex, entry);
  }

  /** @param {PeerEntry} entry @param {PeerChannel} channel */
  #attach(entry, channel) {
    this.#bindId(entry, channel.remoteIdHex);
    this.#armTimer(entry, channel);
    this.#setChannel(entry, channel);
  }

  /** `channel` becomes the entry's current one: HANDSHAKING (a 'peer-down' first if it was UP). @param {PeerEntry} entry @param {PeerChannel} channel */
  #setChannel(entry, channel) {
    entry.channel = channel;
    entry.byeReceived = false;
    const wasUp = entry.to(PeerPhase.HANDSHAKING, {
      id: channel.remoteIdHex,
      role: channel.role,
      polite: channel.role === 'responder',
      sas: null,
      error: null,
    });
    if (wasUp) this.#host.emit('peer-down', { peer: entry.peer, reason: 'reconnecting' });
    this.#host.emit('peer-state', { peer: entry.peer });
  }

  /** spec/peer-handshake.md §8: a handshake that does not finish in time fails with HANDSHAKE_TIMEOUT. @param {PeerEntry} entry @param {PeerChannel} channel */
  #armTimer(entry, channel) {
    channel.timer = setTimeout(() => {
      if (channel.established || channel.ended) return;
      if (entry.channel === channel) this.#failed(entry, channel, 'HANDSHAKE_TIMEOUT');
      else if (entry.candidate === channel) this.#dropCandidate(entry, 'HANDSHAKE_TIMEOUT');
    }, this.#handshakeTimeoutMs);
  }

  // ------------------------------------------------------------------ envelopes and peer messages

  /** @param {PeerEntry} entry @param {PeerChannel} channel @param {Uint8Array} envelope */
  async #processEnvelope(entry, channel, envelope) {
    if (channel.ended || (entry.channel !== channel && entry.candidate !== channel)) return;
    if (!channel.established) {
      let step;
      try {
        step = channel.receiveHandshake(envelope);
      } catch (e) {
        const code = SignalError.from(e, 'UNEXPECTED_MESSAGE').code;
        if (entry.candidate === channel) this.#dropCandidate(entry, code);
        else this.#failed(entry, channel, code);
        return;
      }
      if (step.reply !== null) this.#host.relay(channel.remoteId, step.reply);
      if (step.established) {
        if (entry.candidate === channel) this.#promoteCandidate(entry);
        this.#established(entry, channel);
      }
      return;
    }
    if (entry.channel === channel) await this.#transport.relayed(entry, channel, envelope);
  }

  /** One opened record of the current channel (relay or data channel, in order). @param {PeerEntry} entry @param {PeerChannel} channel @param {Uint8Array} plaintext */
  #plaintext(entry, channel, plaintext) {
    const decoded = decodePeerMessage(plaintext);
    if (decoded.drop !== undefined) {
      this.#stats.droppedMessages++;
      this.#host.emit('message-dropped', { peer: entry.peer, reason: decoded.drop });
      return;
    }
    this.#onPeerMessage(entry, channel, decoded.msg);
  }

  /** @param {PeerEntry} entry @param {PeerChannel} channel */
  #established(entry, channel) {
    clearTimeout(channel.timer ?? undefined);
    entry.to(PeerPhase.CONNECTED, { sas: channel.sas, error: null });
    this.#host.emit('peer-state', { peer: entry.peer });
    // spec/peer-messages.md §2: hello first, then view.
    this.send(entry, encodePeerMessage({ t: 'hello', name: this.#name, agent: this.#agent }));
    this.send(entry, encodePeerMessage({ t: 'view', members: this.#view.members() }));
    entry.helloTimer = setTimeout(() => {
      if (entry.channel === channel && channel.established) this.#up(entry);
    }, this.#helloTimeoutMs);
  }

  /** @param {PeerEntry} entry */
  #up(entry) {
    if (entry.phase !== PeerPhase.CONNECTED) return; // already up
    clearTimeout(entry.helloTimer ?? undefined);
    entry.helloTimer = null;
    entry.to(PeerPhase.UP);
    this.#host.emit('peer-up', { peer: entry.peer });
  }

  /** @param {PeerEntry} entry @param {PeerChannel} channel @param {PeerMessage} msg */
  #onPeerMessage(entry, channel, msg) {
    if (!KNOWN_TYPES.has(msg.t)) {
      this.#stats.ignoredMessages++;
      return;
    }
    switch (msg.t) {
      case 'hello':
        Object.assign(entry.peer, { name: msg.name });
        this.#host.emit('peer-state', { peer: entry.peer });
        this.#up(entry);
        break;
      case 'view':
        this.#view.setTheirs(entry.peer.keyFp, msg.members);
        this.#up(entry);
        break;
      case 'path':
        return; // it only moved the peer's direction onto the data channel (peerPaths.js)
      case 'bye':
        break;
      default:
        this.#up(entry); // a peer that skipped hello: still up
        break;
    }
    this.#host.emit('peer-message', { peer: entry.peer, msg });
    if (msg.t === 'bye' && entry.channel === channel) {
      entry.byeReceived = true;
      entry.endChannel();
      this.#dropCandidate(entry, null);
      this.#view.removePeer(entry.peer.keyFp);
      entry.to(PeerPhase.GONE);
      entry.goneAt = this.#now();
      this.#host.emit('peer-state', { peer: entry.peer });
      // Also for a peer that was not UP yet: its bye ends whatever the app started for it.
      this.#host.emit('peer-down', { peer: entry.peer, reason: 'bye' });
    }
  }

  // ------------------------------------------------------------------ departures and failures

  /** Its seat left the room. @param {PeerEntry} entry */
  #left(entry) {
    // Its channel runs peer to peer: only the gateway lost it (it comes back as a new seat, or
    // says bye, or its data channel closes).
    if (this.#keepsWithoutGateway(entry)) return;
    if (entry.candidate !== null) {
      // The old seat is gone and a new one with the same key is handshaking: that is the peer.
      this.#promoteCandidate(entry);
      return;
    }
    if (entry.byeReceived) {
      entry.endChannel();
      this.#view.removePeer(entry.peer.keyFp);
      this.#forget(entry); // it left on purpose; its key is gone with it
    } else {
      this.#markGone(entry, 'left');
    }
  }

  /**
   * Its data channel closed. A channel with a direction on it cannot go on (a record may be lost
   * with it): the peer is gone if the gateway no longer lists it, else that channel failed.
   * @param {PeerEntry} entry
   */
  #dataChannelClosed(entry) {
    const channel = entry.channel;
    const paths = channel?.paths;
    if (channel === null || channel.ended || !paths) return;
    if (!paths.sendOnDataChannel && !paths.receiveOnDataChannel) return; // still on the relay
    if (this.#view.has(channel.remoteIdHex)) this.#failed(entry, channel, 'CONNECTION_LOST');
    else this.#markGone(entry, 'left');
  }

  /** @param {PeerEntry} entry @param {'left'} reason */
  #markGone(entry, reason) {
    entry.endChannel();
    this.#dropCandidate(entry, null);
    this.#view.removePeer(entry.peer.keyFp);
    const wasUp = entry.to(PeerPhase.GONE);
    entry.goneAt = this.#now();
    this.#host.emit('peer-state', { peer: entry.peer });
    if (wasUp) this.#host.emit('peer-down', { peer: entry.peer, reason });
    this.#pruneGone();
  }

  /**
   * The current channel (or, with `channel` null, the announced key) failed with `code`.
   * @param {PeerEntry} entry @param {PeerChannel | null} channel @param {string} code
   * @param {Partial<Pick<Peer, 'id' | 'role' | 'polite'>>} [changes]
   */
  #failed(entry, channel, code, changes = {}) {
    channel?.fail(code);
    clearTimeout(channel?.timer ?? undefined);
    clearTimeout(entry.helloTimer ?? undefined);
    this.#view.removePeer(entry.peer.keyFp);
    const error = { code, message: describeError(code) };
    const wasUp = entry.to(PeerPhase.FAILED, { ...changes, sas: null, error });
    this.#host.emit('peer-state', { peer: entry.peer });
    this.#host.emit('peer-failed', { peer: entry.peer, code, message: error.message });
    if (wasUp) this.#host.emit('peer-down', { peer: entry.peer, reason: 'failed', code });
  }
}
