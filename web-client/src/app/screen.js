// @ts-check
// Screen-share quality presets: the choice the issue calls "sharp text" vs "smooth motion".
// Each sets the capture constraints, the track's contentHint (which steers Chromium's encoder:
// 'detail'/'text' keep resolution and drop frames, 'motion' keeps frames and drops resolution),
// a bitrate and frame-rate cap on the sender, and the degradation preference.

export const SCREEN_PRESETS = Object.freeze({
  sharp: Object.freeze({
    label: 'Sharp text',
    description: 'Full resolution, up to 15 frames per second: documents, code, slides.',
    contentHint: 'text',
    video: { width: { max: 2560 }, height: { max: 1440 }, frameRate: { ideal: 10, max: 15 } },
    encoding: { maxBitrate: 2_500_000, maxFramerate: 15 },
    degradationPreference: 'maintain-resolution',
  }),
  smooth: Object.freeze({
    label: 'Smooth motion',
    description: '30 frames per second at up to 1280×720: video, animations, scrolling.',
    contentHint: 'motion',
    video: { width: { max: 1280 }, height: { max: 720 }, frameRate: { ideal: 30, max: 30 } },
    encoding: { maxBitrate: 2_000_000, maxFramerate: 30 },
    degradationPreference: 'maintain-framerate',
  }),
});

/**
 * Asks for a screen (with its sound where the browser and system offer it). Throws the
 * browser's DOMException (NotAllowedError when denied or cancelled).
 * @param {string} quality 'sharp' or 'smooth'
 */
export async function captureScreen(quality) {
  const preset =
    SCREEN_PRESETS[/** @type {keyof typeof SCREEN_PRESETS} */ (quality)] ?? SCREEN_PRESETS.sharp;
  /** @type {MediaTrackConstraints} */
  let constraints = { ...preset.video };
  // test-hook:begin
  // Browser tests on two cores: Chromium's fake screen follows the constraints' maximum (2560
  // wide for 'sharp'), and one such VP9 encode took 0.8 s there (sfu.test.js), starving its pages.
  const small = globalThis.__hybridgeTestConfig?.screenVideo;
  if (small !== undefined) constraints = small;
  // test-hook:end
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: constraints,
    audio: true, // system or tab audio: Chromium offers it for tabs and (on some systems) screens
    systemAudio: 'include',
    selfBrowserSurface: 'exclude',
    surfaceSwitching: 'include',
  });
  const [video] = stream.getVideoTracks();
  if (video && 'contentHint' in video) {
    video.contentHint = preset.contentHint;
    // 'text' is a valid hint in Chromium; fall back to the standard 'detail' where it is not
    if (video.contentHint !== preset.contentHint && preset.contentHint === 'text')
      video.contentHint = 'detail';
  }
  return { stream, preset };
}

/**
 * What a screen goes on: a pairwise MediaConnection, or this client's SFU publisher (sfuMedia.js).
 * @typedef {{setSlot: import('./mediaConnection.js').MediaConnection['setSlot']}} ScreenTarget
 */

/**
 * Puts a screen share (or none) on one media connection: its video with the preset's encoding
 * and degradation preference in the screen slot, its sound (if any) in the screen-audio slot.
 * @param {ScreenTarget} media
 * @param {{stream: MediaStream, quality: string} | null} screen
 */
export async function applyScreen(media, screen) {
  if (screen === null) {
    await media.setSlot('screen', null);
    await media.setSlot('screenAudio', null);
    return;
  }
  const preset =
    SCREEN_PRESETS[/** @type {keyof typeof SCREEN_PRESETS} */ (screen.quality)] ??
    SCREEN_PRESETS.sharp;
  const [video] = screen.stream.getVideoTracks();
  const [audio] = screen.stream.getAudioTracks();
  await media.setSlot('screen', video ?? null, {
    encoding: preset.encoding,
    degradationPreference: preset.degradationPreference,
  });
  await media.setSlot('screenAudio', audio ?? null);
}

/**
 * The screen this client shares, if any: started with a preset, put on every open media
 * connection, announced to the peers (a `tracks` message first, so they show the tile as its
 * frames arrive), and stopped by the user or by the browser's own "stop sharing".
 */
export class ScreenShare {
  /** @type {{stream: MediaStream, quality: string} | null} */
  current = null;
  #medias;
  #announce;
  #changed;

  /**
   * @param {{medias: () => ScreenTarget[], announce: (streamId: string | null) => void, changed: () => void}} o
   *   medias: the open media connections; announce: tell every connected peer; changed: re-render
   */
  constructor({ medias, announce, changed }) {
    this.#medias = medias;
    this.#announce = announce;
    this.#changed = changed;
  }

  /** Starts sharing with a quality preset ('sharp' | 'smooth'). Throws if denied. */
  async start(quality = 'sharp') {
    if (this.current) await this.stop();
    const { stream } = await captureScreen(quality);
    const current = { stream, quality };
    this.current = current;
    for (const t of stream.getTracks())
      t.addEventListener('ended', () => this.stop(), { once: true });
    this.#announce(stream.id);
    await Promise.all(this.#medias().map((media) => applyScreen(media, current)));
    this.#changed();
    return stream;
  }

  async stop() {
    if (!this.current) return;
    const { stream } = this.current;
    this.current = null;
    for (const t of stream.getTracks()) t.stop();
    for (const media of this.#medias()) applyScreen(media, null);
    this.#announce(null);
    this.#changed();
  }

  /** Stops the capture without telling anyone (the call is closing). */
  close() {
    if (this.current) for (const t of this.current.stream.getTracks()) t.stop();
    this.current = null;
  }
}
