// @ts-check
// The session's peers: one PeerEntry per remote per-session key (peerState.js, kept in
// peerRegistry.js), driven by the room messages and the envelopes of spec/room-protocol.md. This
// file decides what each room event means for which peer; peerLifecycle.js runs the peer's
// channels (spec/peer-handshake.md) and peerTransport.js moves their records (relay or data
// channel, spec/data-channel.md). The later joiner initiates, the others respond; a peer that
// reconnects keeps its Peer (spec/peer-messages.md §5).
//
// SECURITY:
// - A failure of one peer channel fails that peer only; other peers are not disturbed.
// - Event details carry no secret: codes, readable messages, public ids and fingerprints.

import { PeerLifecycle } from './peerLifecycle.js';
import { PeerRegistry } from './peerRegistry.js';
import { PeerPhase } from './peerState.js';
import { PeerTransport, runsPeerToPeer } from './peerTransport.js';

/**
 * @typedef {import('./peerState.js').Peer} Peer
 * @typedef {import('./peerState.js').PeerEntry} PeerEntry
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

export class PeerTable {
  #registry = new PeerRegistry();
  #host;
  #view;
  #stats;
  #transport;
  #life;

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
    this.#stats = stats;
    /** @type {PeerLifecycle} */
    let life;
    this.#transport = new PeerTransport(
      {
        relay: (to, record) => host.relay(to, record),
        plaintext: (entry, channel, plaintext) => life.plaintext(entry, channel, plaintext),
        failed: (entry, channel, code) => life.failed(entry, channel, code),
        dataChannelClosed: (entry) => life.dataChannelClosed(entry),
      },
      stats,
    );
    life = new PeerLifecycle({
      host,
      view,
      name,
      agent,
      handshakeTimeoutMs,
      helloTimeoutMs,
      now,
      stats,
      registry: this.#registry,
      transport: this.#transport,
    });
    this.#life = life;
  }

  /** Every peer seen in this call, including failed and gone ones. */
  get peers() {
    return this.#registry.peers;
  }

  /** The entry of `keyFp` if its channel is established, else null. @param {string} keyFp */
  established(keyFp) {
    const entry = this.#registry.get(keyFp);
    return entry !== undefined && entry.channel?.established ? entry : null;
  }

  /** One record to every established channel; resolves to how many were handed on. @param {Uint8Array} bytes */
  sendToAll(bytes) {
    const sends = [];
    for (const entry of this.#registry.values()) {
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

  /** The peer's channel as a direct path (peerTransport.js), or null. @param {string} keyFp */
  direct(keyFp) {
    const entry = this.established(keyFp);
    return entry === null ? null : this.#transport.direct(entry);
  }

  /**
   * The app's data channel to the peer with key `keyFp` (spec/data-channel.md): its records take
   * it once it is open. @param {string} keyFp @param {RTCDataChannel} dc
   */
  attachDataChannel(keyFp, dc) {
    const entry = this.#registry.get(keyFp);
    if (entry !== undefined) this.#transport.attach(entry, dc);
  }

  /** True while some peer's channel runs peer to peer (both directions on the data channel). */
  get peerToPeer() {
    for (const entry of this.#registry.values()) if (runsPeerToPeer(entry)) return true;
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
    return this.#transport.flush(this.#registry.values());
  }

  // ------------------------------------------------------------------ room messages

  /**
   * After JOINED: peers we knew that are no longer in the room are gone; to each member listed
   * (the newest seat of each key, not ours) we send PI1.
   * @param {Map<string, {peerId: Uint8Array, publicKey: Uint8Array}>} latest key fp -> its newest seat
   */
  joined(latest) {
    for (const entry of this.#registry.values()) {
      if (runsPeerToPeer(entry)) continue; // not back at the gateway yet, but here
      if (!latest.has(entry.peer.keyFp) && entry.phase !== PeerPhase.GONE)
        this.#life.markGone(entry, 'left');
    }
    for (const [fp, p] of latest) {
      const entry = this.#registry.entryFor(fp);
      // A channel that ran peer to peer meanwhile stays until the new one is up (spec/data-channel.md §4).
      if (runsPeerToPeer(entry)) this.#life.startCandidate(entry, p.peerId, p.publicKey, true);
      else this.#life.startInitiator(entry, p.peerId, p.publicKey);
    }
  }

  /** PEER_JOINED of another key (not ours). @param {string} fp @param {Uint8Array} peerId @param {Uint8Array} publicKey */
  peerJoined(fp, peerId, publicKey) {
    const entry = this.#registry.entryFor(fp);
    const current = entry.channel;
    if (
      current !== null &&
      current.established &&
      (this.#view.has(current.remoteIdHex) || runsPeerToPeer(entry))
    ) {
      // A known key under a new id while its channel is up and its old seat still there: the
      // peer reconnected before the gateway noticed its old connection was dead, or someone
      // who saw the key announces it. Only a completed handshake proves the key's owner is
      // behind the new seat, so the channel we have stays until the new one is up.
      this.#life.startCandidate(entry, peerId, publicKey);
    } else {
      this.#life.startResponder(entry, peerId, publicKey);
    }
  }

  /** PEER_LEFT (the id is already out of the view). @param {string} idHex */
  peerLeft(idHex) {
    const entry = this.#registry.byId(idHex);
    if (entry === undefined) return;
    this.#registry.deleteId(idHex);
    // After the envelopes already queued for this peer: a `bye` just before PEER_LEFT must
    // be read first. Then only if the id is still the one that left.
    entry.queue = entry.queue.then(() => {
      if (entry.candidate?.remoteIdHex === idHex) this.#life.dropCandidate(entry, null);
      else if (entry.peer.id === idHex) this.#life.left(entry);
    });
  }

  /** RELAYED from `fromHex`. @param {string} fromHex @param {Uint8Array} envelope */
  relayed(fromHex, envelope) {
    const entry = this.#registry.byId(fromHex);
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
    entry.queue = entry.queue.then(() => this.#life.processEnvelope(entry, c, envelope));
  }

  /**
   * Our hop connection is gone: a channel that runs peer to peer carries on (its peer stays up);
   * every other rode on the connection. Peers re-handshake after the rejoin.
   */
  connectionLost() {
    this.#registry.clearIds();
    for (const entry of this.#registry.values()) {
      if (runsPeerToPeer(entry)) {
        this.#life.dropCandidate(entry, null);
        continue;
      }
      entry.endChannel();
      this.#life.dropCandidate(entry, null);
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
    for (const entry of this.#registry.values()) {
      entry.endChannel();
      this.#life.dropCandidate(entry, null);
      if (entry.to(PeerPhase.GONE)) {
        this.#host.emit(
          'peer-down',
          error === null
            ? { peer: entry.peer, reason: 'left', local: true }
            : { peer: entry.peer, reason: 'failed', local: true, code: error.code },
        );
      }
    }
    this.#registry.clearIds();
  }

  // ------------------------------------------------------------------ entries and channels

  // ------------------------------------------------------------------ envelopes and peer messages

  // ------------------------------------------------------------------ departures and failures
}
