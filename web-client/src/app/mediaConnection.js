// @ts-check
// One RTCPeerConnection per remote peer (spec/peer-messages.md §3), keyed by the peer's key
// fingerprint so it outlives gateway reconnects (§5). SDP and ICE go only through `send`, i.e.
// inside the peer channel, which authenticates the DTLS fingerprints.
//
// Negotiation is the W3C "perfect negotiation" pattern: the handshake responder is polite, the
// initiator impolite; roles come from the peer handshake, so no extra message is needed.
//
// Four fixed media slots, created with the connection and never added or removed later: microphone,
// camera, screen video, screen audio. Both sides create them with addTrack before any SDP, so an
// offer's m-lines always land on the answerer's own transceivers (matched by kind, in order) and
// no transceiver is ever created by setRemoteDescription. Every sender and receiver gets its
// SFrame transform right at creation. Reason: in Chromium 156 a receive RTCRtpScriptTransform
// attached in ontrack to a receiver that addTrack had made before the negotiation was seen to
// pass no frames, and one attached a task after ontrack never gets any. Starting a screen
// share is then replaceTrack() on the screen slots: no renegotiation, no new m-line. A slot with
// nothing to send holds a null track (sends nothing).

import { classifyIceCandidateError } from './turn.js';
import { mediaStatsSummary } from './mediaStats.js';
import { MAX_RECOVERIES } from './refusals.js';
import { sframeSafeVideoCodecs } from './codecs.js';

/** @typedef {import('./refusals.js').Refusal} Refusal */
import { AUDIO_FRAME_MS, checkAudioFrameMs, descriptionToSend } from './sdp.js';

/** @typedef {'mic' | 'camera' | 'screen' | 'screenAudio'} Slot */

/** @type {readonly Slot[]} */
export const SLOTS = Object.freeze(['mic', 'camera', 'screen', 'screenAudio']);
/**
 * ICE restarts are offered by the impolite side only (spec/peer-messages.md §3); the polite side
 * asks for one with an `ice-restart` message, and asks again this often while the connection
 * stays failed. It never offers a restart itself: both sides offering at once is a glare, and
 * after the polite side's offer is rolled back Chromium 156 no longer runs the receivers' encoded
 * transforms, so sealed frames reach the decoder and the camera freezes for good, silently
 * (reproduced with two pages, call.test.js; assigning new transforms does not bring them back).
 */
export const POLITE_ASK_MS = 10_000;
const SLOT_KIND = Object.freeze({
  mic: 'audio',
  camera: 'video',
  screen: 'video',
  screenAudio: 'audio',
});

/**
 * Puts `track` (or null) on `sender` (replaceTrack: no renegotiation); with a track, `encoding`
 * caps its bitrate and frame rate and `degradationPreference` says what to give up first.
 * @param {RTCRtpSender} sender @param {MediaStreamTrack | null} track
 * @param {{encoding?: RTCRtpEncodingParameters, degradationPreference?: RTCDegradationPreference}} [options]
 */
export async function setSenderTrack(sender, track, { encoding, degradationPreference } = {}) {
  await sender.replaceTrack(track);
  if (track !== null && (encoding || degradationPreference)) {
    try {
      const p = sender.getParameters();
      if (encoding && p.encodings?.length) Object.assign(p.encodings[0], encoding);
      if (degradationPreference) p.degradationPreference = degradationPreference;
      await sender.setParameters(p);
    } catch {
      // a hint, not a must: Chromium refuses parameters before the first negotiation
    }
  }
}

export class MediaConnection extends EventTarget {
  /**
   * `placeholder(kind)` returns a fresh MediaStreamTrack of that kind, used only to create a slot
   * with addTrack (which, unlike addTransceiver, lets a remote offer reuse the transceiver); it is
   * replaced by the real track or null at once.
   * @param {{keyFp: string, polite: boolean, iceServers: RTCIceServer[],
   *          send: (msg: import('../signal/peerMessages.js').PeerMessage) => boolean,
   *          sframe: import('./sframeMedia.js').SFrameMedia | import('./sframeMedia.js').NoSFrameForTestingOnly,
   *          tracks?: Partial<Record<Slot, MediaStreamTrack | null>>, placeholder: (kind: 'audio' | 'video') => MediaStreamTrack,
   *          audioFrameMs?: number, dataChannel?: boolean}} o
   */
  constructor({
    keyFp,
    polite,
    iceServers,
    send,
    sframe,
    tracks = {},
    placeholder,
    audioFrameMs = AUDIO_FRAME_MS,
    dataChannel = true,
  }) {
    super();
    this.keyFp = keyFp;
    this.audioFrameMs = checkAudioFrameMs(audioFrameMs); // asked of the peer in every SDP we send (sdp.js)
    this.polite = polite;
    this.send = send;
    this.sframe = sframe;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.isSettingRemoteAnswerPending = false;
    this.closed = false;
    /** @type {Refusal | null} the last refusal, until a negotiation round goes through (the tile shows it) */
    this.refusal = null;
    /** @type {Refusal[]} the last 20 refusals (diagnostics) */
    this.refusals = [];
    this.recoveries = 0; // fresh negotiations since the last 'connected'
    this.rawSent = 0; // test-only (#sendDescription)
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.recoveryTimer = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} the polite side's next `ice-restart` request */
    this.politeRestartTimer = undefined;
    /** @type {Record<Slot, RTCRtpTransceiver>} filled for every slot below */
    this.slots = /** @type {Record<Slot, RTCRtpTransceiver>} */ ({});
    this.restarts = 0;
    this.transformed = new WeakSet(); // receivers with the SFrame transform
    /** @type {Record<string, number>} negotiation messages sent, lost, received, ignored (diagnostics) */
    this.counters = {};
    /** @type {{created: number, connected: number | null}} */
    this.timings = { created: performance.now(), connected: null };
    /** @type {RTCConfiguration} */
    const config = { iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
    if (sframe.api === 'encoded-streams') config.encodedInsertableStreams = true;
    this.pc = new RTCPeerConnection(config);
    // --- data channel hook (spec/data-channel.md §1) ---
    // The peer records' own path: negotiated with a fixed id, made before the first offer on both
    // sides, so the first SDP already carries it and opening it needs no further SDP round.
    /** @type {RTCDataChannel | null} */
    this.dataChannel = dataChannel
      ? this.pc.createDataChannel('hybridge-peer', { negotiated: true, id: 0, ordered: true })
      : null;
    // --- end of the data channel hook ---
    this.pc.onnegotiationneeded = () => this.#negotiate();
    this.pc.onicecandidate = ({ candidate }) =>
      this.#send({ t: 'ice', candidate: candidate ? candidate.toJSON() : null });
    this.pc.ontrack = (e) => this.#onTrack(e);
    this.pc.onconnectionstatechange = () => this.#onConnectionState();
    // A TURN server refusing our credentials (401) leaves no relay candidate: say so (turn.js).
    this.pc.onicecandidateerror = (e) => {
      const c = classifyIceCandidateError(e);
      if (c.message !== '') this.dispatchEvent(new CustomEvent('turn-error', { detail: c }));
    };
    this.pc.oniceconnectionstatechange = () => {
      if (this.pc.iceConnectionState === 'failed') this.restartIce();
    };
    const slotStream = new MediaStream();
    const placeholders = [];
    for (const slot of SLOTS) {
      const real = tracks[slot] ?? null;
      const track = real ?? placeholder(SLOT_KIND[slot]);
      const sender = this.pc.addTrack(track, slotStream);
      const transceiver = /** @type {RTCRtpTransceiver} */ (
        this.pc.getTransceivers().find((t) => t.sender === sender)
      ); // addTrack made it
      this.slots[slot] = transceiver;
      sframe.attachSender(sender);
      this.#attachReceiver(transceiver.receiver);
      if (real === null) placeholders.push({ sender, track });
      transceiver.receiver.track.addEventListener('mute', () => this.#mediaChanged());
      transceiver.receiver.track.addEventListener('unmute', () => this.#mediaChanged());
    }
    // Only now, with all four transceivers made: addTrack reuses a transceiver whose sender has
    // no track and never sent, so a placeholder removed earlier would let the next slot take
    // over its transceiver (seen as media on the wrong slot, depending on timing).
    for (const { sender, track } of placeholders)
      sender.replaceTrack(null).finally(() => track.stop());
    // The remote side's media as two streams made here (slot order, not msid, says which is which).
    this.remoteCamera = new MediaStream([
      this.slots.mic.receiver.track,
      this.slots.camera.receiver.track,
    ]);
    this.remoteScreen = new MediaStream([
      this.slots.screen.receiver.track,
      this.slots.screenAudio.receiver.track,
    ]);
  }

  #mediaChanged() {
    this.dispatchEvent(new CustomEvent('media'));
  }

  /** @param {import('../signal/peerMessages.js').PeerMessage} msg */
  #send(msg) {
    if (this.closed) return;
    const ok = this.send(msg);
    const k = `${msg.t}${msg.t === 'sdp' ? `:${msg.description.type}` : ''}`;
    this.counters[ok === false ? `lost:${k}` : `sent:${k}`] =
      (this.counters[ok === false ? `lost:${k}` : `sent:${k}`] ?? 0) + 1;
  }

  /** Our local description as the peer gets it (sdp.js: 40 ms audio asked for, orphan lines left out). */
  #sendDescription() {
    let { description, dropped } = descriptionToSend(this.pc.localDescription, this.audioFrameMs);
    // test-hook:begin
    // Browser test firefox-refusal.test.js only: the first N descriptions go out as the browser
    // made them (Firefox's with its orphan lines, which Chromium refuses), so that a real refusal
    // and the recovery from it can be seen. Unreachable without the test's init script.
    if (this.rawSent < (globalThis.__hybridgeTestConfig?.rawSdpForTestingOnly ?? 0)) {
      this.rawSent++;
      description = /** @type {RTCSessionDescription} */ (this.pc.localDescription).toJSON();
      dropped = [];
    }
    // test-hook:end
    if (dropped.length > 0)
      this.counters['sdp:orphan-lines-dropped'] =
        (this.counters['sdp:orphan-lines-dropped'] ?? 0) + dropped.length;
    this.#send({ t: 'sdp', description });
  }

  /** @param {string} k */
  #count(k) {
    this.counters[k] = (this.counters[k] ?? 0) + 1;
  }

  /** Restricts every video transceiver to VP8/VP9 before any offer or answer is made. */
  #preferCodecs() {
    const codecs = sframeSafeVideoCodecs();
    if (codecs === null) return;
    for (const t of this.pc.getTransceivers()) {
      const kind = t.receiver.track?.kind ?? t.sender.track?.kind;
      if (
        kind === 'video' &&
        t.currentDirection !== 'stopped' &&
        typeof t.setCodecPreferences === 'function'
      ) {
        try {
          t.setCodecPreferences(codecs);
        } catch {
          // a stopped transceiver refuses; nothing to prefer there
        }
      }
    }
  }

  async #negotiate() {
    if (this.closed || this.makingOffer || this.pc.signalingState !== 'stable') return;
    // The first offer comes from the impolite side only. Both sides create their four slots at
    // once, so that offer's m-lines land on the polite side's own transceivers (matched by kind,
    // in order); a glare at the very start would roll the polite side's offer back, after which
    // Chromium 156 was seen to leave media on the wrong slots or the connection in 'new'.
    if (this.polite && this.pc.remoteDescription === null) {
      this.#count('deferred:first-offer');
      return;
    }
    try {
      await this.#offer();
    } catch (e) {
      this.#refused('local-offer', e);
    }
  }

  /** Makes our offer (in its place, if one is pending) and sends it. */
  async #offer() {
    try {
      this.makingOffer = true;
      this.#preferCodecs();
      await this.pc.setLocalDescription();
      this.#sendDescription();
    } finally {
      this.makingOffer = false;
    }
  }

  /** An `sdp` message from the peer channel (perfect negotiation). @param {RTCSessionDescriptionInit} description */
  async onSdp(description) {
    if (this.closed || description === null || typeof description !== 'object') return;
    if (
      !['offer', 'answer', 'rollback'].includes(description.type) ||
      typeof description.sdp !== 'string'
    )
      return;
    const pc = this.pc;
    this.#count(`got:sdp:${description.type}`);
    if (description.type === 'rollback') return this.#peerRefused();
    /** @type {Refusal['what']} */
    let stage = description.type === 'offer' ? 'remote-offer' : 'remote-answer';
    try {
      const readyForOffer =
        !this.makingOffer && (pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) {
        this.#count('ignored:offer');
        return;
      }
      this.isSettingRemoteAnswerPending = description.type === 'answer';
      await pc.setRemoteDescription(description); // rolls back our own offer if we are polite
      this.isSettingRemoteAnswerPending = false;
      if (description.type === 'offer') {
        stage = 'local-answer';
        this.#preferCodecs();
        await pc.setLocalDescription();
        this.#sendDescription();
      }
      this.refusal = null; // a negotiation round went through
    } catch (e) {
      this.isSettingRemoteAnswerPending = false;
      this.#refused(stage, e);
    }
  }

  /** An `ice` message from the peer channel. @param {RTCIceCandidateInit | null} candidate */
  async onIce(candidate) {
    if (this.closed) return;
    try {
      await this.pc.addIceCandidate(candidate ?? null);
    } catch (e) {
      if (this.ignoreOffer) return this.#count('ignored:ice'); // of an offer we ignored
      // A candidate of a negotiation that has been replaced since (its ICE ufrag is not the
      // remote description's any more), or one following a description we refused, is expected
      // to fail: counted, not a refusal of its own.
      const ufrag = candidate?.usernameFragment;
      const remote = this.pc.remoteDescription?.sdp;
      if (remote === undefined || (ufrag && !remote.includes(`a=ice-ufrag:${ufrag}`)))
        return this.#count('stale:ice');
      this.#refused('candidate', e);
    }
  }

  /**
   * The browser refused a description or candidate (spec/peer-messages.md §3): never silent. It is
   * counted (`refused:<what>:<error name>`), kept for the peer's tile (`refusal`, describeRefusal)
   * and the diagnostics (`refusals`), announced ('refused' event), and the connection recovers
   * with a fresh negotiation: a refused description is answered by an `sdp` message of type
   * `rollback`, which asks the peer to start again; the impolite side then rolls back what is
   * pending and makes a new offer with an ICE restart (so the refused round's candidates are
   * stale). At most MAX_RECOVERIES in a row; a connection that reaches 'connected' starts over.
   * @param {Refusal['what']} what @param {unknown} error
   */
  #refused(what, error) {
    if (this.closed) return;
    const e = /** @type {{name?: unknown, message?: unknown} | null | undefined} */ (error);
    const name = typeof e?.name === 'string' ? e.name : 'Error';
    this.#count(`refused:${what}:${name}`);
    this.#record(what, name, String(e?.message ?? '').slice(0, 300));
    if (what === 'candidate' && this.pc.connectionState === 'connected') return;
    if (what === 'remote-offer' || what === 'remote-answer') {
      // Tell the peer, whose description it was; an older client ignores a failing rollback.
      this.#send({ t: 'sdp', description: { type: 'rollback', sdp: '' } });
    }
    this.#scheduleRecovery();
  }

  /** The peer's browser refused what we sent (its `rollback` message). */
  #peerRefused() {
    this.#count('peer-refused');
    this.#record('peer', 'PeerRefused', '');
    this.#scheduleRecovery();
  }

  /** Keeps a refusal for the tile and the diagnostics, and announces it. @param {Refusal['what']} what @param {string} name @param {string} message */
  #record(what, name, message) {
    const gaveUp = this.recoveries >= MAX_RECOVERIES;
    const r = { what, name, message, at: performance.now(), gaveUp };
    this.refusal = r;
    this.refusals.push(r);
    if (this.refusals.length > 20) this.refusals.shift();
    this.dispatchEvent(new CustomEvent('refused', { detail: r }));
  }

  #scheduleRecovery() {
    if (this.recoveryTimer !== null || this.recoveries >= MAX_RECOVERIES) return;
    const delay = 250 * 2 ** this.recoveries;
    this.recoveries++;
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = null;
      this.#freshNegotiation().catch((e) => this.#refused('local-offer', e));
    }, delay);
  }

  /**
   * Starts negotiation again; the impolite side offers with an ICE restart. Our own pending offer
   * is replaced by the new one, never rolled back: after a rollback of a local offer Chromium 156
   * stops running the receivers' decrypting transforms (spec/peer-messages.md §3).
   */
  async #freshNegotiation() {
    if (this.closed) return;
    const pc = this.pc;
    if (pc.signalingState === 'have-remote-offer')
      await pc.setRemoteDescription({ type: 'rollback' });
    if (this.polite) return this.#count('recovery:waiting-for-offer'); // the impolite side offers
    this.#count('recovery:offer');
    this.restarts++;
    pc.restartIce();
    if (pc.signalingState === 'stable') return this.#negotiate();
    await this.#offer(); // have-local-offer: a new offer in its place (allowed in that state)
  }

  /**
   * ICE restart (spec/peer-messages.md §3): the impolite side restarts and offers; the polite
   * side asks the impolite one (`ice-restart`), now and again every POLITE_ASK_MS while the
   * connection is still failed.
   */
  restartIce() {
    if (this.closed) return;
    if (!this.polite) {
      this.restarts++;
      this.pc.restartIce();
      return;
    }
    if (this.politeRestartTimer !== undefined) return;
    this.#send({ t: 'ice-restart' });
    this.politeRestartTimer = setTimeout(() => {
      this.politeRestartTimer = undefined;
      const pc = this.pc;
      if (!this.closed && (pc.iceConnectionState === 'failed' || pc.connectionState === 'failed'))
        this.restartIce();
    }, POLITE_ASK_MS);
  }

  /**
   * The peer (polite) asks for an ICE restart: made at once unless a negotiation is under way
   * (its offer restarts ICE or is followed by ours; the peer asks again if it stays failed).
   */
  onRestartAsked() {
    if (this.closed) return;
    if (this.polite) return this.#count('ignored:ice-restart'); // only the impolite side offers
    if (this.pc.signalingState !== 'stable' || this.makingOffer)
      return this.#count('ignored:ice-restart-busy');
    this.#count('restart:asked');
    this.restartIce();
  }

  /**
   * Puts `track` (or null: send nothing) on a slot. For the screen slot, `encoding` caps bitrate
   * and frame rate and `degradationPreference` says what to give up first.
   * @param {Slot} slot @param {MediaStreamTrack | null} track
   * @param {{encoding?: RTCRtpEncodingParameters, degradationPreference?: RTCDegradationPreference}} [options]
   */
  async setSlot(slot, track, options = {}) {
    if (this.closed) return;
    await setSenderTrack(this.slots[slot].sender, track, options);
  }

  /** Every receiver gets the decrypting transform once, as early as it exists. @param {RTCRtpReceiver} receiver */
  #attachReceiver(receiver) {
    if (receiver === undefined || this.transformed.has(receiver)) return;
    this.transformed.add(receiver);
    this.sframe.attachReceiver(receiver, this.keyFp);
  }

  /** @param {RTCTrackEvent} e */
  #onTrack(e) {
    this.#attachReceiver(e.receiver); // a no-op: every receiver of this connection already has it
    this.#mediaChanged();
  }

  #onConnectionState() {
    const s = this.pc.connectionState;
    if (s === 'connected' && this.timings.connected === null)
      this.timings.connected = performance.now();
    if (s === 'connected') this.recoveries = 0;
    if (s === 'failed') this.restartIce();
    this.dispatchEvent(new CustomEvent('state', { detail: { state: s } }));
  }

  get connectionState() {
    return this.pc.connectionState;
  }

  /** A getStats summary for the test hook and the benchmark (mediaStats.js). */
  statsSummary() {
    return mediaStatsSummary(this);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.recoveryTimer ?? undefined);
    clearTimeout(this.politeRestartTimer);
    this.pc.close();
  }
}
