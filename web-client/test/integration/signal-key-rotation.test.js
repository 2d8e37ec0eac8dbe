// The gateway's key is rotated while a call is on (rotate-key, then a restart): the link's pin is
// now a retired key. A session must not keep reconnecting to a gateway that will never accept its
// pin again: it stops with GATEWAY_KEY_RETIRED ("ask for a new link", spec/hop-handshake.md §3.1)
// and makes no further attempt. Against the real gateway; its own instance, since the key changes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { allConnected, events, leaveAll, session, waitFor } from '../support/signalSessions.js';

let gw;
const live = [];

before(async () => {
  gw = await startGateway(); // announce-retired-keys is on by default
});

after(async () => {
  await leaveAll(live);
  await gw?.stop();
});

test('key rotated under a call: the session stops with GATEWAY_KEY_RETIRED and stops reconnecting', async () => {
  const room = crypto.getRandomValues(new Uint8Array(32));
  const opts = { backoff: { minMs: 50, maxMs: 100 } };
  const a = session(gw, room, 'Ada', opts);
  const b = session(gw, room, 'Bob', opts);
  live.push(a, b);
  await a.start();
  await b.start();
  await allConnected([a, b]);
  const from = a.log.length;

  await gw.stopOnly();
  gw.rotateKey();
  await gw.start();

  const closed = await waitFor(a, 'state', (d) => d.state === 'closed', { from });
  assert.equal(closed.error?.code, 'GATEWAY_KEY_RETIRED');
  assert.match(closed.error.message, /new link/);
  const fatal = events(a, 'error').filter((e) => e.fatal);
  assert.deepEqual(
    fatal.map((e) => e.code),
    ['GATEWAY_KEY_RETIRED'],
  );
  // No attempt after it: at this backoff (at most 100 ms) a loop would have tried several times.
  const stateEvents = a.log.length;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(a.log.length, stateEvents, 'a closed session stays quiet');
  assert.equal(a.state, 'closed');
});
