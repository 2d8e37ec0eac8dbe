// @ts-check
// The client's connection to the gateway: the pinned key from /.well-known/hybridge.json
// (spec/hop-handshake.md §3), the WebSocket to /ws, the hop handshake (§6.1, §6.3) and then the
// hop channel carrying one room message per record (spec/room-protocol.md §1).
//
// SECURITY:
// - fetchGatewayKey() refuses anything but a key whose SHA-256 equals the link's pin, before a
//   WebSocket exists (§3: "C MUST abort before opening the WebSocket").
// - Every failure is terminal for the connection (§7): the handshake state or channel is wiped,
//   the WebSocket closed, and a new connection starts from scratch.
// - A text WebSocket message is MALFORMED_MESSAGE (§2).

import { base64UrlDecode, constantTimeEquals } from '../protocol/bytes.js';
import { ProtocolError } from '../protocol/errors.js';
import { Fingerprint } from '../protocol/fingerprint.js';
import { HopClient } from '../protocol/hopClient.js';
import { XWING_PK_LEN } from '../protocol/primitives.js';
import { Direction, decodeRoomMessage, encodeRoomMessage } from '../protocol/roomCodec.js';
import { LOCAL_CODES, SignalError } from './errors.js';

/** @typedef {import('../protocol/record.js').Channel} Channel */

/** Below the gateway's default bucket (50/s, burst 200), leaving room for handshake messages and pongs. */
export const DEFAULT_SEND_RATE = Object.freeze({ perSecond: 40, burst: 150 });

/** A token bucket that waits for a token instead of refusing. */
class Pacer {
  #perMs;
  #burst;
  #tokens;
  #last;

  /** @param {number} perSecond @param {number} burst */
  constructor(perSecond, burst) {
    this.#perMs = perSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = performance.now();
  }

  async take() {
    for (;;) {
      const now = performance.now();
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#perMs);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil((1 - this.#tokens) / this.#perMs)));
    }
  }
}

/** The WebSocket endpoint of a gateway origin: ws: for http:, wss: for https: (room-protocol.md §1). @param {string} origin */
export function webSocketUrl(origin) {
  const u = new URL('/ws', origin);
  if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol === 'http:') u.protocol = 'ws:';
  else throw new TypeError('gateway origin must be http: or https:');
  return u.href;
}

/**
 * Checks a parsed well-known document against the pin, in the order of spec/hop-handshake.md
 * §3: strict base64url, 1216 bytes; SHA-256(public_key) equal as bytes to the pin (the
 * document's `fingerprint` member is never used); versions and suites containing 1. Returns the
 * public key or throws SignalError UNKNOWN_GATEWAY_KEY (pin mismatch), GATEWAY_KEY_RETIRED (the
 * pin is listed in `retired`, §3.1: still an abort, never a fallback to the current key, since the
 * document is not authenticated) or GATEWAY_INCOMPATIBLE.
 * @param {any} doc the parsed JSON (checked here) @param {Uint8Array} pinnedFingerprint @returns {Uint8Array}
 */
export function checkWellKnown(doc, pinnedFingerprint) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new SignalError(LOCAL_CODES.GATEWAY_INCOMPATIBLE);
  }
  const pk = base64UrlDecode(doc.public_key);
  if (pk === null || pk.length !== XWING_PK_LEN)
    throw new SignalError(LOCAL_CODES.GATEWAY_INCOMPATIBLE);
  if (
    !(pinnedFingerprint instanceof Uint8Array) ||
    !constantTimeEquals(Fingerprint.of(pk), pinnedFingerprint)
  ) {
    throw retiredOrMismatch(doc, pinnedFingerprint);
  }
  const has1 = (/** @type {unknown} */ list) => Array.isArray(list) && list.includes(1);
  if (!has1(doc.versions) || !has1(doc.suites))
    throw new SignalError(LOCAL_CODES.GATEWAY_INCOMPATIBLE);
  return pk;
}

/** §3.1: the error for a pin that does not match the current key. @param {any} doc @param {Uint8Array} pin */
function retiredOrMismatch(doc, pin) {
  if (!(pin instanceof Uint8Array) || !Array.isArray(doc.retired))
    return new SignalError('UNKNOWN_GATEWAY_KEY');
  const pinHex = Array.from(pin, (b) => b.toString(16).padStart(2, '0')).join('');
  for (const r of doc.retired) {
    if (r === null || typeof r !== 'object' || r.fingerprint !== pinHex) continue;
    const at = typeof r.retired_at === 'string' ? new Date(r.retired_at) : null;
    const when = at !== null && !Number.isNaN(at.getTime()) ? at : null;
    const message =
      when === null
        ? "This link uses the gateway's previous key, which its operator retired. Ask for a new link."
        : `This link uses the gateway's previous key, retired on ${when.toLocaleDateString()}. Ask for a new link.`;
    return new SignalError(LOCAL_CODES.GATEWAY_KEY_RETIRED, message, {
      retiredAt: when?.toISOString() ?? null,
    });
  }
  return new SignalError('UNKNOWN_GATEWAY_KEY');
}

/** Fetches and checks the gateway key (§3). Network failure: GATEWAY_UNREACHABLE. @param {string} origin @param {Uint8Array} pinnedFingerprint @param {typeof fetch} [fetchImpl] */
export async function fetchGatewayKey(origin, pinnedFingerprint, fetchImpl = globalThis.fetch) {
  let res;
  try {
    res = await fetchImpl(new URL('/.well-known/hybridge.json', origin).href, {
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new SignalError(LOCAL_CODES.GATEWAY_UNREACHABLE);
  }
  if (!res.ok) {
    // 5xx and 404 both mean: no usable gateway here now.
    throw new SignalError(
      res.status >= 500 ? LOCAL_CODES.GATEWAY_UNREACHABLE : LOCAL_CODES.GATEWAY_INCOMPATIBLE,
    );
  }
  let doc;
  try {
    doc = await res.json();
  } catch {
    throw new SignalError(LOCAL_CODES.GATEWAY_INCOMPATIBLE);
  }
  return checkWellKnown(doc, pinnedFingerprint);
}

/**
 * One WebSocket to the gateway carrying one hop channel. open() runs the hop handshake; then
 * send() seals room messages and the 'message' event delivers decoded ones, strictly in order.
 * Events (CustomEvent detail):
 *   'message' {msg}                      a decoded gateway-to-client room message
 *   'close'   {error: SignalError, code, reason, byUs}   once, when the connection ends
 * A connection is used once: after 'close' create a new one.
 */
export class GatewayConnection extends EventTarget {
  #url;
  #gatewayPublicKey;
  #WebSocketImpl;
  #handshakeTimeoutMs;
  #pacer;
  /** @type {WebSocket | null} */
  #ws = null;
  /** @type {import('../protocol/hopClient.js').AwaitingServerHello | null} while in WAIT_SERVER_HELLO */
  #hs = null;
  /** @type {Channel | null} */
  #channel = null;
  #closed = false;
  #recvChain = Promise.resolve();
  #sendChain = Promise.resolve();

  /**
   * origin: gateway origin (http: or https:); gatewayPublicKey: the pinned key from
   * fetchGatewayKey(); sendRate: {perSecond, burst} paces outgoing records below the gateway's per-connection
   *   token bucket (room-protocol.md "Limits": 50/s, burst 200 by default), so a burst of app
   *   messages waits instead of getting the connection closed with 4104 RATE_LIMITED; null: no pacing.
   * @param {{origin: string, gatewayPublicKey: Uint8Array, WebSocketImpl?: typeof WebSocket, handshakeTimeoutMs?: number,
   *          sendRate?: {perSecond: number, burst: number} | null}} o
   */
  constructor({
    origin,
    gatewayPublicKey,
    WebSocketImpl = globalThis.WebSocket,
    handshakeTimeoutMs = 10_000,
    sendRate = DEFAULT_SEND_RATE,
  }) {
    super();
    this.#url = webSocketUrl(origin);
    this.#gatewayPublicKey = gatewayPublicKey;
    this.#WebSocketImpl = WebSocketImpl;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    this.#pacer = sendRate === null ? null : new Pacer(sendRate.perSecond, sendRate.burst);
  }

  get established() {
    return this.#channel !== null && !this.#closed;
  }

  get closed() {
    return this.#closed;
  }

  /** The hop channel's handshake hash (public; names the session), or null before it is established. */
  handshakeHash() {
    return this.#channel?.handshakeHash() ?? null;
  }

  /**
   * Opens the WebSocket and runs the hop handshake; resolves once HS3 is sent (records may
   * follow at once, §6.3). Rejects with SignalError: HANDSHAKE_TIMEOUT when HS2 does not arrive
   * within handshakeTimeoutMs of creating the WebSocket, a protocol code for a bad HS2 or a
   * gateway close 4000+c, GATEWAY_UNREACHABLE if the WebSocket never opened.
   */
  open() {
    if (this.#ws !== null) return Promise.reject(new TypeError('a GatewayConnection opens once'));
    return /** @type {Promise<void>} */ (
      new Promise((resolve, reject) => {
        let opened = false;
        let settled = false;
        const settle = (/** @type {SignalError | undefined} */ err) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        const timer = setTimeout(() => {
          this.#fail(new SignalError('HANDSHAKE_TIMEOUT'), 4000 + 9);
        }, this.#handshakeTimeoutMs);
        this.addEventListener(
          'close',
          (e) => settle(/** @type {CustomEvent<{error: SignalError}>} */ (e).detail.error),
          { once: true },
        );

        let ws;
        try {
          ws = new this.#WebSocketImpl(this.#url);
        } catch {
          this.#end(new SignalError(LOCAL_CODES.GATEWAY_UNREACHABLE), 1000, '', false); // settles through 'close'
          return;
        }
        this.#ws = ws;
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => {
          opened = true;
          if (this.#closed) return;
          try {
            const { clientHello, next } = HopClient.start(this.#gatewayPublicKey); // §6.1
            this.#hs = next;
            ws.send(clientHello);
          } catch (e) {
            this.#fail(SignalError.from(e));
          }
        };
        ws.onmessage = (ev) => {
          if (this.#closed) return;
          if (!(ev.data instanceof ArrayBuffer)) {
            // §2: text messages do not exist in this protocol
            this.#fail(new SignalError('MALFORMED_MESSAGE'), 4001);
            return;
          }
          const bytes = new Uint8Array(ev.data);
          if (this.#channel === null) {
            this.#receiveServerHello(bytes);
            if (this.#channel !== null) settle(undefined);
          } else {
            this.#receiveRecord(bytes);
          }
        };
        ws.onerror = () => {}; // a close event always follows
        ws.onclose = (ev) => {
          if (this.#closed) return;
          const error = opened
            ? SignalError.fromClose(ev.code, ev.reason)
            : new SignalError(LOCAL_CODES.GATEWAY_UNREACHABLE);
          this.#end(error, ev.code, ev.reason, false);
        };
      })
    );
  }

  /** §6.3: HS2 → HS3; the hop channel is established. @param {Uint8Array} bytes */
  #receiveServerHello(bytes) {
    const hs = this.#hs;
    this.#hs = null;
    if (hs === null) {
      // a message before we sent HS1 cannot be HS2
      this.#fail(new SignalError('UNEXPECTED_MESSAGE'), 4002);
      return;
    }
    try {
      const { clientFinished, channel } = hs.receive(bytes);
      /** @type {WebSocket} */ (this.#ws).send(clientFinished);
      this.#channel = channel;
    } catch (e) {
      const err = SignalError.from(e);
      this.#fail(err, e instanceof ProtocolError ? e.closeCode : 1000);
    }
  }

  /** A hop record: open in order, decode one room message, dispatch. Any failure ends the connection. @param {Uint8Array} bytes */
  #receiveRecord(bytes) {
    const channel = /** @type {Channel} */ (this.#channel); // records come only after the handshake
    this.#recvChain = this.#recvChain.then(async () => {
      if (this.#closed) return;
      let msg;
      try {
        const plaintext = await channel.open(bytes);
        msg = decodeRoomMessage(plaintext, Direction.GATEWAY_TO_CLIENT);
      } catch (e) {
        this.#fail(SignalError.from(e), e instanceof ProtocolError ? e.closeCode : 1000);
        return;
      }
      if (this.#closed) return;
      this.dispatchEvent(new CustomEvent('message', { detail: { msg } }));
    });
  }

  /**
   * Seals one room message (an object for encodeRoomMessage) and sends it, after every message
   * sent before it. Resolves true once handed to the WebSocket, false if the connection is (or
   * becomes) closed; never rejects for network reasons. A malformed message object throws.
   * @param {import('../protocol/roomCodec.js').RoomMessage} roomMessage @returns {Promise<boolean>}
   */
  send(roomMessage) {
    const plaintext = encodeRoomMessage(roomMessage); // TypeError for a caller bug, synchronously
    if (!this.established) return Promise.resolve(false);
    const channel = /** @type {Channel} */ (this.#channel); // established, checked above
    const result = this.#sendChain.then(async () => {
      if (this.#pacer !== null) await this.#pacer.take();
      if (this.#closed) return false;
      let record;
      try {
        record = await channel.seal(plaintext);
      } catch (e) {
        this.#fail(SignalError.from(e), e instanceof ProtocolError ? e.closeCode : 1000);
        return false;
      }
      if (this.#closed) return false;
      try {
        /** @type {WebSocket} */ (this.#ws).send(record);
      } catch {
        this.#fail(new SignalError(LOCAL_CODES.CONNECTION_LOST));
        return false;
      }
      return true;
    });
    this.#sendChain = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /** Bytes queued in the WebSocket and not yet sent (0 when unknown). */
  get bufferedAmount() {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /**
   * Closes the connection on purpose (leave): waits for the messages already passed to send(),
   * then closes with `code` (1000). 'close' fires with CONNECTION_LOST and byUs = true.
   */
  async close(code = 1000, reason = '') {
    if (this.#closed) return;
    await this.#sendChain;
    if (this.#closed) return;
    this.#end(new SignalError(LOCAL_CODES.CONNECTION_LOST), code, reason, true);
  }

  /** Local failure: wipe, close the WebSocket (with 4000 + code where one applies), report. @param {SignalError} error @param {number} [closeCode] */
  #fail(error, closeCode = 1000) {
    if (this.#closed) return;
    this.#end(error, closeCode, error.code, true);
  }

  /** @param {SignalError} error @param {number} code @param {string} reason @param {boolean} byUs */
  #end(error, code, reason, byUs) {
    this.#closed = true;
    this.#hs?.abandon();
    this.#hs = null;
    this.#channel?.destroy();
    const ws = this.#ws;
    if (ws !== null && byUs) {
      try {
        // Only 1000 and 3000-4999 may be sent by an application.
        ws.close(
          code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000,
          String(reason).slice(0, 120),
        );
      } catch {
        // already closing
      }
    }
    this.dispatchEvent(new CustomEvent('close', { detail: { error, code, reason, byUs } }));
  }
}
