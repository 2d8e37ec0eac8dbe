// @ts-check
// What this browser can do that differs between browsers (docs/browsers.md), checked once at the
// landing page and where the difference shows:
//
// - SFrame needs an encoded-transform API: the standard RTCRtpScriptTransform (Chromium 141+,
//   Firefox 117+, Safari 15.4+) or Chromium's older createEncodedStreams. Without either, every
//   frame would leave the browser unencrypted by SFrame, so the page says so and never joins.
// - Sound with a screen share: Chromium offers a tab's sound (and, on some systems, the whole
//   system's); Firefox (153 ESR checked) offers no audio with getDisplayMedia at all, so the share
//   button and the share itself say that the screen goes without sound.

import { transformApi } from './sframeMedia.js';

/** True where the app can run SFrame on every sender and receiver (an encoded-transform API and WebRTC). */
export function canRunSFrame() {
  return typeof globalThis.RTCPeerConnection === 'function' && transformApi() !== null;
}

/** Firefox, which shares no system or tab audio with a screen (its getDisplayMedia has no audio). */
export function isFirefox() {
  return /\bFirefox\//.test(globalThis.navigator?.userAgent ?? '');
}

/** What the share button's tooltip says about sound in this browser. */
export function screenAudioNote() {
  return isFirefox()
    ? 'Firefox shares no system or tab audio: the others see your screen without its sound.'
    : 'To share sound too, share a tab and tick its audio option (or the system audio where offered).';
}
