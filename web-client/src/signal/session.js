// @ts-check
// CallSession: one person in one room, as the app sees it (notes: web-client/src/signal API in
// APP_API.md). It ties together
//   - the connection state machine: gateway key check, hop channel, JOIN, reconnection with
//     backoff and the same key (roomConnection.js, spec/hop-handshake.md, spec/room-protocol.md),
//   - the peers: one state machine per remote key (peerState.js), one peer channel per member
//     (peerChannel.js, spec/peer-handshake.md), driven by peerTable.js,
//   - peer messages inside those channels (peerMessages.js, spec/peer-messages.md §1-§2),
//   - the room view and its cross-check (roomView.js, membership.js, spec/peer-messages.md §4).
// Its events are listed, with their details, in events.js.
//
// SECURITY:
// - The room secret and psk never leave this object: the gateway gets room_id only; psk enters
//   peer handshakes only. Neither is logged, persisted or put into an event.
// - The per-session key lives from start() to leave() (or a fatal error), across reconnections
//   (spec/peer-messages.md §5), and is destroyed then.
// - A failure of one peer channel fails that peer only; other peers are not disturbed.
// - Event details carry no secret: codes, readable messages, public ids and fingerprints.

import { toHex } from '../protocol/bytes.js';
import { Fingerprint } from '../protocol/fingerprint.js';
import { RoomSecret } from '../protocol/room.js';
import { XWingKeyPair } from '../protocol/xwingKeyPair.js';
import { Backoff } from './backoff.js';
import { LOCAL_CODES, SignalError } from './errors.js';
import { VIEW_STABLE_MS } from './membership.js';
import { SESSION_TYPES, encodePeerMessage } from './peerMessages.js';
import { PeerTable } from './peerTable.js';
import { RoomConnection, SessionState } from './roomConnection.js';
import { RoomEvents } from './roomEvents.js';
import { RoomView } from './roomView.js';

export { SessionState } from './roomConnection.js';
export { Peer, PeerPhase } from './peerState.js';

/**
 * How long a peer pair may take to reach ESTABLISHED (spec/peer-handshake.md §8). A newcomer
 * runs its handshakes with every member at once: in a room of eight on a loaded two-core machine
 * three of seven pairs passed 10 s, and a pair that times out stays failed for the call.
 */
export const PEER_HANDSHAKE_TIMEOUT_MS = 30_000;
/**
 * @typedef {import('./events.js').SessionEvents} SessionEvents
 * @typedef {import('./events.js').SessionStats} SessionStats
 * @typedef {import('./roomEvents.js').IceServer} IceServer
 * @typedef {object} CallSessionOptions
 * @property {string} origin gateway origin, e.g. location.origin
 * @property {Uint8Array} roomSecret 32 bytes from the link fragment (not kept: room_id and psk are derived at once)
 * @property {Uint8Array} pinnedFingerprint 32 bytes from the link fragment
 * @property {string} name display name, sent only inside peer channels (1-64 characters)
 * @property {typeof WebSocket} [WebSocketImpl]
 * @property {typeof fetch} [fetchImpl]
 * @property {() => number} [random] for the backoff jitter
 * @property {string} [agent] hello.agent
 * @property {number} [peerHandshakeTimeoutMs] PEER_HANDSHAKE_TIMEOUT_MS
 * @property {number} [hopHandshakeTimeoutMs] 10 s
 * @property {number} [joinTimeoutMs] 10 s
 * @property {number} [helloTimeoutMs] 5 s: 'peer-up' fires without a hello after this
 * @property {number} [viewStableMs] 3 s
 * @property {{minMs?: number, maxMs?: number}} [backoff] 0.5 s .. 8 s
 * @property {{perSecond: number, burst: number} | null} [sendRate] 40/s, burst 150: paces records below the gateway's rate limit; null turns pacing off
 * @property {Uint8Array} [pskOverrideForTestingOnly] in tests only (not in the served bundle): a session with the right room id and a wrong psk, i.e. a gateway-made impostor
 */

export class CallSession extends EventTarget {
  #roomId;
  #psk;
  /** @type {XWingKeyPair | null} */
  #key = null;
  /** @type {string | null} */
  #ownFp = null;
  /** @type {Uint8Array | null} */
  #selfId = null;
  /** @type {IceServer[]} */
  #iceServers = [];
  #started = false;
  #now;
  #connection;
  #view;
  #table;
  #room;

  /** @type {SessionStats} counters for tests and diagnostics (no content) */
  stats = {
    droppedMessages: 0,
    ignoredMessages: 0,
    ignoredEnvelopes: 0,
    ignoredFrames: 0,
    reconnects: 0,
    seatsTakenOver: 0,
    seatsRefused: 0,
  };

  /** @param {CallSessionOptions} o */
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
      if (
        !(o.pskOverrideForTestingOnly instanceof Uint8Array) ||
        o.pskOverrideForTestingOnly.length !== 32
      ) {
        throw new TypeError('pskOverrideForTestingOnly must be 32 bytes');
      }
      this.#psk.fill(0);
      this.#psk = o.pskOverrideForTestingOnly.slice();
    }
    // test-hook:end
    room.destroy();
    this.#now = () => performance.now();
    this.#connection = new RoomConnection({
      origin: o.origin,
      pin: o.pinnedFingerprint.slice(),
      WebSocketImpl: o.WebSocketImpl ?? globalThis.WebSocket,
      fetchImpl: o.fetchImpl ?? ((...a) => globalThis.fetch(...a)),
      hopHandshakeTimeoutMs: o.hopHandshakeTimeoutMs ?? 10_000,
      joinTimeoutMs: o.joinTimeoutMs ?? 10_000,
      sendRate: o.sendRate, // undefined: GatewayConnection's default pacing
      backoff: new Backoff({ ...(o.backoff ?? {}), random: o.random ?? Math.random }),
      joinMessage: () => ({
        type: 'JOIN',
        roomId: this.#roomId,
        publicKey: /** @type {XWingKeyPair} */ (this.#key).publicKey(),
      }),
      hooks: {
        state: (state, error) =>
          this.#emit('state', error === null ? { state } : { state, error: error.toJSON() }),
        joining: (msg) => {
          this.#selfId = msg.peerId;
          this.#iceServers = this.#room.joining(msg);
        },
        joined: (msg) => this.#room.joined(msg),
        message: (msg) => this.#room.message(msg),
        lost: (error) => this.#onConnectionLost(error),
        fatal: (error) => this.#closeFinal(error),
      },
    });
    this.#view = new RoomView({
      stableMs: o.viewStableMs ?? VIEW_STABLE_MS,
      now: this.#now,
      onMismatch: (m) => {
        const peer = this.#table.peers.get(m.key);
        if (peer !== undefined)
          this.#emit('view-mismatch', {
            peer,
            mine: m.mine,
            theirs: m.theirs,
            onlyMine: m.onlyMine,
            onlyTheirs: m.onlyTheirs,
          });
      },
      sendToAll: (bytes) => this.#table.sendToAll(bytes),
    });
    this.#table = new PeerTable({
      host: {
        emit: (type, detail) => this.#emit(type, detail),
        relay: (to, envelope) => this.#connection.relay(to, envelope),
        context: (remoteId, remoteKey) => ({
          roomId: this.#roomId,
          psk: this.#psk,
          ownId: /** @type {Uint8Array} */ (this.#selfId),
          remoteId,
          ownKey: /** @type {XWingKeyPair} */ (this.#key),
          remoteKey,
        }),
      },
      view: this.#view,
      name: o.name,
      agent: typeof o.agent === 'string' ? o.agent : 'hybridge-web/0.1',
      handshakeTimeoutMs: o.peerHandshakeTimeoutMs ?? PEER_HANDSHAKE_TIMEOUT_MS,
      helloTimeoutMs: o.helloTimeoutMs ?? 5_000,
      now: this.#now,
      stats: this.stats,
    });
    this.#room = new RoomEvents({
      view: this.#view,
      table: this.#table,
      ownFp: () => /** @type {string} */ (this.#ownFp),
      emit: (type, detail) => this.#emit(type, detail),
      stats: this.stats,
    });
  }

  // ------------------------------------------------------------------ public API

  /** 'idle' | 'connecting' | 'handshaking' | 'joined' | 'reconnecting' | 'closed' */
  get state() {
    return this.#connection.state;
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
    return this.#connection.gatewayFingerprint?.slice() ?? null;
  }

  /** RTCIceServer[] from the latest JOINED (TURN credentials arrive only after a join). */
  get iceServers() {
    return this.#iceServers.map((s) => ({ ...s, urls: [...s.urls] }));
  }

  /** Map<keyFp hex, Peer>: every peer seen in this call, including 'failed' and 'gone' ones (filter by state). */
  get peers() {
    return this.#table.peers;
  }

  /** Our room view as sent in `view` messages: [{id, fp}] sorted by id. */
  get view() {
    return this.#view.members();
  }

  /** True while the channel to some peer runs peer to peer, without the gateway (spec/data-channel.md). */
  get peerToPeer() {
    return this.#table.peerToPeer;
  }

  /** Which path the records of the channel to `keyFp` take each way ({send, receive}: 'relay' or 'data'), or null. @param {string} keyFp */
  pathsOf(keyFp) {
    return this.#table.pathsOf(keyFp);
  }

  /**
   * The data channel to the peer with key fingerprint `keyFp` (spec/data-channel.md §1: negotiated,
   * id 0, made with its RTCPeerConnection). Its peer records take it once it is open; the gateway
   * relay carries them until then. Call again for a new RTCPeerConnection.
   * @param {string} keyFp @param {RTCDataChannel} dc
   */
  attachDataChannel(keyFp, dc) {
    this.#table.attachDataChannel(keyFp, dc);
  }

  /**
   * Our direction of the channel to `keyFp` on its open data channel, for file chunks
   * (spec/files.md), or null while it is not there (it may still be on the gateway relay).
   * @param {string} keyFp @returns {import('./peerTransport.js').DirectPath | null}
   */
  direct(keyFp) {
    return this.#table.direct(keyFp);
  }

  /**
   * One SFU_REQUEST on the hop channel (spec/sfu.md §2): `handle` 1 publisher, 2 subscriber;
   * `txn` 8 bytes, not all zero; `json` the request's UTF-8 JSON. Its answer comes as an
   * 'sfu-event' or 'sfu-error' event with the same txn. Returns false if not joined now.
   * @param {number} handle @param {Uint8Array} txn @param {Uint8Array} json
   */
  sfuRequest(handle, txn, json) {
    const conn = this.#connection.current;
    if (conn === null || !this.#connection.joined) return false;
    conn.send({ type: 'SFU_REQUEST', handle, txn, json });
    return true;
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
      if (globalThis.crypto?.subtle === undefined)
        throw new SignalError(LOCAL_CODES.INSECURE_CONTEXT);
      this.#key = XWingKeyPair.generate();
      this.#ownFp = Fingerprint.toHex(this.#key.fingerprint());
      await this.#connection.start();
    } catch (e) {
      const err = this.#connection.leaving
        ? new SignalError(LOCAL_CODES.CONNECTION_LOST, 'left before the join completed')
        : SignalError.from(e);
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
   * @param {string} keyFp @param {import('./peerMessages.js').PeerMessage} msg
   */
  send(keyFp, msg) {
    const bytes = this.#encodeAppMessage(msg);
    const entry = this.#table.established(keyFp);
    if (entry === null) throw new SignalError(LOCAL_CODES.PEER_NOT_CONNECTED);
    return this.#table.send(entry, bytes);
  }

  /**
   * send() to every connected peer. Throws like send() (synchronously) for a message that breaks
   * a rule; resolves to the number of peers it was handed on for; never rejects.
   * @param {import('./peerMessages.js').PeerMessage} msg
   */
  broadcast(msg) {
    return this.#table.sendToAll(this.#encodeAppMessage(msg));
  }

  // test-hook:begin
  /** Test hook: sends any message, including session types (a fake `view`), without the app rules for them. @param {string} keyFp @param {object} msg */
  sendForTestingOnly(keyFp, msg) {
    const entry = this.#table.established(keyFp);
    if (entry === null) throw new SignalError(LOCAL_CODES.PEER_NOT_CONNECTED);
    return this.#table.send(entry, encodePeerMessage(msg));
  }

  /** Test hook: sends raw bytes as one peer record (to exercise the receiver's drop rules). @param {string} keyFp @param {Uint8Array} bytes */
  sendBytesForTestingOnly(keyFp, bytes) {
    const entry = this.#table.established(keyFp);
    if (entry === null) throw new SignalError(LOCAL_CODES.PEER_NOT_CONNECTED);
    return this.#table.send(entry, bytes);
  }

  /** Test hook: the live secret arrays (per-session key seed, psk), so tests can check that leave() wipes them. */
  secretsForTestingOnly() {
    return [...(this.#key?.secretsForTestingOnly() ?? []), this.#psk];
  }

  /** Test hook: the current hop connection, to break it from outside (e.g. `.close(4000)`). */
  connectionForTestingOnly() {
    return this.#connection.current;
  }
  // test-hook:end

  /**
   * Leaves the call: `bye` to every connected peer, LEAVE, close (1000); destroys the
   * per-session key and psk. State 'closed'. Safe to call more than once and at any time.
   */
  async leave() {
    if (this.state === SessionState.CLOSED) return;
    const bye = () => this.#table.sendToAll(encodePeerMessage({ t: 'bye' }));
    // Without the gateway the byes still reach the peers whose channel runs peer to peer.
    if (this.state !== SessionState.JOINED) await bye();
    await this.#connection.leave(bye);
    await this.#table.flush();
    this.#closeFinal(null);
  }

  // ------------------------------------------------------------------ connection

  /** End of the session: wipes the key and psk, ends every channel. `error` null for a leave. @param {SignalError | null} error */
  #closeFinal(error) {
    if (this.state === SessionState.CLOSED) return;
    this.#connection.shutdown();
    this.#view.close();
    this.#table.closeAll(error);
    this.#key?.destroy();
    this.#psk.fill(0);
    this.#selfId = null;
    if (error !== null) this.#emit('error', { ...error.toJSON(), fatal: true });
    this.#connection.setState(SessionState.CLOSED, error);
  }

  /** The joined connection ended; the connection reconnects next. @param {SignalError} error */
  #onConnectionLost(error) {
    // A gateway close with a protocol code (4000 + c) is worth telling the user even though the
    // session carries on reconnecting; a plain loss or a restart is not an error.
    if (error.code !== LOCAL_CODES.CONNECTION_LOST && error.code !== 'SHUTTING_DOWN') {
      this.#emit('error', { ...error.toJSON(), fatal: false });
    }
    // Every peer channel rode on the connection; peers re-handshake after the rejoin.
    this.#selfId = null;
    this.#table.connectionLost();
    this.#view.lost(); // to the channels that carry on peer to peer: the others just ended
    this.stats.reconnects++;
  }

  // ------------------------------------------------------------------ sending and events

  /** @param {unknown} msg */
  #encodeAppMessage(msg) {
    if (
      msg !== null &&
      typeof msg === 'object' &&
      't' in msg &&
      SESSION_TYPES.has(/** @type {any} */ (msg).t)
    ) {
      throw new SignalError(
        LOCAL_CODES.INVALID_PEER_MESSAGE,
        `peer message refused: ${/** @type {any} */ (msg).t} is sent by the session itself`,
      );
    }
    return encodePeerMessage(msg);
  }

  /**
   * @template {keyof SessionEvents} K
   * @param {K} type @param {SessionEvents[K]} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
