// @ts-check
// The session's connection state machine: the gateway key check (spec/hop-handshake.md §3), one
// GatewayConnection at a time (WebSocket and hop handshake), JOIN and its answer
// (spec/room-protocol.md), and after a loss, reconnection with backoff and the same key
// (spec/peer-messages.md §5):
//
//   IDLE -> CONNECTING -> HANDSHAKING -> JOINED <-> RECONNECTING
//     any -> CLOSED (leave, a failed first join, or a gateway that is not the pinned one)
//
// The session (session.js) decides what JOINED and the room messages mean for its peers; this
// file only connects, joins, and tells it (the hooks below).

import { errorName } from '../protocol/errors.js';
import { Fingerprint } from '../protocol/fingerprint.js';
import { LOCAL_CODES, SignalError } from './errors.js';
import { GatewayConnection, fetchGatewayKey } from './gatewayConnection.js';

/** Failures no reconnection can cure: the link's pin no longer names the gateway's key. */
const PIN_FAILURES = new Set([
  'UNKNOWN_GATEWAY_KEY',
  LOCAL_CODES.GATEWAY_INCOMPATIBLE,
  LOCAL_CODES.GATEWAY_KEY_RETIRED,
]);

/**
 * @typedef {import('../protocol/roomCodec.js').RoomMessage} RoomMessage
 * @typedef {import('./backoff.js').Backoff} Backoff
 * @typedef {Extract<RoomMessage, {type: 'JOINED'}>} JoinedMessage
 * @typedef {object} RoomConnectionHooks what the session does at each step
 * @property {(state: SessionState, error: SignalError | null) => void} state the state changed
 * @property {(msg: JoinedMessage) => void} joining JOINED arrived; before the state is JOINED
 * @property {(msg: JoinedMessage) => void} joined after the state became JOINED
 * @property {(msg: RoomMessage) => void} message PEER_JOINED, PEER_LEFT, RELAYED while joined; an ERROR that answers no JOIN
 * @property {(error: SignalError) => void} lost the joined connection ended; reconnection starts next
 * @property {(error: SignalError) => void} fatal reconnection gave up: the session must close
 */

/** @enum {string} */
export const SessionState = Object.freeze({
  IDLE: 'idle',
  CONNECTING: 'connecting',
  HANDSHAKING: 'handshaking',
  JOINED: 'joined',
  RECONNECTING: 'reconnecting',
  CLOSED: 'closed',
});

/** Room ERROR codes that answer a JOIN (the join fails). */
const JOIN_ERRORS = new Set(['ROOM_FULL', 'TOO_MANY_ROOMS', 'ALREADY_JOINED', 'NOT_IN_ROOM']);

export class RoomConnection {
  #origin;
  #pin;
  #WebSocketImpl;
  #fetchImpl;
  #hopHandshakeTimeoutMs;
  #joinTimeoutMs;
  #sendRate;
  #joinMessage;
  #hooks;
  #backoff;

  /** @type {SessionState} */
  #state = SessionState.IDLE;
  /** @type {GatewayConnection | null} */
  #conn = null;
  #joined = false;
  /** @type {{conn: GatewayConnection, resolve: () => void, reject: (e: unknown) => void} | null} */
  #joinWaiter = null;
  #leaving = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #sleepTimer = undefined;
  /** @type {(() => void) | null} */
  #sleepWake = null;
  /** @type {Uint8Array | null} */
  #gatewayFingerprint = null;

  /**
   * @param {object} o
   * @param {string} o.origin gateway origin
   * @param {Uint8Array} o.pin the link's gateway fingerprint (32 bytes)
   * @param {typeof WebSocket} o.WebSocketImpl
   * @param {typeof fetch} o.fetchImpl
   * @param {number} o.hopHandshakeTimeoutMs
   * @param {number} o.joinTimeoutMs
   * @param {{perSecond: number, burst: number} | null | undefined} o.sendRate undefined: GatewayConnection's default pacing
   * @param {Backoff} o.backoff
   * @param {() => RoomMessage} o.joinMessage the JOIN to send on each connection
   * @param {RoomConnectionHooks} o.hooks
   */
  constructor(o) {
    this.#origin = o.origin;
    this.#pin = o.pin;
    this.#WebSocketImpl = o.WebSocketImpl;
    this.#fetchImpl = o.fetchImpl;
    this.#hopHandshakeTimeoutMs = o.hopHandshakeTimeoutMs;
    this.#joinTimeoutMs = o.joinTimeoutMs;
    this.#sendRate = o.sendRate;
    this.#backoff = o.backoff;
    this.#joinMessage = o.joinMessage;
    this.#hooks = o.hooks;
  }

  get state() {
    return this.#state;
  }

  get joined() {
    return this.#joined;
  }

  get leaving() {
    return this.#leaving;
  }

  /** The gateway key's fingerprint, once checked against the pin. */
  get gatewayFingerprint() {
    return this.#gatewayFingerprint;
  }

  /** The current hop connection (null between connections). */
  get current() {
    return this.#conn;
  }

  /** @param {SessionState} state @param {SignalError | null} [error] */
  setState(state, error = null) {
    this.#state = state;
    this.#hooks.state(state, error);
  }

  /** The first connection and join; resolves after JOINED. Throws SignalError (see CallSession.start). */
  start() {
    return this.#connectAndJoin(false);
  }

  /** A RELAY to peer id `to`; resolves to false if not joined (never rejects). @param {Uint8Array} to @param {Uint8Array} envelope */
  relay(to, envelope) {
    const conn = this.#conn;
    if (conn === null || !this.#joined) return Promise.resolve(false);
    return conn.send({ type: 'RELAY', to, envelope });
  }

  /**
   * Leaving on purpose: `beforeLeave` (the byes) while still joined, LEAVE, close 1000.
   * @param {() => Promise<unknown>} beforeLeave
   */
  async leave(beforeLeave) {
    this.#leaving = true;
    this.#wakeSleep();
    const conn = this.#conn;
    if (conn !== null && this.#joined) {
      await beforeLeave();
      conn.send({ type: 'LEAVE' });
    }
    if (conn !== null) await conn.close(1000, 'leave');
  }

  /** The end: no more reconnection; the connection (if any) closes with 1000. The caller sets CLOSED. */
  shutdown() {
    this.#leaving = true;
    this.#wakeSleep();
    const conn = this.#conn;
    this.#conn = null;
    this.#joined = false;
    if (conn !== null && !conn.closed) conn.close(1000);
  }

  /** §3 key check, WebSocket, hop handshake, JOIN; resolves after JOINED. @param {boolean} reconnecting */
  async #connectAndJoin(reconnecting) {
    if (!reconnecting) this.setState(SessionState.CONNECTING);
    const pk = await fetchGatewayKey(this.#origin, this.#pin, this.#fetchImpl);
    if (this.#leaving) throw new SignalError(LOCAL_CODES.CONNECTION_LOST);
    this.#gatewayFingerprint = Fingerprint.of(pk);
    if (!reconnecting) this.setState(SessionState.HANDSHAKING);
    const conn = new GatewayConnection({
      origin: this.#origin,
      gatewayPublicKey: pk,
      WebSocketImpl: this.#WebSocketImpl,
      handshakeTimeoutMs: this.#hopHandshakeTimeoutMs,
      sendRate: this.#sendRate,
    });
    this.#conn = conn;
    conn.addEventListener('message', (e) =>
      this.#onRoomMessage(conn, /** @type {CustomEvent} */ (e).detail.msg),
    );
    conn.addEventListener('close', (e) =>
      this.#onClosed(conn, /** @type {CustomEvent} */ (e).detail),
    );
    await conn.open();
    if (this.#leaving) {
      await conn.close(1000, 'leave');
      throw new SignalError(LOCAL_CODES.CONNECTION_LOST);
    }
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @type {Promise<void>} */
    const joined = new Promise((resolve, reject) => {
      this.#joinWaiter = { conn, resolve, reject };
      timer = setTimeout(() => {
        // The gateway did not answer the JOIN: treat the connection as broken.
        conn.close(4000 + 9, 'HANDSHAKE_TIMEOUT');
        reject(
          new SignalError('HANDSHAKE_TIMEOUT', 'The gateway did not answer the join in time.'),
        );
      }, this.#joinTimeoutMs);
    });
    try {
      conn.send(this.#joinMessage());
      await joined;
    } finally {
      clearTimeout(timer);
      this.#joinWaiter = null;
    }
  }

  /** @param {GatewayConnection} conn @param {RoomMessage} msg */
  #onRoomMessage(conn, msg) {
    if (conn !== this.#conn) return;
    if (msg.type === 'JOINED') {
      if (this.#joined || this.#joinWaiter?.conn !== conn) return; // a second JOINED: ignore
      this.#joined = true;
      this.#hooks.joining(msg);
      this.setState(SessionState.JOINED);
      this.#joinWaiter.resolve();
      this.#hooks.joined(msg);
      return;
    }
    if (msg.type === 'ERROR' && this.#joinWaiter !== null && !this.#joined) {
      const name = errorName(msg.code) ?? LOCAL_CODES.UNKNOWN_FAILURE;
      if (JOIN_ERRORS.has(name)) {
        this.#joinWaiter.reject(new SignalError(name));
        this.#joinWaiter.conn.close(1000);
        return;
      }
    }
    if (msg.type === 'ERROR' || this.#joined) this.#hooks.message(msg);
  }

  /** @param {GatewayConnection} conn @param {{error: SignalError}} detail */
  #onClosed(conn, { error }) {
    if (conn !== this.#conn) return;
    this.#conn = null;
    if (this.#joinWaiter?.conn === conn) this.#joinWaiter.reject(error);
    const wasJoined = this.#joined;
    this.#joined = false;
    if (this.#leaving || !wasJoined) return;
    this.#hooks.lost(error);
    this.#reconnect(error);
  }

  /** @param {SignalError} error */
  async #reconnect(error) {
    this.setState(SessionState.RECONNECTING, error);
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
        if (PIN_FAILURES.has(err.code)) {
          // Another key at the same origin: not the gateway the link pins, or its key was
          // retired (spec/hop-handshake.md §3.1). No retry can succeed: stop and say why.
          this.#conn?.close(1000);
          this.#hooks.fatal(err);
          return;
        }
        // ROOM_FULL here usually means our own stale seat still counts; it goes when the
        // gateway notices the old connection is dead, so keep trying.
        this.setState(SessionState.RECONNECTING, err);
      }
    }
  }

  /** @param {number} ms */
  #sleep(ms) {
    return new Promise((resolve) => {
      this.#sleepWake = () => resolve(undefined);
      this.#sleepTimer = setTimeout(resolve, ms);
    });
  }

  #wakeSleep() {
    clearTimeout(this.#sleepTimer);
    this.#sleepWake?.();
    this.#sleepWake = null;
  }
}
