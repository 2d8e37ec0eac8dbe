// @ts-check
// The video codecs a MediaConnection prefers (setCodecPreferences before every offer and answer).

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

/**
 * The video codecs of a connection to the SFU (spec/sfu.md §5): VP8 only, sealed in the layout
 * that keeps its first bytes in clear (spec/media-sframe.md §7.5), so that Janus can switch
 * simulcast layers on key frames it can see. Null where the browser lists none.
 */
export function sfuVideoCodecs() {
  const all = sframeSafeVideoCodecs();
  if (all === null) return null;
  const vp8 = all.filter((c) => /^video\/vp8$/i.test(c.mimeType));
  if (vp8.length === 0) return null;
  return all.filter((c) => !/^video\/vp9$/i.test(c.mimeType));
}
