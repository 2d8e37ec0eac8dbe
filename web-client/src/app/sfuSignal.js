// @ts-check
// The client side of SFU signaling (spec/sfu.md §2): Janus VideoRoom requests go out as
// SFU_REQUEST inside the hop channel, and Janus' answers and its own events come back as
// SFU_EVENT. The browser never reaches Janus itself; the gateway adds the room, the feed id and
// the Janus session, and refuses everything §2.1 does not list.
//
// request() resolves to the Janus answer of a request (its plugin data and jsep), and rejects with
// an SfuError: a gateway refusal (SFU_UNAVAILABLE, SFU_NOT_ALLOWED, SFU_MALFORMED, SFU_BUSY,
// SFU_TIMEOUT), a Janus error (JANUS_<code>), or SFU_NO_ANSWER when nothing came in time. Events
// Janus sends on its own arrive as 'janus' events; an SFU_UNAVAILABLE without a request ('lost':
// the member's Janus session is gone, spec/sfu.md §3.1) as a 'lost' event.

import { toHex } from '../protocol/bytes.js';

export const PUBLISHER = 1;
export const SUBSCRIBER = 2;

/** Our own deadline per request: the gateway answers SFU_TIMEOUT after its request-timeout (10 s). */
export const REQUEST_DEADLINE_MS = 15_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SfuError extends Error {
  /** @param {string} code @param {string} [detail] */
  constructor(code, detail = '') {
    super(detail === '' ? code : `${code}: ${detail}`);
    this.name = 'SfuError';
    this.code = code;
  }
}

/**
 * @typedef {{janus: string, plugindata?: {plugin?: string, data?: Record<string, any>},
 *            jsep?: RTCSessionDescriptionInit, error?: {code?: number, reason?: string},
 *            candidate?: RTCIceCandidateInit & {completed?: boolean}, [k: string]: unknown}} JanusMessage
 * @typedef {{handle: number, msg: JanusMessage}} JanusEvent
 */

export class SfuSignal extends EventTarget {
  #session;
  /** @type {Map<string, {resolve: (m: JanusMessage) => void, reject: (e: SfuError) => void, timer: ReturnType<typeof setTimeout>}>} */
  #pending = new Map();
  #closed = false;
  #onEvent;
  #onError;
  /** Requests sent, answered, refused (diagnostics). */
  counters = { sent: 0, answered: 0, refused: 0, events: 0, trickles: 0 };

  /** @param {import('../signal/session.js').CallSession} session */
  constructor(session) {
    super();
    this.#session = session;
    this.#onEvent = (/** @type {Event} */ e) =>
      this.#event(
        /** @type {CustomEvent<{handle: number, txn: string, json: Uint8Array}>} */ (e).detail,
      );
    this.#onError = (/** @type {Event} */ e) =>
      this.#error(/** @type {CustomEvent<{code: string, txn: string | null}>} */ (e).detail);
    session.addEventListener('sfu-event', this.#onEvent);
    session.addEventListener('sfu-error', this.#onError);
  }

  /**
   * A VideoRoom request on `handle` with an optional description (sent with `e2ee: true`: our
   * frames are SFrame-sealed, and a room with require_e2ee refuses a jsep without it).
   * @param {number} handle @param {Record<string, unknown>} body @param {RTCSessionDescriptionInit | null} [jsep]
   * @returns {Promise<JanusMessage>}
   */
  request(handle, body, jsep = null) {
    /** @type {Record<string, unknown>} */
    const msg = { janus: 'message', body };
    if (jsep !== null) msg.jsep = { type: jsep.type, sdp: jsep.sdp, e2ee: true };
    return this.#send(handle, msg, true);
  }

  /** A request whose answer nobody waits for (leaving, on the way out). @param {number} handle @param {Record<string, unknown>} body */
  fire(handle, body) {
    this.#send(handle, { janus: 'message', body }, false).catch(() => {});
  }

  /** Our ICE candidate (null: gathering complete) for Janus on `handle`; Janus only acks it. @param {number} handle @param {RTCIceCandidate | null} c */
  trickle(handle, c) {
    const candidate =
      c === null
        ? { completed: true }
        : { candidate: c.candidate, sdpMid: c.sdpMid ?? '0', sdpMLineIndex: c.sdpMLineIndex ?? 0 };
    this.counters.trickles++;
    this.#send(handle, { janus: 'trickle', candidate }, false).catch(() => {});
  }

  /** @param {number} handle @param {Record<string, unknown>} msg @param {boolean} answered @returns {Promise<JanusMessage>} */
  #send(handle, msg, answered) {
    if (this.#closed) return Promise.reject(new SfuError('SFU_CLOSED'));
    const txnBytes = crypto.getRandomValues(new Uint8Array(8));
    txnBytes[0] |= 1; // never 0^8 (spec/sfu.md §2)
    const txn = toHex(txnBytes);
    const sent = this.#session.sfuRequest(handle, txnBytes, encoder.encode(JSON.stringify(msg)));
    if (!sent) return Promise.reject(new SfuError('SFU_NOT_JOINED'));
    this.counters.sent++;
    if (!answered) return Promise.resolve(/** @type {JanusMessage} */ ({ janus: 'ack' }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(txn);
        reject(new SfuError('SFU_NO_ANSWER'));
      }, REQUEST_DEADLINE_MS);
      this.#pending.set(txn, { resolve, reject, timer });
    });
  }

  /** @param {{handle: number, txn: string, json: Uint8Array}} d */
  #event({ handle, txn, json }) {
    /** @type {JanusMessage} */
    let msg;
    try {
      msg = JSON.parse(decoder.decode(json));
    } catch {
      return this.#lost('SFU_MALFORMED_EVENT');
    }
    if (msg === null || typeof msg !== 'object') return this.#lost('SFU_MALFORMED_EVENT');
    const p = txn === '0000000000000000' ? undefined : this.#pending.get(txn);
    if (p === undefined) {
      this.counters.events++;
      this.dispatchEvent(new CustomEvent('janus', { detail: { handle, msg } }));
      return;
    }
    this.#pending.delete(txn);
    clearTimeout(p.timer);
    const data = msg.plugindata?.data;
    if (msg.janus === 'error') {
      this.counters.refused++;
      p.reject(new SfuError(`JANUS_${msg.error?.code ?? 0}`, String(msg.error?.reason ?? '')));
    } else if (data !== undefined && data.error_code !== undefined) {
      this.counters.refused++;
      p.reject(new SfuError(`JANUS_${data.error_code}`, String(data.error ?? '')));
    } else {
      this.counters.answered++;
      p.resolve(msg);
    }
  }

  /** @param {{code: string, txn: string | null}} d */
  #error({ code, txn }) {
    if (txn === null) return this.#lost(code);
    const p = this.#pending.get(txn);
    if (p === undefined) {
      // a refused trickle (Janus gone meanwhile, or over the bucket): the session says more
      this.dispatchEvent(new CustomEvent('refused', { detail: { code } }));
      return;
    }
    this.#pending.delete(txn);
    clearTimeout(p.timer);
    this.counters.refused++;
    p.reject(new SfuError(code));
  }

  /** The member's Janus session is gone (or sent what we cannot read). @param {string} code */
  #lost(code) {
    this.dispatchEvent(new CustomEvent('lost', { detail: { code } }));
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#session.removeEventListener('sfu-event', this.#onEvent);
    this.#session.removeEventListener('sfu-error', this.#onError);
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new SfuError('SFU_CLOSED'));
    }
    this.#pending.clear();
  }
}

/** feed_id = 1 + (u64(peer_id) mod (2^53 - 1)) (spec/sfu.md §4), from the peer id's hex. @param {string} peerIdHex */
export function feedIdOf(peerIdHex) {
  if (!/^[0-9a-f]{16}$/.test(peerIdHex)) throw new TypeError('a peer id is 8 bytes');
  return Number(1n + (BigInt(`0x${peerIdHex}`) % (2n ** 53n - 1n)));
}
