// @ts-check
// Choosing devices, on the join screen and in the call (the Devices dialog): microphone, camera
// and speaker lists, a level meter and a camera preview before joining, a switch during the call
// that replaces the track on every connection (Call.setLocalTrack: replaceTrack, no
// renegotiation), and a fallback when the device in use stops (unplugged, taken by the system):
// the next one that opens, said in an alert, or none, said too, with the control back to
// "Start microphone" / "Start camera".

import { alertBox, dismiss } from './alerts.js';
import { $, clear, h, show } from './dom.js';
import { statsOf } from './rtcStats.js';
import {
  applySpeaker,
  canChooseSpeaker,
  chosen,
  constraintsFor,
  deviceName,
  deviceOf,
  levelMeter,
  listDevices,
} from './devices.js';

/** @typedef {import('./call.js').Call} Call @typedef {import('./devices.js').DeviceRole} DeviceRole */

/** The meter shows the level in dB from -60 to 0 dBFS as 0 to 1. @param {number} rms */
function meterValue(rms) {
  return rms <= 0.001 ? 0 : Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60));
}

/**
 * Fills a device list: "Default" first (the browser's choice), then each device by name; the
 * chosen one selected. @param {HTMLSelectElement} select @param {DeviceRole} role @param {MediaDeviceInfo[]} devices @param {string | null} current
 */
function fill(select, role, devices, current) {
  clear(select);
  select.append(h('option', { value: '' }, 'Default'));
  devices
    .filter((d) => d.deviceId !== 'default')
    .forEach((d, i) => select.append(h('option', { value: d.deviceId }, deviceName(role, d, i))));
  // 'default' (Chromium's name for the system's choice, what a track opened without a choice
  // reports) is the "Default" entry.
  const listed = current !== 'default' && devices.some((d) => d.deviceId === current);
  select.value = listed && current !== null ? current : '';
}

/** @param {HTMLSelectElement} select */
const valueOf = (select) => (select.value === '' ? null : select.value);

/**
 * The three lists of one screen (prefix 'join' or 'call'), refreshed from enumerateDevices.
 * @param {'join' | 'call'} prefix @param {Record<DeviceRole, string | null>} current
 */
async function refresh(prefix, current) {
  const lists = await listDevices();
  for (const role of /** @type {DeviceRole[]} */ (['mic', 'cam', 'speaker']))
    fill($(`#${prefix}-${role}-device`), role, lists[role], current[role]);
  const speaker = canChooseSpeaker() && lists.speaker.length > 0;
  show($(`#${prefix}-speaker-row`), speaker);
  show($(`#${prefix}-speaker-note`), !speaker);
}

/**
 * The fields of one screen (index.html has an empty #{prefix}-device-fields): a list per role,
 * the microphone's level meter, on the join screen the camera preview, and where the speaker
 * cannot be chosen a note instead of its list. The ids are `${prefix}-mic-device` and so on.
 * @param {'join' | 'call'} prefix
 */
function buildFields(prefix) {
  const field = (/** @type {DeviceRole} */ role, /** @type {string} */ label) => [
    h('label', { for: `${prefix}-${role}-device` }, label),
    h('select', { id: `${prefix}-${role}-device` }),
  ];
  $(`#${prefix}-device-fields`).append(
    ...field('mic', 'Microphone'),
    h(
      'div',
      { id: `${prefix}-level-row`, class: 'row', hidden: true },
      h('meter', {
        id: `${prefix}-mic-level`,
        class: 'level',
        min: '0',
        max: '1',
        low: '0.25',
        optimum: '0.6',
        value: '0',
        'aria-label': 'Microphone level',
      }),
    ),
    ...field('cam', 'Camera'),
    prefix === 'join'
      ? h('video', {
          id: 'join-preview',
          class: 'preview',
          muted: true,
          playsinline: true,
          autoplay: true,
          hidden: true,
          'aria-label': 'Your camera',
        })
      : null,
    h('div', { id: `${prefix}-speaker-row`, class: 'stack' }, ...field('speaker', 'Speaker')),
    h(
      'p',
      { id: `${prefix}-speaker-note`, class: 'muted small', hidden: true },
      "This browser plays the call on the system's sound output; choose the speaker there.",
    ),
  );
  if (prefix === 'join') $('#join-preview').muted = true; // the attribute alone does not mute
}

// --- join screen -----------------------------------------------------------------------------

/** @type {{stream: MediaStream, stopMeter: () => void} | null} */
let preview = null;

/** @param {MediaTrackConstraints | undefined} video the test's small video, if any */
export function initJoinDevices(video) {
  buildFields('join');
  const button = $('#join-test');
  const note = $('#join-test-note');
  for (const role of /** @type {DeviceRole[]} */ (['mic', 'cam', 'speaker'])) {
    $(`#join-${role}-device`).addEventListener('change', async () => {
      chosen[role] = valueOf($(`#join-${role}-device`));
      if (role !== 'speaker' && preview !== null) await startPreview(video);
    });
  }
  button.addEventListener('click', async () => {
    if (preview !== null) stopPreview();
    else await startPreview(video);
  });
  /** @param {MediaTrackConstraints | undefined} v */
  async function startPreview(v) {
    stopPreview();
    note.textContent = '';
    const mic = $('#join-mic').checked;
    const cam = $('#join-cam').checked;
    if (!mic && !cam) {
      note.textContent = 'Tick Microphone or Camera to test it.';
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: mic ? constraintsFor('audio', chosen.mic, v) : false,
        video: cam ? constraintsFor('video', chosen.cam, v) : false,
      });
    } catch (e) {
      const name = /** @type {{name?: string}} */ (e)?.name ?? 'error';
      note.textContent =
        name === 'NotAllowedError'
          ? 'The browser refused the microphone or camera: allow them for this site (the icon in the address bar).'
          : `That device could not be opened (${name}): it may be in use by another program. Choose another.`;
      return;
    }
    const meter = $('#join-mic-level');
    const mt = stream.getAudioTracks()[0];
    const stopMeter = mt
      ? levelMeter(mt, (rms) => {
          meter.value = meterValue(rms);
        })
      : () => {};
    preview = { stream, stopMeter };
    const el = $('#join-preview');
    el.srcObject = stream;
    show(el, stream.getVideoTracks().length > 0);
    show($('#join-level-row'), mt !== undefined);
    button.textContent = 'Stop the test';
    note.textContent = mt ? 'Speak: the bar moves when the microphone hears you.' : '';
    // With permission given, the lists now have names.
    await refresh('join', chosen);
  }
}

/** Ends the join screen's preview (before joining, or leaving the screen). */
export function stopPreview() {
  if (preview === null) return;
  preview.stopMeter();
  for (const t of preview.stream.getTracks()) t.stop();
  preview = null;
  const el = $('#join-preview');
  el.srcObject = null;
  show(el, false);
  show($('#join-level-row'), false);
  $('#join-mic-level').value = 0;
  $('#join-test').textContent = 'Test microphone and camera';
  $('#join-test-note').textContent = '';
}

/** Shows the join screen's lists (names once the site may use the devices). */
export function showJoinDevices() {
  refresh('join', chosen).catch(() => {});
}

// --- in the call -----------------------------------------------------------------------------

/**
 * @param {() => Call | null} getCall
 * @param {{video?: MediaTrackConstraints, changed: (call: Call) => void}} o changed: the
 *   call's tracks changed (the device buttons say what a click does)
 */
export function initCallDevices(getCall, { video, changed }) {
  buildFields('call');
  const dialog = /** @type {HTMLDialogElement} */ ($('#devices-dialog'));
  /** @type {(() => void) | null} */
  let stopMeter = null;
  const current = () => {
    const call = getCall();
    return {
      mic: deviceOf(call?.localStream.getAudioTracks()[0]) ?? chosen.mic,
      cam: deviceOf(call?.localStream.getVideoTracks()[0]) ?? chosen.cam,
      speaker: chosen.speaker,
    };
  };
  const meter = () => {
    stopMeter?.();
    stopMeter = null;
    const track = getCall()?.localStream.getAudioTracks()[0];
    show($('#call-level-row'), track !== undefined);
    if (track === undefined) return;
    const el = $('#call-mic-level');
    stopMeter = levelMeter(track, (rms) => {
      el.value = meterValue(rms);
    });
  };
  $('#btn-devices').addEventListener('click', async () => {
    await refresh('call', current());
    dialog.showModal();
    meter();
  });
  dialog.addEventListener('close', () => {
    stopMeter?.();
    stopMeter = null;
  });
  navigator.mediaDevices?.addEventListener?.('devicechange', () => {
    if (dialog.open) refresh('call', current()).catch(() => {});
    else if ($('#view-join').hidden === false) showJoinDevices();
  });
  for (const role of /** @type {DeviceRole[]} */ (['mic', 'cam'])) {
    $(`#call-${role}-device`).addEventListener('change', async () => {
      const call = getCall();
      const select = $(`#call-${role}-device`);
      if (call === null) return;
      const before = chosen[role];
      chosen[role] = valueOf(select);
      const kind = role === 'mic' ? 'audio' : 'video';
      // Joined without it: the choice waits for "Start ..." (main.js startDevice).
      if (call.localStream.getTracks().every((t) => t.kind !== kind)) return;
      dismiss('DEVICE_SWITCH_FAILED');
      try {
        await switchTo(call, kind, chosen[role], video);
      } catch {
        chosen[role] = before;
        alertBox('DEVICE_SWITCH_FAILED');
      }
      await refresh('call', current());
      if (role === 'mic') meter();
      changed(call);
    });
  }
  $('#call-speaker-device').addEventListener('change', async () => {
    const before = chosen.speaker;
    chosen.speaker = valueOf($('#call-speaker-device'));
    dismiss('SPEAKER_FAILED');
    try {
      await applySpeakerToAll();
    } catch {
      chosen.speaker = before;
      $('#call-speaker-device').value = before ?? '';
      alertBox('SPEAKER_FAILED');
      await applySpeakerToAll().catch(() => {});
    }
  });
  // A camera whose frames no encoder takes (a depth or infrared camera: Chromium opens it and
  // even shows it, but sends nothing) is said, not left as a silent black tile at the others.
  setInterval(() => {
    const call = getCall();
    if (call !== null) checkCameraSends(call).catch(() => {});
  }, CAMERA_CHECK_MS);
  /** The fallback: the call's track of a kind ended without us stopping it. */
  const watched = new WeakSet();
  /** @param {Call} call */
  const watch = (call) => {
    for (const track of call.localStream.getTracks()) {
      if (watched.has(track)) continue;
      watched.add(track);
      track.addEventListener('ended', () => {
        if (getCall() !== call || !call.localStream.getTracks().includes(track)) return;
        deviceLost(call, track, video).finally(() => {
          if (dialog.open) refresh('call', current()).catch(() => {});
          changed(call);
        });
      });
    }
  };
  return { watch };
}

const CAMERA_CHECK_MS = 2000;
/** @type {{track: MediaStreamTrack | null, encoded: number, idle: number}} the camera's frames encoded at the last check */
const cameraCheck = { track: null, encoded: 0, idle: 0 };

/**
 * Counts the frames encoded from our camera on every connection that is up; if the camera is on
 * and two checks in a row found none new, says CAMERA_NO_PICTURE (gone once frames go, or the
 * camera is off or replaced). @param {Call} call
 */
async function checkCameraSends(call) {
  const track = call.localStream.getVideoTracks().find((t) => t.readyState === 'live');
  const senders = [...call.peers.values()]
    .map((p) => p.media)
    .filter((m) => m && !m.closed && m.connectionState === 'connected')
    .map(
      (m) => /** @type {import('./mediaConnection.js').MediaConnection} */ (m).slots.camera.sender,
    )
    .filter((x) => x.track === track);
  if (track === undefined || !track.enabled || senders.length === 0) {
    cameraCheck.track = null;
    dismiss('CAMERA_NO_PICTURE');
    return;
  }
  let encoded = 0;
  for (const sender of senders) {
    const report = await statsOf(sender).catch(() => null);
    report?.forEach((/** @type {{type: string, framesEncoded?: number}} */ r) => {
      if (r.type === 'outbound-rtp') encoded += r.framesEncoded ?? 0;
    });
  }
  if (cameraCheck.track !== track) {
    Object.assign(cameraCheck, { track, encoded, idle: 0 });
    return;
  }
  cameraCheck.idle = encoded > cameraCheck.encoded ? 0 : cameraCheck.idle + 1;
  cameraCheck.encoded = encoded;
  if (cameraCheck.idle >= 2) alertBox('CAMERA_NO_PICTURE', { detail: track.label || undefined });
  else if (cameraCheck.idle === 0) dismiss('CAMERA_NO_PICTURE');
}

/** Where remote sound plays: every media element of the call. */
export async function applySpeakerToAll() {
  const els = /** @type {HTMLMediaElement[]} */ ([
    ...document.querySelectorAll('#tiles video, #tiles audio'),
  ]);
  await Promise.all(els.map((el) => applySpeaker(el)));
}

/**
 * Opens `deviceId` (null: the default) for `kind` and puts it in the call. Throws if it cannot
 * be opened; the call keeps the track it had.
 * @param {Call} call @param {'audio' | 'video'} kind @param {string | null} deviceId @param {MediaTrackConstraints} [video]
 */
async function switchTo(call, kind, deviceId, video) {
  const stream = await navigator.mediaDevices.getUserMedia(
    kind === 'audio'
      ? { audio: constraintsFor('audio', deviceId, video) }
      : { video: constraintsFor('video', deviceId, video) },
  );
  const track = stream.getTracks().find((t) => t.kind === kind);
  if (track === undefined) {
    for (const t of stream.getTracks()) t.stop();
    throw new Error('no track');
  }
  await call.setLocalTrack(track);
}

/**
 * The device of `track` stopped: the call goes on with the next device of its kind that opens
 * (other devices first, then the browser's default), or without one.
 * @param {Call} call @param {MediaStreamTrack} track @param {MediaTrackConstraints} [video]
 */
async function deviceLost(call, track, video) {
  const kind = /** @type {'audio' | 'video'} */ (track.kind);
  const role = kind === 'audio' ? 'mic' : 'cam';
  const lost = deviceOf(track);
  const devices = (await listDevices())[role].filter(
    (d) => d.deviceId !== lost && d.deviceId !== 'default' && d.deviceId !== 'communications',
  );
  /** @type {(string | null)[]} */
  const candidates = [...devices.map((d) => d.deviceId), null];
  for (const id of candidates) {
    try {
      await switchTo(call, kind, id, video);
    } catch {
      continue;
    }
    chosen[role] = id;
    const now = deviceOf(call.localStream.getTracks().find((t) => t.kind === kind));
    const i = devices.findIndex((d) => d.deviceId === now);
    alertBox(kind === 'audio' ? 'MIC_SWITCHED' : 'CAMERA_SWITCHED', {
      detail: i >= 0 ? `now: ${deviceName(role, devices[i], i)}` : 'now: the default',
    });
    return;
  }
  chosen[role] = null;
  await call.dropLocalTrack(kind);
  alertBox(kind === 'audio' ? 'MIC_LOST' : 'CAMERA_LOST');
}
