// @ts-check
// The join screen's connection test: can this browser reach the gateway and finish the secure
// handshake (and how long each takes), which STUN and TURN paths it gets, and do the microphone
// and camera work. The result is plain text a person can paste into a support request.
//
// How: a CallSession joins a throwaway room (a fresh random secret, never shown and forgotten at
// once) with the link's pinned gateway key, and leaves; TURN credentials exist only for a
// member of a room (spec/room-protocol.md: no open relay), so that is the way to get them. The
// gateway sees one more short-lived room of one, like any other. Its ICE servers are tried
// with one RTCPeerConnection that gathers candidates and is closed.
//
// SECURITY: the report names no secret and no address: not the link, not the throwaway room,
// not the TURN username or credential, not a candidate's IP; only kinds, protocols, timings,
// device names and error codes. The gateway's key fingerprint in it is public (it is in the
// link, and the gateway serves it).

import { CallSession } from '../signal/session.js';
import { describe } from '../messages.js';
import { SignalError } from '../signal/errors.js';
import { constraintsFor, chosen, levelMeter } from './devices.js';

/** How long each part may take before it is reported as not working. */
const JOIN_MS = 20_000;
const ICE_MS = 8_000;
const DEVICE_MS = 4_000;

/**
 * @typedef {object} TestLine
 * @property {string} what
 * @property {'ok' | 'warn' | 'fail' | 'info'} status
 * @property {string} text
 */

/**
 * Runs the test; `onLine` gets each result as it comes (for the page), the whole report is
 * returned too.
 * @param {{origin: string, pinnedFingerprint: Uint8Array, mic: boolean, cam: boolean, video?: MediaTrackConstraints, onLine?: (l: TestLine) => void}} o
 * @returns {Promise<TestLine[]>}
 */
export async function runConnectionTest({ origin, pinnedFingerprint, mic, cam, video, onLine }) {
  /** @type {TestLine[]} */
  const lines = [];
  /** @param {TestLine} l */
  const add = (l) => {
    lines.push(l);
    onLine?.(l);
  };
  add({ what: 'Browser', status: 'info', text: navigator.userAgent });
  const iceServers = await gateway(origin, pinnedFingerprint, add);
  if (iceServers !== null) await ice(iceServers, add);
  if (mic) await microphone(video, add);
  if (cam) await camera(video, add);
  return lines;
}

/** The report as text: one line per result. @param {TestLine[]} lines */
export function reportText(lines) {
  const mark = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL', info: '    ' };
  return [
    `Hybridge connection test, ${new Date().toISOString()}`,
    ...lines.map((l) => `${mark[l.status]} ${l.what}: ${l.text}`),
  ].join('\n');
}

/**
 * The gateway: reached, handshake and join in a throwaway room; its ICE servers, or null if it
 * could not be reached. @param {string} origin @param {Uint8Array} pin @param {(l: TestLine) => void} add
 * @returns {Promise<import('../signal/roomEvents.js').IceServer[] | null>}
 */
async function gateway(origin, pin, add) {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const session = new CallSession({
    origin,
    roomSecret: secret,
    pinnedFingerprint: pin,
    name: 'Connection test',
  });
  secret.fill(0); // the session derived what it needs at once
  /** @type {Record<string, number>} */
  const at = {};
  session.addEventListener('state', (e) => {
    const s = /** @type {CustomEvent<{state: string}>} */ (e).detail.state;
    at[s] ??= performance.now();
  });
  const t0 = performance.now();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  try {
    await Promise.race([
      session.start(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new SignalError('HANDSHAKE_TIMEOUT', `no join in ${JOIN_MS / 1000} s`)),
          JOIN_MS,
        );
      }),
    ]);
  } catch (e) {
    const err = SignalError.from(e);
    add({
      what: 'Gateway',
      status: 'fail',
      text: `${err.code}: ${describe(err.code) ?? err.message}`,
    });
    await session.leave().catch(() => {});
    return null;
  } finally {
    clearTimeout(timer);
  }
  const fp = [...pin.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const reached = (at.handshaking ?? performance.now()) - t0;
  const joined = (at.joined ?? performance.now()) - (at.handshaking ?? t0);
  add({
    what: 'Gateway',
    status: 'ok',
    text: `${origin} reached in ${Math.round(reached)} ms, its key checked (fingerprint ${fp}…)`,
  });
  add({
    what: 'Secure handshake and join',
    status: 'ok',
    text: `${Math.round(joined)} ms (post-quantum hop handshake, then joining a test room)`,
  });
  const servers = session.iceServers;
  await session.leave().catch(() => {});
  return servers;
}

/**
 * STUN and TURN: the candidate kinds one gathering gets, TURN by transport. No address is kept.
 * @param {import('../signal/roomEvents.js').IceServer[]} servers @param {(l: TestLine) => void} add
 */
async function ice(servers, add) {
  const urls = servers.flatMap((s) => s.urls);
  const turns = urls.filter((u) => /^turns?:/.test(u));
  const stuns = urls.filter((u) => /^stun:/.test(u));
  const pc = new RTCPeerConnection({ iceServers: servers });
  /** @type {Set<string>} */
  const kinds = new Set();
  /** @type {Set<string>} */
  const relays = new Set();
  /** @type {Set<number>} */
  const errors = new Set();
  try {
    pc.createDataChannel('connection-test');
    const done = new Promise((resolve) => {
      pc.addEventListener('icecandidate', (e) => {
        if (e.candidate === null) return resolve(undefined);
        const c = e.candidate;
        if (c.type) kinds.add(c.type);
        if (c.type === 'relay') relays.add(relayTransport(c));
      });
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve(undefined);
      });
      pc.addEventListener('icecandidateerror', (e) => {
        errors.add(/** @type {RTCPeerConnectionIceErrorEvent} */ (e).errorCode);
      });
    });
    await pc.setLocalDescription();
    await Promise.race([done, new Promise((r) => setTimeout(r, ICE_MS))]);
  } finally {
    pc.close();
  }
  const errs = errors.size > 0 ? ` (errors ${[...errors].join(', ')})` : '';
  if (stuns.length > 0)
    add({
      what: 'STUN',
      status: kinds.has('srflx') ? 'ok' : 'warn',
      text: kinds.has('srflx')
        ? 'public address found (peers on other networks can try a direct path)'
        : `no public address found${errs}: direct paths across networks may fail`,
    });
  if (turns.length === 0) {
    add({
      what: 'TURN',
      status: 'info',
      text: 'this gateway names no TURN relay: calls need a direct path between the browsers (fine on one network; may fail across strict firewalls)',
    });
    return;
  }
  add({
    what: 'TURN',
    status: relays.size > 0 ? 'ok' : 'fail',
    text:
      relays.size > 0
        ? `relay reachable over ${[...relays].sort().join(', ')}`
        : `no relay from the ${turns.length} TURN address(es) the gateway named${errs}: calls across strict firewalls may fail. Tell the operator.`,
  });
}

/**
 * 'udp', 'tcp' or 'tls': how the browser reaches the relay, from the candidate's relayProtocol
 * where the browser fills it, else from the TURN URL that gave the candidate (its url; Chromium
 * 156 sets that one only).
 * @param {RTCIceCandidate} c
 */
function relayTransport(c) {
  const x = /** @type {RTCIceCandidate & {relayProtocol?: string | null, url?: string | null}} */ (
    c
  );
  if (x.relayProtocol) return x.relayProtocol;
  const m = /^(turns?):[^?]*(?:\?transport=(udp|tcp))?/.exec(x.url ?? '');
  if (m === null) return 'an unnamed transport';
  if (m[1] === 'turns') return 'tls';
  return m[2] ?? 'udp';
}

/** The microphone: opens, and hears something within DEVICE_MS. @param {MediaTrackConstraints | undefined} video @param {(l: TestLine) => void} add */
async function microphone(video, add) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: constraintsFor('audio', chosen.mic, video),
    });
  } catch (e) {
    add({ what: 'Microphone', status: 'fail', text: deviceError(e) });
    return;
  }
  const track = stream.getAudioTracks()[0];
  let peak = 0;
  let readings = 0;
  const stop = levelMeter(track, (rms) => {
    peak = Math.max(peak, rms);
    readings++;
  });
  await new Promise((r) => setTimeout(r, DEVICE_MS));
  stop();
  track.stop();
  const name = track.label || 'default';
  const db = peak > 0 ? Math.round(20 * Math.log10(peak)) : -Infinity;
  if (readings === 0)
    add({
      what: 'Microphone',
      status: 'info',
      text: `${name}: opens; its level could not be measured here (the browser's audio engine did not start: no sound output?)`,
    });
  else
    add({
      what: 'Microphone',
      status: peak > 0.003 ? 'ok' : 'warn',
      text:
        peak > 0.003
          ? `${name}: working (loudest ${db} dBFS)`
          : `${name}: opened but heard nothing in ${DEVICE_MS / 1000} s (muted by the system, or the wrong one?)`,
    });
}

/** The camera: opens, and gives a picture within DEVICE_MS. @param {MediaTrackConstraints | undefined} video @param {(l: TestLine) => void} add */
async function camera(video, add) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: constraintsFor('video', chosen.cam, video),
    });
  } catch (e) {
    add({ what: 'Camera', status: 'fail', text: deviceError(e) });
    return;
  }
  const track = stream.getVideoTracks()[0];
  const el = document.createElement('video');
  el.muted = true;
  el.srcObject = stream;
  el.play().catch(() => {});
  const deadline = performance.now() + DEVICE_MS;
  while (el.videoWidth === 0 && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const size = `${el.videoWidth}x${el.videoHeight}`;
  const ok = el.videoWidth > 0;
  el.srcObject = null;
  track.stop();
  add({
    what: 'Camera',
    status: ok ? 'ok' : 'fail',
    text: ok
      ? `${track.label || 'default'}: working, ${size}`
      : `${track.label || 'default'}: opened but gave no picture in ${DEVICE_MS / 1000} s`,
  });
}

/** @param {unknown} e */
function deviceError(e) {
  const name = /** @type {{name?: string} | null | undefined} */ (e)?.name ?? 'Error';
  if (name === 'NotAllowedError') return 'blocked by the browser: allow it for this site';
  if (name === 'NotFoundError') return 'none found';
  if (name === 'NotReadableError') return 'could not be opened: another program may hold it';
  return `could not be opened (${name})`;
}
