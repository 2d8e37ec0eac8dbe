// @ts-check
// A room's mode (spec/sfu.md §6): a mesh up to the gateway's threshold, the SFU beyond it. Every
// member counts the same room view, so every member reaches the same mode without a message; a
// count must stay on the new side SWITCH_STABLE_MS before anything changes, so that a member
// reconnecting does not flip the room twice. Make before break: into the SFU, this client
// publishes and subscribes first and takes its microphone and camera off the pairwise
// connections once every member's feed decodes here (or after MAKE_BEFORE_BREAK_MS) and every
// member has said that ours decodes there (peer message `sfu-seen`, or after SEEN_WAIT_MS); back, it puts
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
 * After we decode every member through the SFU, our media stays on the pairwise connections until
 * every member has said it decodes ours there (`sfu-seen`), or this long (spec/sfu.md §6): the
 * others switch on their own clocks, and a member who watches us on a pairwise connection must
 * not lose us before its own subscription to our feed decodes.
 */
export const SEEN_WAIT_MS = 10_000;
/** How long we look for members' feeds to decode through the SFU, to tell them (`sfu-seen`). */
const TELL_FOR_MS = 30_000;
const READY_POLL_MS = 250;
const RETRY_MS = [500, 1_000, 2_000, 4_000, 8_000];

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {object} SwitchHost what the call gives the switch
 * @property {() => number} count members in the room view, us included
 * @property {() => string[]} members key fingerprints of the members we are in the call with
 * @property {(keyFp: string) => boolean} feedDecodes that member's feed decodes through the SFU (SfuMedia's `decoding`: mediaStats.js mediaDecodes)
 * @property {(keyFp: string) => Promise<number>} meshDecoded frames and samples decoded from that member over the pairwise connection so far
 * @property {() => void} meshMedia our microphone and camera on every pairwise connection again
 * @property {() => void} meshQuiet our microphone and camera off every pairwise connection (those without an open data channel are closed)
 * @property {(keyFp: string) => void} tellSeen tell that member we decode its feed through the SFU (`sfu-seen`)
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
  /** Members that said they decode our feed through the SFU, since our last switch to it. */
  #seenBy = new Set();
  closed = false;
  /**
   * Every switch (tests, benchmark); into the SFU, `unseen` counts the members that had not said
   * they decode us there when our media left the pairwise connections.
   * @type {{mode: string, at: number, settledAt: number | null, unseen?: number}[]}
   */
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

  /** A member says it decodes our feed through the SFU (peer message `sfu-seen`). @param {string} keyFp */
  seenBy(keyFp) {
    if (this.mode === 'sfu') this.#seenBy.add(keyFp);
  }

  /** @param {'mesh' | 'sfu'} mode */
  async #switchTo(mode) {
    if (this.closed || mode === this.mode) return;
    const gen = ++this.#generation;
    this.mode = mode;
    /** @type {{mode: string, at: number, settledAt: number | null, unseen?: number}} */
    const entry = { mode, at: performance.now(), settledAt: null };
    this.history.push(entry);
    this.#host.switched(mode);
    if (mode === 'sfu') {
      this.#seenBy.clear();
      this.#startMedia();
      await this.#until(gen, MAKE_BEFORE_BREAK_MS, async () =>
        this.#host.members().every((fp) => this.#host.feedDecodes(fp)),
      );
      // The others switch on their own clocks: our media leaves the pairwise connections once
      // each of them decodes it through the SFU.
      const unseen = () => this.#host.members().filter((fp) => !this.#seenBy.has(fp)).length;
      await this.#until(gen, SEEN_WAIT_MS, async () => unseen() === 0);
      if (gen !== this.#generation) return;
      entry.unseen = unseen();
      this.#host.meshQuiet();
    } else {
      /** @type {Map<string, number>} */
      const before = new Map();
      for (const fp of this.#host.members()) before.set(fp, await this.#host.meshDecoded(fp));
      this.#host.meshMedia();
      await this.#until(gen, MAKE_BEFORE_BREAK_MS, async () => {
        for (const fp of this.#host.members())
          if ((await this.#host.meshDecoded(fp)) <= (before.get(fp) ?? 0)) return false;
        return true;
      });
      if (gen !== this.#generation) return;
      this.#stopMedia();
    }
    entry.settledAt = performance.now();
  }

  /** Waits until `ready`, for at most `ms`, or another switch. @param {number} gen @param {number} ms @param {() => Promise<boolean>} ready */
  async #until(gen, ms, ready) {
    const end = performance.now() + ms;
    while (gen === this.#generation && !this.closed && performance.now() < end) {
      if (await ready().catch(() => false)) return;
      await sleep(READY_POLL_MS);
    }
  }

  /**
   * Tells each member, once per SFU session, that its feed decodes here (`sfu-seen`), so that it
   * can take its media off our pairwise connection without a stall; for TELL_FOR_MS, the members
   * as they come up (a newcomer starts its SFU session before its peer channels are up).
   * @param {SfuMedia} media
   */
  async #tellSeen(media) {
    const told = new Set();
    const end = performance.now() + TELL_FOR_MS;
    while (this.media === media && !this.closed && performance.now() < end) {
      for (const fp of this.#host.members()) {
        if (told.has(fp) || !this.#host.feedDecodes(fp)) continue;
        told.add(fp);
        this.#host.tellSeen(fp);
      }
      await sleep(READY_POLL_MS);
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
    this.#tellSeen(media);
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
