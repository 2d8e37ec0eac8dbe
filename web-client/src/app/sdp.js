// @ts-check
// What this client changes in the SDP it sends its peers: everything is done by ONE function,
// `sdpForPeer` (spec/media-sframe.md §7.4, docs/browsers.md). The local description stays as the
// browser made it; only the copy that travels to the peer changes, and only in two ways:
//
// 1. Opus frame duration. Every SDP this client sends asks the peer for 40 ms Opus frames
//    (`a=ptime:40` in each audio m-section), where browsers default to 20 ms. SFrame's cost is
//    mostly fixed per frame, whatever its size: each encoded frame crosses into the worker and
//    back, and its WebCrypto call costs the worker another task. With 20 ms audio, 50 of a camera
//    call's 70 frames per second are audio. 40 ms frames halve the audio frames and packets for
//    every peer of the mesh, with or without SFrame. In the browser benchmark the SFrame worker's
//    share of the sender's CPU fell from 6.3% to 4.7% (the whole sender's ratio from 7.3% to 6.7%,
//    within noise), and each audio stream sends half the packet headers. The price is 20 ms more
//    one-way audio latency. Opus codes 40 ms frames natively, and its in-band FEC still covers a
//    lost packet. `a=ptime` says how the sender of this SDP wants to RECEIVE media (RFC 8866
//    §6.4), and libwebrtc sizes its Opus frames to the remote description's ptime.
//
// 2. Orphan payload lines. An `a=rtpmap`, `a=fmtp` or `a=rtcp-fb` line whose payload type is not
//    on its section's m= line describes nothing (RFC 8866 §6.6, RFC 4585 §4.2) and is left out.
//    Why: the client restricts video to VP9/VP8 with setCodecPreferences (mediaConnection.js), and
//    Firefox 153 then drops AV1 (payload type 99) from the m= line and its rtpmap, but keeps its
//    five `a=rtcp-fb:99 ...` lines. Chromium 156 refuses such an offer ("OperationError: Failed to
//    parse SessionDescription. Failed to parse codecs correctly"), so a Chromium that joined
//    first never got media from a Firefox that joined second (test/sdp/firefox-153-offer.sdp).
//
// Nothing else is removed or reordered: the m= lines and their payload type lists, every line of
// a payload type that is on its m= line, wildcard `a=rtcp-fb:*` lines, the session part, the
// line endings and a final line ending are kept (test/sdp.test.js, on real captured SDPs).

export const AUDIO_FRAME_MS = 40;

/** `ms` if it is an Opus frame duration libwebrtc accepts for `a=ptime` (10 to 120); else RangeError. @param {number} ms */
export function checkAudioFrameMs(ms) {
  if (!Number.isInteger(ms) || ms < 10 || ms > 120)
    throw new RangeError(`audio frame duration must be 10-120 ms, not ${ms}`);
  return ms;
}

/** The attributes that name one payload type as their first token (RFC 8866 §6.6, §6.15; RFC 4585 §4.2). */
const PAYLOAD_LINE = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)(?:\s|$)/;

/**
 * The payload types of an m= line (`m=<media> <port> <proto> <fmt> ...`), or null when its
 * formats are not RTP payload types (e.g. `m=application ... webrtc-datachannel`).
 * @param {string} mLine
 */
function payloadTypes(mLine) {
  const [, , proto, ...fmts] = mLine.slice(2).split(' ');
  if (proto === undefined || !/RTP\//.test(proto)) return null;
  return new Set(fmts.filter((f) => /^\d+$/.test(f)));
}

/**
 * The SDP to send a peer: `sdp` with (1) `a=ptime:<audioFrameMs>` added at the end of every audio
 * m-section that has no `a=ptime` line yet, and (2) every orphan `a=rtpmap`/`a=fmtp`/`a=rtcp-fb`
 * line (its payload type not on its m= line) left out. `dropped` lists those lines, so that a
 * caller can count them. Applying it twice changes nothing more.
 * @param {string} sdp @param {{audioFrameMs?: number}} [options]
 * @returns {{sdp: string, dropped: string[]}}
 */
export function sdpForPeer(sdp, { audioFrameMs = AUDIO_FRAME_MS } = {}) {
  if (typeof sdp !== 'string') throw new TypeError('sdp must be a string');
  checkAudioFrameMs(audioFrameMs);
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const trailing = sdp.endsWith(eol);
  const lines = (trailing ? sdp.slice(0, -eol.length) : sdp).split(eol);
  /** @type {string[]} */
  const out = [];
  /** @type {string[]} */
  const dropped = [];
  let audio = false;
  let hasPtime = false;
  /** @type {Set<string> | null} the current m-section's payload types; null in the session part */
  let pts = null;
  const endSection = () => {
    if (audio && !hasPtime) out.push(`a=ptime:${audioFrameMs}`);
  };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      endSection();
      audio = line.startsWith('m=audio ');
      hasPtime = false;
      pts = payloadTypes(line);
    } else if (audio && line.startsWith('a=ptime:')) {
      hasPtime = true;
    } else if (pts !== null) {
      const m = PAYLOAD_LINE.exec(line);
      if (m !== null && !pts.has(m[2])) {
        dropped.push(line);
        continue;
      }
    }
    out.push(line);
  }
  endSection();
  return { sdp: out.join(eol) + (trailing ? eol : ''), dropped };
}

/**
 * The description to send the peer: offers and answers go through `sdpForPeer`, rollbacks pass.
 * `dropped` as there (empty for a rollback).
 * @param {RTCSessionDescription | RTCSessionDescriptionInit | null} description
 * @param {number} [audioFrameMs]
 * @returns {{description: RTCSessionDescriptionInit, dropped: string[]}}
 */
export function descriptionToSend(description, audioFrameMs = AUDIO_FRAME_MS) {
  // An RTCSessionDescription (the browser's) has toJSON(); a plain init object (tests) is copied.
  const live = /** @type {{toJSON?: () => RTCSessionDescriptionInit}} */ (description ?? {});
  /** @type {RTCSessionDescriptionInit} */
  const d =
    typeof live.toJSON === 'function'
      ? live.toJSON()
      : { .../** @type {RTCSessionDescriptionInit} */ (description) };
  /** @type {string[]} */
  let dropped = [];
  if ((d.type === 'offer' || d.type === 'answer') && typeof d.sdp === 'string')
    ({ sdp: d.sdp, dropped } = sdpForPeer(d.sdp, { audioFrameMs }));
  return { description: d, dropped };
}
