// @ts-check
// A local recording of the call (spec/peer-messages.md §8.4): what this page shows and plays,
// recorded on this device only. The tiles' videos are drawn side by side into a canvas, every
// audio track (our microphone and each peer's, already decrypted by SFrame) is mixed, and a
// MediaRecorder makes a WebM the person downloads. Nothing leaves the device; the others are
// told that we record by a `rec` peer message (roomControl.js), which is all they can know:
// anyone in the call can also record without telling (a screen recorder, a modified client).

/** Frames per second of the recorded picture: enough for a meeting, light on the CPU. */
export const RECORD_FPS = 15;
/** The recorded picture: small enough to encode beside the call's own video on a laptop. */
const WIDTH = 640;
const HEIGHT = 360;

export class CallRecording {
  #videos;
  #audio;
  #canvas;
  #ctx;
  /** @type {ReturnType<typeof setInterval> | null} */
  #timer = null;
  #mix;
  #dest;
  /** @type {Set<string>} audio track ids already mixed */
  #mixed = new Set();
  /** @type {Blob[]} */
  #chunks = [];
  #recorder;
  #onData;
  startedAt = Date.now();
  /** Bytes recorded so far: the person sees the file grow, and an empty one is never offered. */
  bytes = 0;
  /** Non-empty chunks so far: about a second of the call each. */
  chunks = 0;

  /**
   * Starts recording at once. Throws (NotSupportedError, SecurityError) where the browser
   * cannot record.
   * @param {() => HTMLVideoElement[]} videos the video elements to draw, in order
   * @param {() => MediaStreamTrack[]} audio the audio tracks to mix (called again on addAudio)
   * @param {() => void} [onData] told each time recorded data arrives (see `bytes`)
   */
  constructor(videos, audio, onData = () => {}) {
    this.#videos = videos;
    this.#audio = audio;
    this.#onData = onData;
    this.#canvas = document.createElement('canvas');
    this.#canvas.width = WIDTH;
    this.#canvas.height = HEIGHT;
    this.#ctx = /** @type {CanvasRenderingContext2D} */ (this.#canvas.getContext('2d'));
    this.#mix = new AudioContext();
    // A context can start suspended (autoplay rules); its track then carries no audio, and
    // Firefox's WebM writer waits for audio before it writes anything: a file of 0 bytes.
    this.#mix.resume().catch(() => {});
    this.#dest = this.#mix.createMediaStreamDestination();
    this.addAudio();
    this.#draw();
    const stream = new MediaStream([
      ...this.#canvas.captureStream(RECORD_FPS).getVideoTracks(),
      ...this.#dest.stream.getAudioTracks(),
    ]);
    const type = ['video/webm;codecs=vp8,opus', 'video/webm'].find((t) =>
      MediaRecorder.isTypeSupported(t),
    );
    this.#recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    this.#recorder.addEventListener('dataavailable', (e) => {
      if (e.data.size === 0) return;
      this.#chunks.push(e.data);
      this.bytes += e.data.size;
      this.chunks++;
      this.#onData();
    });
    this.#recorder.start(1000); // a chunk a second: a crash loses at most the last second
    // Timers, not animation frames: a page in the background still records.
    this.#timer = setInterval(() => this.#draw(), 1000 / RECORD_FPS);
  }

  /** Mixes in audio tracks that arrived since (a peer joined, a microphone started). */
  addAudio() {
    for (const track of this.#audio()) {
      if (this.#mixed.has(track.id) || track.readyState !== 'live') continue;
      this.#mixed.add(track.id);
      this.#mix.createMediaStreamSource(new MediaStream([track])).connect(this.#dest);
    }
  }

  #draw() {
    const ctx = this.#ctx;
    ctx.fillStyle = '#0b1116';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    const videos = this.#videos().filter((v) => v.videoWidth > 0);
    if (videos.length === 0) return;
    const cols = Math.ceil(Math.sqrt(videos.length));
    const rows = Math.ceil(videos.length / cols);
    const w = WIDTH / cols;
    const hgt = HEIGHT / rows;
    videos.forEach((v, i) => {
      // Fit each picture in its cell, keeping its shape.
      const scale = Math.min(w / v.videoWidth, hgt / v.videoHeight);
      const dw = v.videoWidth * scale;
      const dh = v.videoHeight * scale;
      const x = (i % cols) * w + (w - dw) / 2;
      const y = Math.floor(i / cols) * hgt + (hgt - dh) / 2;
      ctx.drawImage(v, x, y, dw, dh);
    });
  }

  /**
   * Stops and returns the recording as one WebM Blob. It can be empty (size 0): stopped before
   * the browser's encoder wrote anything; the caller says so rather than offer an empty file.
   */
  stop() {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const done = new Promise((resolve) =>
      this.#recorder.addEventListener('stop', () => resolve(undefined), { once: true }),
    );
    if (this.#recorder.state !== 'inactive') this.#recorder.stop();
    return done.then(() => {
      for (const t of this.#dest.stream.getTracks()) t.stop();
      this.#mix.close().catch(() => {});
      return new Blob(this.#chunks, { type: this.#recorder.mimeType || 'video/webm' });
    });
  }
}
