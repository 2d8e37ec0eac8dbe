// @ts-check
// A peer channel (spec/peer-handshake.md §2, §6, §8): one peer handshake and the record channel
// it yields, for one remote peer id. The session creates a new PeerChannel for every new peer id
// (a reconnection gives new ids, hence a new handshake); a PeerChannel never outlives its ids.
//
// SECURITY:
// - The PeerContext is filled from our own knowledge (spec §5): room_id from our own link, our
//   id from JOINED, the remote id under which the gateway listed the peer (initiator) or the
//   sender id of the envelope (responder, which the session guarantees is the same id).
// - The responder checks that the key in PeerInit is the key the gateway announced for that id
//   (spec/peer-messages.md §4) before it answers: a mismatch fails the pair with KEY_MISMATCH.
//   The initiator encapsulates to the announced key, so its channel is bound to it by
//   construction.
// - Any failure is terminal for this pair only and wipes its handshake state or channel.

import { constantTimeEquals, toHex } from '../protocol/bytes.js';
import { channelTag } from '../protocol/dataFrame.js';
import { ProtocolError } from '../protocol/errors.js';
import { PeerContext, PeerInitiator, PeerResponder } from '../protocol/peer.js';
import { LOCAL_CODES, SignalError } from './errors.js';
import { PeerPaths } from './peerPaths.js';

export const PeerChannelState = Object.freeze({
  WAIT_PEER_ACCEPT: 'WAIT_PEER_ACCEPT',
  WAIT_PEER_INIT: 'WAIT_PEER_INIT',
  WAIT_PEER_FINISH: 'WAIT_PEER_FINISH',
  ESTABLISHED: 'ESTABLISHED',
  FAILED: 'FAILED',
  CLOSED: 'CLOSED',
});

/**
 * What a peer channel is made from: our room, psk, own id and key, and the remote id and the key
 * the gateway announced for it (spec/peer-handshake.md §5).
 * @typedef {{roomId: Uint8Array, psk: Uint8Array, ownId: Uint8Array, remoteId: Uint8Array,
 *            ownKey: import('../protocol/xwingKeyPair.js').XWingKeyPair, remoteKey: Uint8Array}} ChannelContext
 */

/** @typedef {import('../protocol/record.js').Channel} Channel */

const TOKEN = Symbol('PeerChannel');

export class PeerChannel {
  #state;
  /** @type {import('../protocol/peer.js').AwaitingAccept | import('../protocol/peer.js').AwaitingFinish | null} */
  #hs = null;
  /** @type {Channel | null} */
  #channel = null;
  /** @type {string | null} */
  #sas = null;
  #announcedKey;
  /** @type {string | null} */
  #failure = null;
  /** @type {{ctx: PeerContext, ownKey: import('../protocol/xwingKeyPair.js').XWingKeyPair} | null} responder in WAIT_PEER_INIT: what PI1 needs */
  #pending = null;

  /** @param {'initiator' | 'responder'} role @param {Uint8Array} remoteId @param {Uint8Array} announcedKey @param {string} state @param {import('../protocol/peer.js').AwaitingAccept | null} hs @param {symbol} token */
  constructor(role, remoteId, announcedKey, state, hs, token) {
    if (token !== TOKEN) throw new TypeError('use PeerChannel.initiate() or PeerChannel.respond()');
    /** 'initiator' | 'responder' */
    this.role = role;
    /** The remote peer id (8 bytes) and its hex. */
    this.remoteId = remoteId.slice();
    this.remoteIdHex = toHex(remoteId);
    this.#announcedKey = announcedKey.slice();
    /** The owner's handshake timer (spec §8 timeout), cleared when the channel ends or is established. */
    this.timer = null;
    /** @type {PeerPaths | null} which path each direction's records take, once established (spec/data-channel.md) */
    this.paths = null;
    this.#state = state;
    this.#hs = hs;
  }

  /**
   * Initiator (we joined later): builds PI1 to the peer listed with `remoteKey`. Returns
   * { channel, peerInit }. Throws ProtocolError INVALID_PUBLIC_KEY for an unusable announced key.
   * @param {ChannelContext} context
   */
  static initiate({ roomId, psk, ownId, remoteId, ownKey, remoteKey }) {
    const ctx = new PeerContext(roomId, psk, ownId, remoteId);
    try {
      const { peerInit, next } = PeerInitiator.start(ctx, ownKey, remoteKey);
      return {
        channel: new PeerChannel(
          'initiator',
          remoteId,
          remoteKey,
          PeerChannelState.WAIT_PEER_ACCEPT,
          next,
          TOKEN,
        ),
        peerInit,
      };
    } finally {
      ctx.wipePsk();
    }
  }

  /** Responder (the peer joined after us): waits for PI1 from `remoteId`. @param {ChannelContext} context */
  static respond({ roomId, psk, ownId, remoteId, ownKey, remoteKey }) {
    const channel = new PeerChannel(
      'responder',
      remoteId,
      remoteKey,
      PeerChannelState.WAIT_PEER_INIT,
      null,
      TOKEN,
    );
    // PI1 is answered in receiveHandshake(); keep what it needs. The PeerContext copies psk and
    // wipes its copy when the handshake ends; this one is wiped by close()/fail.
    channel.#pending = { ctx: new PeerContext(roomId, psk, remoteId, ownId), ownKey };
    return channel;
  }

  get state() {
    return this.#state;
  }

  get established() {
    return this.#state === PeerChannelState.ESTABLISHED;
  }

  get ended() {
    return this.#state === PeerChannelState.FAILED || this.#state === PeerChannelState.CLOSED;
  }

  /** The SAS ("n1-n2-n3") once established. */
  get sas() {
    return this.#sas;
  }

  /** The failure code (ProtocolError name or KEY_MISMATCH) once FAILED. */
  get failure() {
    return this.#failure;
  }

  /** The channel's handshake hash (public) once established. */
  handshakeHash() {
    return this.#channel?.handshakeHash() ?? null;
  }

  /**
   * A handshake message from the remote peer, in the current state (spec §6.2-§6.4). Returns
   * { reply: Uint8Array | null, established: boolean }. Throws ProtocolError or SignalError
   * KEY_MISMATCH; the channel is then FAILED (call fail() is not needed).
   * @param {Uint8Array} bytes @returns {{reply: Uint8Array | null, established: boolean}}
   */
  receiveHandshake(bytes) {
    try {
      switch (this.#state) {
        case PeerChannelState.WAIT_PEER_ACCEPT: {
          const hs = /** @type {import('../protocol/peer.js').AwaitingAccept} */ (this.#takeHs());
          const { peerFinish, session } = hs.receive(bytes); // §6.3
          this.#establish(session);
          return { reply: peerFinish, established: true };
        }
        case PeerChannelState.WAIT_PEER_INIT: {
          const { ctx, ownKey } =
            /** @type {{ctx: PeerContext, ownKey: import('../protocol/xwingKeyPair.js').XWingKeyPair}} */ (
              this.#pending
            );
          this.#pending = null;
          let res;
          try {
            res = PeerResponder.receive(ctx, ownKey, bytes); // §6.2
          } finally {
            ctx.wipePsk();
          }
          // spec/peer-messages.md §4: the key used in the handshake must be the announced one.
          if (!constantTimeEquals(res.next.initiatorPublicKey(), this.#announcedKey)) {
            res.next.abandon();
            throw new SignalError(LOCAL_CODES.KEY_MISMATCH);
          }
          this.#hs = res.next;
          this.#state = PeerChannelState.WAIT_PEER_FINISH;
          return { reply: res.peerAccept, established: false };
        }
        case PeerChannelState.WAIT_PEER_FINISH: {
          const hs = /** @type {import('../protocol/peer.js').AwaitingFinish} */ (this.#takeHs());
          const session = hs.receive(bytes); // §6.4
          this.#establish(session);
          return { reply: null, established: true };
        }
        default:
          throw new ProtocolError('UNEXPECTED_MESSAGE');
      }
    } catch (e) {
      this.fail(
        e instanceof ProtocolError || e instanceof SignalError ? e.code : 'UNEXPECTED_MESSAGE',
      );
      throw e;
    }
  }

  #takeHs() {
    const hs = this.#hs;
    this.#hs = null;
    return hs;
  }

  /** @param {import('../protocol/peer.js').PeerSession} session */
  #establish(session) {
    this.#channel = session.channel;
    this.paths = new PeerPaths(channelTag(session.channel.handshakeHash()));
    this.#sas = session.sas.decimal();
    this.#state = PeerChannelState.ESTABLISHED;
  }

  /**
   * Opens a peer record (in order; the opener serialises). Rejects with ProtocolError; the channel is then FAILED.
   * @param {Uint8Array} bytes @param {import('../protocol/record.js').OpenOptions} [options]
   */
  async openRecord(bytes, options) {
    if (this.#state !== PeerChannelState.ESTABLISHED) throw new ProtocolError('UNEXPECTED_MESSAGE');
    try {
      return await /** @type {Channel} */ (this.#channel).open(bytes, options);
    } catch (e) {
      this.fail(e instanceof ProtocolError ? e.code : 'UNEXPECTED_MESSAGE');
      throw e;
    }
  }

  /**
   * Seals a peer-record plaintext (in call order). Rejects with ProtocolError.
   * @param {Uint8Array} plaintext @param {import('../protocol/record.js').SealOptions} [options]
   */
  seal(plaintext, options) {
    if (this.#state !== PeerChannelState.ESTABLISHED)
      return Promise.reject(new ProtocolError('UNEXPECTED_MESSAGE'));
    return /** @type {Channel} */ (this.#channel).seal(plaintext, options);
  }

  /** Terminal failure with `code`: wipes everything of this pair. @param {string} code */
  fail(code) {
    if (this.ended) return;
    this.#failure = code;
    this.#wipe(PeerChannelState.FAILED);
  }

  /** The remote left, we left, or the ids are stale (reconnection): wipes everything of this pair. */
  close() {
    if (this.ended) return;
    this.#wipe(PeerChannelState.CLOSED);
  }

  /** @param {string} state */
  #wipe(state) {
    this.#state = state;
    this.#hs?.abandon();
    this.#hs = null;
    this.#pending?.ctx.wipePsk();
    this.#pending = null;
    this.#channel?.destroy();
  }
}
