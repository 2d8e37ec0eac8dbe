// @ts-check
// The user's own camera and microphone for a call: what the join form asked for, from the
// devices chosen (devices.js), with the microphone alone (and an alert) when the camera is what
// failed, and a specific AppError (MIC_MISSING, MIC_DENIED) when nothing can be opened. A chosen
// device that is gone gives way to the browser's default, and the choice is forgotten.

import { alertBox } from './alerts.js';
import { chosen, constraintsFor } from './devices.js';
import { AppError } from './link.js';

/**
 * @param {boolean} mic @param {boolean} cam
 * @param {MediaTrackConstraints} [video] the camera's constraints (a test's small video), default 640x360
 * @returns {Promise<MediaStream>}
 */
export async function openLocalMedia(mic, cam, video) {
  if (!mic && !cam) return new MediaStream();
  try {
    return await withChosen(mic, cam, video);
  } catch (first) {
    let e = first;
    if (cam && mic) {
      // The camera may be what failed: try the microphone alone and say so.
      try {
        const s = await withChosen(true, false, video);
        alertBox('CAMERA_DENIED');
        return s;
      } catch (e2) {
        e = e2;
      }
    }
    const name = /** @type {{name?: string} | null | undefined} */ (e)?.name;
    throw new AppError(name === 'NotFoundError' ? 'MIC_MISSING' : 'MIC_DENIED', name);
  }
}

/**
 * getUserMedia with the chosen devices; if a chosen one is not there any more
 * (OverconstrainedError, NotFoundError), once more with the default.
 * @param {boolean} mic @param {boolean} cam @param {MediaTrackConstraints} [video]
 */
async function withChosen(mic, cam, video) {
  const ask = () =>
    navigator.mediaDevices.getUserMedia({
      audio: mic ? constraintsFor('audio', chosen.mic, video) : false,
      video: cam ? constraintsFor('video', chosen.cam, video) : false,
    });
  try {
    return await ask();
  } catch (e) {
    const name = /** @type {{name?: string} | null | undefined} */ (e)?.name;
    const stale = (mic && chosen.mic !== null) || (cam && chosen.cam !== null);
    if (!stale || (name !== 'OverconstrainedError' && name !== 'NotFoundError')) throw e;
    if (mic) chosen.mic = null;
    if (cam) chosen.cam = null;
    alertBox('DEVICE_GONE');
    return ask();
  }
}
