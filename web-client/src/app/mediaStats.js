// @ts-check
// A MediaConnection's getStats summary, for the test hook (callSnapshot.js) and the browser
// benchmark: connection states, negotiation counters (including refusals), inbound and outbound
// audio/video per track with their codecs, and which senders and receivers carry the SFrame
// transform. Diagnostics only: no key material, no SDP.

import { statsOf } from './rtcStats.js';

/** One inbound-rtp entry as the summaries give it. @param {Record<string, any>} s @param {boolean} screen */
export function inboundStats(s, screen) {
  return {
    kind: s.kind,
    trackId: s.trackIdentifier,
    screen,
    framesDecoded: s.framesDecoded ?? 0,
    framesReceived: s.framesReceived ?? 0,
    framesDropped: s.framesDropped ?? 0,
    keyFramesDecoded: s.keyFramesDecoded ?? 0,
    pliCount: s.pliCount ?? 0,
    frameWidth: s.frameWidth ?? 0,
    totalSamplesReceived: s.totalSamplesReceived ?? 0,
    packetsReceived: s.packetsReceived ?? 0,
    bytesReceived: s.bytesReceived ?? 0,
    decoderImplementation: s.decoderImplementation ?? null,
    codecId: s.codecId ?? null,
  };
}

/**
 * Whether a member's media decodes, from its inbound entries (inboundStats): something of its
 * microphone or camera has decoded, and if camera packets arrive, a camera frame has. Audio
 * decodes at once while video waits for a key frame, which can take seconds on a loaded machine;
 * a tile that moved on audio alone would show a frozen picture meanwhile. A camera that is off
 * sends no packets, and then audio is enough. Screen entries do not count.
 * @param {Record<string, any>[]} inbound
 */
export function mediaDecodes(inbound) {
  const main = inbound.filter((i) => !i.screen);
  const video = main.filter((i) => i.kind === 'video');
  if (video.some((i) => i.packetsReceived > 0) && !video.some((i) => i.framesDecoded > 0))
    return false;
  return main.some((i) => i.framesDecoded > 0 || i.totalSamplesReceived > 0);
}

/** One outbound-rtp entry as the summaries give it. @param {Record<string, any>} s */
export function outboundStats(s) {
  return {
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
    rid: s.rid ?? null, // a simulcast encoding's (spec/sfu.md §5)
  };
}

/**
 * @param {import('./mediaConnection.js').MediaConnection} media
 */
export async function mediaStatsSummary(media) {
  const report = await statsOf(media.pc);
  const screenTracks = new Set(media.remoteScreen.getTracks().map((t) => t.id));
  /** @type {Record<string, any>[]} */
  const inbound = [];
  /** @type {Record<string, any>[]} */
  const outbound = [];
  report.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      inbound.push(inboundStats(s, screenTracks.has(s.trackIdentifier)));
    } else if (s.type === 'outbound-rtp') {
      outbound.push(outboundStats(s));
    }
  });
  /** @type {Record<string, string>} */
  const codecs = {};
  report.forEach((s) => {
    if (s.type === 'codec') codecs[s.id] = s.mimeType;
  });
  for (const x of [...inbound, ...outbound]) x.codec = codecs[x.codecId] ?? null;
  return {
    connectionState: media.pc.connectionState,
    signalingState: media.pc.signalingState,
    iceConnectionState: media.pc.iceConnectionState,
    negotiation: { ...media.counters },
    polite: media.polite,
    refusal: media.refusal,
    refusals: media.refusals.slice(),
    inbound,
    outbound,
    senderTransforms: media.pc
      .getSenders()
      .map((s) => s.transform != null || media.sframe.api === 'encoded-streams'),
    receiverTransforms: media.pc
      .getReceivers()
      .map((r) => r.transform != null || media.sframe.api === 'encoded-streams'),
    transceivers: media.pc.getTransceivers().length,
  };
}
