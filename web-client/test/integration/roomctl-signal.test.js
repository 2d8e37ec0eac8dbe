// Room-control messages (spec/peer-messages.md §8) between two real sessions through the REAL
// gateway: valid ones arrive as sent; malformed ones are dropped on receipt with their rule and
// counted (droppedMessages), and the channel carries on.
//
// Needs the gateway built (./hybridge test does it; by hand see test/support/gateway.js).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomSecret } from '../../src/protocol/room.js';
import { startGateway } from '../support/gateway.js';
import { allConnected, leaveAll, session, waitFor } from '../support/signalSessions.js';

let gw;
before(async () => {
  gw = await startGateway();
});
after(async () => {
  await gw?.stop();
});

test('room-control messages: valid ones arrive, malformed ones are dropped and counted', async () => {
  const secret = RoomSecret.generate();
  const a = session(gw, secret, 'Ada');
  const b = session(gw, secret, 'Bob');
  try {
    await a.start();
    await b.start();
    await allConnected([a, b]);
    const from = b.log.length;
    await a.send(b.selfKeyFp, { t: 'hand', up: true });
    await a.send(b.selfKeyFp, { t: 'lock', locked: true, ts: Date.now(), by: a.selfKeyFp });
    const enc = new TextEncoder();
    const bad = [
      { t: 'hand', up: 'yes' },
      { t: 'react', emoji: 'free text' },
      { t: 'lock', locked: true, ts: 1, by: 'A'.repeat(64) },
      { t: 'remove', fp: b.selfKeyFp, secret: 'short' },
      { t: 'rec' },
    ];
    for (const m of bad)
      await a.sendBytesForTestingOnly(b.selfKeyFp, enc.encode(JSON.stringify(m)));
    await a.send(b.selfKeyFp, { t: 'rec', on: true });
    await waitFor(b, 'peer-message', (d) => d.msg.t === 'rec', { from });
    const got = b.log
      .slice(from)
      .filter((x) => x.type === 'peer-message')
      .map((x) => x.detail.msg.t)
      .filter((t) => t !== 'view'); // the session's own, whenever its view changes
    assert.deepEqual(got, ['hand', 'lock', 'rec'], 'the valid ones, in order');
    const drops = b.log
      .slice(from)
      .filter((x) => x.type === 'message-dropped')
      .map((x) => x.detail.reason);
    assert.equal(drops.length, bad.length);
    for (const [i, re] of [
      /hand.up/,
      /react.emoji/,
      /lock.by/,
      /remove.secret/,
      /rec.on/,
    ].entries())
      assert.match(drops[i], re);
    assert.equal(b.stats.droppedMessages, bad.length);
    assert.equal(b.peers.get(a.selfKeyFp).state, 'connected', 'the channel carries on');
  } finally {
    secret.fill(0);
    await leaveAll([a, b]);
  }
});
