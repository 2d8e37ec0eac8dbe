// SFU signaling through the real gateway to Debian's Janus on loopback (spec/sfu.md §2-§3), from
// CallSessions in Node (no browser, no media): the 'members' count, a publisher join answered
// with the member's feed id as every member computes it, a refused request (SFU_NOT_ALLOWED)
// that disturbs nothing, another member seeing the first as a publisher only once it publishes
// (not here: a join alone publishes nothing), a join again after a leave (the gateway gives the
// handle a fresh Janus handle), and a Janus crash reported as a lost session
// (SFU_UNAVAILABLE without a request) after which the next request builds a new session.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { janusInstalled, startJanus } from '../support/janus.js';
import { leaveAll, session } from '../support/signalSessions.js';
import { PUBLISHER, SfuSignal, feedIdOf } from '../../src/app/sfuSignal.js';

const skip = !janusInstalled() && 'no Janus (apt-get install janus)';
let janus;
let gw;
const live = [];

before(async () => {
  if (skip) return;
  janus = await startJanus();
  gw = await startGateway({
    config: { sfu: { enabled: true, 'janus-url': janus.url, threshold: 2 } },
  });
});

after(async () => {
  await leaveAll(live);
  await gw?.stop();
  await janus?.stop();
});

/** The next event `type` of `target` (an EventTarget), within `ms`. */
function next(target, type, ms = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' in ${ms} ms`)), ms);
    target.addEventListener(
      type,
      (e) => {
        clearTimeout(timer);
        resolve(e.detail);
      },
      { once: true },
    );
  });
}

test(
  'SFU requests ride the hop channel to Janus and back; refusals and a Janus crash are said',
  { skip },
  async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const wk = await (await fetch(`${gw.url}/.well-known/hybridge.json`)).json();
    assert.deepEqual(wk.client.sfu, { threshold: 2 });

    const alice = session(gw, secret, 'Alice');
    live.push(alice);
    const counts = [];
    alice.addEventListener('members', (e) => counts.push(e.detail.count));
    await alice.start();
    const bob = session(gw, secret, 'Bob');
    live.push(bob);
    await bob.start();
    const deadline = Date.now() + 10_000;
    while (counts.at(-1) !== 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(counts.slice(-1), [2], 'Alice counts both members');

    const sfu = new SfuSignal(alice);
    const joined = await sfu.request(PUBLISHER, { request: 'join', ptype: 'publisher' });
    assert.equal(joined.plugindata.data.videoroom, 'joined');
    assert.equal(
      joined.plugindata.data.id,
      feedIdOf(alice.selfId),
      'the feed id is the one every member computes',
    );
    assert.ok(
      !('room' in joined.plugindata.data) || typeof joined.plugindata.data.room === 'number',
    );

    // Not allowed (a listing of rooms): refused by the gateway; the session goes on.
    await assert.rejects(sfu.request(PUBLISHER, { request: 'list' }), { code: 'SFU_NOT_ALLOWED' });
    await assert.rejects(
      sfu.request(PUBLISHER, { request: 'join', ptype: 'publisher', display: 'Alice' }),
      {
        code: 'SFU_NOT_ALLOWED',
      },
    );
    // Janus itself refuses (already joined on this handle): its code comes through.
    await assert.rejects(sfu.request(PUBLISHER, { request: 'join', ptype: 'publisher' }), (e) =>
      e.code.startsWith('JANUS_'),
    );
    assert.equal(alice.state, 'joined');
    // A leave frees the handle: the gateway gives it a fresh Janus handle, so the next join (a
    // client rebuilding its SFU media) is taken, and nothing of the old handle reaches the new.
    sfu.fire(PUBLISHER, { request: 'leave' });
    const rejoined = await sfu.request(PUBLISHER, { request: 'join', ptype: 'publisher' });
    assert.equal(rejoined.plugindata.data.videoroom, 'joined', 'joined again after a leave');
    assert.equal(rejoined.plugindata.data.id, feedIdOf(alice.selfId));

    // Janus crashes: the member's session is lost, said without a request.
    const lost = next(sfu, 'lost');
    await janus.kill();
    assert.deepEqual(await lost, { code: 'SFU_UNAVAILABLE' });
    await assert.rejects(sfu.request(PUBLISHER, { request: 'join', ptype: 'publisher' }), {
      code: 'SFU_UNAVAILABLE',
    });
    // Back: the next request builds a new Janus session and room.
    await janus.launch();
    let again = null;
    for (let i = 0; i < 20 && again === null; i++) {
      again = await sfu
        .request(PUBLISHER, { request: 'join', ptype: 'publisher' })
        .catch(async (e) => {
          assert.equal(e.code, 'SFU_UNAVAILABLE');
          await new Promise((r) => setTimeout(r, 250));
          return null;
        });
    }
    assert.equal(again?.plugindata.data.videoroom, 'joined');
    assert.equal(alice.state, 'joined');
    assert.equal(bob.state, 'joined', 'the other member was not disturbed');
    sfu.close();
  },
);
