// Gateway stop and restart (same key file, same port) under a call, against the real gateway:
// sessions go 'reconnecting' (SHUTTING_DOWN), back off, re-run the hop handshake, rejoin with
// the same per-session key, re-handshake with their peers under new ids, 'peer-up' fires again
// for the same Peer objects, and a message sent after the restart arrives
// (spec/peer-messages.md §5, spec/room-protocol.md "Shutdown and reconnection").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import {
  allConnected,
  chat,
  events,
  leaveAll,
  peerUp,
  session,
  waitFor,
} from '../support/signalSessions.js';

let gw;
const live = [];

before(async () => {
  gw = await startGateway();
});

after(async () => {
  await leaveAll(live);
  await gw?.stop();
});

test('gateway restart: sessions reconnect with the same keys, peers come up again, messages flow after it', async () => {
  const room = crypto.getRandomValues(new Uint8Array(32));
  const opts = { backoff: { minMs: 200, maxMs: 2000 } };
  const sessions = ['Ada', 'Bob', 'Cy'].map((n) => session(gw, room, n, opts));
  live.push(...sessions);
  const [a, b, c] = sessions;
  for (const s of sessions) await s.start();
  await allConnected(sessions);
  const before = new Map(
    sessions.map((s) => [
      s,
      { id: s.selfId, key: s.selfKeyFp, peers: new Map(s.peers), from: s.log.length },
    ]),
  );

  await gw.restart();

  for (const s of sessions) {
    const { from } = before.get(s);
    const rec = await waitFor(s, 'state', (d) => d.state === 'reconnecting', { from });
    assert.ok(['SHUTTING_DOWN', 'CONNECTION_LOST'].includes(rec.error.code), rec.error.code);
    await waitFor(s, 'state', (d) => d.state === 'joined', { from });
  }
  for (const s of sessions) {
    const { from, peers } = before.get(s);
    for (const o of sessions) {
      if (o === s) continue;
      const up = await peerUp(s, o.selfKeyFp, { from });
      assert.equal(up.peer, peers.get(o.selfKeyFp), `${s.label} sees the same Peer for ${o.label}`);
      assert.equal(up.peer.id, o.selfId);
      assert.equal(up.peer.sas, o.peers.get(s.selfKeyFp).sas);
    }
    assert.equal(s.selfKeyFp, before.get(s).key);
    assert.notEqual(s.selfId, before.get(s).id);
    assert.equal(s.peers.size, 2);
    assert.deepEqual(events(s, 'error'), []);
  }
  // Same gateway key: the pin still holds.
  assert.deepEqual(a.gatewayFingerprint, gw.fingerprint);

  await a.send(b.selfKeyFp, chat('after restart'));
  await c.send(a.selfKeyFp, chat('me too'));
  await waitFor(b, 'peer-message', (d) => d.msg.text === 'after restart');
  await waitFor(a, 'peer-message', (d) => d.msg.text === 'me too');
  await leaveAll(sessions);
});

test('gateway down for a while: reconnection keeps trying (GATEWAY_UNREACHABLE), then succeeds', async () => {
  const room = crypto.getRandomValues(new Uint8Array(32));
  const a = session(gw, room, 'Ada', { backoff: { minMs: 100, maxMs: 400 } });
  const b = session(gw, room, 'Bob', { backoff: { minMs: 100, maxMs: 400 } });
  live.push(a, b);
  await a.start();
  await b.start();
  await allConnected([a, b]);
  const from = a.log.length;
  await gw.stopOnly();
  await waitFor(
    a,
    'state',
    (d) => d.state === 'reconnecting' && d.error?.code === 'GATEWAY_UNREACHABLE',
    { from },
  );
  await new Promise((r) => setTimeout(r, 800)); // several failed attempts
  await gw.start();
  await waitFor(a, 'state', (d) => d.state === 'joined', { from });
  await peerUp(a, b.selfKeyFp, { from });
  await b.send(a.selfKeyFp, chat('hello again'));
  await waitFor(a, 'peer-message', (d) => d.msg.text === 'hello again');
  assert.ok(a.stats.reconnects >= 1);
  await leaveAll([a, b]);
});
