// @ts-check
// Who is muted, whose camera is off, who is speaking (the tiles show it: tile.js markTile).
//
// - Muted and camera off are what each person says of itself: a `media` peer message
//   (spec/peer-messages.md §7) sent once a peer is up and whenever the state changes, read from
//   the peers' messages. It goes through the session's channels beside the Call (call.js ignores
//   the type), so the Call itself stays as it is.
// - Speaking is measured here, from the audio this client decodes: the energy of each peer's
//   inbound microphone audio (getStats totalAudioEnergy over totalSamplesDuration, i.e. the mean
//   power over an interval, which catches short sounds a sampled level would miss), and of our
//   own microphone (media-source stats). Hysteresis: a person starts speaking when the level of
//   the last second rises over SPEAK_ON, and stops only after HOLD_MS under SPEAK_OFF, so the
//   highlight does not flicker between words.

import { statsOf } from './rtcStats.js';

/**
 * @typedef {import('./call.js').Call} Call
 * @typedef {{audio: boolean, video: boolean}} MediaState
 * @typedef {{at: number, energy: number, duration: number}} Sample
 * @typedef {{samples: Sample[], speaking: boolean, quietSince: number}} Level
 */

/** RMS level (0-1, full scale) over the last second that makes someone a speaker (-36 dBFS). */
export const SPEAK_ON = 0.016;
/** ... and under which they stop being one, after HOLD_MS (-42 dBFS). */
export const SPEAK_OFF = 0.008;
export const HOLD_MS = 1500;
export const POLL_MS = 300;
const WINDOW_MS = 1000;

/**
 * The hysteresis, alone (unit tests: test/layout.test.js): the next speaking state from the
 * current one, the level now and how long it has been under SPEAK_OFF.
 * @param {boolean} speaking @param {number} rms @param {number} quietMs
 */
export function nextSpeaking(speaking, rms, quietMs) {
  if (!speaking) return rms >= SPEAK_ON;
  return !(rms < SPEAK_OFF && quietMs >= HOLD_MS);
}

/**
 * RMS over the samples of the last WINDOW_MS: the energy (sum of squared levels times seconds)
 * between the oldest and the newest sample, over the seconds between them.
 * @param {Sample[]} samples oldest first
 */
export function windowRms(samples) {
  if (samples.length < 2) return 0;
  const a = samples[0];
  const b = samples[samples.length - 1];
  const seconds = b.duration - a.duration;
  return seconds > 0 ? Math.sqrt(Math.max(0, b.energy - a.energy) / seconds) : 0;
}

/** @type {WeakMap<Call, MediaPresence>} */
const byCall = new WeakMap();

/** The presence of a call (created by attach), or null. @param {Call | null} call */
export function presenceOf(call) {
  return call ? (byCall.get(call) ?? null) : null;
}

export class MediaPresence {
  /** @param {Call} call @param {() => void} changed something shown changed: re-render the tiles */
  constructor(call, changed) {
    this.call = call;
    this.changed = changed;
    /** @type {Map<string, MediaState>} keyFp -> what the peer last said */
    this.remote = new Map();
    /** @type {Map<string, Level>} keyFp, or 'self' -> its audio level */
    this.levels = new Map();
    /** @type {MediaState | null} what we last sent to everyone */
    this.sent = null;
    const s = call.session;
    s.addEventListener('peer-up', (e) => {
      const keyFp = /** @type {CustomEvent} */ (e).detail.peer.keyFp;
      this.#send(keyFp, this.local()); // after hello (the session sent it when the channel came up)
    });
    s.addEventListener('peer-message', (e) => {
      const { peer, msg } = /** @type {CustomEvent} */ (e).detail;
      if (msg.t !== 'media') return; // checked by the session (signal/peerMessages.js)
      this.remote.set(peer.keyFp, { audio: msg.audio, video: msg.video });
      this.changed();
    });
    s.addEventListener('peer-down', (e) => {
      const { peer, reason } = /** @type {CustomEvent} */ (e).detail;
      if (reason === 'reconnecting') return; // it says its state again when it is back
      this.remote.delete(peer.keyFp);
      this.levels.delete(peer.keyFp);
    });
    s.addEventListener('state', (e) => {
      if (/** @type {CustomEvent} */ (e).detail.state === 'closed') this.close(); // left or failed
    });
    this.polling = false; // one round of getStats at a time, however slow the machine
    /** What the level measurement costs (the test hook shows it): rounds, their total ms, skipped ticks. */
    this.cost = { rounds: 0, ms: 0, skipped: 0 };
    this.timer = setInterval(() => {
      if (this.polling) {
        this.cost.skipped++;
        return;
      }
      this.polling = true;
      const t0 = performance.now();
      this.#poll()
        .catch(() => {})
        .finally(() => {
          this.polling = false;
          this.cost.rounds++;
          this.cost.ms += performance.now() - t0;
        });
    }, POLL_MS);
    byCall.set(call, this);
  }

  /** Our own state, from the tracks: on means live and enabled. @returns {MediaState} */
  local() {
    const on = (/** @type {MediaStreamTrack[]} */ ts) =>
      ts.some((t) => t.readyState === 'live' && t.enabled);
    const s = this.call.localStream;
    return { audio: on(s.getAudioTracks()), video: on(s.getVideoTracks()) };
  }

  /** Tells every peer that is up, if our state changed since the last time. */
  announce() {
    const now = this.local();
    if (this.sent !== null && this.sent.audio === now.audio && this.sent.video === now.video)
      return;
    this.sent = now;
    for (const p of this.call.peers.values()) if (p.peer.channelOpen) this.#send(p.keyFp, now);
    this.changed();
  }

  /** @param {string} keyFp @param {MediaState} state */
  #send(keyFp, state) {
    try {
      this.call.session.send(keyFp, { t: 'media', ...state });
    } catch {
      // the channel is going down; the next peer-up sends the state again
    }
  }

  /** What a peer said, or null before its first `media` message. @param {string} keyFp */
  of(keyFp) {
    return this.remote.get(keyFp) ?? null;
  }

  /** @param {string} key a peer's keyFp, or 'self' */
  speaking(key) {
    return this.levels.get(key)?.speaking === true;
  }

  async #poll() {
    const now = performance.now();
    /** @type {[string, RTCRtpReceiver | RTCRtpSender, string][]} */
    const sources = [];
    for (const p of this.call.peers.values()) {
      const m = p.media;
      if (m && !m.closed) sources.push([p.keyFp, m.slots.mic.receiver, 'inbound-rtp']);
    }
    const first = [...this.call.peers.values()].find((p) => p.media && !p.media.closed)?.media;
    if (first) sources.push(['self', first.slots.mic.sender, 'media-source']);
    let any = false;
    for (const [key, source, type] of sources) {
      const report = await statsOf(source).catch(() => null); // one late source skips this round only
      if (report === null) continue;
      /** @type {any} */
      let audio = null;
      report.forEach((/** @type {any} */ s) => {
        if (s.type === type && s.kind === 'audio' && s.totalAudioEnergy !== undefined) audio = s;
      });
      if (audio === null) continue;
      any = this.#measure(key, now, audio.totalAudioEnergy, audio.totalSamplesDuration) || any;
    }
    if (any) this.changed();
  }

  /** Adds a sample; true if the speaking state changed. @param {string} key @param {number} at @param {number} energy @param {number} duration */
  #measure(key, at, energy, duration) {
    let l = this.levels.get(key);
    if (l === undefined) {
      l = { samples: [], speaking: false, quietSince: at };
      this.levels.set(key, l);
    }
    l.samples.push({ at, energy, duration });
    while (l.samples.length > 2 && at - l.samples[1].at >= WINDOW_MS) l.samples.shift();
    const rms = windowRms(l.samples);
    if (rms >= SPEAK_OFF) l.quietSince = at;
    const muted = key === 'self' ? !this.local().audio : this.of(key)?.audio === false;
    const next = !muted && nextSpeaking(l.speaking, rms, at - l.quietSince);
    const was = l.speaking;
    l.speaking = next;
    return was !== next;
  }

  close() {
    clearInterval(this.timer);
    byCall.delete(this.call);
  }
}
