// @ts-check
// Which microphone, camera and speaker this tab uses: the person's choice (join screen or the
// Devices dialog in the call), the lists the browser gives (enumerateDevices), a level meter
// for a microphone, and where remote sound plays (setSinkId, where the browser has it).
//
// Device ids are the browser's per-site identifiers (not secrets, but no business of anyone
// else): they stay in this tab, in its sessionStorage so that a reload (which rejoins the call,
// tabCall.js) keeps the devices chosen, and no message carries them.

/** @typedef {'mic' | 'cam' | 'speaker'} DeviceRole */

/** The enumerateDevices kind of each role. */
export const DEVICE_KINDS = Object.freeze({
  mic: 'audioinput',
  cam: 'videoinput',
  speaker: 'audiooutput',
});

/** The words for each role (labels, options of unnamed devices, messages). */
export const DEVICE_NOUNS = Object.freeze({
  mic: 'Microphone',
  cam: 'Camera',
  speaker: 'Speaker',
});

const KEY = 'hybridge.devices';

/** @returns {Storage | null} */
function storage() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage refused: the choice lasts as long as the page
  }
}

/** The choice kept in this tab, each id checked (a string of at most 512 characters, or null). */
function load() {
  /** @type {Record<DeviceRole, string | null>} */
  const out = { mic: null, cam: null, speaker: null };
  let v;
  try {
    v = JSON.parse(storage()?.getItem(KEY) ?? 'null');
  } catch {
    return out;
  }
  if (v === null || typeof v !== 'object') return out;
  for (const role of /** @type {DeviceRole[]} */ (['mic', 'cam', 'speaker'])) {
    const id = v[role];
    if (typeof id === 'string' && id.length > 0 && id.length <= 512) out[role] = id;
  }
  return out;
}

const choice = load();

/**
 * The devices chosen, by role (null: the browser's default). Every change is kept in the tab's
 * sessionStorage at once. @type {Record<DeviceRole, string | null>}
 */
export const chosen = new Proxy(choice, {
  set(target, role, id) {
    target[/** @type {DeviceRole} */ (role)] = id;
    try {
      storage()?.setItem(KEY, JSON.stringify(target));
    } catch {
      // quota or storage refused: kept in memory only
    }
    return true;
  },
});

/** Forgets the choice, in memory and in the tab (with the call: "Back to the start"). */
export function forgetDevices() {
  choice.mic = null;
  choice.cam = null;
  choice.speaker = null;
  try {
    storage()?.removeItem(KEY);
  } catch {
    // nothing kept
  }
}

/** True where remote sound can be sent to a chosen output (HTMLMediaElement.setSinkId). */
export function canChooseSpeaker() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/**
 * The devices of each role. Before the site may use the microphone or camera, browsers list
 * them without names (and some with empty ids): those are kept only if they have an id.
 * @returns {Promise<Record<DeviceRole, MediaDeviceInfo[]>>}
 */
export async function listDevices() {
  /** @type {Record<DeviceRole, MediaDeviceInfo[]>} */
  const out = { mic: [], cam: [], speaker: [] };
  const all = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  for (const d of all) {
    if (d.deviceId === '') continue;
    for (const role of /** @type {DeviceRole[]} */ (['mic', 'cam', 'speaker'])) {
      if (d.kind === DEVICE_KINDS[role]) out[role].push(d);
    }
  }
  return out;
}

/** A device's name for people: its label, or "Camera 2" while the browser gives none. @param {DeviceRole} role @param {MediaDeviceInfo} d @param {number} i */
export function deviceName(role, d, i) {
  return d.label || `${DEVICE_NOUNS[role]} ${i + 1}`;
}

/**
 * getUserMedia constraints for one kind: the test's or default camera size, and the chosen
 * device, exactly (a switch that silently gave another device would say what is not true).
 * @param {'audio' | 'video'} kind @param {string | null} deviceId @param {MediaTrackConstraints} [video]
 * @returns {MediaTrackConstraints}
 */
export function constraintsFor(kind, deviceId, video) {
  const base =
    kind === 'audio'
      ? { echoCancellation: true, noiseSuppression: true }
      : { ...(video ?? { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { max: 24 } }) };
  return deviceId === null ? base : { ...base, deviceId: { exact: deviceId } };
}

/** The id of the device a live track comes from, or null. @param {MediaStreamTrack | undefined} track */
export function deviceOf(track) {
  return track?.getSettings().deviceId ?? null;
}

/**
 * Measures a microphone track's level into `onLevel` (0-1, RMS of the last 1024 samples, about
 * 20 times a second, only while the browser's audio engine runs) until the returned stop() is
 * called. A join screen's meter: the call
 * itself measures levels from its own statistics (mediaPresence.js).
 * @param {MediaStreamTrack} track @param {(level: number) => void} onLevel @returns {() => void}
 */
export function levelMeter(track, onLevel) {
  const ctx = new AudioContext();
  const source = ctx.createMediaStreamSource(new MediaStream([track]));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let stopped = false;
  const timer = setInterval(() => {
    // Not while the audio engine is not running (no output device, as in headless Firefox):
    // no reading at all rather than a silence that was never measured.
    if (stopped || ctx.state !== 'running') return;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    onLevel(Math.sqrt(sum / samples.length));
  }, 50);
  ctx.resume().catch(() => {}); // an AudioContext made before a click may start suspended
  return () => {
    stopped = true;
    clearInterval(timer);
    source.disconnect();
    ctx.close().catch(() => {});
  };
}

/**
 * Sends the element's sound to the chosen speaker (nothing to do without a choice, or where the
 * browser cannot). Rejects if the browser refuses the device.
 * @param {HTMLMediaElement} el
 */
export async function applySpeaker(el) {
  if (!canChooseSpeaker() || chosen.speaker === null) return;
  const media =
    /** @type {HTMLMediaElement & {sinkId: string, setSinkId: (id: string) => Promise<void>}} */ (
      el
    );
  if (media.sinkId !== chosen.speaker) await media.setSinkId(chosen.speaker);
}
