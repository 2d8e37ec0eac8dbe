// @ts-check
// What this client adds to the SDP it sends its peers (spec/media-sframe.md §7.4).
//
// Opus frame duration. Every SDP this client sends asks the peer for 40 ms Opus frames
// (`a=ptime:40` in each audio m-section), where browsers default to 20 ms. SFrame's cost is mostly
// fixed per frame, whatever its size: each encoded frame crosses into the worker and back, and
// its WebCrypto call costs the worker another task. With 20 ms audio, 50 of a camera call's 70
// frames per second are audio. 40 ms frames halve the audio frames and packets for every peer of
// the mesh, with or without SFrame. In the browser benchmark the SFrame worker's share of the
// sender's CPU fell from 6.3% to 4.7% (the whole sender's ratio from 7.3% to 6.7%, within noise),
// and each audio stream sends half the packet headers. The price is 20 ms more one-way audio
// latency. Opus codes 40 ms frames natively, and its in-band FEC still covers a lost packet.
//
// `a=ptime` says how the sender of this SDP wants to RECEIVE media (RFC 8866 §6.4), and libwebrtc
// sizes its Opus frames to the remote description's ptime. Only what travels to the peer changes:
// the local description stays as the browser made it.

export const AUDIO_FRAME_MS = 40;

/** `ms` if it is an Opus frame duration libwebrtc accepts for `a=ptime` (10 to 120); else RangeError. @param {number} ms */
export function checkAudioFrameMs(ms) {
  if (!Number.isInteger(ms) || ms < 10 || ms > 120)
    throw new RangeError(`audio frame duration must be 10-120 ms, not ${ms}`);
  return ms;
}

/**
 * `sdp` with `a=ptime:<ms>` added at the end of every audio m-section that has no `a=ptime` line
 * yet. Other m-sections, the session part, the line endings and a final line ending are kept.
 * @param {string} sdp @param {number} [ms]
 */
export function withAudioPtime(sdp, ms = AUDIO_FRAME_MS) {
  if (typeof sdp !== 'string') throw new TypeError('sdp must be a string');
  checkAudioFrameMs(ms);
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const trailing = sdp.endsWith(eol);
  const lines = (trailing ? sdp.slice(0, -eol.length) : sdp).split(eol);
  const out = [];
  let audio = false;
  let hasPtime = false;
  const endSection = () => {
    if (audio && !hasPtime) out.push(`a=ptime:${ms}`);
  };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      endSection();
      audio = line.startsWith('m=audio ');
      hasPtime = false;
    } else if (audio && line.startsWith('a=ptime:')) {
      hasPtime = true;
    }
    out.push(line);
  }
  endSection();
  return out.join(eol) + (trailing ? eol : '');
}

/** The description to send the peer: offers and answers get `withAudioPtime`, rollbacks pass. @param {RTCSessionDescription | RTCSessionDescriptionInit | null} description @param {number} [ms] */
export function descriptionToSend(description, ms = AUDIO_FRAME_MS) {
  // An RTCSessionDescription (the browser's) has toJSON(); a plain init object (tests) is copied.
  const live = /** @type {{toJSON?: () => RTCSessionDescriptionInit}} */ (description ?? {});
  /** @type {RTCSessionDescriptionInit} */
  const d =
    typeof live.toJSON === 'function'
      ? live.toJSON()
      : { .../** @type {RTCSessionDescriptionInit} */ (description) };
  if ((d.type === 'offer' || d.type === 'answer') && typeof d.sdp === 'string')
    d.sdp = withAudioPtime(d.sdp, ms);
  return d;
}
