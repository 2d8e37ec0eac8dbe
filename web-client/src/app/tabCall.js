// @ts-check
// The call this tab is in, kept for a reload (issue: a reload lost the call and its link).
//
// The link fragment (the room secret) goes to sessionStorage: it lives as long as the tab, is
// not shared with other tabs, never reaches the history, the address bar or a server, and is gone
// when the tab closes or the person leaves for good ("Back to start"). With it go the choices
// made on the join form, so that a reload rejoins as the same person without asking again.

const KEY = 'hybridge.call';

/**
 * @typedef {object} TabCall
 * @property {string} fragment the link fragment (secret.fingerprint)
 * @property {string} name
 * @property {boolean} mic
 * @property {boolean} cam
 * @property {boolean} left true once the person left with Leave (a reload shows "Rejoin", it does not rejoin)
 */

/** @returns {Storage | null} sessionStorage, or null where the browser refuses it */
function storage() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage disabled for the site: a reload then lands on the start page
  }
}

/** @param {TabCall} call */
export function rememberCall(call) {
  try {
    storage()?.setItem(KEY, JSON.stringify(call));
  } catch {
    // quota or storage refused: a reload will not rejoin, nothing else changes
  }
}

/** The call this tab was in, or null. @returns {TabCall | null} */
export function recallCall() {
  let v;
  try {
    v = JSON.parse(storage()?.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
  if (
    v === null ||
    typeof v !== 'object' ||
    typeof v.fragment !== 'string' ||
    typeof v.name !== 'string' ||
    typeof v.mic !== 'boolean' ||
    typeof v.cam !== 'boolean' ||
    typeof v.left !== 'boolean'
  ) {
    return null;
  }
  return v;
}

export function forgetCall() {
  try {
    storage()?.removeItem(KEY);
  } catch {
    // nothing kept
  }
}
