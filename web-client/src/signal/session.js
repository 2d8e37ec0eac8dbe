// CallSession: one person in one room, as the app sees it (notes: web-client/src/signal API in
// APP_API.md). It ties together
//   - the gateway connection and hop channel (gatewayConnection.js, spec/hop-handshake.md),
//   - the room protocol: JOIN with the room id and a per-session X-Wing key, JOINED, PEER_JOINED,
//     PEER_LEFT, RELAY/RELAYED, ERROR (spec/room-protocol.md),
//   - one peer channel per other member (peerChannel.js, spec/peer-handshake.md): the later joiner
//     initiates, the others respond,
//   - peer messages inside those channels (peerMessages.js, spec/peer-messages.md §1-§2),
//   - the membership cross-check (membership.js, spec/peer-messages.md §4),
//   - reconnection with the same key, peers recognised by key fingerprint (spec/peer-messages.md §5).
//
// SECURITY:
// - The room secret and psk never leave this object: the gateway gets room_id only; psk enters
//   peer handshakes only. Neither is logged, persisted or put into an event.
// - The per-session key lives from start() to leave() (or a fatal error), across reconnections
//   (spec/peer-messages.md §5), and is destroyed then.
// - A failure of one peer channel fails that peer only; other peers are not disturbed.
// - Event details carry no secret: codes, readable messages, public ids and fingerprints.

import { toHex } from '../protocol/bytes.js';
import { errorName } from '../protocol/errors.js';
import { Fingerprint } from '../protocol/fingerprint.js';
import { RoomSecret } from '../protocol/room.js';
import { XWingKeyPair } from '../protocol/xwingKeyPair.js';
import { Backoff } from './backoff.js';
import { LOCAL_CODES, SignalError, describeError } from './errors.js';
import { GatewayConnection, fetchGatewayKey } from './gatewayConnection.js';
import { MembershipCheck, VIEW_STABLE_MS, sortView } from './membership.js';
import { PeerChannel } from './peerChannel.js';
import { SESSION_TYPES, decodePeerMessage, encodePeerMessage } from './peerMessages.js';

export const SessionState = Object.freeze({
  IDLE: 'idle',
  CONNECTING: 'connecting',
  HANDSHAKING: 'handshaking',
  JOINED: 'joined',
  RECONNECTING: 'reconnecting',
  CLOSED: 'closed',
});

/** Peer message types this client understands; others are ignored (spec/peer-messages.md §1). */
const KNOWN_TYPES = new Set(['hello', 'view', 'sdp', 'ice', 'key', 'tracks', 'chat', 'bye']);

/** Gone peers kept for recognition by key fingerprint (a peer that comes back is the same Peer). */
const MAX_GONE_PEERS = 32;

/** Room ERROR codes that answer a JOIN (the join fails). */
const JOIN_ERRORS = new Set(['ROOM_FULL', 'TOO_MANY_ROOMS', 'ALREADY_JOINED', 'NOT_IN_ROOM']);

/**
 * What the app sees of another member. The session updates the fields; the app reads them and
 * must not write them. The same object stands for the same per-session key (keyFp) for the
 * whole call, across reconnections of either side.
 */
export class Peer {
  constructor(keyFp) {
    /** hex SHA-256 of the peer's announced X-Wing key: stable across reconnections. */
    this.keyFp = keyFp;
    /** hex of its current peer id (changes when it or we reconnect). */
    this.id = null;
    /** 'initiator' if we initiated the current peer handshake, else 'responder'. */
    this.role = null;
    /** Perfect negotiation (spec/peer-messages.md §3): we are polite when we are the responder. */
    this.polite = false;
    /** 'handshaking' | 'connected' | 'failed' | 'gone' */
    this.state = 'handshaking';
    /** The SAS of the current channel ("n1-n2-n3"), once connected. */
    this.sas = null;
    /** The display name from the peer's hello (render as text, never as markup). */
    this.name = null;
    /** {code, message} once failed. */
    this.error = null;
  }

  toJSON() {
    const { keyFp, id, role, polite, state, sas, name, error } = this;
    return { keyFp, id, role, polite, state, sas, name, error };
  }
}

export class CallSession extends EventTarget {
  // options
  #origin;
  #pin;
  #name;
  #agent;
  #WebSocketImpl;
  #fetchImpl;
  #peerHandshakeTimeoutMs;
  #hopHandshakeTimeoutMs;
  #joinTimeoutMs;
  #helloTimeoutMs;
  #sendRate;
  #now;

  // room and own key
  #roomId;
  #psk;
  #key = null;
  #ownFp = null;

  // connection
  #state = SessionState.IDLE;
  #conn = null;
  #joined = false;
  #joinWaiter = null;
  #leaving = false;
  #started = false;
  #backoff;
  #sleepTimer = null;
  #sleepWake = null;
  #selfId = null;
  #iceServers = [];
  #gatewayFingerprint = null;

  // members and peers
  #members = new Map(); // id hex -> key fp hex: the gateway's view, self included
  #entries = new Map(); // key fp hex -> Entry
  #byId = new Map(); // current id hex -> Entry
  #peers = new Map(); // key fp hex -> Peer (the app's view of #entries)
  #membership;
  #viewTimer = null;

  /** Counters for tests and diagnostics (no content). */
  stats = { droppedMessages: 0, ignoredMessages: 0, ignoredEnvelopes: 0, reconnects: 0, seatsTakenOver: 0, seatsRefused: 0 };

  /**
   * @param {object} o
   * @param {string} o.origin gateway origin, e.g. location.origin
   * @param {Uint8Array} o.roomSecret 32 bytes from the link fragment (not kept: room_id and psk are derived at once)
   * @param {Uint8Array} o.pinnedFingerprint 32 bytes from the link fragment
   * @param {string} o.name display name, sent only inside peer channels (1-64 characters)
   * Optional: WebSocketImpl, fetchImpl, random (for the backoff jitter), agent (hello.agent),
   * peerHandshakeTimeoutMs (10 s), hopHandshakeTimeoutMs (10 s), joinTimeoutMs (10 s),
   * helloTimeoutMs (5 s: 'peer-up' fires without a hello after this), viewStableMs (3 s),
   * backoff {minMs, maxMs} (0.5 s .. 8 s), sendRate {perSecond, burst} (40/s, burst 150: paces
   * records below the gateway's rate limit; null turns pacing off); in tests only (not in the
   * served bundle), pskOverrideForTestingOnly (32 bytes: a session with the right room id and a
   * wrong psk, i.e. a gateway-made impostor).
   */
  constructor(o) {
    super();
    if (o === null || typeof o !== 'object') throw new TypeError('CallSession options required');
    if (typeof o.origin !== 'string') throw new TypeError('origin must be a string');
    if (!(o.pinnedFingerprint instanceof Uint8Array) || o.pinnedFingerprint.length !== 32) {
      throw new TypeError('pinnedFingerprint must be 32 bytes');
    }
    if (typeof o.name !== 'string') throw new TypeError('name must be a string');
    encodePeerMessage({ t: 'hello', name: o.name }); // throws INVALID_PEER_MESSAGE for a bad name, now rather than later
    const room = RoomSecret.of(o.roomSecret); // TypeError unless 32 bytes
    this.#roomId = room.roomId();
    this.#psk = room.psk();
    // test-hook:begin
    if (o.pskOverrideForTestingOnly !== undefined) {
      if (!(o.pskOverrideForTestingOnly instanceof Uint8Array) || o.pskOverrideForTestingOnly.length !== 32) {
        throw new TypeError('pskOverrideForTestingOnly must be 32 bytes');
      }
      this.#psk.fill(0);
      this.#psk = o.pskOverrideForTestingOnly.slice();
    }
    // test-hook:end
    room.destroy();
    this.#origin = o.origin;
    this.#pin = o.pinnedFingerprint.slice();
    this.#name = o.name;
    this.#agent = typeof o.agent === 'string' ? o.agent : 'hybridge-web/0.1';
    this.#WebSocketImpl = o.WebSocketImpl ?? globalThis.WebSocket;
    this.#fetchImpl = o.fetchImpl ?? ((...a) => globalThis.fetch(...a));
    this.#peerHandshakeTimeoutMs = o.peerHandshakeTimeoutMs ?? 10_000;
    this.#hopHandshakeTimeoutMs = o.hopHandshakeTimeoutMs ?? 10_000;
    this.#joinTimeoutMs = o.joinTimeoutMs ?? 10_000;
    this.#helloTimeoutMs = o.helloTimeoutMs ?? 5_000;
    this.#sendRate = o.sendRate; // undefined: GatewayConnection's default pacing
    this.#now = () => performance.now();
    this.#backoff = new Backoff({ ...(o.backoff ?? {}), random: o.random ?? Math.random });
    this.#membership = new MembershipCheck({ stableMs: o.viewStableMs ?? VIEW_STABLE_MS });
  }

  // ------------------------------------------------------------------ public API

  /** 'idle' | 'connecting' | 'handshaking' | 'joined' | 'reconnecting' | 'closed' */
  get state() {
    return this.#state;
  }

  /** Hex of our current peer id (null before JOINED and while reconnecting). */
  get selfId() {
    return this.#selfId === null ? null : toHex(this.#selfId);
  }

  /** Hex SHA-256 of our per-session key: what peers recognise us by. */
  get selfKeyFp() {
    return this.#ownFp;
  }

  /** The gateway key's fingerprint (equal to the pin once start() resolved). */
  get gatewayFingerprint() {
    return this.#gatewayFingerprint?.slice() ?? null;
  }

  /** RTCIceServer[] from the latest JOINED (TURN credentials arrive only after a join). */
  get iceServers() {
    return this.#iceServers.map((s) => ({ ...s, urls: [...s.urls] }));
  }

  /** Map<keyFp hex, Peer>: every peer seen in this call, including 'failed' and 'gone' ones (filter by state). */
  get peers() {
    return this.#peers;
  }

  /** Our room view as sent in `view` messages: [{id, fp}] sorted by id. */
  get view() {
    return this.#viewMembers();
  }

  /**
   * Fetches and checks the gateway key, connects, runs the hop handshake and joins. Resolves
   * after JOINED. Rejects with a SignalError (also sent as an 'error' event; the session is
   * then closed): INSECURE_CONTEXT, GATEWAY_UNREACHABLE, UNKNOWN_GATEWAY_KEY (pin mismatch: no
   * WebSocket was opened), GATEWAY_INCOMPATIBLE, HANDSHAKE_TIMEOUT, ROOM_FULL, TOO_MANY_ROOMS,
   * a gateway close code's name, CONNECTION_LOST.
   */
  async start() {
    if (this.#started) throw new TypeError('a CallSession starts once');
    this.#started = true;
    try {
      if (globalThis.crypto?.subtle === undefined) throw new SignalError(LOCAL_CODES.INSECURE_CONTEXT);
      this.#key = XWingKeyPair.generate();
      this.#ownFp = Fingerprint.toHex(this.#key.fingerprint());
      await this.#connectAndJoin(false);
    } catch (e) {
      const err = this.#leaving ? new SignalError(LOCAL_CODES.CONNECTION_LOST, 'left before the join completed') : SignalError.from(e);
      this.#closeFinal(err);
      throw err;
    }
  }

  /**
   * Sends one peer message (spec/peer-messages.md §2) to the peer with key fingerprint `keyFp`
   * in one peer record. Throws SignalError synchronously: PEER_NOT_CONNECTED, or
   * INVALID_PEER_MESSAGE (which rule: size over 16384 bytes, chat over 8000 characters, ...;
   * hello, view and bye are the session's own). Returns a promise that resolves to true once
   * the record is handed to the gateway connection, false if the channel or connection ended
   * first; it never rejects.
   */
  send(keyFp, msg) {
    const bytes = this.#encodeAppMessage(msg);
    const entry = this.#entries.get(keyFp);
    if (entry === undefined || entry.link === null || !entry.link.established) {
      throw new SignalError(LOCAL_CODES.PEER_NOT_CONNECTED);
    }
    return this.#sendRecord(entry, bytes);
  }

  /**
   * send() to every connected peer. Throws like send() (synchronously) for a message that breaks
   * a rule; resolves to the number of peers it was handed on for; never rejects.
   */
  broadcast(msg) {
    const bytes = this.#encodeAppMessage(msg);
    const sends = [];
    for (const entry of this.#entries.values()) {
      if (entry.link?.established) sends.push(this.#sendRecord(entry, bytes));
    }
    return Promise.all(sends).then((sent) => sent.filter(Boolean).length);
  }

  // test-hook:begin
  /** Test hook: sends any message, including session types (a fake `view`), without the app rules for them. */
  sendForTestingOnly(keyFp, msg) {
    const entry = this.#entries.get(keyFp);
    if (entry === undefined || !entry.link?.established) throw new SignalError(LOCAL_CODES.PEER_NOT_CONNECTED);
    return this.#sendRecord(entry, encodePeerMessage(msg));
  }
  // test-hook:end

  // test-hook:begin
  /** Test hook: sends raw bytes as one peer record (to exercise the receiver's drop rules). */
  sendBytesForTestingOnly(keyFp, bytes) {
    const entry = this.#entries.get(keyFp);
    if (entry === undefined || !entry.link?.established) throw new SignalError(LOCAL_CODES.PEER_NOT_CONNECTED);
    return this.#sendRecord(entry, bytes);
  }
  // test-hook:end

  // test-hook:begin
  /** Test hook: the live secret arrays (per-session key seed, psk), so tests can check that leave() wipes them. */
  secretsForTestingOnly() {
    return [...(this.#key?.secretsForTestingOnly() ?? []), this.#psk];
  }
  // test-hook:end

  // test-hook:begin
  /** Test hook: the current hop connection, to break it from outside (e.g. `.close(4000)`). */
  connectionForTestingOnly() {
    return this.#conn;
  }
  // test-hook:end

  /**
   * Leaves the call: `bye` to every connected peer, LEAVE, close (1000); destroys the
   * per-session key and psk. State 'closed'. Safe to call more than once and at any time.
   */
  async leave() {
    if (this.#state === SessionState.CLOSED) return;
    this.#leaving = true;
    this.#wakeSleep();
    const conn = this.#conn;
    if (conn !== null && this.#joined) {
      const byes = [];
      const bye = encodePeerMessage({ t: 'bye' });
      for (const entry of this.#entries.values()) {
        if (entry.link?.established) byes.push(this.#sendRecord(entry, bye));
      }
      await Promise.all(byes);
      conn.send({ type: 'LEAVE' });
    }
    if (conn !== null) await conn.close(1000, 'leave');
    this.#closeFinal(null);
  }

  // ------------------------------------------------------------------ connection and join

  #setState(state, error = null) {
    this.#state = state;
    const detail = { state };
    if (error !== null) detail.error = error.toJSON();
    this.dispatchEvent(new CustomEvent('state', { detail }));
  }

  /** §3 key check, WebSocket, hop handshake, JOIN; resolves after JOINED. */
  async #connectAndJoin(reconnecting) {
    if (!reconnecting) this.#setState(SessionState.CONNECTING);
    const pk = await fetchGatewayKey(this.#origin, this.#pin, this.#fetchImpl);
    if (this.#leaving) throw new SignalError(LOCAL_CODES.CONNECTION_LOST);
    this.#gatewayFingerprint = Fingerprint.of(pk);
    if (!reconnecting) this.#setState(SessionState.HANDSHAKING);
    const conn = new GatewayConnection({
      origin: this.#origin,
      gatewayPublicKey: pk,
      WebSocketImpl: this.#WebSocketImpl,
      handshakeTimeoutMs: this.#hopHandshakeTimeoutMs,
      sendRate: this.#sendRate,
    });
    this.#conn = conn;
    conn.addEventListener('message', (e) => this.#onRoomMessage(conn, e.detail.msg));
    conn.addEventListener('close', (e) => this.#onConnectionClosed(conn, e.detail));
    await conn.open();
    if (this.#leaving) {
      await conn.close(1000, 'leave');
      throw new SignalError(LOCAL_CODES.CONNECTION_LOST);
    }
    let timer;
    const joined = new Promise((resolve, reject) => {
      this.#joinWaiter = { conn, resolve, reject };
      timer = setTimeout(() => {
        // The gateway did not answer the JOIN: treat the connection as broken.
        conn.close(4000 + 9, 'HANDSHAKE_TIMEOUT');
        reject(new SignalError('HANDSHAKE_TIMEOUT', 'The gateway did not answer the join in time.'));
      }, this.#joinTimeoutMs);
    });
    try {
      conn.send({ type: 'JOIN', roomId: this.#roomId, publicKey: this.#key.publicKey() });
      await joined;
    } finally {
      clearTimeout(timer);
      this.#joinWaiter = null;
    }
  }

  #onConnectionClosed(conn, { error }) {
    if (conn !== this.#conn) return;
    this.#conn = null;
    if (this.#joinWaiter?.conn === conn) this.#joinWaiter.reject(error);
    const wasJoined = this.#joined;
    this.#joined = false;
    if (this.#leaving || !wasJoined) return;
    // A gateway close with a protocol code (4000 + c) is worth telling the user even though the
    // session carries on reconnecting; a plain loss or a restart is not an error.
    if (error.code !== LOCAL_CODES.CONNECTION_LOST && error.code !== 'SHUTTING_DOWN') {
      this.#emit('error', { ...error.toJSON(), fatal: false });
    }
    this.#dropPeersForReconnect();
    this.#reconnect(error);
  }

  /** Our hop connection is gone: every peer channel rode on it; peers re-handshake after the rejoin. */
  #dropPeersForReconnect() {
    this.#selfId = null;
    this.#members.clear();
    this.#membership.clearMine();
    this.#byId.clear();
    for (const entry of this.#entries.values()) {
      this.#endLink(entry);
      this.#dropCandidate(entry, null);
      this.#membership.removePeer(entry.peer.keyFp);
      if (entry.up) {
        entry.up = false;
        this.#emit('peer-down', { peer: entry.peer, reason: 'reconnecting' });
      }
      if (entry.peer.state === 'connected') this.#updatePeer(entry, { state: 'handshaking', sas: null });
    }
  }

  async #reconnect(error) {
    this.stats.reconnects++;
    this.#setState(SessionState.RECONNECTING, error);
    while (!this.#leaving) {
      await this.#sleep(this.#backoff.next());
      if (this.#leaving) return;
      try {
        await this.#connectAndJoin(true);
        this.#backoff.reset();
        return;
      } catch (e) {
        if (this.#leaving) return;
        const err = SignalError.from(e);
        if (err.code === 'UNKNOWN_GATEWAY_KEY' || err.code === LOCAL_CODES.GATEWAY_INCOMPATIBLE) {
          // Another key at the same origin: not the gateway the link pins. Stop and warn.
          this.#conn?.close(1000);
          this.#closeFinal(err);
          return;
        }
        // ROOM_FULL here usually means our own stale seat still counts; it goes when the
        // gateway notices the old connection is dead, so keep trying.
        this.#setState(SessionState.RECONNECTING, err);
      }
    }
  }

  #sleep(ms) {
    return new Promise((resolve) => {
      this.#sleepWake = resolve;
      this.#sleepTimer = setTimeout(resolve, ms);
    });
  }

  #wakeSleep() {
    clearTimeout(this.#sleepTimer);
    this.#sleepWake?.();
    this.#sleepWake = null;
  }

  /** End of the session: wipes the key and psk, ends every link. `error` null for a leave. */
  #closeFinal(error) {
    if (this.#state === SessionState.CLOSED) return;
    this.#leaving = true;
    this.#wakeSleep();
    clearTimeout(this.#viewTimer);
    const conn = this.#conn;
    this.#conn = null;
    this.#joined = false;
    if (conn !== null && !conn.closed) conn.close(1000);
    for (const entry of this.#entries.values()) {
      this.#endLink(entry);
      this.#dropCandidate(entry, null);
      if (entry.up) {
        entry.up = false;
        const down = { peer: entry.peer, reason: error === null ? 'left' : 'failed', local: true };
        if (error !== null) down.code = error.code;
        this.#emit('peer-down', down);
      }
    }
    this.#byId.clear();
    this.#key?.destroy();
    this.#psk.fill(0);
    this.#selfId = null;
    if (error !== null) this.#emit('error', { ...error.toJSON(), fatal: true });
    this.#setState(SessionState.CLOSED, error);
  }

  // ------------------------------------------------------------------ room messages

  #onRoomMessage(conn, msg) {
    if (conn !== this.#conn) return;
    switch (msg.type) {
      case 'JOINED':
        this.#onJoined(conn, msg);
        break;
      case 'PEER_JOINED':
        if (this.#joined) this.#onPeerJoined(msg.peerId, msg.publicKey);
        break;
      case 'PEER_LEFT':
        if (this.#joined) this.#onPeerLeft(toHex(msg.peerId));
        break;
      case 'RELAYED':
        if (this.#joined) this.#onRelayed(toHex(msg.from), msg.envelope);
        break;
      case 'ERROR':
        this.#onRoomError(msg);
        break;
      default:
        break; // the decoder accepts only gateway-to-client types
    }
  }

  #onJoined(conn, msg) {
    if (this.#joined || this.#joinWaiter?.conn !== conn) return; // a second JOINED: ignore
    this.#joined = true;
    this.#selfId = msg.peerId;
    this.#iceServers = msg.iceServers.map(toRtcIceServer);
    this.#members.clear();
    this.#members.set(toHex(msg.peerId), this.#ownFp);
    // One seat per key: the last listed (join order) is the newest, e.g. a peer that
    // reconnected while its old seat is not yet gone.
    const latest = new Map();
    for (const p of msg.peers) {
      const fp = Fingerprint.toHex(Fingerprint.of(p.publicKey));
      this.#members.set(toHex(p.peerId), fp);
      if (fp !== this.#ownFp) latest.set(fp, p); // our own stale seat: no channel to ourselves
    }
    this.#setState(SessionState.JOINED);
    this.#joinWaiter.resolve();
    // Peers we knew that are no longer in the room (after a reconnection).
    for (const entry of this.#entries.values()) {
      if (!latest.has(entry.peer.keyFp) && entry.peer.state !== 'gone') this.#markGone(entry, 'left');
    }
    for (const [fp, p] of latest) this.#startInitiator(this.#entryFor(fp), p.peerId, p.publicKey);
    this.#viewChanged();
  }

  #onPeerJoined(peerId, publicKey) {
    const fp = Fingerprint.toHex(Fingerprint.of(publicKey));
    this.#members.set(toHex(peerId), fp);
    if (fp !== this.#ownFp) {
      const entry = this.#entryFor(fp);
      const current = entry.link;
      if (current !== null && current.established && this.#members.has(current.remoteIdHex)) {
        // A known key under a new id while its channel is up and its old seat still there: the
        // peer reconnected before the gateway noticed its old connection was dead, or someone
        // who saw the key announces it. Only a completed handshake proves the key's owner is
        // behind the new seat, so the channel we have stays until the new one is up.
        this.#startCandidate(entry, peerId, publicKey);
      } else {
        if (entry.up) {
          entry.up = false;
          this.#emit('peer-down', { peer: entry.peer, reason: 'reconnecting' });
        }
        this.#startResponder(entry, peerId, publicKey);
      }
    }
    this.#viewChanged();
  }

  #onPeerLeft(idHex) {
    this.#members.delete(idHex);
    const entry = this.#byId.get(idHex);
    if (entry !== undefined) {
      this.#byId.delete(idHex);
      // After the envelopes already queued for this peer: a `bye` just before PEER_LEFT must
      // be read first. Then only if the id is still the one that left.
      entry.queue = entry.queue.then(() => {
        if (entry.candidate?.remoteIdHex === idHex) this.#dropCandidate(entry, null);
        else if (entry.peer.id === idHex) this.#peerLeft(entry);
      });
    }
    this.#viewChanged();
  }

  #peerLeft(entry) {
    if (entry.candidate !== null) {
      // The old seat is gone and a new one with the same key is handshaking: that is the peer.
      this.#promoteCandidate(entry);
      return;
    }
    if (entry.byeReceived) {
      this.#endLink(entry);
      this.#membership.removePeer(entry.peer.keyFp);
      this.#entries.delete(entry.peer.keyFp); // it left on purpose; its key is gone with it
      this.#peers.delete(entry.peer.keyFp);
    } else {
      this.#markGone(entry, 'left');
    }
  }

  #onRoomError({ code, ref }) {
    const name = errorName(code) ?? LOCAL_CODES.UNKNOWN_FAILURE;
    const error = new SignalError(name);
    if (this.#joinWaiter !== null && !this.#joined && JOIN_ERRORS.has(name)) {
      this.#joinWaiter.reject(error);
      this.#joinWaiter.conn.close(1000);
      return;
    }
    if (name === 'UNKNOWN_PEER') {
      this.stats.ignoredEnvelopes++; // the peer just left; its PEER_LEFT is on the way
      return;
    }
    // Not fatal (room-protocol.md: ERROR replies leave the connection open). SHUTTING_DOWN is
    // followed by close 1001, and the reconnection says so.
    if (name !== 'SHUTTING_DOWN') {
      this.#emit('warning', { ...error.toJSON(), peerId: ref === null ? null : toHex(ref) });
    }
  }

  #onRelayed(fromHex, envelope) {
    const entry = this.#byId.get(fromHex);
    let link = null;
    if (entry !== undefined) {
      if (entry.link?.remoteIdHex === fromHex) link = entry.link;
      else if (entry.candidate?.remoteIdHex === fromHex) link = entry.candidate;
    }
    if (link === null || link.ended) {
      this.stats.ignoredEnvelopes++; // a stale or failed id: its messages mean nothing now
      return;
    }
    entry.queue = entry.queue.then(() => this.#processEnvelope(entry, link, envelope));
  }

  // ------------------------------------------------------------------ peers
  //
  // An entry is one remote per-session key (one Peer). entry.link is its current PeerChannel (one
  // peer id, one handshake, one channel); entry.candidate a second one for a new id announced
  // with the same key while the current channel is still up. Every PeerChannel carries its own
  // handshake timer (link.timer).

  #entryFor(fp) {
    let entry = this.#entries.get(fp);
    if (entry === undefined) {
      entry = {
        peer: new Peer(fp), link: null, candidate: null, helloTimer: null, queue: Promise.resolve(),
        up: false, byeReceived: false, goneAt: 0,
      };
      this.#entries.set(fp, entry);
      this.#peers.set(fp, entry.peer);
      this.#pruneGone();
    }
    return entry;
  }

  #pruneGone() {
    const gone = [...this.#entries.values()].filter((e) => e.peer.state === 'gone').sort((a, b) => a.goneAt - b.goneAt);
    for (const e of gone.slice(0, Math.max(0, gone.length - MAX_GONE_PEERS))) {
      this.#entries.delete(e.peer.keyFp);
      this.#peers.delete(e.peer.keyFp);
    }
  }

  #context(remoteId, publicKey) {
    return { roomId: this.#roomId, psk: this.#psk, ownId: this.#selfId, remoteId, ownKey: this.#key, remoteKey: publicKey };
  }

  /** We joined later: PI1 to the peer listed in JOINED. */
  #startInitiator(entry, peerId, publicKey) {
    this.#endLink(entry);
    this.#dropCandidate(entry, null);
    let started;
    try {
      started = PeerChannel.initiate(this.#context(peerId, publicKey));
    } catch (e) {
      // INVALID_PUBLIC_KEY: the announced key is unusable. Track the id so its envelopes are ignored.
      this.#bindId(entry, peerId);
      this.#updatePeer(entry, { id: toHex(peerId), role: 'initiator', polite: false, sas: null });
      this.#peerFailed(entry, null, SignalError.from(e, 'INVALID_PUBLIC_KEY').code);
      return;
    }
    this.#attach(entry, started.channel);
    this.#relay(peerId, started.peerInit);
  }

  /** The peer joined later: wait for its PI1. */
  #startResponder(entry, peerId, publicKey) {
    this.#endLink(entry);
    this.#dropCandidate(entry, null);
    this.#attach(entry, PeerChannel.respond(this.#context(peerId, publicKey)));
  }

  /** A second seat with the key of an established peer: handshake with it beside the current channel. */
  #startCandidate(entry, peerId, publicKey) {
    this.#dropCandidate(entry, null);
    const link = PeerChannel.respond(this.#context(peerId, publicKey));
    entry.candidate = link;
    this.#byId.set(link.remoteIdHex, entry);
    this.#armTimer(entry, link);
  }

  /** The candidate replaces the current link: its handshake finished, or the old seat left. */
  #promoteCandidate(entry) {
    this.stats.seatsTakenOver++;
    const link = entry.candidate;
    entry.candidate = null;
    const oldId = entry.link?.remoteIdHex;
    this.#endLink(entry);
    if (oldId !== undefined && this.#byId.get(oldId) === entry) this.#byId.delete(oldId);
    this.#membership.removePeer(entry.peer.keyFp);
    if (entry.up) {
      entry.up = false;
      this.#emit('peer-down', { peer: entry.peer, reason: 'reconnecting' });
    }
    entry.link = link;
    entry.byeReceived = false;
    this.#updatePeer(entry, { id: link.remoteIdHex, role: link.role, polite: link.role === 'responder', state: 'handshaking', sas: null, error: null });
  }

  /** Ends the candidate; `code` non-null: its handshake failed, which is worth a warning (the current channel is unaffected). */
  #dropCandidate(entry, code) {
    const link = entry.candidate;
    if (link === null) return;
    entry.candidate = null;
    clearTimeout(link.timer);
    if (code !== null) {
      this.stats.seatsRefused++;
      link.fail(code);
      this.#emit('warning', { code, message: `A second seat announced with the key of a connected peer failed its handshake: ${describeError(code)}`, peerId: link.remoteIdHex, peer: entry.peer });
    } else {
      link.close();
    }
    // Its id stays mapped (if still in the room) so that its envelopes are ignored, not misread.
  }

  #bindId(entry, peerId) {
    const old = entry.peer.id;
    if (old !== null && this.#byId.get(old) === entry) this.#byId.delete(old);
    this.#byId.set(toHex(peerId), entry);
  }

  #attach(entry, link) {
    this.#bindId(entry, link.remoteId);
    entry.link = link;
    entry.byeReceived = false;
    this.#armTimer(entry, link);
    this.#updatePeer(entry, {
      id: link.remoteIdHex, role: link.role, polite: link.role === 'responder', state: 'handshaking', sas: null, error: null,
    });
  }

  /** spec/peer-handshake.md §8: a handshake that does not finish in time fails with HANDSHAKE_TIMEOUT. */
  #armTimer(entry, link) {
    link.timer = setTimeout(() => {
      if (link.established || link.ended) return;
      if (entry.link === link) this.#peerFailed(entry, link, 'HANDSHAKE_TIMEOUT');
      else if (entry.candidate === link) this.#dropCandidate(entry, 'HANDSHAKE_TIMEOUT');
    }, this.#peerHandshakeTimeoutMs);
  }

  /** Ends the current link of `entry` (if any) without events. */
  #endLink(entry) {
    clearTimeout(entry.link?.timer);
    clearTimeout(entry.helloTimer);
    entry.helloTimer = null;
    entry.link?.close();
    entry.link = null;
  }

  async #processEnvelope(entry, link, envelope) {
    if (link.ended || (entry.link !== link && entry.candidate !== link)) return;
    if (!link.established) {
      let step;
      try {
        step = link.receiveHandshake(envelope);
      } catch (e) {
        const code = SignalError.from(e, 'UNEXPECTED_MESSAGE').code;
        if (entry.candidate === link) this.#dropCandidate(entry, code);
        else this.#peerFailed(entry, link, code);
        return;
      }
      if (step.reply !== null) this.#relay(link.remoteId, step.reply);
      if (step.established) {
        if (entry.candidate === link) this.#promoteCandidate(entry);
        this.#onEstablished(entry, link);
      }
      return;
    }
    let plaintext;
    try {
      plaintext = await link.openRecord(envelope);
    } catch (e) {
      if (entry.link === link) this.#peerFailed(entry, link, SignalError.from(e, 'UNEXPECTED_MESSAGE').code);
      return;
    }
    if (entry.link !== link) return;
    const { msg, drop } = decodePeerMessage(plaintext);
    if (drop !== undefined) {
      this.stats.droppedMessages++;
      this.#emit('message-dropped', { peer: entry.peer, reason: drop });
      return;
    }
    this.#onPeerMessage(entry, link, msg);
  }

  #onEstablished(entry, link) {
    clearTimeout(link.timer);
    this.#updatePeer(entry, { state: 'connected', sas: link.sas, error: null });
    // spec/peer-messages.md §2: hello first, then view.
    this.#sendRecord(entry, encodePeerMessage({ t: 'hello', name: this.#name, agent: this.#agent }));
    this.#sendRecord(entry, encodePeerMessage({ t: 'view', members: this.#viewMembers() }));
    entry.helloTimer = setTimeout(() => {
      if (entry.link === link && link.established) this.#peerUp(entry);
    }, this.#helloTimeoutMs);
  }

  #peerUp(entry) {
    if (entry.up) return;
    clearTimeout(entry.helloTimer);
    entry.helloTimer = null;
    entry.up = true;
    this.#emit('peer-up', { peer: entry.peer });
  }

  #onPeerMessage(entry, link, msg) {
    if (!KNOWN_TYPES.has(msg.t)) {
      this.stats.ignoredMessages++;
      return;
    }
    switch (msg.t) {
      case 'hello':
        this.#updatePeer(entry, { name: msg.name });
        this.#peerUp(entry);
        break;
      case 'view':
        if (this.#membership.setTheirs(entry.peer.keyFp, msg.members, this.#now())) this.#scheduleViewCheck();
        this.#peerUp(entry);
        break;
      case 'bye':
        break;
      default:
        this.#peerUp(entry); // a peer that skipped hello: still up
        break;
    }
    this.#emit('peer-message', { peer: entry.peer, msg });
    if (msg.t === 'bye' && entry.link === link) {
      entry.byeReceived = true;
      this.#endLink(entry);
      this.#dropCandidate(entry, null);
      this.#membership.removePeer(entry.peer.keyFp);
      this.#updatePeer(entry, { state: 'gone' });
      entry.goneAt = this.#now();
      entry.up = false;
      this.#emit('peer-down', { peer: entry.peer, reason: 'bye' });
    }
  }

  #markGone(entry, reason) {
    this.#endLink(entry);
    this.#dropCandidate(entry, null);
    this.#membership.removePeer(entry.peer.keyFp);
    const wasUp = entry.up;
    entry.up = false;
    entry.goneAt = this.#now();
    this.#updatePeer(entry, { state: 'gone' });
    if (wasUp) this.#emit('peer-down', { peer: entry.peer, reason });
    this.#pruneGone();
  }

  #peerFailed(entry, link, code) {
    link?.fail(code);
    clearTimeout(link?.timer);
    clearTimeout(entry.helloTimer);
    this.#membership.removePeer(entry.peer.keyFp);
    const error = { code, message: describeError(code) };
    this.#updatePeer(entry, { state: 'failed', sas: null, error });
    this.#emit('peer-failed', { peer: entry.peer, code, message: error.message });
    if (entry.up) {
      entry.up = false;
      this.#emit('peer-down', { peer: entry.peer, reason: 'failed', code });
    }
  }

  #updatePeer(entry, changes) {
    Object.assign(entry.peer, changes);
    this.#emit('peer-state', { peer: entry.peer });
  }

  // ------------------------------------------------------------------ sending

  #encodeAppMessage(msg) {
    if (msg !== null && typeof msg === 'object' && SESSION_TYPES.has(msg.t)) {
      throw new SignalError(LOCAL_CODES.INVALID_PEER_MESSAGE, `peer message refused: ${msg.t} is sent by the session itself`);
    }
    return encodePeerMessage(msg);
  }

  /** Seals one peer record on the entry's current link and relays it; never rejects. */
  #sendRecord(entry, bytes) {
    const link = entry.link;
    if (link === null || !link.established) return Promise.resolve(false);
    return link.seal(bytes).then(
      (record) => (entry.link === link ? this.#relay(link.remoteId, record) : false),
      () => false, // a sealer refusal ends only this send (RECORD_LIMIT_REACHED would need a new handshake)
    );
  }

  #relay(to, envelope) {
    const conn = this.#conn;
    if (conn === null || !this.#joined) return Promise.resolve(false);
    return conn.send({ type: 'RELAY', to, envelope });
  }

  // ------------------------------------------------------------------ membership cross-check

  #viewMembers() {
    return sortView([...this.#members].map(([id, fp]) => ({ id, fp })));
  }

  #viewChanged() {
    const members = this.#viewMembers();
    if (!this.#membership.setMine(members, this.#now())) return;
    const bytes = encodePeerMessage({ t: 'view', members });
    for (const entry of this.#entries.values()) {
      if (entry.link?.established) this.#sendRecord(entry, bytes);
    }
    this.#scheduleViewCheck();
  }

  #scheduleViewCheck() {
    clearTimeout(this.#viewTimer);
    const at = this.#membership.nextCheckAt();
    if (at === null || this.#state === SessionState.CLOSED) return;
    this.#viewTimer = setTimeout(() => {
      for (const m of this.#membership.evaluate(this.#now())) {
        const entry = this.#entries.get(m.key);
        if (entry === undefined) continue;
        this.#emit('view-mismatch', { peer: entry.peer, mine: m.mine, theirs: m.theirs, onlyMine: m.onlyMine, onlyTheirs: m.onlyTheirs });
      }
      this.#scheduleViewCheck();
    }, Math.max(0, Math.ceil(at - this.#now())));
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/** A JOINED ice_server as an RTCIceServer: empty username and credential are omitted (room-protocol.md). */
function toRtcIceServer(s) {
  const out = { urls: [...s.urls] };
  if (s.username !== '') out.username = s.username;
  if (s.credential !== '') out.credential = s.credential;
  return out;
}
