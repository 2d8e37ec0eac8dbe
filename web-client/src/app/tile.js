// @ts-check
// One video tile (callView.js decides which exist, layout.js where they go): the video, an avatar
// with the person's initials for when there is no picture, a caption (name, state, a muted
// mark), and its buttons: pin (it becomes the large tile), full screen, and picture-in-picture
// where the browser has it. Names go in through textContent only.

import { h } from './dom.js';

/**
 * @typedef {object} Tile
 * @property {HTMLElement} el
 * @property {HTMLVideoElement} video
 * @property {HTMLElement} label
 * @property {HTMLElement} state
 * @property {HTMLElement} avatar
 * @property {HTMLElement} mutedMark
 * @property {HTMLElement} quality
 * @property {HTMLElement} decrypt
 * @property {HTMLButtonElement} pin
 * @property {HTMLButtonElement} full
 * @property {HTMLButtonElement | null} pip
 * @property {boolean} cameraOff the person said its camera is off (app/mediaPresence.js)
 */

const SVG = 'http://www.w3.org/2000/svg';

/** Line icons on a 16x16 grid, drawn as inline SVG elements (no image request, no markup strings). */
const ICONS = {
  micOff: ['M6 3a2 2 0 0 1 4 0v5a2 2 0 0 1-4 0z', 'M4 7.5a4 4 0 0 0 8 0M8 12v2', 'M2 2l12 12'],
  pin: ['M5.5 2h5l-.7 4.2L12.5 9h-9l2.7-2.8z', 'M8 9v5'],
  full: ['M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4'],
  pip: ['M1.5 3h13v10h-13z', 'M8 8h4.5v3H8z'],
  bars: ['M3 13v-2', 'M7 13V8', 'M11 13V4'],
};

/** @param {keyof typeof ICONS} name */
function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  for (const d of ICONS[name]) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

/** Up to two initials, as people read them ("Ada Lovelace" -> "AL"). @param {string} name */
export function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = (/** @type {string} */ w) => [...w][0] ?? '';
  const two =
    words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0] ?? '');
  return (two || '?').toUpperCase();
}

/**
 * @param {string} key
 * @param {{muted?: boolean, mirror?: boolean, onPin: (key: string) => void, onChange: (t: Tile) => void}} o
 * `onPin` toggles the pin of this tile; `onChange` runs when its picture appears or goes.
 * @returns {Tile}
 */
export function createTile(key, { muted = false, mirror = false, onPin, onChange }) {
  const video = /** @type {HTMLVideoElement} */ (
    h('video', { autoplay: true, playsinline: true, class: mirror ? 'mirror' : null })
  );
  video.muted = muted;
  // Small icon buttons, so that they fit a phone's tiles; their names (nameTile) say what and
  // whose, and the title shows it on hover.
  const button = (/** @type {string} */ cls, /** @type {keyof typeof ICONS} */ name) =>
    /** @type {HTMLButtonElement} */ (
      h('button', { type: 'button', class: `tile-btn ${cls}` }, icon(name))
    );
  const pin = button('tile-pin', 'pin');
  pin.setAttribute('aria-pressed', 'false');
  const full = button('tile-full', 'full');
  // Picture-in-picture only where the browser has it (not Firefox's own button, not in Safari iOS's webview).
  const pip =
    document.pictureInPictureEnabled && 'requestPictureInPicture' in video
      ? button('tile-pip', 'pip')
      : null;
  const mutedMark = h('span', { class: 'tile-muted', hidden: true }, icon('micOff'), 'Muted');
  // Connection quality (app/mediaHealth.js): a mark whose name and title carry the figures.
  const quality = h('span', { class: 'tile-quality', role: 'img', hidden: true }, icon('bars'));
  // Media that fails to decrypt is said on the tile, never left as a black picture.
  const decrypt = h('div', { class: 'tile-decrypt', role: 'status', hidden: true });
  const label = h('span', { class: 'tile-name' });
  const state = h('span', { class: 'tile-state' });
  const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' });
  /** @type {Tile} */
  const t = {
    el: h(
      'figure',
      { class: 'tile no-video', dataset: { key } },
      avatar,
      video,
      decrypt,
      h('figcaption', {}, mutedMark, label, state, quality),
      h('div', { class: 'tile-tools' }, pin, full, pip),
    ),
    video,
    label,
    state,
    avatar,
    mutedMark,
    quality,
    decrypt,
    pin,
    full,
    pip,
    cameraOff: false,
  };
  pin.addEventListener('click', () => onPin(key));
  full.addEventListener('click', () => {
    if (document.fullscreenElement === t.el) document.exitFullscreen().catch(() => {});
    else t.el.requestFullscreen().catch(() => {});
  });
  pip?.addEventListener('click', () => {
    if (document.pictureInPictureElement === video) document.exitPictureInPicture().catch(() => {});
    else video.requestPictureInPicture().catch(() => {});
  });
  // The avatar shows until the element has a picture: decoded frames, not track flags, decide.
  for (const ev of ['resize', 'loadeddata', 'playing', 'emptied'])
    video.addEventListener(ev, () => {
      updatePicture(t);
      onChange(t);
    });
  return t;
}

/** Whether the tile shows its video or the avatar. @param {Tile} t */
export function updatePicture(t) {
  const stream = /** @type {MediaStream | null} */ (t.video.srcObject);
  const live =
    !!stream &&
    stream
      .getVideoTracks()
      .some((/** @type {MediaStreamTrack} */ tr) => tr.readyState === 'live' && tr.enabled);
  t.el.classList.toggle('no-video', t.cameraOff || !(live && t.video.videoWidth > 0));
}

/** The tile's name everywhere it is said: caption, video and button names. @param {Tile} t @param {string} text */
export function nameTile(t, text) {
  t.label.textContent = text;
  t.video.setAttribute('aria-label', `Video of ${text}`);
  for (const [b, what] of /** @type {[HTMLButtonElement | null, string][]} */ ([
    [t.pin, `Pin ${text} (the large tile)`],
    [t.full, `Show ${text} full screen`],
    [t.pip, `Show ${text} in picture-in-picture`],
  ])) {
    b?.setAttribute('aria-label', what);
    if (b) b.title = what;
  }
}

/**
 * What the person's own state says: muted (a mark), camera off (the avatar with initials,
 * never a black rectangle), speaking (a highlight). null: not known yet (no `media` message).
 * @param {Tile} t @param {{audio: boolean, video: boolean} | null} media @param {boolean} speaking
 */
export function markTile(t, media, speaking) {
  const muted = media !== null && !media.audio;
  t.mutedMark.hidden = !muted;
  t.el.dataset.muted = String(muted);
  t.cameraOff = media !== null && !media.video;
  t.el.dataset.camera = media === null ? 'unknown' : media.video ? 'on' : 'off';
  t.el.classList.toggle('speaking', speaking && !muted);
  t.el.dataset.speaking = String(speaking && !muted);
  updatePicture(t);
}

/**
 * A person's connection quality and whether their media decrypts (app/mediaHealth.js); null:
 * nothing measured yet (the marks stay hidden).
 * @param {Tile} t @param {string} name @param {import('./mediaHealth.js').Health | null} health
 * @param {(name: string, h: import('./mediaHealth.js').Health) => string} describe
 */
export function markHealth(t, name, health, describe) {
  t.quality.hidden = health === null;
  t.el.dataset.quality = health?.quality ?? 'unknown';
  if (health !== null) {
    const words = describe(name, health);
    t.quality.setAttribute('aria-label', words);
    t.quality.title = words;
    t.quality.dataset.level = health.quality;
  }
  const failing = health?.decryptFailing === true;
  const bypassed = health?.undecrypted === true;
  t.decrypt.hidden = !failing && !bypassed;
  t.el.dataset.decrypt = failing ? 'failing' : bypassed ? 'bypassed' : 'ok';
  if (failing)
    t.decrypt.textContent = `Can't decrypt ${name}'s media: their keys don't match ours (${health.authFailed} frames refused). Their client may be broken or tampered with; ask them to leave and rejoin.`;
  else if (bypassed)
    t.decrypt.textContent = `${name}'s media arrives but this browser stopped passing it through decryption, so it cannot be shown (a browser fault). Reload this page, or ask ${name} to leave and rejoin.`;
}

/** @param {Tile} t @param {boolean} pinned */
export function markPinned(t, pinned) {
  t.pin.setAttribute('aria-pressed', String(pinned)); // pressed: pinned; pressing again unpins
  t.el.classList.toggle('pinned', pinned);
}
