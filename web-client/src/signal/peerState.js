// @ts-check
// One remote member of the call, as one explicit state machine (spec/peer-handshake.md §8,
// spec/peer-messages.md §2, §5): a PeerPhase, a transition table, and PeerEntry, the only place
// that changes a peer's phase. The session (peerTable.js) drives it; the app's Call reads the
// same phase from the Peer (src/app/call.js keeps no lifecycle flags of its own).
//
//   HANDSHAKING --established--> CONNECTED --hello (or view, or hello timeout)--> UP
//        ^  |                        |                                          |
//        |  +----------------------- + -------- failure ---------> FAILED <-----+
//        |                           |                                          |
//        +--- a new channel: new id, reconnection (ours or theirs) <------------+
//   any --PEER_LEFT, bye, or the session ends--> GONE --comes back--> HANDSHAKING
//
// A peer is one per-session key (keyFp): the same Peer for the whole call, across reconnections.

/**
 * @typedef {import('./peerChannel.js').PeerChannel} PeerChannel
 * @typedef {{code: string, message: string}} PeerError
 */

/** @enum {string} */
export const PeerPhase = Object.freeze({
  /** A peer handshake runs (the first one, or again after either side reconnected). */
  HANDSHAKING: 'handshaking',
  /** The peer channel is established; its hello has not come yet (no 'peer-up' yet). */
  CONNECTED: 'connected',
  /** Announced with 'peer-up': the app gives it keys and media. */
  UP: 'up',
  /** Its handshake or channel failed (a new seat with the same key may start again). */
  FAILED: 'failed',
  /** It left (PEER_LEFT), said bye, or our session ended. It may come back with the same key. */
  GONE: 'gone',
});

/** Every transition the machine makes; anything else is a bug and throws. @type {Readonly<Record<string, string[]>>} */
const TRANSITIONS = Object.freeze({
  [PeerPhase.HANDSHAKING]: [
    PeerPhase.HANDSHAKING,
    PeerPhase.CONNECTED,
    PeerPhase.FAILED,
    PeerPhase.GONE,
  ],
  [PeerPhase.CONNECTED]: [PeerPhase.UP, PeerPhase.HANDSHAKING, PeerPhase.FAILED, PeerPhase.GONE],
  [PeerPhase.UP]: [PeerPhase.HANDSHAKING, PeerPhase.FAILED, PeerPhase.GONE],
  // INVALID_PUBLIC_KEY of a peer that failed or left before: FAILED again.
  [PeerPhase.FAILED]: [PeerPhase.HANDSHAKING, PeerPhase.FAILED, PeerPhase.GONE],
  [PeerPhase.GONE]: [PeerPhase.HANDSHAKING, PeerPhase.FAILED, PeerPhase.GONE],
});

/** Peer.state, what the app has always read: UP is 'connected' there too. @type {Readonly<Record<string, string>>} */
const PUBLIC_STATE = Object.freeze({
  [PeerPhase.HANDSHAKING]: 'handshaking',
  [PeerPhase.CONNECTED]: 'connected',
  [PeerPhase.UP]: 'connected',
  [PeerPhase.FAILED]: 'failed',
  [PeerPhase.GONE]: 'gone',
});

/**
 * What the app sees of another member. The session updates the fields (through PeerEntry); the
 * app reads them and must not write them. The same object stands for the same per-session key
 * (keyFp) for the whole call, across reconnections of either side.
 */
export class Peer {
  /** @param {string} keyFp */
  constructor(keyFp) {
    /** hex SHA-256 of the peer's announced X-Wing key: stable across reconnections. */
    this.keyFp = keyFp;
    /** @type {string | null} hex of its current peer id (changes when it or we reconnect). */
    this.id = null;
    /** @type {'initiator' | 'responder' | null} 'initiator' if we initiated the current peer handshake. */
    this.role = null;
    /** Perfect negotiation (spec/peer-messages.md §3): we are polite when we are the responder. */
    this.polite = false;
    /** @type {PeerPhase} the machine's phase. */
    this.phase = PeerPhase.HANDSHAKING;
    /** @type {'handshaking' | 'connected' | 'failed' | 'gone'} the phase as the app has always read it. */
    this.state = 'handshaking';
    /** True once the peer was UP (it was given keys); stays true. */
    this.everUp = false;
    /** @type {string | null} the SAS of the current channel ("n1-n2-n3"), once connected. */
    this.sas = null;
    /** @type {string | null} the display name from the peer's hello (render as text, never as markup). */
    this.name = null;
    /** @type {PeerError | null} once failed. */
    this.error = null;
  }

  /** True while its peer channel is established (CONNECTED or UP): messages can go to it. */
  get channelOpen() {
    return this.phase === PeerPhase.CONNECTED || this.phase === PeerPhase.UP;
  }

  toJSON() {
    const { keyFp, id, role, polite, state, sas, name, error } = this;
    return { keyFp, id, role, polite, state, sas, name, error };
  }
}

/**
 * The session's side of one peer: its Peer and phase, its current peer channel, a candidate
 * channel (a second seat announced with the same key while the current channel is up), the
 * hello timer, and the queue that keeps its envelopes in order.
 */
export class PeerEntry {
  /** @param {string} keyFp */
  constructor(keyFp) {
    this.peer = new Peer(keyFp);
    /** @type {PeerChannel | null} the channel of its current peer id. */
    this.channel = null;
    /** @type {PeerChannel | null} a handshake with a second seat of the same key, beside `channel`. */
    this.candidate = null;
    /** @type {ReturnType<typeof setTimeout> | null} 'peer-up' without hello after this (session's helloTimeoutMs). */
    this.helloTimer = null;
    /** @type {RTCDataChannel | null} the data channel to this peer (spec/data-channel.md), once the app made one */
    this.dataChannel = null;
    /** Envelopes and data-channel frames of this peer, processed one after another in arrival order. */
    this.queue = Promise.resolve();
    /** data-channel frames queued on the slow path (peerTransport.js #frame), not yet done */
    this.slowFrames = 0;
    /** Its `bye` came on the current channel: a PEER_LEFT then forgets it instead of keeping it as GONE. */
    this.byeReceived = false;
    /** When it became GONE (session clock), to forget the oldest gone peers first. */
    this.goneAt = 0;
  }

  get phase() {
    return this.peer.phase;
  }

  /** Ends the current channel (if any) and its timers, without events. */
  endChannel() {
    clearTimeout(this.channel?.timer ?? undefined);
    clearTimeout(this.helloTimer ?? undefined);
    this.helloTimer = null;
    this.channel?.close();
    this.channel = null;
  }

  get up() {
    return this.peer.phase === PeerPhase.UP;
  }

  /**
   * Moves to `next` (throws for a transition the table lacks) and applies `changes` to the Peer.
   * Returns true if the peer was UP before, i.e. whether 'peer-down' is due.
   * @param {PeerPhase} next
   * @param {Partial<Pick<Peer, 'id' | 'role' | 'polite' | 'sas' | 'name' | 'error'>>} [changes]
   */
  to(next, changes = {}) {
    const from = this.peer.phase;
    if (!TRANSITIONS[from].includes(next)) {
      throw new Error(`peer state ${from} -> ${next} is not a transition (a bug in the session)`);
    }
    Object.assign(this.peer, changes);
    this.peer.phase = next;
    this.peer.state = /** @type {Peer['state']} */ (PUBLIC_STATE[next]);
    if (next === PeerPhase.UP) this.peer.everUp = true;
    return from === PeerPhase.UP;
  }
}
