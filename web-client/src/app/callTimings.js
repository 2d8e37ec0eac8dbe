// @ts-check
// What a call measures of itself, for the browser benchmark (bench/browser) and the test
// snapshot: performance.now() marks (ms since navigation start) of the session's states, the
// first peer channel, every peer handshake and the first decoded remote video frame. No key
// material, nothing sent anywhere.

import { statsOf } from './rtcStats.js';

/** @typedef {import('./mediaConnection.js').MediaConnection} MediaConnection */

export class CallTimings {
  constructor() {
    /** @type {number | null} */
    this.joinStarted = null;
    /** @type {number | null} */
    this.joined = null;
    /** @type {number | null} */
    this.firstPeerUp = null;
    /** @type {number | null} */
    this.firstRemoteVideo = null;
    /** @type {Record<string, number>} the first time the session entered each state */
    this.states = {};
    /** @type {number[]} each peer handshake's duration, first seen to up */
    this.peerHandshakes = [];
    /** @type {Map<string, number>} keyFp -> when its handshake was first seen */
    this.handshakeStarts = new Map();
    /** @type {{mode: string, at: number}[]} every mesh/SFU switch (sfuSwitch.js) */
    this.modes = [];
  }

  /** The room switched to mesh or SFU. @param {string} mode */
  mode(mode) {
    this.modes.push({ mode, at: performance.now() });
  }

  /** @param {string} state */
  state(state) {
    this.states[state] ??= performance.now();
  }

  /** A peer's handshake was seen (the first time counts). @param {string} keyFp */
  handshakeSeen(keyFp) {
    if (!this.handshakeStarts.has(keyFp)) this.handshakeStarts.set(keyFp, performance.now());
  }

  /** A peer's channel is up. @param {string} keyFp */
  peerUp(keyFp) {
    const now = performance.now();
    if (this.firstPeerUp === null) this.firstPeerUp = now;
    const started = this.handshakeStarts.get(keyFp);
    if (started !== undefined) {
      this.peerHandshakes.push(now - started);
      this.handshakeStarts.delete(keyFp);
    }
  }

  /** A media connection is connected: polls its stats until the first remote video frame is decoded. @param {MediaConnection} media */
  connected(media) {
    if (this.firstRemoteVideo !== null) return;
    const poll = async () => {
      if (this.firstRemoteVideo !== null || media.closed) return;
      const report = await statsOf(media.pc).catch(() => null);
      let decoded = 0;
      report?.forEach((/** @type {{type: string, kind?: string, framesDecoded?: number}} */ s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') decoded += s.framesDecoded ?? 0;
      });
      if (decoded > 0) this.firstRemoteVideo = performance.now();
      else setTimeout(poll, 20);
    };
    poll();
  }

  /** The marks, as plain data (for the test snapshot). */
  toJSON() {
    const { handshakeStarts: _starts, ...marks } = this;
    return marks;
  }
}
