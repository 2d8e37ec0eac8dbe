// @ts-check
// The page side of SFrame (spec/media-sframe.md): ONE module worker per client that holds the one
// send context (§5: a second context with the same send key would repeat nonces), every sender
// and receiver transform attached to it, and the client's sequence of key epochs (§4).

import { SenderKeyEpochs } from '../media/sframe-keys.js';
import { base64UrlDecode, base64UrlEncode } from '../protocol/bytes.js';
import { STATS_DEADLINE_MS } from './rtcStats.js';

/** Which encoded-transform API this browser has (§7.3): the standard one, the legacy one, or none. */
export function transformApi() {
  if (typeof globalThis.RTCRtpScriptTransform === 'function') return 'script';
  if (typeof globalThis.RTCRtpSender?.prototype?.createEncodedStreams === 'function')
    return 'encoded-streams';
  return null;
}

export class SFrameMedia {
  /** @param {string} workerUrl the bundled sframe-worker (same origin: CSP worker-src 'self') */
  constructor(workerUrl) {
    this.api = transformApi();
    if (this.api === null) throw new Error('no encoded transform API');
    this.worker = new Worker(workerUrl, { type: 'module', name: 'sframe' });
    this.epochs = new SenderKeyEpochs();
    this.pending = new Map();
    this.nextRequestId = 1;
    this.currentKid = null;
    /** @type {((reason: string) => void) | null} the worker asks for a new send epoch */
    this.onRekeyNeeded = null;
    this.worker.onmessage = (e) => this.#onMessage(e.data);
    this.worker.onerror = () => {
      for (const p of this.pending.values()) p.reject(new Error('sframe worker failed'));
      this.pending.clear();
    };
  }

  /** @param {import('../media/workerMessages.js').WorkerReply} msg */
  #onMessage(msg) {
    if (msg?.type === 'rekeyNeeded') {
      this.onRekeyNeeded?.(msg.reason);
      return;
    }
    const p = this.pending.get(msg?.requestId);
    if (p === undefined) return;
    this.pending.delete(msg.requestId);
    if (msg.type === 'error')
      p.reject(Object.assign(new Error(msg.name), { code: msg.code, name: msg.name }));
    else p.resolve(msg);
  }

  /**
   * @param {import('../media/workerMessages.js').WorkerRequest} msg @param {Transferable[]} [transfer] @param {number} [deadlineMs] 0: none
   * @returns {Promise<import('../media/workerMessages.js').WorkerReply>}
   */
  #request(msg, transfer = [], deadlineMs = 0) {
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      if (deadlineMs > 0)
        timer = setTimeout(() => {
          this.pending.delete(requestId); // a late reply finds nothing and is dropped
          reject(new Error(`the SFrame worker did not answer '${msg.type}' in ${deadlineMs} ms`));
        }, deadlineMs);
      this.pending.set(requestId, {
        resolve: (/** @type {any} */ v) => (clearTimeout(timer), resolve(v)),
        reject: (/** @type {any} */ e) => (clearTimeout(timer), reject(e)),
      });
      this.worker.postMessage({ ...msg, requestId }, transfer);
    });
  }

  /**
   * Encrypt everything this sender sends (one send context for all peer connections). `layout`
   * 'vp8': its frames are VP8 sealed in the SFU layout (spec/media-sframe.md §7.5).
   * @param {RTCRtpSender} sender @param {'vp8'} [layout]
   */
  attachSender(sender, layout) {
    this.#attach(sender, layout === undefined ? { role: 'send' } : { role: 'send', layout });
  }

  /** Decrypt what arrives on this receiver with the keys of `peerId` only (§4.3). @param {RTCRtpReceiver} receiver @param {string} peerId */
  attachReceiver(receiver, peerId) {
    this.#attach(receiver, { role: 'receive', peerId });
  }

  /**
   * An SFU receiver (spec/sfu.md §5): whose frames it carries is known only from the SFU's
   * events, and may change when the SFU reuses the m-line. Frames are dropped until bindSlot().
   * `layout` 'vp8': its video frames are VP8 in the SFU layout (spec/media-sframe.md §7.5).
   * @param {RTCRtpReceiver} receiver @param {string} slot @param {'vp8'} [layout]
   */
  attachSlotReceiver(receiver, slot, layout) {
    this.#attach(
      receiver,
      layout === undefined ? { role: 'receive', slot } : { role: 'receive', slot, layout },
    );
  }

  /**
   * Puts the worker's transform with `options` on a sender or receiver, by the API this browser has.
   * @param {RTCRtpSender | RTCRtpReceiver} endpoint @param {Record<string, string>} options
   */
  #attach(endpoint, options) {
    if (this.api === 'script') {
      endpoint.transform = new RTCRtpScriptTransform(this.worker, options);
    } else {
      const { readable, writable } = endpoint.createEncodedStreams();
      this.worker.postMessage({ type: 'transform', ...options, readable, writable }, [
        readable,
        writable,
      ]);
    }
  }

  /**
   * A key frame on every SFU video sender (peer message `keyframe`, spec/sfu.md §5): on each of
   * the simulcast layers `rids`, or where none are named, generateKeyFrame() without one.
   * @param {string[]} [rids]
   */
  keyFrame(rids = []) {
    return this.#request({ type: 'keyFrame', rids }).catch(() => {});
  }

  /** Frames of `slot` are opened with `peerId`'s keys from now on (null: dropped). @param {string} slot @param {string | null} peerId */
  bindSlot(slot, peerId) {
    return this.#request({ type: 'bindSlot', slot, peerId }).catch(() => {});
  }

  /**
   * A new send epoch (§4.2): draws key and KID, hands the key message to `distribute` (which sends
   * it into every current member's peer channel) synchronously, and only then installs the key in
   * the worker. The worker handles control messages strictly in order, so the last epoch drawn is
   * the one that stays installed. Resolves to the new KID (a bigint) once installed. Our copy of
   * the key is wiped; the worker wipes its own after import.
   * @param {(msg: {t: 'key', kid: number, key: string}) => void} distribute @returns {Promise<bigint>}
   */
  rekey(distribute) {
    const { kid, baseKey } = this.epochs.next();
    let copy;
    try {
      distribute({ t: 'key', kid: Number(kid), key: base64UrlEncode(baseKey) });
      copy = baseKey.slice();
    } finally {
      baseKey.fill(0);
    }
    return this.#request({ type: 'setSendKey', kid, key: copy }, [copy.buffer]).then(() => {
      this.currentKid = kid;
      return kid;
    });
  }

  /** A key message from a peer's channel; installed for that peer only. Returns false if refused. @param {string} peerId @param {{kid?: number, key?: string}} msg */
  async addReceiveKey(peerId, msg) {
    const key = typeof msg?.key === 'string' ? base64UrlDecode(msg.key) : null;
    const kid = msg.kid;
    if (
      key === null ||
      key.length !== 32 ||
      kid === undefined ||
      !Number.isSafeInteger(kid) ||
      kid < 0
    )
      return false;
    try {
      await this.#request({ type: 'addReceiveKey', peerId, kid, key }, [key.buffer]);
      return true;
    } catch {
      return false; // a KID that peer used before, or a malformed key: ignored (§4.3)
    }
  }

  /** @param {string} peerId */
  removePeer(peerId) {
    return this.#request({ type: 'removePeer', peerId }).catch(() => {});
  }

  // test-hook:begin
  /**
   * A broken peer, for the tests of the decrypt-failure mark (mediaHealth.js): a new send epoch
   * whose key message carries another key than the one installed, so that receivers fail to
   * decrypt everything sent under it.
   * @param {(msg: {t: 'key', kid: number, key: string}) => void} distribute
   */
  rekeyWithWrongKeyForTestingOnly(distribute) {
    const { kid, baseKey } = this.epochs.next();
    const wrong = crypto.getRandomValues(new Uint8Array(32));
    distribute({ t: 'key', kid: Number(kid), key: base64UrlEncode(wrong) });
    return this.#request({ type: 'setSendKey', kid, key: baseKey }, [baseKey.buffer]).then(() => {
      this.currentKid = kid;
      return kid;
    });
  }
  // test-hook:end

  /** The worker's counters; rejects if it has not answered in STATS_DEADLINE_MS (a poll must not hang on it). */
  async stats() {
    const reply = await this.#request({ type: 'stats' }, [], STATS_DEADLINE_MS);
    if (reply.type !== 'stats') return null;
    const { type: _type, requestId: _requestId, ...s } = reply;
    return s;
  }

  terminate() {
    this.worker.terminate();
  }
}

// test-hook:begin
/**
 * The benchmark's baseline only (bench/browser, __hybridgeTestConfig.sframe = false on both
 * sides): the same call with no encoded transforms, to measure what SFrame costs the sender.
 * Never used otherwise: media would go with DTLS-SRTP alone.
 */
export class NoSFrameForTestingOnly {
  api = 'none';
  currentKid = null;
  onRekeyNeeded = null;
  attachSender() {}
  attachReceiver() {}
  attachSlotReceiver() {}
  bindSlot() {
    return Promise.resolve();
  }
  keyFrame() {
    return Promise.resolve();
  }
  rekey() {
    return Promise.resolve(0n);
  }
  addReceiveKey() {
    return Promise.resolve(false);
  }
  removePeer() {
    return Promise.resolve();
  }
  stats() {
    return Promise.resolve(null);
  }
  terminate() {}
}
// test-hook:end
