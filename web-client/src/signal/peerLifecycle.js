// @ts-check
// A peer's channels over its lifetime (spec/peer-handshake.md §8, spec/peer-messages.md §2, §5,
// spec/data-channel.md §4): starting a handshake as initiator or responder, a second seat's
// handshake beside a channel that is up (and its promotion), the messages that make a peer up
// (hello, view) or gone (bye), departures and failures. Every phase change goes through
// PeerEntry.to (peerState.js); the table (peerTable.js) decides which of these a room event
// calls for.
//
// SECURITY:
// - A failure of one peer channel fails that peer only; other peers are not disturbed.
// - Event details carry no secret: codes, readable messages, public ids and fingerprints.

import { toHex } from '../protocol/bytes.js';
import { SignalError, describeError } from './errors.js';
import { PeerChannel } from './peerChannel.js';
import { KNOWN_TYPES, decodePeerMessage, encodePeerMessage } from './peerMessages.js';
import { PeerPhase } from './peerState.js';
import { runsPeerToPeer } from './peerTransport.js';

/**
 * @typedef {import('./peerState.js').Peer} Peer
 * @typedef {import('./peerState.js').PeerEntry} PeerEntry
 * @typedef {import('./roomView.js').RoomView} RoomView
 * @typedef {import('./events.js').SessionStats} SessionStats
 * @typedef {import('./peerMessages.js').PeerMessage} PeerMessage
 * @typedef {import('./peerTable.js').PeerTableHost} PeerTableHost
 */

export class PeerLifecycle {
  #host;
  #view;
  #name;
  #agent;
  #handshakeTimeoutMs;
  #helloTimeoutMs;
  #now;
  #stats;
  #registry;
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
   * @param {import('./peerRegistry.js').PeerRegistry} o.registry
   * @param {import('./peerTransport.js').PeerTransport} o.transport
   */
  constructor({
    host,
    view,
    name,
    agent,
    handshakeTimeoutMs,
    helloTimeoutMs,
    now,
    stats,
    registry,
    transport,
  }) {
    this.#host = host;
    this.#view = view;
    this.#name = name;
    this.#agent = agent;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    this.#helloTimeoutMs = helloTimeoutMs;
    this.#now = now;
    this.#stats = stats;
    this.#registry = registry;
    this.#transport = transport;
  }

  /** We joined later: PI1 to the peer listed in JOINED. @param {PeerEntry} entry @param {Uint8Array} peerId @param {Uint8Array} publicKey */
  startInitiator(entry, peerId, publicKey) {
    entry.endChannel();
    this.dropCandidate(entry, null);
    let started;
    try {
      started = PeerChannel.initiate(this.#host.context(peerId, publicKey));
    } catch (e) {
      // INVALID_PUBLIC_KEY: the announced key is unusable. Track the id so its envelopes are ignored.
      this.#registry.bindId(entry, toHex(peerId));
      this.failed(entry, null, SignalError.from(e, 'INVALID_PUBLIC_KEY').code, {
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
  startResponder(entry, peerId, publicKey) {
    if (entry.up) {
      entry.to(PeerPhase.HANDSHAKING);
      this.#host.emit('peer-down', { peer: entry.peer, reason: 'reconnecting' });
    }
    entry.endChannel();
    this.dropCandidate(entry, null);
    this.#attach(entry, PeerChannel.respond(this.#host.context(peerId, publicKey)));
  }

  /**
   * A second seat with the key of an established peer (or, `initiate`, the peer listed in our
   * JOINED while its channel ran peer to peer): a handshake beside the current channel.
   * @param {PeerEntry} entry @param {Uint8Array} peerId @param {Uint8Array} publicKey @param {boolean} [initiate]
   */
  startCandidate(entry, peerId, publicKey, initiate = false) {
    this.dropCandidate(entry, null);
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
    this.#registry.setId(channel.remoteIdHex, entry);
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
    if (oldId !== undefined && this.#registry.byId(oldId) === entry) this.#registry.deleteId(oldId);
    this.#view.removePeer(entry.peer.keyFp);
    this.#setChannel(entry, channel);
  }

  /**
   * Ends the candidate; `code` non-null: its handshake failed, which is worth a warning (the
   * current channel is unaffected). Its id stays mapped (if still in the room) so that its
   * envelopes are ignored, not misread.
   * @param {PeerEntry} entry @param {string | null} code
   */
  dropCandidate(entry, code) {
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

  /** @param {PeerEntry} entry @param {PeerChannel} channel */
  #attach(entry, channel) {
    this.#registry.bindId(entry, channel.remoteIdHex);
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
      if (entry.channel === channel) this.failed(entry, channel, 'HANDSHAKE_TIMEOUT');
      else if (entry.candidate === channel) this.dropCandidate(entry, 'HANDSHAKE_TIMEOUT');
    }, this.#handshakeTimeoutMs);
  }

  /** @param {PeerEntry} entry @param {PeerChannel} channel @param {Uint8Array} envelope */
  async processEnvelope(entry, channel, envelope) {
    if (channel.ended || (entry.channel !== channel && entry.candidate !== channel)) return;
    if (!channel.established) {
      let step;
      try {
        step = channel.receiveHandshake(envelope);
      } catch (e) {
        const code = SignalError.from(e, 'UNEXPECTED_MESSAGE').code;
        if (entry.candidate === channel) this.dropCandidate(entry, code);
        else this.failed(entry, channel, code);
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
  plaintext(entry, channel, plaintext) {
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
    this.#transport.send(
      entry,
      encodePeerMessage({ t: 'hello', name: this.#name, agent: this.#agent }),
    );
    this.#transport.send(entry, encodePeerMessage({ t: 'view', members: this.#view.members() }));
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
      this.dropCandidate(entry, null);
      this.#view.removePeer(entry.peer.keyFp);
      entry.to(PeerPhase.GONE);
      entry.goneAt = this.#now();
      this.#host.emit('peer-state', { peer: entry.peer });
      // Also for a peer that was not UP yet: its bye ends whatever the app started for it.
      this.#host.emit('peer-down', { peer: entry.peer, reason: 'bye' });
    }
  }

  /** Its seat left the room. @param {PeerEntry} entry */
  left(entry) {
    // Its channel runs peer to peer: only the gateway lost it (it comes back as a new seat, or
    // says bye, or its data channel closes).
    if (runsPeerToPeer(entry)) return;
    if (entry.candidate !== null) {
      // The old seat is gone and a new one with the same key is handshaking: that is the peer.
      this.#promoteCandidate(entry);
      return;
    }
    if (entry.byeReceived) {
      entry.endChannel();
      this.#view.removePeer(entry.peer.keyFp);
      this.#registry.forget(entry); // it left on purpose; its key is gone with it
    } else {
      this.markGone(entry, 'left');
    }
  }

  /**
   * Its data channel closed. A channel with a direction on it cannot go on (a record may be lost
   * with it): the peer is gone if the gateway no longer lists it, else that channel failed.
   * @param {PeerEntry} entry
   */
  dataChannelClosed(entry) {
    const channel = entry.channel;
    const paths = channel?.paths;
    if (channel === null || channel.ended || !paths) return;
    if (!paths.sendOnDataChannel && !paths.receiveOnDataChannel) return; // still on the relay
    if (this.#view.has(channel.remoteIdHex)) this.failed(entry, channel, 'CONNECTION_LOST');
    else this.markGone(entry, 'left');
  }

  /** @param {PeerEntry} entry @param {'left'} reason */
  markGone(entry, reason) {
    entry.endChannel();
    this.dropCandidate(entry, null);
    this.#view.removePeer(entry.peer.keyFp);
    const wasUp = entry.to(PeerPhase.GONE);
    entry.goneAt = this.#now();
    this.#host.emit('peer-state', { peer: entry.peer });
    if (wasUp) this.#host.emit('peer-down', { peer: entry.peer, reason });
    this.#registry.pruneGone();
  }

  /**
   * The current channel (or, with `channel` null, the announced key) failed with `code`.
   * @param {PeerEntry} entry @param {PeerChannel | null} channel @param {string} code
   * @param {Partial<Pick<Peer, 'id' | 'role' | 'polite'>>} [changes]
   */
  failed(entry, channel, code, changes = {}) {
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
