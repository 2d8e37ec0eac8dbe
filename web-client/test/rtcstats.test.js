// statsOf (src/app/rtcStats.js): a getStats that never settles (Firefox ESR, a connection closed
// while the call is pending) rejects after the deadline instead of hanging the poll; one that
// answers in time is passed through. The real Firefox case runs in test/e2e/roomctl-firefox.test.js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsTimeout, statsOf } from '../src/app/rtcStats.js';

test('a getStats that never settles rejects with StatsTimeout after the deadline', async () => {
  const t0 = performance.now();
  await assert.rejects(statsOf({ getStats: () => new Promise(() => {}) }, 50), StatsTimeout);
  assert.ok(performance.now() - t0 >= 45);
});

test('a getStats that answers is passed through, and a rejection stays a rejection', async () => {
  const report = new Map([['x', { type: 'inbound-rtp' }]]);
  assert.equal(await statsOf({ getStats: async () => /** @type {any} */ (report) }, 50), report);
  const boom = new Error('InvalidStateError');
  await assert.rejects(statsOf({ getStats: () => Promise.reject(boom) }, 50), boom);
});
