// One RTCPeerConnection per remote peer (spec/peer-messages.md §3), keyed by the peer's key
// fingerprint so it outlives gateway reconnects (§5). SDP and ICE go only through `send`, i.e.
// inside the peer channel, which authenticates the DTLS fingerprints.
//
// Negotiation is the W3C "perfect negotiation" pattern: the handshake responder is polite, the
// initiator impolite; roles come from the peer handshake, so no extra message is needed.

/** Video codecs that survive whole-frame SFrame (spec/media-sframe.md §7.1): VP8, then VP9. */
export function sframeSafeVideoCodecs() {
  const caps = globalThis.RTCRtpReceiver?.getCapabilities?.('video');
  if (!caps) return null;
  const vp8 = caps.codecs.filter((c) => /^video\/vp8$/i.test(c.mimeType));
  const vp9 = caps.codecs.filter((c) => /^video\/vp9$/i.test(c.mimeType));
  // rtx/red/ulpfec carry any codec and do not parse the payload; keep them for loss recovery.
  const helpers = caps.codecs.filter((c) => /^video\/(rtx|red|ulpfec|flexfec-03)$/i.test(c.mimeType));
  if (vp8.length + vp9.length === 0) return null;
  return [...vp8, ...vp9, ...helpers];
}

export class PeerLink extends EventTarget {
  /**
   * @param {{keyFp: string, polite: boolean, iceServers: RTCIceServer[], send: (msg) => void,
   *          sframe: import('./sframeMedia.js').SFrameMedia}} o
   */
  constructor({ keyFp, polite, iceServers, send, sframe }) {
    super();
    this.keyFp = keyFp;
    this.polite = polite;
    this.send = send;
    this.sframe = sframe;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.isSettingRemoteAnswerPending = false;
    this.closed = false;
    this.senders = new Map(); // track id -> RTCRtpSender
    this.remoteStreams = new Map(); // stream id -> MediaStream
    this.restarts = 0;
    this.transformed = new WeakSet(); // receivers with the SFrame transform
    this.timings = { created: performance.now(), connected: null };
    const config = { iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
    if (sframe.api === 'encoded-streams') config.encodedInsertableStreams = true;
    this.pc = new RTCPeerConnection(config);
    this.pc.onnegotiationneeded = () => this.#negotiate();
    this.pc.onicecandidate = ({ candidate }) => this.#send({ t: 'ice', candidate: candidate ? candidate.toJSON() : null });
    this.pc.ontrack = (e) => this.#onTrack(e);
    this.pc.onconnectionstatechange = () => this.#onConnectionState();
    this.pc.oniceconnectionstatechange = () => {
      if (this.pc.iceConnectionState === 'failed') this.restartIce();
    };
  }

  #send(msg) {
    if (!this.closed) this.send(msg);
  }

  /** Restricts every video transceiver to VP8/VP9 before any offer or answer is made. */
  #preferCodecs() {
    const codecs = sframeSafeVideoCodecs();
    if (codecs === null) return;
    for (const t of this.pc.getTransceivers()) {
      const kind = t.receiver.track?.kind ?? t.sender.track?.kind;
      if (kind === 'video' && t.currentDirection !== 'stopped' && typeof t.setCodecPreferences === 'function') {
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
    try {
      this.makingOffer = true;
      this.#preferCodecs();
      await this.pc.setLocalDescription();
      this.#send({ t: 'sdp', description: this.pc.localDescription.toJSON() });
    } catch (e) {
      this.dispatchEvent(new CustomEvent('negotiation-error', { detail: { error: e } }));
    } finally {
      this.makingOffer = false;
    }
  }

  /** An `sdp` message from the peer channel (perfect negotiation). */
  async onSdp(description) {
    if (this.closed || description === null || typeof description !== 'object') return;
    if (!['offer', 'answer', 'rollback'].includes(description.type) || typeof description.sdp !== 'string') return;
    const pc = this.pc;
    try {
      const readyForOffer = !this.makingOffer && (pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) return;
      this.isSettingRemoteAnswerPending = description.type === 'answer';
      await pc.setRemoteDescription(description); // rolls back our own offer if we are polite
      this.isSettingRemoteAnswerPending = false;
      if (description.type === 'offer') {
        this.#preferCodecs();
        await pc.setLocalDescription();
        this.#send({ t: 'sdp', description: pc.localDescription.toJSON() });
      }
    } catch (e) {
      this.isSettingRemoteAnswerPending = false;
      this.dispatchEvent(new CustomEvent('negotiation-error', { detail: { error: e } }));
    }
  }

  /** An `ice` message from the peer channel. */
  async onIce(candidate) {
    if (this.closed) return;
    try {
      await this.pc.addIceCandidate(candidate ?? null);
    } catch (e) {
      if (!this.ignoreOffer) this.dispatchEvent(new CustomEvent('negotiation-error', { detail: { error: e } }));
    }
  }

  /** ICE restart (spec/peer-messages.md §3): either side, when the connection fails. */
  restartIce() {
    if (this.closed) return;
    this.restarts++;
    this.pc.restartIce();
  }

  /** Sends `track` (of `stream`) to this peer, encrypted by the shared SFrame worker. */
  addTrack(track, stream, { sendEncodings, degradationPreference } = {}) {
    if (this.closed || this.senders.has(track.id)) return;
    let sender;
    if (sendEncodings) {
      sender = this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream], sendEncodings }).sender;
    } else {
      sender = this.pc.addTrack(track, stream);
    }
    this.sframe.attachSender(sender);
    this.#attachReceiver(this.pc.getTransceivers().find((t) => t.sender === sender)?.receiver);
    this.senders.set(track.id, sender);
    if (degradationPreference) this.#setDegradation(sender, degradationPreference);
  }

  async #setDegradation(sender, pref) {
    try {
      const p = sender.getParameters();
      p.degradationPreference = pref;
      await sender.setParameters(p);
    } catch {
      // Chromium accepts it only once encodings exist; a hint, not a must
    }
  }

  removeTrack(track) {
    const sender = this.senders.get(track.id);
    if (sender === undefined) return;
    this.senders.delete(track.id);
    if (!this.closed) this.pc.removeTrack(sender);
  }

  async replaceTrack(oldTrack, newTrack) {
    const sender = this.senders.get(oldTrack.id);
    if (sender === undefined) return;
    await sender.replaceTrack(newTrack);
    this.senders.delete(oldTrack.id);
    this.senders.set(newTrack.id, sender);
  }

  /** Every receiver gets the decrypting transform once, as early as it exists. */
  #attachReceiver(receiver) {
    if (receiver === undefined || this.transformed.has(receiver)) return;
    this.transformed.add(receiver);
    this.sframe.attachReceiver(receiver, this.keyFp);
  }

  #onTrack(e) {
    this.#attachReceiver(e.receiver);
    const stream = e.streams[0] ?? new MediaStream([e.track]);
    if (!this.remoteStreams.has(stream.id)) {
      this.remoteStreams.set(stream.id, stream);
      stream.addEventListener('removetrack', () => {
        if (stream.getTracks().length === 0) {
          this.remoteStreams.delete(stream.id);
          this.dispatchEvent(new CustomEvent('stream-removed', { detail: { stream } }));
        }
      });
    }
    this.dispatchEvent(new CustomEvent('track', { detail: { track: e.track, stream } }));
  }

  #onConnectionState() {
    const s = this.pc.connectionState;
    if (s === 'connected' && this.timings.connected === null) this.timings.connected = performance.now();
    if (s === 'failed') this.restartIce();
    this.dispatchEvent(new CustomEvent('state', { detail: { state: s } }));
  }

  get connectionState() {
    return this.pc.connectionState;
  }

  /** A getStats summary for the test hook and the benchmark: inbound audio/video per track. */
  async statsSummary(screenStreamId) {
    const report = await this.pc.getStats();
    const trackStream = new Map();
    for (const [sid, stream] of this.remoteStreams) for (const t of stream.getTracks()) trackStream.set(t.id, sid);
    const inbound = [];
    const outbound = [];
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        const streamId = trackStream.get(s.trackIdentifier) ?? null;
        inbound.push({
          kind: s.kind,
          trackId: s.trackIdentifier,
          screen: streamId !== null && streamId === screenStreamId,
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
          packetsSent: s.packetsSent ?? 0,
          bytesSent: s.bytesSent ?? 0,
          frameWidth: s.frameWidth ?? 0,
          codecId: s.codecId ?? null,
        });
      }
    });
    const codecs = {};
    report.forEach((s) => {
      if (s.type === 'codec') codecs[s.id] = s.mimeType;
    });
    for (const x of [...inbound, ...outbound]) x.codec = codecs[x.codecId] ?? null;
    return {
      connectionState: this.pc.connectionState,
      inbound,
      outbound,
      senderTransforms: this.pc.getSenders().filter((s) => s.track).map((s) => s.transform != null || this.sframe.api !== 'script'),
      receiverTransforms: this.pc.getReceivers().map((r) => r.transform != null || this.sframe.api !== 'script'),
    };
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
  }
}
