// The tile geometry of app/layout.js and the speaking hysteresis of app/mediaPresence.js, as
// plain functions (the browser test test/e2e/layout.test.js checks them rendered).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fit, gridRects, stageRects } from '../src/app/layout.js';
import { HOLD_MS, SPEAK_OFF, SPEAK_ON, nextSpeaking, windowRms } from '../src/app/mediaPresence.js';

const near = (a, b, eps = 0.01) => Math.abs(a - b) <= eps;
const inside = (r, W, H) =>
  r.x >= -0.5 && r.y >= -0.5 && r.x + r.w <= W + 0.5 && r.y + r.h <= H + 0.5;
const overlap = (a, b) =>
  a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;

function checkRects(rects, W, H, aspects) {
  rects.forEach((r, i) => {
    assert.ok(inside(r, W, H), `tile ${i} inside ${W}x${H}: ${JSON.stringify(r)}`);
    assert.ok(near(r.w / r.h, aspects[i]), `tile ${i} has its aspect: ${r.w / r.h}`);
    for (let j = 0; j < i; j++) assert.ok(!overlap(r, rects[j]), `tiles ${j} and ${i} overlap`);
  });
}

test('fit: the largest box of an aspect inside another', () => {
  assert.deepEqual(fit(1600, 900, 16 / 9), { w: 1600, h: 900 });
  assert.deepEqual(fit(1000, 1000, 2), { w: 1000, h: 500 });
  assert.deepEqual(fit(1000, 1000, 0.5), { w: 500, h: 1000 });
  assert.deepEqual(fit(0, 100, 1), { w: 0, h: 0 });
});

test('grid: 1-6 tiles keep their aspect, do not overlap, fill the space well (laptop and phone)', () => {
  for (const [W, H] of [
    [924, 700], // 1280x800 with the side panel
    [374, 390], // 390x844 upright, the chat below
  ]) {
    for (const aspect of [4 / 3, 16 / 9]) {
      for (let n = 1; n <= 6; n++) {
        const rects = gridRects(W, H, n, aspect);
        assert.equal(rects.length, n);
        checkRects(rects, W, H, new Array(n).fill(aspect));
        const used = (n * rects[0].w * rects[0].h) / (W * H);
        assert.ok(
          used >= (n === 1 ? 0.5 : 0.35),
          `${n} tiles of ${aspect} use ${used} of ${W}x${H}`,
        );
      }
    }
  }
  // Three people on a laptop: not three tall portrait columns (the old 298x676 cells).
  const three = gridRects(924, 700, 3, 4 / 3);
  assert.ok(three[0].w > three[0].h);
  assert.equal(new Set(three.map((r) => r.y)).size, 2, 'two rows: 2 + 1, the last one centred');
  assert.ok(near(three[2].x + three[2].w / 2, 924 / 2, 1));
});

test('stage: the large tile keeps its aspect and dwarfs the strip; the strip goes where it costs least', () => {
  const wide = stageRects(924, 700, 4, 16 / 9, 4 / 3);
  assert.equal(wide.strip, 'bottom', 'a 16:9 screen in 924x700 loses less height than width');
  checkRects(wide.rects, 924, 700, [16 / 9, 4 / 3, 4 / 3, 4 / 3]);
  assert.equal(stageRects(1800, 700, 4, 16 / 9, 4 / 3).strip, 'right', 'a wide window: beside it');
  const main = wide.rects[0].w * wide.rects[0].h;
  for (const r of wide.rects.slice(1)) assert.ok(main > 6 * r.w * r.h);
  const phone = stageRects(374, 390, 4, 16 / 9, 4 / 3);
  assert.equal(phone.strip, 'bottom');
  checkRects(phone.rects, 374, 390, [16 / 9, 4 / 3, 4 / 3, 4 / 3]);
  assert.ok(phone.rects[0].w >= 370, 'the screen takes the phone’s width');
  assert.deepEqual(stageRects(800, 600, 1, 16 / 9, 4 / 3).strip, 'none');
  assert.deepEqual(stageRects(800, 600, 0, 16 / 9, 4 / 3).rects, []);
});

test('speaking: over SPEAK_ON starts, a pause shorter than HOLD_MS does not stop it', () => {
  assert.equal(nextSpeaking(false, SPEAK_ON, 0), true);
  assert.equal(nextSpeaking(false, SPEAK_ON * 0.9, 0), false);
  // between the thresholds: whatever it was
  const mid = (SPEAK_ON + SPEAK_OFF) / 2;
  assert.equal(nextSpeaking(true, mid, 10_000), true);
  assert.equal(nextSpeaking(false, mid, 10_000), false);
  assert.equal(nextSpeaking(true, 0, HOLD_MS - 1), true, 'a pause between words');
  assert.equal(nextSpeaking(true, 0, HOLD_MS), false);
});

test('windowRms: the mean power between the oldest and newest sample', () => {
  assert.equal(windowRms([]), 0);
  assert.equal(windowRms([{ at: 0, energy: 1, duration: 1 }]), 0);
  // 0.25 energy over 1 s: a steady level of 0.5
  const r = windowRms([
    { at: 0, energy: 1, duration: 10 },
    { at: 1000, energy: 1.25, duration: 11 },
  ]);
  assert.ok(near(r, 0.5, 1e-9));
});
