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
import { AUDIO_FRAME_MS, checkAudioFrameMs, descriptionToSend } from './sdp.js';

/**
 * Video codecs that survive whole-frame SFrame (spec/media-sframe.md §7.1): VP9 first, then VP8.
 *
 * VP9 first because its RTP packetizer carries the frame type in the payload descriptor (clear),
 * while Chromium's VP8 depacketizer takes "key frame" from bit 0 of the first payload byte, i.e.
 * of the SFrame header: 0xd8 | C for a 6-byte KID. With CTR 8..255 (C = 0) every frame looks like
 * a key frame, with CTR 256..65535 (C = 1) none does. A VP8 stream that starts while the sender's
 * shared counter is past 255 (a screen share, or a peer joining later) never shows the receiver a
 * key frame and is never decoded. Seen in Chromium 156: a screen share started at CTR ~500
 * received 470 packets and decoded 0 frames over VP8, and decodes at once over VP9.
 */
export function sframeSafeVideoCodecs() {
  const caps = globalThis.RTCRtpReceiver?.getCapabilities?.('video');
  if (!caps) return null;
  const vp9 = caps.codecs.filter((c) => /^video\/vp9$/i.test(c.mimeType));
  const vp8 = caps.codecs.filter((c) => /^video\/vp8$/i.test(c.mimeType));
  // rtx/red/ulpfec carry any codec and do not parse the payload; keep them for loss recovery.
  const helpers = caps.codecs.filter((c) =>
    /^video\/(rtx|red|ulpfec|flexfec-03)$/i.test(c.mimeType),
  );
  if (vp8.length + vp9.length === 0) return null;
  return [...vp9, ...vp8, ...helpers];
}

/** @typedef {'mic' | 'camera' | 'screen' | 'screenAudio'} Slot */

/** @type {readonly Slot[]} */
export const SLOTS = Object.freeze(['mic', 'camera', 'screen', 'screenAudio']);
const SLOT_KIND = Object.freeze({
  mic: 'audio',
  camera: 'video',
  screen: 'video',
  screenAudio: 'audio',
});

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
    if (this.closed) return;
    // The first offer comes from the impolite side only. Both sides create their four slots at
    // once, so that offer's m-lines land on the polite side's own transceivers (matched by kind,
    // in order); a glare at the very start would roll the polite side's offer back, after which
    // Chromium 156 was seen to leave media on the wrong slots or the connection in 'new'.
    if (this.polite && this.pc.remoteDescription === null) {
      this.#count('deferred:first-offer');
      return;
    }
    try {
      this.makingOffer = true;
      this.#preferCodecs();
      await this.pc.setLocalDescription();
      this.#send({
        t: 'sdp',
        description: descriptionToSend(this.pc.localDescription, this.audioFrameMs),
      });
    } catch (e) {
      this.dispatchEvent(new CustomEvent('negotiation-error', { detail: { error: e } }));
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
        this.#preferCodecs();
        await pc.setLocalDescription();
        this.#send({
          t: 'sdp',
          description: descriptionToSend(pc.localDescription, this.audioFrameMs),
        });
      }
    } catch (e) {
      this.isSettingRemoteAnswerPending = false;
      this.#count(`error:${/** @type {{name?: string} | null | undefined} */ (e)?.name}`);
      this.dispatchEvent(new CustomEvent('negotiation-error', { detail: { error: e } }));
    }
  }

  /** An `ice` message from the peer channel. @param {RTCIceCandidateInit | null} candidate */
  async onIce(candidate) {
    if (this.closed) return;
    try {
      await this.pc.addIceCandidate(candidate ?? null);
    } catch (e) {
      if (!this.ignoreOffer)
        this.dispatchEvent(new CustomEvent('negotiation-error', { detail: { error: e } }));
    }
  }

  /** ICE restart (spec/peer-messages.md §3): either side, when the connection fails. */
  restartIce() {
    if (this.closed) return;
    this.restarts++;
    this.pc.restartIce();
  }

  /**
   * Puts `track` (or null: send nothing) on a slot. For the screen slot, `encoding` caps bitrate
   * and frame rate and `degradationPreference` says what to give up first.
   * @param {Slot} slot @param {MediaStreamTrack | null} track
   * @param {{encoding?: RTCRtpEncodingParameters, degradationPreference?: RTCDegradationPreference}} [options]
   */
  async setSlot(slot, track, { encoding, degradationPreference } = {}) {
    if (this.closed) return;
    const sender = this.slots[slot].sender;
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
    if (s === 'failed') this.restartIce();
    this.dispatchEvent(new CustomEvent('state', { detail: { state: s } }));
  }

  get connectionState() {
    return this.pc.connectionState;
  }

  /** A getStats summary for the test hook and the benchmark: inbound audio/video per track. */
  async statsSummary() {
    const report = await this.pc.getStats();
    const screenTracks = new Set(this.remoteScreen.getTracks().map((t) => t.id));
    /** @type {Record<string, any>[]} */
    const inbound = [];
    /** @type {Record<string, any>[]} */
    const outbound = [];
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        inbound.push({
          kind: s.kind,
          trackId: s.trackIdentifier,
          screen: screenTracks.has(s.trackIdentifier),
          framesDecoded: s.framesDecoded ?? 0,
          framesReceived: s.framesReceived ?? 0,
          frameWidth: s.frameWidth ?? 0,
          totalSamplesReceived: s.totalSamplesReceived ?? 0,
          packetsReceived: s.packetsReceived ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          decoderImplementation: s.decoderImplementation ?? null,
          codecId: s.codecId ?? null,
        });
      } else if (s.type === 'outbound-rtp') {
        outbound.push({
          kind: s.kind,
          framesEncoded: s.framesEncoded ?? 0,
          totalEncodeTime: s.totalEncodeTime ?? 0,
          keyFramesEncoded: s.keyFramesEncoded ?? 0,
          pliCount: s.pliCount ?? 0,
          firCount: s.firCount ?? 0,
          nackCount: s.nackCount ?? 0,
          retransmittedPacketsSent: s.retransmittedPacketsSent ?? 0,
          qualityLimitationReason: s.qualityLimitationReason ?? null,
          packetsSent: s.packetsSent ?? 0,
          bytesSent: s.bytesSent ?? 0,
          frameWidth: s.frameWidth ?? 0,
          codecId: s.codecId ?? null,
        });
      }
    });
    /** @type {Record<string, string>} */
    const codecs = {};
    report.forEach((s) => {
      if (s.type === 'codec') codecs[s.id] = s.mimeType;
    });
    for (const x of [...inbound, ...outbound]) x.codec = codecs[x.codecId] ?? null;
    return {
      connectionState: this.pc.connectionState,
      signalingState: this.pc.signalingState,
      iceConnectionState: this.pc.iceConnectionState,
      negotiation: { ...this.counters },
      inbound,
      outbound,
      senderTransforms: this.pc
        .getSenders()
        .map((s) => s.transform != null || this.sframe.api === 'encoded-streams'),
      receiverTransforms: this.pc
        .getReceivers()
        .map((r) => r.transform != null || this.sframe.api === 'encoded-streams'),
      transceivers: this.pc.getTransceivers().length,
    };
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
  }
}
