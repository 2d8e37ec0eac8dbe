// @ts-check
// This client's media through the SFU (spec/sfu.md §5): one publisher RTCPeerConnection that
// sends our microphone and camera to Janus once, and one subscriber RTCPeerConnection that
// receives every other member's feed. Janus forwards what it cannot read: every frame is sealed
// by the same SFrame worker as in the mesh (one send context), and each received m-line is
// opened with the keys of the member whose feed it carries. Which member that is comes from the
// feed id (spec/sfu.md §4), which the SFU's events give per m-line; the worker binds the m-line's
// receive slot to that member (sframeMedia.js bindSlot), so a feed forwarded under another feed
// id decrypts nothing rather than showing under the wrong name.
//
// Events: 'feeds' (the set of feeds or their tracks changed), 'state' (a connection state
// changed), 'problem' {code} (a refusal or a lost SFU session: never silent).

import { sfuVideoCodecs } from './codecs.js';
import { setSenderTrack } from './mediaConnection.js';
import { inboundStats, mediaDecodes, outboundStats } from './mediaStats.js';
import { AUDIO_FRAME_MS, sdpForPeer } from './sdp.js';
import { statsOf } from './rtcStats.js';
import { PUBLISHER, SUBSCRIBER, SfuError, SfuSignal } from './sfuSignal.js';

/**
 * @typedef {import('./sfuSignal.js').JanusMessage} JanusMessage
 * @typedef {{feed: number, keyFp: string, audio: MediaStreamTrack | null, video: MediaStreamTrack | null,
 *            screen: MediaStreamTrack | null, screenAudio: MediaStreamTrack | null,
 *            mids: Set<string>, screenMids: Set<string>, decoding: boolean}} Feed one member's media as received through the SFU;
 *   `decoding`: a frame or sample of it has decoded (what the UI waits for before it shows it)
 * @typedef {object} SfuMediaOptions
 * @property {import('../signal/session.js').CallSession} session
 * @property {import('./sframeMedia.js').SFrameMedia | import('./sframeMedia.js').NoSFrameForTestingOnly} sframe
 * @property {() => RTCIceServer[]} iceServers
 * @property {() => Partial<Record<'mic' | 'camera' | 'screen' | 'screenAudio', MediaStreamTrack | null>>} tracks
 * @property {(feed: number) => string | null} ownerOf the key fingerprint of the member with this feed id, if it is one we are in the call with (its peer channel is up: we hold its keys)
 * @property {(feed: number) => boolean} isMember the feed id is that of another member in the room view (subscribed to at once; opened once ownerOf names it)
 * @property {(keyFp: string) => void} askKeyFrame ask that member for a key frame of its layers (peer message `keyframe`)
 */

let generations = 0;

/** Our published slots, in m-line order: the publisher's mids are "0" to "3" in this order. */
export const PUBLISHED_SLOTS = /** @type {const} */ (['mic', 'camera', 'screen', 'screenAudio']);

/**
 * The camera is published as simulcast (spec/sfu.md §5): full, half and quarter resolution, highest
 * first, as Janus numbers them from the last (substream 0 is "l"). The browser drops layers the
 * camera's resolution does not carry (Chromium: two at 640x360, one at 320x180).
 */
export const SIMULCAST = Object.freeze([
  { rid: 'h' },
  { rid: 'm', scaleResolutionDownBy: 2 },
  { rid: 'l', scaleResolutionDownBy: 4 },
]);

/**
 * The substream a subscriber asks of each camera feed, by how many cameras it shows (spec/sfu.md
 * §5): the top one for up to two, the middle one up to six, the lowest beyond. Janus falls back
 * to a lower one by itself when the publisher does not send the one asked.
 * @param {number} cameras
 */
export function substreamFor(cameras) {
  return cameras <= 2 ? 2 : cameras <= 6 ? 1 : 0;
}

/**
 * Members asking for key frames of our layers (peer message `keyframe`) get at most one per this
 * long, the asks meanwhile served by one at its end: every member that switches a layer asks, and
 * a key frame costs several times a frame.
 */
const KEYFRAME_ASKED_MS = 1000;

/** A layer change whose decoded width has not changed after this long is asked once more (ms). */
const LAYER_CHECK_MS = 5000;

/** How often the subscriber's stats are read while a feed has not decoded anything yet. */
const DECODING_POLL_MS = 250;

/** A subscriber getStats serves every feed's summary asked within this time (one poll asks for all). */
const STATS_REUSE_MS = 200;

/**
 * A member's feed we subscribed to and Janus says publishes, but that no m-line of our
 * subscription carries for this long, is subscribed to again (spec/sfu.md §5): the subscription
 * was lost on the way (an `unpublished` and a new `publishers` of the same feed id, a Janus that
 * dropped it), and without this the member's tile would wait forever.
 */
const FEED_MISSING_MS = 8000;

export class SfuMedia extends EventTarget {
  #o;
  /** Receive slot names are this SfuMedia's own: a rebuilt one (after Janus restarted) reuses mids. */
  #slotPrefix = `sfu${++generations}:`;
  /** @type {SfuSignal} */
  signal;
  /** @type {RTCPeerConnection | null} */
  publisher = null;
  /** @type {RTCPeerConnection | null} */
  subscriber = null;
  /** @type {Map<number, {streams: number}>} feeds Janus says publish now */
  #publishers = new Map();
  /** @type {Set<number>} feeds our subscriber handle asked for */
  #subscribed = new Set();
  #subscriberJoined = false;
  /** @type {Map<string, {feed: number, type: string, feedMid: string}>} subscriber m-line -> the feed (and its publisher's m-line) it carries */
  #mids = new Map();
  /** @type {Map<number, Feed>} */
  feeds = new Map();
  #transformed = new WeakSet();
  #chain = Promise.resolve();
  closed = false;
  /** The gateway said our Janus session is gone: nothing to leave. */
  #lost = false;
  /** @type {Map<number, number>} subscribed feed -> since when no m-line carries it */
  #missingSince = new Map();
  #missingTimer = /** @type {ReturnType<typeof setInterval> | undefined} */ (undefined);
  /** @type {Record<string, number>} diagnostics: offers answered, refusals, subscriptions */
  counters = {};
  /** @type {{code: string, at: number} | null} the last refusal or loss (the UI shows it) */
  problem = null;

  /** @param {SfuMediaOptions} o */
  constructor(o) {
    super();
    this.#o = o;
    this.signal = new SfuSignal(o.session);
    this.signal.addEventListener('janus', (e) =>
      this.#onJanus(/** @type {CustomEvent<import('./sfuSignal.js').JanusEvent>} */ (e).detail),
    );
    this.signal.addEventListener('lost', (e) => {
      this.#lost = true;
      this.#fail(/** @type {CustomEvent<{code: string}>} */ (e).detail.code);
    });
    this.signal.addEventListener('refused', (e) =>
      this.#count(`refused:${/** @type {CustomEvent<{code: string}>} */ (e).detail.code}`),
    );
  }

  /** @param {string} k */
  #count(k) {
    this.counters[k] = (this.counters[k] ?? 0) + 1;
  }

  /** @returns {RTCPeerConnection} */
  #newConnection() {
    /** @type {RTCConfiguration} */
    const config = {
      iceServers: this.#o.iceServers(),
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    };
    if (this.#o.sframe.api === 'encoded-streams') config.encodedInsertableStreams = true;
    const pc = new RTCPeerConnection(config);
    pc.onconnectionstatechange = () => {
      this.dispatchEvent(new CustomEvent('state'));
      if (pc.connectionState === 'failed') this.#fail('SFU_MEDIA_FAILED');
    };
    return pc;
  }

  /** Joins the Janus room as a publisher, publishes, and subscribes to every member's feed there. */
  async start() {
    const pub = this.#newConnection();
    this.publisher = pub;
    const tracks = this.#o.tracks();
    const camStream = new MediaStream();
    const screenStream = new MediaStream();
    // Four fixed slots in this order (their mids "0" to "3": PUBLISHED_SLOTS), as in the mesh
    // (mediaConnection.js): a screen share is a replaceTrack on the screen slots, no renegotiation.
    /** @type {Record<string, RTCRtpSender>} */
    const senders = {};
    for (const slot of PUBLISHED_SLOTS) {
      const kind = slot === 'mic' || slot === 'screenAudio' ? 'audio' : 'video';
      const t = pub.addTransceiver(tracks[slot] ?? kind, {
        direction: 'sendonly',
        streams: [slot === 'mic' || slot === 'camera' ? camStream : screenStream],
        ...(slot === 'camera' ? { sendEncodings: SIMULCAST.map((e) => ({ ...e })) } : {}),
      });
      if (kind === 'video') {
        // VP8 only, its first bytes in clear (spec/media-sframe.md §7.5): Janus finds the key
        // frames it switches simulcast layers on, and the receiving browser tells them too.
        this.#o.sframe.attachSender(t.sender, 'vp8');
        const codecs = sfuVideoCodecs();
        if (codecs !== null && typeof t.setCodecPreferences === 'function')
          t.setCodecPreferences(codecs);
      } else {
        this.#o.sframe.attachSender(t.sender);
      }
      senders[slot] = t.sender;
    }
    this.slots = senders;
    pub.onicecandidate = ({ candidate }) => this.signal.trickle(PUBLISHER, candidate);
    const joined = await this.signal.request(PUBLISHER, { request: 'join', ptype: 'publisher' });
    this.#learnPublishers(joined.plugindata?.data);
    await pub.setLocalDescription();
    const answer = await this.signal.request(
      PUBLISHER,
      { request: 'publish', audiocodec: 'opus', videocodec: 'vp8' },
      pub.localDescription,
    );
    if (answer.jsep === undefined || typeof answer.jsep.sdp !== 'string')
      throw new SfuError('SFU_NO_ANSWER', 'publish without jsep');
    try {
      // 40 ms Opus frames, as in the mesh (sdp.js): libwebrtc sizes them to the remote
      // description's a=ptime, which Janus' answer does not carry. Janus forwards the frames as
      // they are, so every subscriber gets half the audio frames to open.
      const { sdp } = sdpForPeer(answer.jsep.sdp, { audioFrameMs: AUDIO_FRAME_MS });
      await pub.setRemoteDescription({ type: 'answer', sdp });
    } catch (e) {
      this.#refused('publisher-answer', e);
      throw e;
    }
    this.#count('published');
    this.updateSubscriptions();
    this.#missingTimer = setInterval(() => this.#checkMissing(), FEED_MISSING_MS / 4);
  }

  /** Subscribes again to every wanted feed that no m-line has carried for FEED_MISSING_MS. */
  #checkMissing() {
    if (this.closed) return;
    const now = performance.now();
    const carried = new Set([...this.#mids.values()].map((m) => m.feed));
    /** @type {number[]} */
    const lost = [];
    for (const f of this.#subscribed) {
      if (carried.has(f) || !this.#publishers.has(f) || !this.#o.isMember(f)) {
        this.#missingSince.delete(f);
        continue;
      }
      const since = this.#missingSince.get(f) ?? now;
      this.#missingSince.set(f, since);
      if (now - since >= FEED_MISSING_MS) lost.push(f);
    }
    if (lost.length === 0) return;
    for (const f of lost) this.#missingSince.delete(f);
    this.#serial(async () => {
      if (this.closed || !this.#subscriberJoined) return;
      this.#count('resubscribe');
      const streams = lost.filter((f) => this.#subscribed.has(f)).map((feed) => ({ feed }));
      if (streams.length === 0) return;
      // Janus may still hold the stream (unusable) or may not (it answers 428, no such feed):
      // either way the subscribe that follows is what counts.
      const gone = await this.signal
        .request(SUBSCRIBER, { request: 'unsubscribe', streams })
        .catch(() => null);
      if (gone?.jsep?.type === 'offer') await this.#onSubscriberOffer(gone);
      const ev = await this.signal.request(SUBSCRIBER, { request: 'subscribe', streams });
      if (ev.jsep?.type === 'offer') await this.#onSubscriberOffer(ev);
    });
  }

  /**
   * Puts a track (or null) on one of our published slots; for the screen, `encoding` and
   * `degradationPreference` as MediaConnection.setSlot takes them (screen.js applyScreen).
   * @param {'mic' | 'camera' | 'screen' | 'screenAudio'} slot @param {MediaStreamTrack | null} track
   * @param {{encoding?: RTCRtpEncodingParameters, degradationPreference?: RTCDegradationPreference}} [options]
   */
  async setSlot(slot, track, options = {}) {
    const sender = this.slots?.[slot];
    if (sender === undefined || this.closed) return;
    await setSenderTrack(sender, track, options);
  }

  /** @param {Record<string, any> | undefined} data */
  #learnPublishers(data) {
    if (data === undefined) return;
    for (const p of Array.isArray(data.publishers) ? data.publishers : []) {
      if (Number.isSafeInteger(p?.id))
        this.#publishers.set(p.id, {
          streams: Array.isArray(p.streams) ? p.streams.length : 0,
        });
    }
    for (const k of ['unpublished', 'leaving']) {
      const id = data[k];
      if (!Number.isSafeInteger(id)) continue;
      this.#publishers.delete(id);
      // Janus itself drops that feed's streams from our subscription (its `updated` offer), so
      // it is no longer subscribed, at once: a member that publishes again under the same feed
      // id (its SFU session was rebuilt) is subscribed to again even when both events are
      // learned before the next updateSubscriptions runs, which would otherwise see no change.
      if (this.#subscribed.delete(id)) this.#count('feed-gone');
    }
  }

  /** @param {import('./sfuSignal.js').JanusEvent} e */
  #onJanus({ handle, msg }) {
    if (this.closed) return;
    this.#count(`event:${msg.janus}`);
    const data = msg.plugindata?.data;
    if (msg.janus === 'hangup') return this.#fail('SFU_HANGUP');
    if (handle === PUBLISHER && data !== undefined) {
      this.#learnPublishers(data);
      this.updateSubscriptions();
    }
    if (handle === SUBSCRIBER && msg.jsep?.type === 'offer') {
      this.#serial(() => this.#onSubscriberOffer(msg));
    }
  }

  /** Runs subscriber negotiations one after another. @param {() => Promise<void>} f */
  #serial(f) {
    this.#chain = this.#chain.then(f).catch((e) => {
      if (!this.closed) this.#fail(e instanceof SfuError ? e.code : 'SFU_NEGOTIATION_FAILED');
    });
  }

  /**
   * Subscribes to every publishing feed of a member we are in the call with, and drops feeds that
   * went (or whose member left). Call again whenever the members change.
   */
  updateSubscriptions() {
    this.#serial(async () => {
      if (this.closed || this.publisher === null) return;
      await this.#rebind();
      this.#collectFeeds();
      const want = [...this.#publishers.keys()].filter((f) => this.#o.isMember(f));
      const add = want.filter((f) => !this.#subscribed.has(f));
      const drop = [...this.#subscribed].filter((f) => !want.includes(f));
      if (drop.length > 0) {
        for (const f of drop) this.#subscribed.delete(f);
        if (this.#subscriberJoined) {
          this.#count('unsubscribe');
          const ev = await this.signal.request(SUBSCRIBER, {
            request: 'unsubscribe',
            streams: drop.map((feed) => ({ feed })),
          });
          if (ev.jsep?.type === 'offer') await this.#onSubscriberOffer(ev);
        }
      }
      if (add.length > 0) {
        for (const f of add) this.#subscribed.add(f);
        const streams = add.map((feed) => ({ feed }));
        /** @type {JanusMessage} */
        let ev;
        if (!this.#subscriberJoined) {
          this.#count('subscriber-join');
          ev = await this.signal.request(SUBSCRIBER, {
            request: 'join',
            ptype: 'subscriber',
            streams,
          });
          this.#subscriberJoined = true;
        } else {
          this.#count('subscribe');
          ev = await this.signal.request(SUBSCRIBER, { request: 'subscribe', streams });
        }
        if (ev.jsep?.type === 'offer') await this.#onSubscriberOffer(ev);
      }
    });
  }

  /** Janus' offer for the subscriber connection: which m-line carries which feed, then our answer. @param {JanusMessage} ev */
  async #onSubscriberOffer(ev) {
    if (this.closed) return;
    const data = ev.plugindata?.data ?? {};
    if (Array.isArray(data.streams)) {
      for (const s of data.streams) {
        if (typeof s?.mid !== 'string') continue;
        const feed = Number.isSafeInteger(s.feed_id) && s.active !== false ? s.feed_id : null;
        if (feed === null) this.#mids.delete(s.mid);
        else
          this.#mids.set(s.mid, { feed, type: String(s.type), feedMid: String(s.feed_mid ?? '') });
      }
    }
    await this.#rebind();
    let pc = this.subscriber;
    if (pc === null) {
      pc = this.#newConnection();
      this.subscriber = pc;
      pc.onicecandidate = ({ candidate }) => this.signal.trickle(SUBSCRIBER, candidate);
      pc.ontrack = (e) => {
        this.#transform(e.transceiver);
        this.#collectFeeds();
      };
    }
    try {
      await pc.setRemoteDescription(/** @type {RTCSessionDescriptionInit} */ (ev.jsep));
    } catch (e) {
      this.#refused('subscriber-offer', e);
      throw e;
    }
    for (const t of pc.getTransceivers()) this.#transform(t);
    await pc.setLocalDescription();
    await this.signal.request(SUBSCRIBER, { request: 'start' }, pc.localDescription);
    this.#count('subscriber-answer');
    this.#collectFeeds();
  }

  /** @type {Map<string, string | null>} m-line -> the member its receive slot is bound to */
  #bound = new Map();

  /**
   * Binds every m-line's receive slot to the member whose feed it carries now, if we hold that
   * member's keys (ownerOf), else to nobody; only what changed is sent to the worker. A feed we
   * subscribed to before its member's peer channel was up is opened from then on.
   */
  async #rebind() {
    const sframe = this.#o.sframe;
    for (const [mid, was] of this.#bound) {
      if (!this.#mids.has(mid)) {
        this.#bound.delete(mid);
        if (was !== null) await sframe.bindSlot(this.#slotPrefix + mid, null);
      }
    }
    for (const [mid, m] of this.#mids) {
      const owner = this.#o.ownerOf(m.feed);
      if (this.#bound.has(mid) && this.#bound.get(mid) === owner) continue;
      this.#bound.set(mid, owner);
      await sframe.bindSlot(this.#slotPrefix + mid, owner);
    }
  }

  /** Every subscriber receiver gets the decrypting transform of its m-line's slot, once. @param {RTCRtpTransceiver} t */
  #transform(t) {
    if (t.mid === null || this.#transformed.has(t.receiver)) return;
    this.#transformed.add(t.receiver);
    this.#o.sframe.attachSlotReceiver(
      t.receiver,
      this.#slotPrefix + t.mid,
      t.receiver.track.kind === 'video' ? 'vp8' : undefined,
    );
  }

  /** Rebuilds `feeds` from the m-lines: one entry per member, with its audio and video track. */
  #collectFeeds() {
    const pc = this.subscriber;
    if (pc === null) return;
    /** @type {Map<number, Feed>} */
    const feeds = new Map();
    /** @type {string[]} */
    const cameraMids = [];
    for (const t of pc.getTransceivers()) {
      const m = t.mid === null ? undefined : this.#mids.get(t.mid);
      if (m === undefined || t.currentDirection === 'inactive' || t.currentDirection === 'stopped')
        continue;
      const keyFp = this.#o.ownerOf(m.feed);
      if (keyFp === null) continue;
      let f = feeds.get(m.feed);
      if (f === undefined) {
        const before = this.feeds.get(m.feed);
        f = {
          feed: m.feed,
          keyFp,
          audio: null,
          video: null,
          screen: null,
          screenAudio: null,
          mids: new Set(),
          screenMids: new Set(),
          decoding: false,
        };
        if (before?.keyFp === keyFp) f.decoding = before.decoding;
        feeds.set(m.feed, f);
      }
      f.mids.add(/** @type {string} */ (t.mid));
      // which of the publisher's slots: its m-line (PUBLISHED_SLOTS order), else by kind
      const slot =
        PUBLISHED_SLOTS[Number(m.feedMid)] ??
        (t.receiver.track.kind === 'audio' ? 'mic' : 'camera');
      if (slot === 'screen' || slot === 'screenAudio')
        f.screenMids.add(/** @type {string} */ (t.mid));
      f[slot === 'mic' ? 'audio' : slot === 'camera' ? 'video' : slot] = t.receiver.track;
      if (slot === 'camera') cameraMids.push(/** @type {string} */ (t.mid));
    }
    this.feeds = feeds;
    this.dispatchEvent(new CustomEvent('feeds'));
    this.#watchDecoding();
    this.#chooseLayers(cameraMids);
  }

  /** @type {Map<string, number>} camera m-line -> the substream asked of Janus for it */
  #substreams = new Map();
  /** @type {number | null} a substream every camera m-line is asked for, whatever the count (setLayer) */
  #fixedSubstream = null;

  /**
   * Asks Janus for the substream of each camera m-line that substreamFor gives for this many
   * cameras (or the one setLayer fixed), where it changed. Janus switches at the next key frame
   * of that substream, which it can see in the clear bytes (§5), and asks the publisher for one.
   * @param {string[]} cameraMids
   */
  #chooseLayers(cameraMids) {
    const want = this.#fixedSubstream ?? substreamFor(cameraMids.length);
    for (const mid of this.#substreams.keys())
      if (!cameraMids.includes(mid)) this.#substreams.delete(mid);
    const change = cameraMids.filter((mid) => this.#substreams.get(mid) !== want);
    if (change.length === 0) return;
    for (const mid of change) this.#substreams.set(mid, want);
    this.#serial(() => this.#configureLayers(change, want, true));
  }

  /**
   * Asks Janus for substream `want` of `mids`, then their publishers for key frames. With `check`,
   * a feed whose decoded width is the same LAYER_CHECK_MS later is asked once more: a switch that
   * never happened was seen once in four CI runs (2026-12-05, cause unknown: Janus waits for a
   * key frame of the new layer). A change that leaves the width as it is (one layer sent) costs
   * one extra configure and key frame.
   * @param {string[]} mids @param {number} want @param {boolean} check
   */
  async #configureLayers(mids, want, check) {
    if (this.closed || !this.#subscriberJoined) return;
    const before = check ? await this.#widths(mids) : null;
    this.#count(check ? 'layers' : 'layers-again');
    const ok = await this.signal
      .request(SUBSCRIBER, {
        request: 'configure',
        streams: mids.map((mid) => ({ mid, substream: want })),
      })
      .then(
        () => true,
        () => {
          // an m-line gone meanwhile: counted, and the next feeds change asks again
          this.#count('layers-refused');
          for (const mid of mids) this.#substreams.delete(mid);
          return false;
        },
      );
    if (!ok) return;
    // Janus switches at the next key frame of the new layer and asks the publisher for one, but
    // Firefox with a sender transform does not answer that PLI on its simulcast layers (Firefox
    // ESR 140, 2026-12-05): ask the members themselves, over the peer channel (spec/sfu.md §5).
    const owners = new Set();
    for (const mid of mids) {
      const m = this.#mids.get(mid);
      const fp = m === undefined ? null : this.#o.ownerOf(m.feed);
      if (fp !== null) owners.add(fp);
    }
    for (const fp of owners) this.#o.askKeyFrame(fp);
    if (before === null) return;
    setTimeout(
      () =>
        this.#serial(async () => {
          if (this.closed) return;
          const still = mids.filter((mid) => this.#substreams.get(mid) === want);
          const now = await this.#widths(still);
          const stuck = still.filter(
            (mid) => (before.get(mid) ?? 0) > 0 && now.get(mid) === before.get(mid),
          );
          if (stuck.length > 0) await this.#configureLayers(stuck, want, false);
        }),
      LAYER_CHECK_MS,
    );
  }

  /** The decoded width of each of `mids` on the subscriber now (0: nothing decoded). @param {string[]} mids */
  async #widths(mids) {
    /** @type {Map<string, number>} */
    const out = new Map();
    const pc = this.subscriber;
    if (pc === null || mids.length === 0) return out;
    const report = await this.#subscriberReport(pc).catch(() => null);
    report?.forEach((s) => {
      if (s.type === 'inbound-rtp' && mids.includes(s.mid)) out.set(s.mid, s.frameWidth ?? 0);
    });
    return out;
  }

  #lastKeyFrame = -Infinity;
  /** @type {ReturnType<typeof setTimeout> | undefined} a key frame put off to the end of the second */
  #keyFrameTimer = undefined;

  /**
   * A member asks for a key frame of our layers (peer message `keyframe`): every SFU video sender
   * makes one on all its layers, at most once per KEYFRAME_ASKED_MS. An ask within that time is
   * not dropped: one key frame follows when the time is over, for all the asks meanwhile (a
   * subscriber that switches down and at once up again needs both).
   */
  keyFrameAsked() {
    if (this.closed) return;
    this.#count('keyframe-asked');
    if (this.#keyFrameTimer !== undefined) return; // one is on its way
    const wait = this.#lastKeyFrame + KEYFRAME_ASKED_MS - performance.now();
    const make = async () => {
      this.#keyFrameTimer = undefined;
      if (this.closed) return;
      this.#lastKeyFrame = performance.now();
      this.#count('keyframe-made');
      // the layers that send now, by name: Firefox's generateKeyFrame() without a rid did not
      // reach every layer, and a layer that does not send has no encoder to ask
      const pub = await this.publishStats().catch(() => null);
      const rids = (pub?.outbound ?? [])
        .filter((o) => o.kind === 'video' && o.rid !== null && o.framesEncoded > 0)
        .map((o) => String(o.rid));
      this.#o.sframe.keyFrame(rids);
    };
    if (wait <= 0) void make();
    else this.#keyFrameTimer = setTimeout(make, wait);
  }

  /**
   * Fixes the substream asked of every camera feed (0 lowest .. 2 highest), or with null goes
   * back to choosing by the number of cameras shown.
   * @param {0 | 1 | 2 | null} substream
   */
  setLayer(substream) {
    this.#fixedSubstream = substream;
    this.#substreams.clear();
    this.#collectFeeds();
  }

  #decodingTimer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);

  /** Polls the subscriber's stats while some feed has decoded nothing yet; 'feeds' when one starts. */
  #watchDecoding() {
    if (this.#decodingTimer !== undefined || this.closed) return;
    if ([...this.feeds.values()].every((f) => f.decoding)) return;
    this.#decodingTimer = setTimeout(async () => {
      let changed = false;
      for (const f of this.feeds.values()) {
        if (f.decoding) continue;
        const s = await this.statsOf(f.keyFp).catch(() => null);
        if (mediaDecodes(s?.inbound ?? [])) {
          f.decoding = true;
          changed = true;
        }
      }
      this.#decodingTimer = undefined;
      if (this.closed) return;
      if (changed) this.dispatchEvent(new CustomEvent('feeds'));
      this.#watchDecoding();
    }, DECODING_POLL_MS);
  }

  /** The feed of the member with key fingerprint `keyFp`, if we receive it. @param {string} keyFp */
  feedOf(keyFp) {
    for (const f of this.feeds.values()) if (f.keyFp === keyFp) return f;
    return null;
  }

  // test-hook:begin
  /** Browser test sfu (c3): this SFU session fails as if its connection had (the owner rebuilds it). */
  failForTestingOnly() {
    this.#fail('SFU_MEDIA_FAILED');
  }

  /** Browser test sfu (c3): the subscription work (events, offers) waits `ms` from now. @param {number} ms */
  holdForTestingOnly(ms) {
    this.#serial(() => new Promise((r) => setTimeout(r, ms)));
  }
  // test-hook:end

  /** @param {string} what @param {unknown} error */
  #refused(what, error) {
    const name = /** @type {{name?: string}} */ (error)?.name ?? 'Error';
    this.#count(`refused:${what}:${name}`);
    this.#problem('SFU_REFUSED');
  }

  /** @param {string} code */
  #problem(code) {
    this.problem = { code, at: performance.now() };
    this.dispatchEvent(new CustomEvent('problem', { detail: { code } }));
  }

  /** The SFU session is lost or broken: say so; the owner rebuilds (call.js). @param {string} code */
  #fail(code) {
    if (this.closed) return;
    this.#count(`failed:${code}`);
    this.#problem(code);
    this.dispatchEvent(new CustomEvent('failed', { detail: { code } }));
  }

  /** @type {{at: number, pc: RTCPeerConnection, report: Promise<RTCStatsReport>} | null} */
  #report = null;

  /** The subscriber's stats report, one getStats for all feeds asked within STATS_REUSE_MS. @param {RTCPeerConnection} pc */
  #subscriberReport(pc) {
    const now = performance.now();
    if (this.#report === null || this.#report.pc !== pc || now - this.#report.at > STATS_REUSE_MS)
      this.#report = { at: now, pc, report: statsOf(pc) };
    return this.#report.report;
  }

  /** Inbound stats of one member's feed, in the shape of MediaConnection.statsSummary (mediaStats.js). @param {string} keyFp */
  async statsOf(keyFp) {
    const f = this.feedOf(keyFp);
    const pc = this.subscriber;
    /** @type {Record<string, any>[]} */
    const inbound = [];
    if (f !== null && pc !== null) {
      const report = await this.#subscriberReport(pc);
      /** @type {Record<string, string>} */
      const codecs = {};
      report.forEach((s) => {
        if (s.type === 'codec') codecs[s.id] = s.mimeType;
      });
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp' || !f.mids.has(s.mid)) return;
        inbound.push({
          ...inboundStats(s, f.screenMids.has(s.mid)),
          codec: codecs[s.codecId] ?? null,
        });
      });
    }
    return {
      via: 'sfu',
      connectionState: pc?.connectionState ?? 'new',
      publisherState: this.publisher?.connectionState ?? 'new',
      negotiation: { ...this.counters, ...this.signal.counters },
      refusal: this.problem,
      refusals: [],
      inbound,
      outbound: [],
      receiverTransforms: f === null ? [] : [...f.mids].map(() => true),
      senderTransforms: [],
      transceivers: pc?.getTransceivers().length ?? 0,
    };
  }

  /** What we publish: outbound stats of the publisher connection. */
  async publishStats() {
    const pc = this.publisher;
    if (pc === null) return null;
    const report = await statsOf(pc);
    /** @type {Record<string, any>[]} */
    const outbound = [];
    report.forEach((s) => {
      if (s.type === 'outbound-rtp') outbound.push(outboundStats(s));
    });
    return { connectionState: pc.connectionState, outbound };
  }

  /**
   * Ends this client's use of the SFU. Unless the gateway said the Janus session is gone, both
   * handles leave the room first: the session itself stays with the gateway until the seat ends,
   * and a leave is what makes the gateway give the handle a fresh Janus handle for the next
   * join (a Janus handle joins once: spec/sfu.md §3.1).
   */
  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.#decodingTimer);
    clearTimeout(this.#keyFrameTimer);
    clearInterval(this.#missingTimer);
    if (!this.#lost) {
      this.signal.fire(SUBSCRIBER, { request: 'leave' });
      this.signal.fire(PUBLISHER, { request: 'leave' });
    }
    this.signal.close();
    this.publisher?.close();
    this.subscriber?.close();
    for (const mid of this.#bound.keys()) this.#o.sframe.bindSlot(this.#slotPrefix + mid, null);
    this.feeds = new Map();
    this.dispatchEvent(new CustomEvent('feeds'));
  }
}
