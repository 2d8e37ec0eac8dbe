// @ts-check
// The user's own camera and microphone for a call: what the join form asked for, with the
// microphone alone (and an alert) when the camera is what failed, and a specific AppError
// (MIC_MISSING, MIC_DENIED) when nothing can be opened.

import { alertBox } from './alerts.js';
import { AppError } from './link.js';

/**
 * @param {boolean} mic @param {boolean} cam
 * @param {MediaTrackConstraints} [video] the camera's constraints (a test's small video), default 640x360
 * @returns {Promise<MediaStream>}
 */
export async function openLocalMedia(mic, cam, video) {
  const camera = cam
    ? (video ?? { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { max: 24 } })
    : false;
  if (!mic && !camera) return new MediaStream();
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: mic ? { echoCancellation: true, noiseSuppression: true } : false,
      video: camera,
    });
  } catch (first) {
    let e = first;
    if (camera && mic) {
      // The camera may be what failed: try the microphone alone and say so.
      try {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true });
        alertBox('CAMERA_DENIED');
        return s;
      } catch (e2) {
        e = e2;
      }
    }
    const name = /** @type {{name?: string, code?: string, detail?: string} | null | undefined} */ (
      e
    )?.name;
    throw new AppError(name === 'NotFoundError' ? 'MIC_MISSING' : 'MIC_DENIED', name);
  }
}
