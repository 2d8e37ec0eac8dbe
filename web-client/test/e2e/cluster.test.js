// A call across two gateway nodes of a cluster (spec/cluster.md) survives the death of the node
// that owns its room: two Chromium pages on two different nodes of three, a real nats-server, and
// kill -9 of the third node, the room's owner. Media flows throughout (it is peer to peer), both
// pages stay in the room with each other, and signaling works after (chat).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../support/gateway.js';
import {
  chromiumAvailable,
  inboundFrom,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  sleep,
  stats,
  waitFor,
} from './browser.js';

const NATS = '/usr/sbin/nats-server';

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function listening(port, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((res) => {
      const c = connect(port, '127.0.0.1', () => {
        c.end();
        res(true);
      });
      c.on('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
    await sleep(50);
  }
}

async function metric(gw, name) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : -1;
}

async function until(what, f, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe(
  'a call across two cluster nodes survives the death of the room owner',
  {
    skip:
      (!chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)') ||
      (!existsSync(NATS) && 'no nats-server (apt-get install nats-server)'),
  },
  () => {
    let dir;
    let nats;
    const nodes = [];
    let browser;
    let alice;
    let bob;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hybridge-cluster-e2e-'));
      const clusterKey = join(dir, 'cluster.key');
      writeFileSync(clusterKey, randomBytes(32).toString('hex'), { mode: 0o600 });
      const port = await freePort();
      nats = spawn(NATS, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      await listening(port);
      const config = {
        cluster: { enabled: true, 'nats-urls': `nats://127.0.0.1:${port}`, 'key-file': clusterKey },
      };
      nodes.push(await startGateway({ config }));
      for (let i = 1; i < 3; i++) {
        nodes.push(await startGateway({ config, keyFile: nodes[0].keyFile }));
      }
      for (const n of nodes) {
        await until(
          'every node sees three',
          async () => (await metric(n, 'hybridge_cluster_nodes')) === 3,
        );
      }
      browser = await launchBrowser();
      alice = await openPage(browser);
      bob = await openPage(browser);
    });

    after(async () => {
      await browser?.close().catch(() => {});
      for (const n of nodes) await n.stop().catch(() => {});
      nats?.kill('SIGTERM');
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('two pages on two nodes: media and signaling go on through kill -9 of the owner', async () => {
      // Alice creates rooms on node 0 until one is owned by node 2 (rendezvous: one in three).
      let fragment = null;
      for (let attempt = 0; attempt < 12 && fragment === null; attempt++) {
        await alice.goto(`${nodes[0].url}/`);
        await alice.click('#create-room');
        await alice.waitForSelector('#invite-new:not([hidden])');
        const link = await alice.inputValue('#invite-new-link');
        await joinRoom(alice, link, 'Alice');
        await until('the room has an owner', async () => {
          let owned = 0;
          for (const n of nodes)
            owned += Math.max(0, await metric(n, 'hybridge_cluster_rooms_owned'));
          return owned === 1;
        });
        if ((await metric(nodes[2], 'hybridge_cluster_rooms_owned')) === 1) {
          fragment = new URL(link).hash;
        } else {
          await alice.goto('about:blank'); // leaves; its seat goes with the connection
          await until('the room is gone', async () => {
            for (const n of nodes)
              if ((await metric(n, 'hybridge_cluster_rooms_owned')) !== 0) return false;
            return true;
          });
        }
      }
      if (fragment === null) {
        // Say what the nodes saw: a CI run failed here once, and it did not fail when run again.
        const seen = [];
        for (const n of nodes)
          seen.push({
            nodes: await metric(n, 'hybridge_cluster_nodes'),
            owned: await metric(n, 'hybridge_cluster_rooms_owned'),
          });
        assert.fail(
          `no room owned by node 2 in 12 tries; the nodes' view: ${JSON.stringify(seen)}`,
        );
      }
      // Bob joins the same room through node 1 (same key, same link fragment).
      await joinRoom(bob, `${nodes[1].url}/${fragment}`, 'Bob');
      const connected = (s, other) => {
        const fp = peerNamed(s, other);
        return (
          fp !== null &&
          s.peers[fp].state === 'connected' &&
          s.peers[fp].media?.connectionState === 'connected'
        );
      };
      await waitFor(alice, (s) => connected(s, 'Bob'), { timeout: 45_000, what: 'Alice with Bob' });
      await waitFor(bob, (s) => connected(s, 'Alice'), { timeout: 45_000, what: 'Bob with Alice' });
      await sleep(2000);
      const sA = await stats(alice);
      const sB = await stats(bob);
      const fpBob = peerNamed(sA, 'Bob');
      const fpAlice = peerNamed(sB, 'Alice');
      const before = { a: inboundFrom(sA, fpBob).video, b: inboundFrom(sB, fpAlice).video };

      await nodes[2].kill(); // the owner of the room dies
      // the others notice within node-timeout (2 s) and move the room (2 s more); watch 8 s
      await sleep(8000);
      const a2 = await waitFor(alice, (s) => s.state === 'joined' && connected(s, 'Bob'), {
        what: 'Alice still with Bob',
      });
      const b2 = await waitFor(bob, (s) => s.state === 'joined' && connected(s, 'Alice'), {
        what: 'Bob still with Alice',
      });
      assert.equal(peerNamed(a2, 'Bob'), fpBob, 'the same Bob: no rejoin was needed');
      const later = { a: inboundFrom(a2, fpBob).video, b: inboundFrom(b2, fpAlice).video };
      assert.ok(
        later.a > before.a + 20,
        `Alice decodes Bob throughout (${before.a} -> ${later.a})`,
      );
      assert.ok(
        later.b > before.b + 20,
        `Bob decodes Alice throughout (${before.b} -> ${later.b})`,
      );
      // signaling through the surviving nodes (the room's new owner is node 0 or 1)
      await bob.fill('#chat-text', 'after the owner died');
      await bob.click('#chat-form button[type=submit]');
      await waitFor(alice, (s) => s.chat.some((c) => c.text === 'after the owner died'), {
        what: 'Alice gets chat after the owner died',
      });
    });
  },
);
