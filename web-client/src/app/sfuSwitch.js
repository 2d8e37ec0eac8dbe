// @ts-check
// A room's mode (spec/sfu.md §6): a mesh up to the gateway's threshold, the SFU beyond it. Every
// member counts the same room view, so every member reaches the same mode without a message; a
// count must stay on the new side SWITCH_STABLE_MS before anything changes, so that a member
// reconnecting does not flip the room twice. Make before break: into the SFU, this client
// publishes and subscribes first and takes its microphone and camera off the pairwise
// connections once every member's feed decodes (or after MAKE_BEFORE_BREAK_MS); back, it puts
// them on the pairwise connections again first and leaves the SFU once media from every member
// decodes there (or after the same time). A pairwise connection whose data channel is open stays
// in SFU mode, without media: that channel carries the peer records and files
// (spec/data-channel.md), and a peer channel's direction never moves back to the relay. Others
// are closed, and no new one is made in SFU mode: a member who joins then talks to the others
// through the relay, so a client holds at most threshold - 1 pairwise connections. Keys do not
// change for a switch.
//
// A lost SFU session (Janus restarted, stopped, or the gateway refusing) is said (problem
// SFU_UNAVAILABLE) and rebuilt with backoff while the room stays in SFU mode.

import { SfuMedia } from './sfuMedia.js';

export const SWITCH_STABLE_MS = 2_000;
export const MAKE_BEFORE_BREAK_MS = 10_000;
/**
 * After our own SFU media is up, our media stays on the pairwise connections this much longer
 * (spec/sfu.md §6): the others' subscriptions to our feed come up on their own clocks.
 */
export const MESH_GRACE_MS = 4_000;
const READY_POLL_MS = 250;
const RETRY_MS = [500, 1_000, 2_000, 4_000, 8_000];

/**
 * @typedef {object} SwitchHost what the call gives the switch
 * @property {() => number} count members in the room view, us included
 * @property {() => string[]} members key fingerprints of the members we are in the call with
 * @property {(keyFp: string) => Promise<boolean>} feedDecodes a frame or sample of that member came through the SFU
 * @property {(keyFp: string) => Promise<number>} meshDecoded frames and samples decoded from that member over the pairwise connection so far
 * @property {() => void} meshMedia our microphone and camera on every pairwise connection again
 * @property {() => void} meshQuiet our microphone and camera off every pairwise connection (those without an open data channel are closed)
 * @property {() => void} feedsChanged the SFU's feeds changed: tiles and views follow
 * @property {(code: string, message?: string) => void} problem
 * @property {(code: string) => void} cleared what a problem said is over (the SFU is back, or left)
 * @property {(mode: string) => void} switched
 * @property {import('./sfuMedia.js').SfuMediaOptions} media
 */

export class SfuSwitch {
  #host;
  /** @type {number | null} null: the gateway has no SFU (no threshold published) */
  threshold;
  /** @type {'mesh' | 'sfu'} */
  mode = 'mesh';
  /** @type {SfuMedia | null} */
  media = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  #retries = 0;
  #generation = 0;
  closed = false;
  /** @type {{mode: string, at: number, settledAt: number | null}[]} every switch (tests, benchmark) */
  history = [];
  /** @type {string[]} why the SFU session failed, the last 20 (diagnostics) */
  failures = [];

  /** @param {SwitchHost} host @param {number | null} threshold */
  constructor(host, threshold) {
    this.#host = host;
    this.threshold = threshold;
  }

  /**
   * Just joined: a room already past the threshold is joined in SFU mode at once (its members are
   * there already; no mesh to build first).
   */
  joined() {
    if (this.threshold === null || this.closed) return;
    if (this.mode === 'mesh' && this.#host.count() > this.threshold) this.#switchTo('sfu');
    else this.membersChanged();
  }

  /** The room view changed: a switch is due if the count stays on the other side. */
  membersChanged() {
    if (this.threshold === null || this.closed) return;
    const want = this.#host.count() > this.threshold ? 'sfu' : 'mesh';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (want === this.mode) return;
    this.#timer = setTimeout(() => this.#switchTo(want), SWITCH_STABLE_MS);
  }

  /** @param {'mesh' | 'sfu'} mode */
  async #switchTo(mode) {
    if (this.closed || mode === this.mode) return;
    const gen = ++this.#generation;
    this.mode = mode;
    const entry = { mode, at: performance.now(), settledAt: /** @type {number | null} */ (null) };
    this.history.push(entry);
    this.#host.switched(mode);
    if (mode === 'sfu') {
      this.#startMedia();
      await this.#until(gen, async () => {
        for (const fp of this.#host.members())
          if (!(await this.#host.feedDecodes(fp))) return false;
        return true;
      });
      // The others switch on their own clocks: give them MESH_GRACE_MS to see our feed decode
      // before our media leaves the pairwise connections.
      await new Promise((r) => setTimeout(r, MESH_GRACE_MS));
      if (gen !== this.#generation) return;
      this.#host.meshQuiet();
    } else {
      /** @type {Map<string, number>} */
      const before = new Map();
      for (const fp of this.#host.members()) before.set(fp, await this.#host.meshDecoded(fp));
      this.#host.meshMedia();
      await this.#until(gen, async () => {
        for (const fp of this.#host.members())
          if ((await this.#host.meshDecoded(fp)) <= (before.get(fp) ?? 0)) return false;
        return true;
      });
      if (gen !== this.#generation) return;
      this.#stopMedia();
    }
    entry.settledAt = performance.now();
  }

  /** Waits until `ready` or MAKE_BEFORE_BREAK_MS, or another switch. @param {number} gen @param {() => Promise<boolean>} ready */
  async #until(gen, ready) {
    const end = performance.now() + MAKE_BEFORE_BREAK_MS;
    while (gen === this.#generation && !this.closed && performance.now() < end) {
      if (await ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  #startMedia() {
    clearTimeout(this.#retryTimer);
    this.#stopMedia();
    const media = new SfuMedia(this.#host.media);
    this.media = media;
    media.addEventListener('feeds', () => this.#host.feedsChanged());
    media.addEventListener('problem', (e) => {
      const code = /** @type {CustomEvent<{code: string}>} */ (e).detail.code;
      this.#host.problem(code === 'SFU_REFUSED' ? 'SFU_REFUSED' : 'SFU_UNAVAILABLE', code);
    });
    media.addEventListener('failed', (e) => {
      this.#failed(/** @type {CustomEvent<{code: string}>} */ (e).detail.code);
      this.#retry(media);
    });
    media.addEventListener('state', () => {
      if (
        media.subscriber?.connectionState === 'connected' &&
        media.publisher?.connectionState === 'connected'
      ) {
        this.#retries = 0;
        this.#host.cleared('SFU_UNAVAILABLE');
        this.#host.cleared('SFU_REFUSED');
      }
    });
    media.start().catch((e) => {
      if (this.media !== media) return;
      const code = String(
        /** @type {{code?: string}} */ (e)?.code ?? /** @type {Error} */ (e)?.name,
      );
      this.#failed(code);
      this.#host.problem('SFU_UNAVAILABLE', code);
      this.#retry(media);
    });
  }

  /** @param {string} code */
  #failed(code) {
    this.failures.push(code);
    if (this.failures.length > 20) this.failures.shift();
  }

  /** @param {SfuMedia} failed */
  #retry(failed) {
    if (this.media !== failed || this.closed) return;
    this.#stopMedia();
    if (this.mode !== 'sfu') return;
    const delay = RETRY_MS[Math.min(this.#retries, RETRY_MS.length - 1)];
    this.#retries++;
    this.#retryTimer = setTimeout(() => {
      if (this.mode === 'sfu' && !this.closed && this.media === null) this.#startMedia();
    }, delay);
  }

  #stopMedia() {
    const m = this.media;
    this.media = null;
    m?.close();
    this.#host.feedsChanged();
    if (this.mode === 'mesh') this.#host.cleared('SFU_UNAVAILABLE'); // back in the mesh: moot
  }

  close() {
    this.closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retryTimer);
    this.#stopMedia();
  }
}
