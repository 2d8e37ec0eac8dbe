// The rules of the connection-quality and decrypt-failure marks (app/mediaHealth.js); the browser
// test (test/e2e/layout.test.js) injects the faults in real Chromium.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DECRYPT_FAILING_MIN,
  decryptFailing,
  describeHealth,
  qualityOf,
  undecrypted,
} from '../src/app/mediaHealth.js';

test('quality: good, fair on 3% loss or 200 ms, poor on 10% loss, 400 ms or nothing received from a sender', () => {
  const q = (rttMs, lossPct, kbps, expectMedia = true) =>
    qualityOf({ rttMs, lossPct, kbps, expectMedia });
  assert.equal(q(null, null, null), 'unknown');
  assert.equal(q(20, 0, 800), 'good');
  assert.equal(q(20, 3.5, 800), 'fair');
  assert.equal(q(250, 0, 800), 'fair');
  assert.equal(q(20, 12, 800), 'poor');
  assert.equal(q(450, 0, 800), 'poor');
  assert.equal(q(20, 0, 0), 'poor');
  assert.equal(q(20, 0, 0, false), 'good', 'nothing received from someone muted with camera off');
});

test('decrypt failing: failures rising past the frames that decrypt; clears once frames decrypt with none failing', () => {
  const s = (frames, authFailed) => ({ frames, authFailed });
  assert.equal(decryptFailing(false, null, s(0, 100)), false, 'no interval yet');
  assert.equal(decryptFailing(false, s(100, 0), s(200, 0)), false);
  assert.equal(decryptFailing(false, s(100, 0), s(100, DECRYPT_FAILING_MIN)), true);
  assert.equal(decryptFailing(false, s(100, 0), s(100, DECRYPT_FAILING_MIN - 1)), false);
  assert.equal(
    decryptFailing(false, s(100, 0), s(200, 5)),
    false,
    'a few failures among many frames',
  );
  assert.equal(decryptFailing(true, s(100, 50), s(100, 50)), true, 'nothing at all: stays');
  assert.equal(decryptFailing(true, s(100, 50), s(150, 50)), false, 'frames decrypt again');
  assert.equal(decryptFailing(true, s(100, 50), s(150, 60)), true, 'still failing');
});

test('undecrypted: media arrives while the transform sees nothing of the peer; clears once it does', () => {
  const s = (frames, dropped) => ({ frames, authFailed: 0, dropped });
  assert.equal(undecrypted(false, true, null, s(0, 0)), false, 'no interval yet');
  assert.equal(undecrypted(false, true, s(100, 0), s(100, 0)), true, 'media arrives, none seen');
  assert.equal(undecrypted(false, false, s(100, 0), s(100, 0)), false, 'nothing arrives (muted)');
  assert.equal(undecrypted(false, true, s(100, 0), s(101, 0)), false, 'the transform opens frames');
  assert.equal(undecrypted(false, true, s(100, 0), s(100, 3)), false, 'or drops them: it runs');
  assert.equal(undecrypted(true, false, s(100, 0), s(100, 0)), true, 'stays while nothing is seen');
  assert.equal(undecrypted(true, true, s(100, 0), s(140, 0)), false, 'clears once frames open');
});

test('the mark in words: quality and the figures it comes from', () => {
  const h = {
    quality: 'fair',
    rttMs: 231.4,
    lossPct: 4.25,
    kbps: 812.7,
    decryptFailing: false,
    authFailed: 0,
  };
  assert.equal(
    describeHealth('Ada', /** @type {any} */ (h)),
    'Connection to Ada: fair (round trip 231 ms, loss 4.3%, 813 kbit/s received)',
  );
  assert.equal(
    describeHealth(
      'Ada',
      /** @type {any} */ ({ ...h, quality: 'unknown', rttMs: null, lossPct: null, kbps: null }),
    ),
    'Connection to Ada: not measured yet',
  );
});
