// @ts-check
// A call: one CallSession (signaling, owned by src/signal/) plus the media the app builds on it:
// one MediaConnection (RTCPeerConnection) per peer key fingerprint, one SFrame worker for all of them,
// the send-key epochs, screen share and chat. The UI listens to this object's events.
//
// A peer's lifecycle is the session's one per-peer state machine (src/signal/peerState.js):
// this file reads Peer.phase, Peer.channelOpen and Peer.everUp and keeps per peer only what the
// media needs (its MediaConnection, screen stream id, SAS verification, the grace timer below).
//
// Events (CustomEvent.detail):
//   'status'   {state, error?}           the CallSession state ('joined', 'reconnecting', ...)
//   'peers'    {}                         a peer was added, changed or removed: re-render
//   'media'    {keyFp}                    a remote stream arrived or went
//   'chat'     {entry}                    a chat message (own or received), or new delivery states of ours
//   'problem'  {code, keyFp?}             something to tell the user (src/messages.js)
//   'rekey'    {kid}                      a new send key is installed
//   'file'     {item}                     a file transfer changed (fileTransfer.js)

import { CallSession } from '../signal/session.js';
import { CallChat } from './callChat.js';
import { CallTimings } from './callTimings.js';
import { LiveDoc } from './liveDoc.js';
import { FileTransfers } from './fileTransfer.js';
import { MediaConnection } from './mediaConnection.js';
import { PlaceholderTracks } from './placeholder.js';
import { SFrameMedia } from './sframeMedia.js';
// test-hook:begin
import { NoSFrameForTestingOnly } from './sframeMedia.js';
// test-hook:end
import { ScreenShare, applyScreen } from './screen.js';
import { RoomControl } from './roomControl.js';
import { SfuSwitch } from './sfuSwitch.js';
import { feedIdOf } from './sfuSignal.js';
import { roomHost } from './roomHost.js';
import { AUDIO_FRAME_MS, checkAudioFrameMs } from './sdp.js';

/**
 * The mesh/SFU threshold the gateway publishes (spec/sfu.md §6), or null: no SFU.
 * @param {string} origin @returns {Promise<number | null>}
 */
async function sfuThreshold(origin) {
  try {
    const res = await fetch(new URL('/.well-known/hybridge.json', origin), { cache: 'no-store' });
    const t = (await res.json())?.client?.sfu?.threshold;
    return Number.isSafeInteger(t) && t >= 2 && t <= 31 ? t : null;
  } catch {
    return null; // the session's own fetch of the same document says what is wrong
  }
}

/** A peer's media is kept this long after it left without 'bye' (it may be reconnecting). */
export const LEFT_GRACE_MS = 20_000;

/**
 * @typedef {import('../signal/events.js').SessionEvents} SessionEvents
 * @typedef {import('../signal/peerState.js').Peer} Peer
 * @typedef {import('../signal/peerMessages.js').PeerMessage} PeerMessage
 * @typedef {import('./callTypes.js').CallOptions} CallOptions
 * @typedef {import('./callTypes.js').CallEvents} CallEvents
 * @typedef {import('./callTypes.js').CallPeer} CallPeer
 */

export class Call extends EventTarget {
  /**
   * @param {CallOptions} o `audioFrameMs`: the Opus frame duration asked of every peer,
   * AUDIO_FRAME_MS unless a test or the benchmark compares another (10-120).
   */
  constructor(o) {
    super();
    const {
      origin,
      roomSecret,
      pinnedFingerprint,
      name,
      localStream,
      workerUrl,
      audioFrameMs = AUDIO_FRAME_MS,
    } = o;
    this.audioFrameMs = checkAudioFrameMs(audioFrameMs); // Opus frame duration asked of every peer (sdp.js)
    /** Peer records take a data channel once it is open (spec/data-channel.md); false: the gateway only. */
    this.dataChannel = o.dataChannel !== false;
    this.name = name;
    this.origin = origin;
    this.localStream = localStream;
    /** @type {import('../signal/session.js').CallSessionOptions} */
    const sessionOptions = { origin, roomSecret, pinnedFingerprint, name };
    let sframe = null;
    // test-hook:begin
    // Browser test (b): a wrong psk with the right room id; the benchmark's baseline: no SFrame.
    if (o.pskOverrideForTestingOnly !== undefined)
      sessionOptions.pskOverrideForTestingOnly = o.pskOverrideForTestingOnly;
    // A page that comes back after an outage later than the others: each delay exactly this.
    if (o.reconnectDelayMsForTestingOnly !== undefined) {
      const ms = o.reconnectDelayMsForTestingOnly;
      sessionOptions.backoff = { minMs: ms, maxMs: ms };
      sessionOptions.random = () => 1; // no jitter: the delay is the upper end of [ms/2, ms]
    }
    if (o.noSFrameForTestingOnly === true) sframe = new NoSFrameForTestingOnly();
    // test-hook:end
    this.sframe = sframe ?? new SFrameMedia(workerUrl);
    this.sframe.onRekeyNeeded = () => this.#rekey('counter');
    this.session = new CallSession(sessionOptions);
    /** @type {Map<string, CallPeer>} keyFp -> what the call keeps for that peer */
    this.peers = new Map();
    this.chatDelivery = new CallChat({
      send: (keyFp, msg) => this.#sendTo(keyFp, msg),
      canSend: (keyFp) => this.session.peers.get(keyFp)?.channelOpen === true,
      // Every member that was up and has not left: one reconnecting gets it when it is back.
      recipients: () =>
        [...this.peers.values()]
          .filter((p) => p.peer.everUp && p.peer.phase !== 'gone' && p.peer.phase !== 'failed')
          .filter((p) => !this.room.lock.blocked(p.keyFp))
          .map((p) => p.keyFp),
      onEntry: (entry) => this.#emit('chat', { entry }),
      timeoutMs: o.deliveryTimeoutMs,
    });
    this.chat = this.chatDelivery.log;
    /** The Live Code pad (spec/live-code.md): its doc* messages take the same peer channels. */
    this.liveDoc = new LiveDoc({
      send: (keyFp, msg) => this.#sendTo(keyFp, msg),
      direct: (keyFp) => this.session.pathsOf(keyFp)?.send === 'data',
    });
    /** Files sent and received over the data channels (spec/files.md). */
    this.files = new FileTransfers(
      {
        send: (keyFp, msg) => this.#sendTo(keyFp, /** @type {PeerMessage} */ (msg)),
        direct: (keyFp) => this.session.direct(keyFp),
        changed: (item) => this.#emit('file', { item }),
      },
      { maxBytes: o.fileMaxBytes },
    );
    this.share = new ScreenShare({
      medias: () => this.#medias(),
      announce: (screen) => {
        for (const p of this.#connected()) this.#sendTo(p.keyFp, { t: 'tracks', screen });
      },
      changed: () => this.#emit('media', { keyFp: null }),
    });
    this.placeholders = new PlaceholderTracks();
    /** @type {RoomControl} hands, reactions, mute requests, lock, removal, recording (spec/peer-messages.md §8) */
    this.room = new RoomControl(
      roomHost(this, {
        send: (keyFp, msg) => this.#sendTo(keyFp, msg),
        members: () => this.#connected().map((p) => p.keyFp),
        attach: (peer) => this.#onPeerUp(peer).catch((err) => this.#internal(err)),
      }),
    );
    this.state = 'connecting';
    /** @type {{kid: string | null, reason: string, at: number}[]} every send KID installed, in order (for the test hook) */
    this.kids = [];
    /** @type {{code: string, keyFp: string | null, at: number, cause: string | null}[]} `cause`: the failure code behind PEER_HANDSHAKE_FAILED, the members a VIEW_MISMATCH differs in */
    this.problems = [];
    /** What the call measures of itself (benchmark, test snapshot). */
    this.timings = new CallTimings();
    /** Mesh or SFU (spec/sfu.md §6); the threshold comes from the gateway at start(). */
    this.sfu = new SfuSwitch(this.#sfuHost(), null);
    this.#wire();
  }

  /**
   * @template {keyof CallEvents} K
   * @param {K} type @param {CallEvents[K]} [detail]
   */
  #emit(type, detail = /** @type {CallEvents[K]} */ ({})) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /**
   * Listens to one of this call's events with its typed detail (CallEvents).
   * @template {keyof CallEvents} K
   * @param {K} type @param {(detail: CallEvents[K]) => void} listener
   */
  on(type, listener) {
    this.addEventListener(type, (e) =>
      listener(/** @type {CustomEvent<CallEvents[K]>} */ (e).detail),
    );
  }

  /** @param {string} code @param {string} [keyFp] @param {string} [message] @param {string} [cause] */
  #problem(code, keyFp, message, cause) {
    this.problems.push({ code, keyFp: keyFp ?? null, at: Date.now(), cause: cause ?? null });
    this.#emit('problem', { code, keyFp, message });
  }

  #wire() {
    const s = this.session;
    /**
     * A typed listener for a session event (the detail of each is in signal/events.js).
     * @template {keyof SessionEvents} K
     * @param {K} type @param {(detail: SessionEvents[K]) => void} listener
     */
    const on = (type, listener) =>
      s.addEventListener(type, (e) =>
        listener(/** @type {CustomEvent<SessionEvents[K]>} */ (e).detail),
      );
    on('state', (d) => {
      this.state = d.state;
      this.timings.state(d.state);
      if (d.state === 'joined') {
        // new TURN credentials may come with every join (room-protocol.md)
        for (const p of this.peers.values())
          p.media?.pc.setConfiguration({
            ...p.media.pc.getConfiguration(),
            iceServers: s.iceServers,
          });
      }
      this.#emit('status', { state: d.state, error: d.error });
      if (d.error) this.#problem(d.error.code);
    });
    on('error', (d) => this.#problem(d.code, undefined, d.message));
    on('warning', (d) => this.#problem(d.code));
    on('peer-state', ({ peer: p }) => {
      if (p.state === 'handshaking') this.timings.handshakeSeen(p.keyFp);
      this.#emit('peers');
    });
    on('peer-up', (d) => this.#onPeerUp(d.peer).catch((err) => this.#internal(err)));
    on('members', () => {
      this.sfu.membersChanged();
      this.sfu.media?.updateSubscriptions();
    });
    on('peer-message', (d) => this.#onPeerMessage(d.peer, d.msg));
    on('peer-down', (d) => this.#onPeerDown(d.peer, d.reason));
    on('peer-down', (d) => this.files.peerDown(d.peer.keyFp, `the other side ${d.reason}`));
    on('peer-failed', (d) => {
      const st = this.#state(d.peer);
      st.failure = d.code;
      this.#problem(
        d.code === 'KEY_MISMATCH' ? 'KEY_MISMATCH' : 'PEER_HANDSHAKE_FAILED',
        st.keyFp,
        undefined,
        d.code, // which failure (diagnostics: the snapshot's problems)
      );
      this.#emit('peers');
    });
    on('view-mismatch', (d) => {
      const st = this.#state(d.peer);
      st.viewMismatch = true;
      const brief = (/** @type {{id: string, fp: string}[]} */ ms) =>
        ms.map((m) => `${m.id.slice(0, 8)}/${m.fp.slice(0, 8)}`).join(' ');
      // which members differ, as public ids and fingerprints (diagnostics: the snapshot's problems)
      const cause = `only ours: ${brief(d.onlyMine)}; only theirs: ${brief(d.onlyTheirs)}`;
      this.#problem('VIEW_MISMATCH', st.keyFp, undefined, cause);
      this.#emit('peers');
    });
  }

  /** @param {unknown} err */
  #internal(err) {
    console.error(
      'hybridge:',
      /** @type {{name?: string} | null | undefined} */ (err)?.name ?? 'error',
    ); // never log content: names only
    this.#problem('INTERNAL');
  }

  /** Joins the room. Throws the CallSession's error (with .code) if joining fails. */
  async start() {
    this.timings.joinStarted = performance.now();
    const threshold = sfuThreshold(this.origin);
    await this.session.start();
    this.timings.joined = performance.now();
    this.sfu.threshold = await threshold;
    this.sfu.joined();
    // §4.2 (1): a first epoch before any media is sent; nobody to give it to yet.
    await this.#rekey('join');
    this.#emit('peers');
  }

  /** @param {Peer} peer @returns {CallPeer} */
  #state(peer) {
    let st = this.peers.get(peer.keyFp);
    if (st === undefined) {
      st = {
        keyFp: peer.keyFp,
        peer,
        media: null,
        screenStreamId: null,
        failure: null,
        viewMismatch: false,
        verified: false,
        dropTimer: null,
        lastSas: null,
        feed: null,
      };
      this.peers.set(peer.keyFp, st);
    }
    st.peer = peer;
    return st;
  }

  /** Peers whose channel is open and that are in the call with us (not held, not holding us): the members a new key goes to. @returns {CallPeer[]} */
  #connected() {
    return [...this.peers.values()].filter(
      (p) => p.peer.channelOpen && !this.room.lock.blocked(p.keyFp),
    );
  }

  /** @param {string} keyFp @param {PeerMessage} msg */
  #sendTo(keyFp, msg) {
    try {
      this.session.send(keyFp, msg);
      return true;
    } catch {
      return false; // the channel is down (reconnecting); the next peer-up renegotiates
    }
  }

  /**
   * A new send epoch (spec/media-sframe.md §4.2): the key goes into the channel of every member
   * connected now, at once, and then becomes the send key. Returns a promise of the install.
   * @param {string} reason
   */
  #rekey(reason) {
    const installed = this.sframe.rekey((/** @type {PeerMessage} */ msg) => {
      for (const p of this.#connected()) this.#sendTo(p.keyFp, msg);
    });
    /** @type {{kid: string | null, reason: string, at: number}} */
    const entry = { kid: null, reason, at: performance.now() };
    this.kids.push(entry);
    return installed.then(
      (kid) => {
        entry.kid = `0x${kid.toString(16).padStart(16, '0')}`;
        this.#emit('rekey', { kid });
      },
      (e) => this.#internal(e),
    );
  }

  /** @param {Peer} peer */
  async #onPeerUp(peer) {
    const st = this.#state(peer);
    if (this.room.peerUp(st.keyFp)) return this.#emit('peers'); // a newcomer of a locked room: held
    const existing = st.media !== null && !st.media.closed ? st.media : null; // a peer coming back
    clearTimeout(st.dropTimer ?? undefined);
    st.dropTimer = null;
    st.failure = null;
    this.timings.peerUp(peer.keyFp);
    if (st.lastSas !== null && peer.sas !== st.lastSas) st.verified = false; // a new channel has a new SAS
    st.lastSas = peer.sas ?? null;
    // A member joined (or came back): a new epoch, whose key message goes out now, before this
    // peer gets any SDP from us (the distribution inside rekey() is synchronous; the wait is
    // only for the worker's ack).
    const rekeyed = this.#rekey('peer-up');
    this.chatDelivery.peerUp(st.keyFp); // what waited for this peer, after the new key
    this.liveDoc.peerUp(st.keyFp, peer.name); // state vectors both ways: what it missed
    if (this.screen) this.#sendTo(st.keyFp, { t: 'tracks', screen: this.screen.stream.id });
    this.sfu.media?.updateSubscriptions(); // its feed, now that it is a member we are in the call with
    if (existing === null && this.sfu.mode === 'sfu') {
      // SFU mode: no new pairwise connection (its records stay on the gateway relay)
    } else if (existing === null) {
      // (the peer's first SDP may already have made the connection, see #onPeerMessage)
      if (st.media === null || st.media.closed) this.#createMedia(st);
    } else {
      existing.polite = peer.polite;
      // After a gateway outage the connection may have failed meanwhile, or a negotiation lost a
      // message: the impolite side restarts ICE, which re-offers through the new channel.
      if (!peer.polite && existing.connectionState !== 'connected') existing.restartIce();
    }
    this.#emit('peers');
    await rekeyed;
  }

  /** Our microphone or camera track, or null. @param {'mic' | 'camera'} slot */
  #localTrack(slot) {
    return (
      (slot === 'mic' ? this.localStream.getAudioTracks() : this.localStream.getVideoTracks())[0] ??
      null
    );
  }

  /** What a pairwise connection's microphone or camera slot sends: nothing in SFU mode (sfuSwitch.js). @param {'mic' | 'camera'} slot */
  #meshTrack(slot) {
    return this.sfu.mode === 'sfu' ? null : this.#localTrack(slot);
  }

  /** @param {CallPeer} st @returns {MediaConnection} */
  #createMedia(st) {
    const screen = this.screen?.stream;
    const media = new MediaConnection({
      keyFp: st.keyFp,
      polite: st.peer.polite,
      iceServers: this.session.iceServers ?? [],
      send: (/** @type {PeerMessage} */ msg) => this.#sendTo(st.keyFp, msg),
      sframe: this.sframe,
      tracks: {
        mic: this.#meshTrack('mic'),
        camera: this.#meshTrack('camera'),
        screen: screen?.getVideoTracks()[0] ?? null,
        screenAudio: screen?.getAudioTracks()[0] ?? null,
      },
      placeholder: (/** @type {'audio' | 'video'} */ kind) => this.placeholders.track(kind),
      audioFrameMs: this.audioFrameMs,
      dataChannel: this.dataChannel,
    });
    st.media = media;
    if (media.dataChannel !== null) this.session.attachDataChannel(st.keyFp, media.dataChannel);
    if (this.screen) applyScreen(media, this.screen);
    media.addEventListener('media', () => this.#emit('media', { keyFp: st.keyFp }));
    media.addEventListener('turn-error', (e) =>
      this.#problem(
        'TURN_ERROR',
        st.keyFp,
        /** @type {CustomEvent<{message: string}>} */ (e).detail.message,
      ),
    );
    // A refused description or candidate: the tile says what (callView.js); the connection recovers.
    media.addEventListener('refused', () => this.#emit('peers'));
    media.addEventListener('state', () => {
      if (media.connectionState === 'connected') this.timings.connected(media);
      this.#emit('peers');
    });
    return media;
  }

  /** @param {Peer} peer @param {PeerMessage} msg */
  #onPeerMessage(peer, msg) {
    const st = this.#state(peer);
    if (this.room.onMessage(st.keyFp, msg)) return; // room control, or a held newcomer's
    switch (msg?.t) {
      case 'key':
        this.sframe.addReceiveKey(st.keyFp, msg);
        break;
      case 'sdp':
        // In SFU mode no new pairwise connection: a peer still counting a mesh switches soon.
        if ((st.media === null || st.media.closed) && this.sfu.mode === 'sfu') break;
        (st.media ?? this.#createMedia(st)).onSdp(msg.description);
        break;
      case 'ice':
        st.media?.onIce(msg.candidate);
        break;
      case 'ice-restart':
        st.media?.onRestartAsked();
        break;
      case 'tracks':
        // Which incoming media is the screen is fixed by the slot (MediaConnection); this says whether
        // the peer shares its screen now.
        st.screenStreamId =
          typeof msg.screen === 'string' && msg.screen.length <= 128 ? msg.screen : null;
        this.#emit('media', { keyFp: st.keyFp });
        break;
      case 'chat':
      case 'ack':
        this.chatDelivery.onMessage(st.keyFp, st.peer.name ?? null, msg);
        break;
      case 'hello':
        this.#emit('peers');
        break;
      case 'sfu-seen':
        this.sfu.seenBy(st.keyFp);
        break;
      case 'keyframe':
        this.sfu.media?.keyFrameAsked();
        break;
      default:
        if (LiveDoc.handles(msg.t)) this.liveDoc.onMessage(st.keyFp, msg);
        if (msg.t.startsWith('file')) this.files.onMessage(st.keyFp, /** @type {any} */ (msg));
        break; // unknown types are ignored (spec/peer-messages.md §1)
    }
  }

  /** @param {Peer} peer @param {string} reason */
  #onPeerDown(peer, reason) {
    const st = this.#state(peer);
    this.room.peerDown(st.keyFp, reason);
    this.liveDoc.peerDown(st.keyFp, reason !== 'reconnecting' && reason !== 'left');
    if (reason === 'reconnecting') {
      this.#emit('peers'); // media goes on peer to peer; signaling comes back by itself
      return;
    }
    // Left, said bye, or failed: a new epoch whose key the departed peer never gets (§4.2 (3)).
    // A peer that was never UP never had a key: no new epoch for it.
    if (peer.everUp) this.#rekey(`peer-${reason}`);
    // Left without bye: it may come back within the delivery timeout; otherwise it is gone.
    if (reason !== 'left') this.chatDelivery.peerGone(st.keyFp);
    const drop = () => this.#dropPeer(st);
    if (reason === 'left') {
      clearTimeout(st.dropTimer ?? undefined);
      st.dropTimer = setTimeout(drop, LEFT_GRACE_MS); // it may come back with the same key
    } else {
      drop();
    }
    this.#emit('peers');
  }

  /** @param {CallPeer} st */
  #dropPeer(st) {
    clearTimeout(st.dropTimer ?? undefined);
    st.media?.close();
    st.media = null;
    this.liveDoc.peerDown(st.keyFp, true);
    this.sframe.removePeer(st.keyFp);
    this.peers.delete(st.keyFp);
    this.sfu.media?.updateSubscriptions();
    this.#emit('peers');
    this.#emit('media', { keyFp: st.keyFp });
  }

  // --- mesh or SFU (spec/sfu.md §6) ------------------------------------------------------------

  /** @returns {import('./sfuSwitch.js').SwitchHost} */
  #sfuHost() {
    const connectedFps = () => this.#connected().map((p) => p.keyFp);
    return {
      count: () => this.session.view.length,
      members: connectedFps,
      feedDecodes: (keyFp) => this.sfu.media?.feedOf(keyFp)?.decoding === true,
      meshDecoded: async (keyFp) => {
        const m = this.peers.get(keyFp)?.media;
        if (m === null || m === undefined || m.closed) return 0;
        const s = await m.statsSummary().catch(() => null);
        let n = 0;
        for (const i of s?.inbound ?? [])
          if (!i.screen) n += i.framesDecoded + i.totalSamplesReceived;
        return n;
      },
      meshMedia: () => {
        for (const p of this.#connected()) {
          if (p.media === null || p.media.closed) this.#createMedia(p);
          else
            for (const slot of /** @type {const} */ (['mic', 'camera']))
              p.media.setSlot(slot, this.#localTrack(slot));
        }
      },
      meshQuiet: () => {
        for (const p of this.peers.values()) {
          if (p.media === null) continue;
          if (p.media.dataChannel?.readyState === 'open') {
            p.media.setSlot('mic', null); // kept for its data channel (sfuSwitch.js)
            p.media.setSlot('camera', null);
          } else {
            p.media.close(); // never carried peer records: nothing depends on it
            p.media = null;
          }
        }
        this.#emit('media', { keyFp: null });
      },
      tellSeen: (keyFp) => this.#sendTo(keyFp, { t: 'sfu-seen' }),
      feedsChanged: () => this.#feedsChanged(),
      problem: (code, message) => this.#problem(code, undefined, message),
      cleared: (code) => this.#emit('cleared', { code }),
      switched: (mode) => {
        this.timings.mode(mode);
        this.#emit('peers');
      },
      media: {
        session: this.session,
        sframe: this.sframe,
        iceServers: () => this.session.iceServers,
        tracks: () => ({
          mic: this.localStream.getAudioTracks()[0] ?? null,
          camera: this.localStream.getVideoTracks()[0] ?? null,
          screen: this.screen?.stream.getVideoTracks()[0] ?? null,
          screenAudio: this.screen?.stream.getAudioTracks()[0] ?? null,
        }),
        ownerOf: (feed) => {
          for (const m of this.session.view) {
            if (feedIdOf(m.id) !== feed) continue;
            const p = this.peers.get(m.fp);
            // test-hook:begin
            // Browser test sfu (d): an impostor (right room id, wrong psk: no peer channel, so no
            // keys) subscribes to every feed anyway, to show that what Janus forwards cannot be opened.
            if (globalThis.__hybridgeTestConfig?.sfuSubscribeAllForTestingOnly === true)
              return m.fp === this.session.selfKeyFp ? null : m.fp;
            // test-hook:end
            return p !== undefined && p.peer.channelOpen && !this.room.lock.blocked(m.fp)
              ? m.fp
              : null;
          }
          return null;
        },
        askKeyFrame: (keyFp) => this.#sendTo(keyFp, { t: 'keyframe' }),
        isMember: (feed) =>
          this.session.view.some((m) => {
            if (m.fp === this.session.selfKeyFp || feedIdOf(m.id) !== feed) return false;
            // test-hook:begin
            if (globalThis.__hybridgeTestConfig?.sfuSubscribeAllForTestingOnly === true)
              return true;
            // test-hook:end
            // its handshake runs or its channel is up: not a member whose handshake failed (an
            // impostor would otherwise make every subscriber ask it for key frames it cannot open)
            const peer = this.session.peers.get(m.fp);
            return peer?.state === 'handshaking' || peer?.channelOpen === true;
          }),
      },
    };
  }

  /** The SFU's feeds as each peer's `feed` (what its tile shows while there is no mesh connection). */
  #feedsChanged() {
    const media = this.sfu.media;
    for (const p of this.peers.values()) {
      const f = media?.feedOf(p.keyFp) ?? null;
      const tracks = f === null ? [] : [f.audio, f.video].filter((t) => t !== null);
      const screenTracks = f === null ? [] : [f.screen, f.screenAudio].filter((t) => t !== null);
      const same =
        p.feed !== null &&
        f !== null &&
        p.feed.decoding === f.decoding &&
        p.feed.remoteCamera.getTracks().length === tracks.length &&
        tracks.every((t) => p.feed?.remoteCamera.getTrackById(t.id) !== null) &&
        p.feed.remoteScreen.getTracks().length === screenTracks.length &&
        screenTracks.every((t) => p.feed?.remoteScreen.getTrackById(t.id) !== null);
      if (same) continue;
      if (f === null || media === null) {
        if (p.feed !== null) {
          p.feed = null;
          this.#emit('media', { keyFp: p.keyFp });
        }
        continue;
      }
      const keyFp = p.keyFp;
      p.feed = {
        decoding: f.decoding,
        remoteCamera: new MediaStream(tracks),
        remoteScreen: new MediaStream(screenTracks),
        get connectionState() {
          return media.subscriber?.connectionState ?? 'new';
        },
        refusal: null,
        statsSummary: () => media.statsOf(keyFp),
      };
      this.#emit('media', { keyFp });
    }
    this.#emit('peers');
  }

  // --- chat ------------------------------------------------------------------------------------

  /** Sends a chat message or snippet to every connected peer; returns the log entry (null: blank). @param {string} text @param {string} [kind] 'code' for a snippet */
  sendChat(text, kind = 'text') {
    return this.chatDelivery.send(text, kind, this.name);
  }

  /** Sends our chat message `id` again to those it was not delivered to; returns how many. @param {string} id */
  retryChat(id) {
    return this.chatDelivery.retry(id);
  }

  // --- local media -----------------------------------------------------------------------------

  /** @param {boolean} muted */
  setMuted(muted) {
    for (const t of this.localStream.getAudioTracks()) t.enabled = !muted;
  }

  get muted() {
    return this.localStream.getAudioTracks().every((t) => !t.enabled);
  }

  /** @param {boolean} off */
  setCameraOff(off) {
    for (const t of this.localStream.getVideoTracks()) t.enabled = !off;
  }

  /**
   * Puts a microphone or camera track into the call: one started after joining without it, or
   * another device switched to. It goes on its fixed slot of every peer's connection
   * (replaceTrack, no renegotiation; mediaConnection.js); a track it replaces keeps nothing of
   * its own but its mute or camera-off state, and is stopped once every peer sends the new one.
   * @param {MediaStreamTrack} track
   */
  async setLocalTrack(track) {
    const old = this.localStream.getTracks().filter((t) => t.kind === track.kind);
    if (old.length > 0) track.enabled = old.some((t) => t.enabled);
    for (const t of old) this.localStream.removeTrack(t);
    this.localStream.addTrack(track);
    const slot = track.kind === 'audio' ? 'mic' : 'camera';
    try {
      await Promise.all([
        ...[...this.peers.values()].map((p) => p.media?.setSlot(slot, this.#meshTrack(slot))),
        this.sfu.media?.setSlot(slot, track),
      ]);
    } finally {
      for (const t of old) t.stop();
      this.#emit('media', { keyFp: null });
    }
  }

  /**
   * The microphone or camera is gone with nothing to replace it: out of the call, so that the
   * controls offer to start one again; peers get an empty slot (replaceTrack(null)).
   * @param {'audio' | 'video'} kind
   */
  async dropLocalTrack(kind) {
    const old = this.localStream.getTracks().filter((t) => t.kind === kind);
    for (const t of old) {
      this.localStream.removeTrack(t);
      t.stop();
    }
    const slot = kind === 'audio' ? 'mic' : 'camera';
    await Promise.all([
      ...[...this.peers.values()].map((p) => p.media?.setSlot(slot, null)),
      this.sfu.media?.setSlot(slot, null),
    ]);
    this.#emit('media', { keyFp: null });
  }

  /** The screen this client shares, or null. */
  get screen() {
    return this.share.current;
  }

  /** Starts a screen share with a quality preset ('sharp' | 'smooth'). Throws if denied. */
  startScreenShare(quality = 'sharp') {
    return this.share.start(quality);
  }

  stopScreenShare() {
    return this.share.stop();
  }

  /** The media connections that are open, and our SFU publisher (screen.js puts a screen on each). @returns {import('./screen.js').ScreenTarget[]} */
  #medias() {
    /** @type {import('./screen.js').ScreenTarget[]} */
    const open = [];
    for (const p of this.peers.values()) if (p.media && !p.media.closed) open.push(p.media);
    if (this.sfu.media !== null) open.push(this.sfu.media);
    return open;
  }

  /** @param {string} keyFp @param {boolean} [verified] */
  markVerified(keyFp, verified = true) {
    const st = this.peers.get(keyFp);
    if (st) st.verified = verified;
    this.#emit('peers');
  }

  async leave() {
    await this.session.leave().catch(() => {});
    this.close();
  }

  close() {
    this.sfu.close();
    for (const p of this.peers.values()) {
      clearTimeout(p.dropTimer ?? undefined);
      p.media?.close();
    }
    this.peers.clear();
    this.chatDelivery.close();
    this.room.close();
    this.liveDoc.close(); // the pad is gone with the call
    this.files.close();
    this.share.close();
    for (const t of this.localStream.getTracks()) t.stop();
    this.sframe.terminate();
    this.placeholders.close();
    this.#emit('peers');
  }
}
