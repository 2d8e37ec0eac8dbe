// @ts-check
// Where the video tiles go (callView.js makes them). Two layouts, both computed here as plain
// rectangles and applied as each tile's position and size:
//
// - grid: every tile the same size, with the videos' aspect ratio, in the number of columns that
//   makes them largest in the space there is (1-6 people on a laptop or a phone held upright).
//   Videos are shown whole (object-fit: contain in app.css), never cropped.
// - stage: one large tile (a shared screen, or the tile someone pinned) and the others in a strip
//   beside it (landscape) or under it (portrait), whichever leaves the large tile bigger.
//
// The geometry functions are pure (unit tests: test/layout.test.js); applyLayout() measures the
// container and sets the rectangles through the CSSOM (allowed by the CSP, unlike style
// attributes).

/** @typedef {{x: number, y: number, w: number, h: number}} Rect */

/** The aspect ratio of a tile before its video has said its own (most cameras). */
export const DEFAULT_ASPECT = 16 / 9;
/** Gap between tiles, px. */
export const GAP = 8;

/**
 * The largest box of `aspect` (width / height) that fits in w x h.
 * @param {number} w @param {number} h @param {number} aspect @returns {{w: number, h: number}}
 */
export function fit(w, h, aspect) {
  if (w <= 0 || h <= 0) return { w: 0, h: 0 };
  return w / h > aspect ? { w: h * aspect, h } : { w, h: w / aspect };
}

/**
 * n equal tiles of `aspect` in W x H: the column count that makes them largest, each row
 * centred (a last row with fewer tiles too), the whole block centred vertically.
 * @param {number} W @param {number} H @param {number} n @param {number} aspect @param {number} [gap]
 * @returns {Rect[]}
 */
export function gridRects(W, H, n, aspect, gap = GAP) {
  if (n <= 0) return [];
  let best = { cols: 1, w: 0, h: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const cell = fit((W - gap * (cols - 1)) / cols, (H - gap * (rows - 1)) / rows, aspect);
    if (cell.w > best.w + 0.5) best = { cols, ...cell };
  }
  const { cols, w, h } = best;
  const rows = Math.ceil(n / cols);
  const y0 = (H - (rows * h + gap * (rows - 1))) / 2;
  /** @type {Rect[]} */
  const rects = [];
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / cols);
    const inRow = Math.min(cols, n - row * cols);
    const x0 = (W - (inRow * w + gap * (inRow - 1))) / 2;
    rects.push({ x: x0 + (i % cols) * (w + gap), y: y0 + row * (h + gap), w, h });
  }
  return rects;
}

/**
 * One large tile (index 0, of `mainAspect`) and n - 1 tiles of `stripAspect` in a strip beside
 * it (right) or under it (bottom): the side that leaves the large tile bigger. The strip takes
 * at most a fifth of the width (a quarter of the height), at least 96 px.
 * @param {number} W @param {number} H @param {number} n @param {number} mainAspect
 * @param {number} stripAspect @param {number} [gap] @returns {{rects: Rect[], strip: 'right' | 'bottom' | 'none'}}
 */
export function stageRects(W, H, n, mainAspect, stripAspect, gap = GAP) {
  if (n <= 1) {
    const m = fit(W, H, mainAspect);
    return { rects: n === 1 ? [{ x: (W - m.w) / 2, y: (H - m.h) / 2, ...m }] : [], strip: 'none' };
  }
  const k = n - 1;
  // Right: a column of k tiles, each at most `side` wide and sharing the height.
  const side = Math.max(96, Math.min(W * 0.2, 320));
  const rTile = fit(side, (H - gap * (k - 1)) / k, stripAspect);
  const rMain = fit(W - rTile.w - gap, H, mainAspect);
  // Bottom: a row of k tiles, each at most `band` high and sharing the width.
  const band = Math.max(96, Math.min(H * 0.25, 240));
  const bTile = fit((W - gap * (k - 1)) / k, band, stripAspect);
  const bMain = fit(W, H - bTile.h - gap, mainAspect);
  /** @type {Rect[]} */
  const rects = [];
  if (rMain.w * rMain.h >= bMain.w * bMain.h) {
    const x0 = (W - (rMain.w + gap + rTile.w)) / 2;
    rects.push({ x: x0, y: (H - rMain.h) / 2, ...rMain });
    const y0 = (H - (k * rTile.h + gap * (k - 1))) / 2;
    for (let i = 0; i < k; i++)
      rects.push({ x: x0 + rMain.w + gap, y: y0 + i * (rTile.h + gap), ...rTile });
    return { rects, strip: 'right' };
  }
  const y0 = (H - (bMain.h + gap + bTile.h)) / 2;
  rects.push({ x: (W - bMain.w) / 2, y: y0, ...bMain });
  const x0 = (W - (k * bTile.w + gap * (k - 1))) / 2;
  for (let i = 0; i < k; i++)
    rects.push({ x: x0 + i * (bTile.w + gap), y: y0 + bMain.h + gap, ...bTile });
  return { rects, strip: 'bottom' };
}

/** The aspect ratio of a video element's picture, or null before it has one. @param {HTMLVideoElement} v */
function videoAspect(v) {
  return v.videoWidth > 0 && v.videoHeight > 0 ? v.videoWidth / v.videoHeight : null;
}

/**
 * The aspect the grid's tiles share: the one most of the cameras with a picture have, so that
 * they fill their tiles; the default before any has one.
 * @param {HTMLVideoElement[]} videos @returns {number}
 */
export function commonAspect(videos) {
  /** @type {Map<string, {aspect: number, count: number}>} */
  const seen = new Map();
  for (const v of videos) {
    const a = videoAspect(v);
    if (a === null) continue;
    const key = a.toFixed(2);
    const e = seen.get(key) ?? { aspect: a, count: 0 };
    e.count++;
    seen.set(key, e);
  }
  let best = null;
  for (const e of seen.values()) if (best === null || e.count > best.count) best = e;
  return best?.aspect ?? DEFAULT_ASPECT;
}

/**
 * Lays the tiles out in `container` (position: relative; each tile absolute). `main` is the
 * element of the large tile, or null for the grid. Sets data-layout on the container
 * ('grid' | 'stage') and data-role on each tile ('main' | 'strip' | 'grid').
 * @param {HTMLElement} container
 * @param {{el: HTMLElement, video: HTMLVideoElement, noVideo: boolean}[]} tiles in order
 * @param {HTMLElement | null} main
 */
export function applyLayout(container, tiles, main) {
  const cs = getComputedStyle(container);
  const W = container.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const H = container.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
  if (W <= 0 || H <= 0) return; // not shown (another view): laid out when it is
  const padX = parseFloat(cs.paddingLeft);
  const padY = parseFloat(cs.paddingTop);
  const cameras = tiles.filter((t) => !t.noVideo && !t.el.classList.contains('screen'));
  const aspect = commonAspect(cameras.map((t) => t.video));
  const mainTile = tiles.find((t) => t.el === main) ?? null;
  const ordered = mainTile ? [mainTile, ...tiles.filter((t) => t !== mainTile)] : tiles;
  let rects;
  if (mainTile) {
    const own = mainTile.noVideo ? null : videoAspect(mainTile.video);
    rects = stageRects(W, H, ordered.length, own ?? aspect, aspect).rects;
  } else {
    rects = gridRects(W, H, ordered.length, aspect);
  }
  container.dataset.layout = mainTile ? 'stage' : 'grid';
  ordered.forEach((t, i) => {
    const r = rects[i];
    t.el.dataset.role = mainTile ? (i === 0 ? 'main' : 'strip') : 'grid';
    t.el.style.left = `${Math.round(padX + r.x)}px`;
    t.el.style.top = `${Math.round(padY + r.y)}px`;
    t.el.style.width = `${Math.floor(r.w)}px`; // down: never past the stage's edge
    t.el.style.height = `${Math.floor(r.h)}px`;
  });
}
