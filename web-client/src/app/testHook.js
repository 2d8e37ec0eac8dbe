// @ts-check
// The browser tests' and the benchmark's window.__hybridge (test builds only: main.js imports
// this module inside a test-hook region, which build.mjs leaves out of the served bundle).

import { callSnapshot } from './callSnapshot.js';
import { alertCodes } from './alerts.js';
import { lastRecording, recordingNow } from './roomView.js';
import { healthOf } from './mediaHealth.js';

/** @type {((c?: MediaStreamConstraints) => Promise<MediaStream>) | null} getUserMedia before failDevices */
let original = null;

/** @type {WeakMap<RTCRtpSender, MediaStreamTrack | null>} the tracks stallSend took away */
const stalled = new WeakMap();

/** @param {{call: import('./call.js').Call | null}} app the app's state, read at each call */
export function installTestHook(app) {
  globalThis.__hybridge = {
    /** Per-peer media stats, SFrame worker stats, SAS, chat, KIDs, problems, timings. */
    async stats() {
      return app.call
        ? callSnapshot(app.call)
        : { state: 'idle', problems: alertCodes().map((code) => ({ code })) };
    },
    alerts: () => alertCodes(),
    /** Negotiated SDP per peer (for debugging a test; ICE credentials and DTLS fingerprints, no keys). */
    sdp: () =>
      Object.fromEntries(
        [...(app.call?.peers.values() ?? [])].map((p) => [
          p.peer.name,
          {
            local: p.media?.pc.localDescription?.sdp ?? null,
            remote: p.media?.pc.remoteDescription?.sdp ?? null,
            transceivers:
              p.media?.pc.getTransceivers().map((t) => ({
                mid: t.mid,
                dir: t.direction,
                cur: t.currentDirection,
                send: t.sender.track?.kind ?? null,
                recv: t.receiver.track.kind,
              })) ?? [],
          },
        ]),
      ),
    sendChat: (/** @type {string} */ text, /** @type {string} */ kind) =>
      app.call?.sendChat(text, kind) ?? null,
    /** The call's FileTransfers (fileTransfer.js): tests send, accept, cancel and read items. */
    files: () => app.call?.files ?? null,
    onFile: (/** @type {(item: object) => void} */ fn) => app.call?.on('file', (d) => fn(d.item)),
    /** Per peer: the connection-quality and decrypt figures the tiles show (mediaHealth.js). */
    health: () => Object.fromEntries(healthOf(app.call)?.health ?? []),
    /** Every pairwise connection restarts ICE now (the polite side asks the impolite one: §3). */
    restartIce: () => {
      for (const p of app.call?.peers.values() ?? []) p.media?.restartIce();
    },
    /**
     * Fault: every pairwise connection makes an offer and rolls it back, sending nothing. In
     * Chromium 156 the receivers then no longer run their decrypting transform (what a glare's
     * rollback did: spec/peer-messages.md §3).
     */
    async offerAndRollBack() {
      for (const p of app.call?.peers.values() ?? []) {
        const pc = p.media?.pc;
        if (!pc || pc.signalingState !== 'stable') continue;
        await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
        await pc.setLocalDescription({ type: 'rollback' });
      }
    },
    /** Fault: this page's SFU session fails and is rebuilt (it publishes again, same feed id). */
    sfuFail: () => app.call?.sfu.media?.failForTestingOnly(),
    /** The substream this page asks of every camera feed through the SFU (0-2), or null: by count. */
    sfuLayer: (/** @type {0 | 1 | 2 | null} */ n) => app.call?.sfu.media?.setLayer(n),
    /** Delay: this page's SFU subscription work waits `ms` (events arriving meanwhile queue up). */
    sfuHold: (/** @type {number} */ ms) => app.call?.sfu.media?.holdForTestingOnly(ms),
    /** Fault: stop (true) or resume (false) sending media to everyone, tracks kept. */
    async stallSend(/** @type {boolean} */ stall) {
      for (const p of app.call?.peers.values() ?? [])
        for (const s of p.media?.pc.getSenders() ?? []) {
          if (stall) {
            if (s.track === null) continue;
            stalled.set(s, s.track);
            await s.replaceTrack(null);
          } else if (stalled.has(s)) {
            await s.replaceTrack(stalled.get(s) ?? null);
            stalled.delete(s);
          }
        }
    },
    /** Fault: a send epoch whose key message says another key (a broken peer), or a right one. */
    rekey(/** @type {boolean} */ wrong) {
      const call = app.call;
      if (!call) return null;
      const distribute = (/** @type {{t: 'key', kid: number, key: string}} */ msg) => {
        for (const p of call.peers.values())
          if (p.peer.channelOpen) call.session.send(p.keyFp, msg);
      };
      const sf = /** @type {import('./sframeMedia.js').SFrameMedia} */ (call.sframe);
      return (wrong ? sf.rekeyWithWrongKeyForTestingOnly(distribute) : sf.rekey(distribute)).then(
        (kid) => String(kid),
      );
    },
    /** The call's own tracks (device, state) and, per peer, the labels of the tracks sent. */
    devices: () => ({
      local:
        app.call?.localStream.getTracks().map((t) => ({
          id: t.id,
          kind: t.kind,
          label: t.label,
          deviceId: t.getSettings().deviceId ?? null,
          state: t.readyState,
          enabled: t.enabled,
        })) ?? [],
      senders: Object.fromEntries(
        [...(app.call?.peers.values() ?? [])].map((p) => [
          p.peer.name,
          (p.media?.pc.getSenders() ?? []).flatMap((x) => (x.track ? [x.track.label] : [])),
        ]),
      ),
    }),
    /** Fault: the device of the call's `kind` track stops as if unplugged (stop() fires no 'ended': dispatched). */
    unplug(/** @type {'audio' | 'video'} */ kind) {
      const t = app.call?.localStream.getTracks().find((x) => x.kind === kind);
      if (t === undefined) return false;
      t.stop();
      t.dispatchEvent(new Event('ended'));
      return true;
    },
    /** Fault: getUserMedia for `kind` fails (NotReadableError: no device, or held elsewhere); null ends it. */
    failDevices(/** @type {'audio' | 'video' | null} */ kind) {
      const md = navigator.mediaDevices;
      original ??= md.getUserMedia.bind(md);
      const real = original;
      md.getUserMedia =
        kind === null
          ? real
          : (c) =>
              c?.[kind]
                ? Promise.reject(new DOMException('test: no device', 'NotReadableError'))
                : real(c);
    },
    /** The room control's state: lock, hands, recorders, held and waiting peers (names). */
    room: () => app.call?.room.snapshot() ?? null,
    /** The recording under way on this page: bytes and chunks so far, or null. */
    recordingNow,
    /**
     * The last local recording, loaded into a media element: its size, type and duration (a
     * Chromium WebM has no duration until the end is sought, so it seeks there first).
     */
    async recording() {
      const blob = lastRecording();
      if (blob === null) return null;
      const v = document.createElement('video');
      v.muted = true;
      v.preload = 'auto';
      /** @param {string} step @param {(ok: () => void) => void} start */
      const within = (step, start) =>
        new Promise((ok, fail) => {
          const t = setTimeout(() => fail(new Error(`recording: no ${step} in 15 s`)), 15_000);
          v.onerror = () =>
            fail(
              new Error(
                `recording does not load (${blob.size} bytes, ${blob.type}): ${v.error?.message}`,
              ),
            );
          start(() => {
            clearTimeout(t);
            ok(undefined);
          });
        });
      await within('loadedmetadata', (ok) => {
        v.onloadedmetadata = ok;
        v.src = URL.createObjectURL(blob);
      });
      if (!Number.isFinite(v.duration)) {
        await within(`finite duration (was ${v.duration})`, (ok) => {
          v.ondurationchange = () => Number.isFinite(v.duration) && ok();
          v.currentTime = 1e9;
        });
      }
      const out = { size: blob.size, type: blob.type, duration: v.duration, width: v.videoWidth };
      URL.revokeObjectURL(v.src);
      return out;
    },
    /** The Live Code pad: text, language, counters, sync states, remote caret names shown. */
    pad: async () => (await import('./liveDocView.js')).padSnapshot(app.call?.liveDoc),
  };
}
