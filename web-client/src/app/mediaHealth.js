// @ts-check
// Knowing what is wrong with each person's media (issue "The meeting people expect"): a small
// connection-quality mark per person (round-trip time, loss and bitrate from getStats, detail on
// hover) and "can't decrypt this person's media" when SFrame authentication failures rise,
// instead of a silent black tile. Both are measured here, every POLL_MS, from this client's own
// RTCPeerConnections and SFrame worker; nothing is sent to anyone.

import { statsOf } from './rtcStats.js';

/**
 * @typedef {import('./call.js').Call} Call
 * @typedef {'good' | 'fair' | 'poor' | 'unknown'} Quality
 * @typedef {{quality: Quality, rttMs: number | null, lossPct: number | null, kbps: number | null,
 *   decryptFailing: boolean, authFailed: number, undecrypted: boolean}} Health
 *   `undecrypted`: video frames reach the decoder that our decrypting transform never saw
 * @typedef {{at: number, bytes: number, lost: number, received: number, videoFrames: number, transportBytes: number}} RtpSample
 * @typedef {{frames: number, authFailed: number, dropped: number}} SFrameSample
 */

export const POLL_MS = 2000;
/** Failures over one poll that make "can't decrypt" (with fewer frames decrypted than failed). */
export const DECRYPT_FAILING_MIN = 3;

/**
 * The quality from the figures of the last interval (null: not measured). Poor: loss over 10%,
 * a round trip over 400 ms, or nothing received while the person sends; fair: loss over 3% or a
 * round trip over 200 ms.
 * @param {{rttMs: number | null, lossPct: number | null, kbps: number | null, expectMedia: boolean}} f
 * @returns {Quality}
 */
export function qualityOf({ rttMs, lossPct, kbps, expectMedia }) {
  if (rttMs === null && lossPct === null && kbps === null) return 'unknown';
  if ((lossPct ?? 0) > 10 || (rttMs ?? 0) > 400 || (expectMedia && kbps !== null && kbps < 1))
    return 'poor';
  if ((lossPct ?? 0) > 3 || (rttMs ?? 0) > 200) return 'fair';
  return 'good';
}

/**
 * Whether a peer's media fails to decrypt, from its worker counters now and at the last poll:
 * failures rose by DECRYPT_FAILING_MIN or more and outnumber the frames that decrypted. It clears
 * once an interval passes with frames decrypting and no failure.
 * @param {boolean} was @param {SFrameSample | null} prev @param {SFrameSample} now
 */
export function decryptFailing(was, prev, now) {
  if (prev === null) return false;
  const failed = now.authFailed - prev.authFailed;
  const frames = now.frames - prev.frames;
  if (failed >= DECRYPT_FAILING_MIN && failed > frames) return true;
  if (was && failed === 0 && frames > 0) return false;
  return was;
}

/** Video frames received in one poll with nothing through the decrypting transform that make "undecrypted". */
export const UNDECRYPTED_MIN_FRAMES = 5;
/** Or bytes on the connection's transport in one poll, from a person who says they send media. */
export const UNDECRYPTED_MIN_BYTES = 16 * 1024;

/**
 * Whether a peer's media arrives but never passes our decrypting transform: media arrived over
 * the interval (`arriving`: video frames at the decoder, or the transport's bytes from someone
 * who says they send) while the SFrame worker opened and dropped nothing of that peer at all.
 * Chromium 156 did this to every receiver of a connection after a rolled-back offer
 * (spec/peer-messages.md §3): sealed frames went to the decoder, or nothing at all, with no error
 * anywhere. Clears once frames open again.
 * @param {boolean} was @param {boolean} arriving
 * @param {SFrameSample | null} prev @param {SFrameSample} now
 */
export function undecrypted(was, arriving, prev, now) {
  if (prev === null) return false;
  const seen = now.frames - prev.frames + (now.dropped - prev.dropped);
  if (seen > 0) return false;
  return was || arriving;
}

/** @type {WeakMap<Call, MediaHealth>} */
const byCall = new WeakMap();

/** The health of a call's peers (created by attach), or null. @param {Call | null} call */
export function healthOf(call) {
  return call ? (byCall.get(call) ?? null) : null;
}

export class MediaHealth {
  /**
   * @param {Call} call
   * @param {() => void} changed something shown changed: re-render the tiles
   * @param {(keyFp: string) => boolean} sends whether the person says it sends audio or video
   */
  constructor(call, changed, sends) {
    this.call = call;
    this.changed = changed;
    this.sends = sends;
    /** @type {Map<string, Health>} keyFp -> the last figures */
    this.health = new Map();
    /** @type {Map<string, RtpSample>} */
    this.rtp = new Map();
    /** @type {Map<string, SFrameSample>} */
    this.sframe = new Map();
    this.polling = false;
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      this.#poll()
        .catch(() => {})
        .finally(() => {
          this.polling = false;
        });
    }, POLL_MS);
    call.session.addEventListener('state', (e) => {
      if (/** @type {CustomEvent} */ (e).detail.state === 'closed') this.close();
    });
    byCall.set(call, this);
  }

  /** @param {string} keyFp @returns {Health | null} */
  of(keyFp) {
    return this.health.get(keyFp) ?? null;
  }

  async #poll() {
    const now = performance.now();
    /** @type {Record<string, {frames: number, dropped: Record<string, number>}> | null} */
    let receive = null;
    try {
      const s = /** @type {any} */ (await this.call.sframe.stats());
      receive = s?.receive ?? null;
    } catch {
      // the worker is gone (the call ends): no SFrame figures this time
    }
    let any = false;
    for (const p of this.call.peers.values()) {
      const m = p.media;
      if (!m || m.closed) continue;
      const prev = this.health.get(p.keyFp) ?? null;
      const rtp = await this.#rtp(p.keyFp, m.pc, now).catch(() => null);
      if (rtp === null) continue; // getStats late (statsOf): this peer's figures wait a round
      const r = receive?.[p.keyFp];
      /** @type {SFrameSample | null} */
      const sf = r
        ? {
            frames: r.frames,
            authFailed: r.dropped.authFailed,
            dropped: Object.values(r.dropped).reduce((a, b) => a + b, 0),
          }
        : null;
      const before = this.sframe.get(p.keyFp) ?? null;
      const failing = sf ? decryptFailing(prev?.decryptFailing ?? false, before, sf) : false;
      const arriving =
        (rtp.videoFrames ?? 0) >= UNDECRYPTED_MIN_FRAMES ||
        ((rtp.transportBytes ?? 0) >= UNDECRYPTED_MIN_BYTES && this.sends(p.keyFp));
      const bypassed = sf ? undecrypted(prev?.undecrypted ?? false, arriving, before, sf) : false;
      if (sf) this.sframe.set(p.keyFp, sf);
      /** @type {Health} */
      const h = {
        ...rtp,
        quality: qualityOf({ ...rtp, expectMedia: this.sends(p.keyFp) }),
        decryptFailing: failing,
        authFailed: sf?.authFailed ?? 0,
        undecrypted: bypassed,
      };
      this.health.set(p.keyFp, h);
      if (
        prev === null ||
        prev.quality !== h.quality ||
        prev.decryptFailing !== failing ||
        prev.undecrypted !== bypassed
      )
        any = true;
    }
    for (const m of [this.health, this.rtp, this.sframe])
      // a peer gone: its figures go too
      for (const k of m.keys()) if (!this.call.peers.has(k)) m.delete(k);
    if (any) this.changed();
  }

  /**
   * Round trip (the selected candidate pair), loss and received bitrate (inbound RTP, audio and
   * video together) over the interval since the last poll.
   * @param {string} keyFp @param {RTCPeerConnection} pc @param {number} now
   */
  async #rtp(keyFp, pc, now) {
    const report = await statsOf(pc);
    let rttMs = /** @type {number | null} */ (null);
    let bytes = 0;
    let lost = 0;
    let received = 0;
    let videoFrames = 0;
    let transportBytes = 0;
    report.forEach((/** @type {any} */ s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        if (typeof s.currentRoundTripTime === 'number') rttMs = s.currentRoundTripTime * 1000;
        transportBytes += s.bytesReceived ?? 0;
      }
      if (s.type === 'inbound-rtp') {
        bytes += s.bytesReceived ?? 0;
        lost += Math.max(0, s.packetsLost ?? 0);
        received += s.packetsReceived ?? 0;
        if (s.kind === 'video') videoFrames += s.framesReceived ?? 0;
      }
    });
    const prev = this.rtp.get(keyFp);
    this.rtp.set(keyFp, { at: now, bytes, lost, received, videoFrames, transportBytes });
    if (prev === undefined || now <= prev.at)
      return { rttMs, lossPct: null, kbps: null, videoFrames: null, transportBytes: null };
    const dLost = lost - prev.lost;
    const dPackets = dLost + (received - prev.received);
    return {
      rttMs,
      lossPct: dPackets > 0 ? (100 * Math.max(0, dLost)) / dPackets : null,
      kbps: (8 * Math.max(0, bytes - prev.bytes)) / (now - prev.at),
      videoFrames: Math.max(0, videoFrames - prev.videoFrames),
      transportBytes: Math.max(0, transportBytes - prev.transportBytes),
    };
  }

  close() {
    clearInterval(this.timer);
    byCall.delete(this.call);
  }
}

/** What the mark says, in words (its title and accessible name). @param {string} name @param {Health} h */
export function describeHealth(name, h) {
  const words = { good: 'good', fair: 'fair', poor: 'poor', unknown: 'not measured yet' };
  const parts = [];
  if (h.rttMs !== null) parts.push(`round trip ${Math.round(h.rttMs)} ms`);
  if (h.lossPct !== null) parts.push(`loss ${h.lossPct.toFixed(1)}%`);
  if (h.kbps !== null) parts.push(`${Math.round(h.kbps)} kbit/s received`);
  return `Connection to ${name}: ${words[h.quality]}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
