// Browser tests of the error paths that have code and a message in the UI, and of the
// createEncodedStreams fallback: real Chromium pages, the real gateway (started through
// test/support/gateway.js, room capacity 2 so that a third page finds the room full), and for
// the membership warning the real gateway with one test-only lie
// (gateway/src/test/.../room/LyingGatewayMain.java). Each test asserts the exact message the
// page shows (src/messages.js) and that nothing else changed.
//
//   (g) createEncodedStreams fallback: a page without RTCRtpScriptTransform (deleted by an init
//       script before the app loads) calls a page with it: media both ways, through SFrame.
//   (f) room full: a third page is refused with "This room is full"; the two in the call carry on.
//   (h) microphone blocked for the site: "Microphone blocked", and no connection to the gateway.
//   (i) screen share refused: "Screen sharing not started", and the call goes on.
//   (j) a gateway that hides a member from one peer: both peers that compare views warn.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { Messages } from '../../src/messages.js';
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

const skip = !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)';

function newLink(gw) {
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  return `${gw.url}/#${secret}.${Buffer.from(gw.fingerprint).toString('base64url')}`;
}

/** The gateway's Prometheus counters and gauges by name (labels ignored: first sample). */
async function metrics(gw) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
    if (m && !(m[1] in out)) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** The alert for `code` shows exactly the title and text of messages.js. */
async function assertAlert(page, code) {
  const box = page.locator(`.alert[data-code="${code}"]`);
  await box.waitFor({ timeout: 30_000 });
  assert.equal(await box.locator('strong').textContent(), Messages[code].title, `${code} title`);
  assert.equal(
    await box.locator('span:not(.muted)').first().textContent(),
    Messages[code].text,
    `${code} text`,
  );
}

async function alertCodes(page) {
  return page.locator('.alert').evaluateAll((els) => els.map((e) => e.dataset.code));
}

/** Both directions of a two-page call rise over `ms`: video frames decoded and audio samples. */
async function assertMediaRising(a, b, what, ms = 2500) {
  const fpOf = async (page, name) => peerNamed(await stats(page), name);
  const [aName, bName] = [(await stats(a)).name, (await stats(b)).name];
  const fpB = await fpOf(a, bName);
  const fpA = await fpOf(b, aName);
  const before = { a: inboundFrom(await stats(a), fpB), b: inboundFrom(await stats(b), fpA) };
  await sleep(ms);
  const later = { a: inboundFrom(await stats(a), fpB), b: inboundFrom(await stats(b), fpA) };
  for (const [k, from] of [
    ['a', bName],
    ['b', aName],
  ]) {
    assert.ok(
      later[k].video > before[k].video,
      `${what}: video from ${from} decoded (${before[k].video} -> ${later[k].video})`,
    );
    assert.ok(
      later[k].audio > before[k].audio,
      `${what}: audio from ${from} received (${before[k].audio} -> ${later[k].audio})`,
    );
  }
}

function connectedTo(s, name) {
  const fp = peerNamed(s, name);
  return (
    fp !== null &&
    s.peers[fp].state === 'connected' &&
    s.peers[fp].media?.connectionState === 'connected'
  );
}

describe('error cases and the encoded-streams fallback in Chromium', { skip }, () => {
  let gw;
  let browser;
  let link;
  const pages = {};

  before(async () => {
    gw = await startGateway({ config: { limits: { 'room-capacity': 2 } } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await gw?.stop().catch(() => {});
  });

  test('(g) without RTCRtpScriptTransform the app uses createEncodedStreams, and it interoperates through SFrame', async () => {
    link = newLink(gw);
    pages.Alice = await openPage(browser);
    pages.Bob = await openPage(browser);
    // Before any script of the page: the standard API is gone, the legacy one stays (Chromium
    // has both; Safari-era and older Chromium builds have only one of them).
    await pages.Bob.addInitScript(() => {
      delete globalThis.RTCRtpScriptTransform;
    });
    await joinRoom(pages.Alice, link, 'Alice');
    await joinRoom(pages.Bob, link, 'Bob');
    await waitFor(pages.Alice, (s) => connectedTo(s, 'Bob'), {
      timeout: 45_000,
      what: 'Alice connected to Bob',
    });
    await waitFor(pages.Bob, (s) => connectedTo(s, 'Alice'), {
      timeout: 45_000,
      what: 'Bob connected to Alice',
    });
    await waitFor(pages.Bob, (s) => inboundFrom(s, peerNamed(s, 'Alice')).video > 0, {
      what: 'Bob decodes Alice',
    });
    await waitFor(pages.Alice, (s) => inboundFrom(s, peerNamed(s, 'Bob')).video > 0, {
      what: 'Alice decodes Bob',
    });
    await assertMediaRising(pages.Alice, pages.Bob, 'fallback <-> script transform');

    const a = await stats(pages.Alice);
    const b = await stats(pages.Bob);
    assert.equal(b.transformApi, 'encoded-streams', 'Bob runs the createEncodedStreams fallback');
    assert.equal(a.transformApi, 'script', 'Alice runs RTCRtpScriptTransform');
    assert.equal(
      await pages.Bob.evaluate(() => typeof globalThis.RTCRtpScriptTransform),
      'undefined',
    );
    const fpA = peerNamed(b, 'Alice');
    const fpB = peerNamed(a, 'Bob');
    // Bob's worker got a stream pair per sender and receiver (4 slots each) and carries frames both ways.
    assert.ok(
      b.sframe.transforms.send >= 4 && b.sframe.transforms.receive >= 4,
      `Bob's transforms: ${JSON.stringify(b.sframe.transforms)}`,
    );
    assert.ok(
      b.sframe.send.frames > 0 && b.sframe.send.kid !== null,
      `Bob encrypts (${b.sframe.send.frames} frames)`,
    );
    assert.ok(
      b.sframe.receive[fpA].frames > 0,
      `Bob decrypts Alice (${b.sframe.receive[fpA].frames} frames)`,
    );
    // What Bob sends is SFrame: Alice's worker decrypts it under Bob's current KID.
    assert.ok(a.sframe.receive[fpB].frames > 0, 'Alice decrypts Bob');
    assert.ok(
      (a.sframe.receive[fpB].byKid[b.sframe.send.kid]?.frames ?? 0) > 0,
      `Alice decrypts frames under Bob's KID ${b.sframe.send.kid}`,
    );
    assert.equal(
      a.sframe.receive[fpB].dropped.authFailed,
      0,
      'no frame of Bob fails authentication',
    );
    for (const i of b.peers[fpA].media.inbound.filter(
      (x) => x.kind === 'video' && x.framesDecoded > 0,
    )) {
      assert.match(i.codec, /^video\/VP[89]$/i);
    }
  });

  test('(f) a third page finds the room full (capacity 2), says so, and the call goes on', async () => {
    const m0 = await metrics(gw);
    assert.equal(m0.hybridge_peers, 2);
    pages.Carol = await openPage(browser);
    await joinRoom(pages.Carol, link, 'Carol', { waitJoined: false });
    await assertAlert(pages.Carol, 'ROOM_FULL');
    assert.deepEqual(await alertCodes(pages.Carol), ['ROOM_FULL'], 'only the room-full message');
    assert.equal(await pages.Carol.isVisible('#view-join'), true, 'back on the join form');
    assert.equal(await pages.Carol.isVisible('#view-call'), false, 'not in a call');
    assert.equal((await stats(pages.Carol)).state, 'idle', 'no call object left behind');
    assert.equal((await metrics(gw)).hybridge_peers, 2, 'the gateway seated nobody new');

    for (const [n, other] of [
      ['Alice', 'Bob'],
      ['Bob', 'Alice'],
    ]) {
      const s = await stats(pages[n]);
      assert.deepEqual(
        Object.values(s.peers).map((p) => p.name),
        [other],
        `${n} sees only ${other}`,
      );
      assert.ok(connectedTo(s, other));
      assert.deepEqual(await alertCodes(pages[n]), [], `${n} was told nothing`);
    }
    await assertMediaRising(pages.Alice, pages.Bob, 'after the refused join');
  });

  test('(h) a microphone blocked for the site: "Microphone blocked", and no connection is made', async () => {
    // Without the fake media UI, the browser's own permission decides: camera granted,
    // microphone denied for this origin (what "Block" in the address bar does).
    const denying = await launchBrowser([], { without: ['--use-fake-ui-for-media-stream'] });
    try {
      const page = await openPage(denying);
      await page.context().grantPermissions(['camera', 'microphone'], { origin: gw.url });
      const cdp = await page.context().newCDPSession(page);
      const { targetInfo } = await cdp.send('Target.getTargetInfo');
      const browserCdp = await denying.newBrowserCDPSession();
      await browserCdp.send('Browser.setPermission', {
        permission: { name: 'microphone' },
        setting: 'denied',
        origin: gw.url,
        browserContextId: targetInfo.browserContextId,
      });
      const other = newLink(gw);
      await page.goto(other);
      assert.equal(
        await page.evaluate(
          async () => (await navigator.permissions.query({ name: 'microphone' })).state,
        ),
        'denied',
      );
      assert.equal(
        await page.evaluate(
          async () => (await navigator.permissions.query({ name: 'camera' })).state,
        ),
        'granted',
      );

      const m0 = await metrics(gw);
      await joinRoom(page, other, 'Dave', { waitJoined: false });
      await assertAlert(page, 'MIC_DENIED');
      assert.equal(
        await page.locator('.alert[data-code="MIC_DENIED"] .muted').textContent(),
        ' (NotAllowedError)',
      );
      assert.deepEqual(
        await alertCodes(page),
        ['MIC_DENIED'],
        'only the microphone message (no camera one)',
      );
      assert.equal(await page.isVisible('#view-join'), true, 'still on the join form');
      assert.equal(await page.isVisible('#view-call'), false, 'not in a call');
      assert.equal(await page.isEnabled('#join-button'), true, 'can try again');
      assert.equal((await stats(page)).state, 'idle', 'no call object');
      await sleep(500);
      const m1 = await metrics(gw);
      assert.equal(
        m1.hybridge_connections_total,
        m0.hybridge_connections_total,
        'no WebSocket to the gateway',
      );
      assert.equal(m1.hybridge_rooms, m0.hybridge_rooms, 'no room created');
      assert.equal(m1.hybridge_peers, m0.hybridge_peers, 'nobody seated');
      assert.ok(
        new URL(page.url()).hash.length > 1,
        'the link stays in the address bar, for a retry',
      );
    } finally {
      await denying.close();
    }
  });

  test('(i) a screen share the browser refuses: "Screen sharing not started", and the call goes on', async () => {
    // The fake media UI in "deny" mode refuses every capture request, as a user cancelling the
    // picker does; so this page joins without microphone and camera, and only receives.
    const denying = await launchBrowser(['--use-fake-ui-for-media-stream=deny'], {
      without: ['--use-fake-ui-for-media-stream'],
    });
    const room = newLink(gw);
    try {
      await joinRoom(pages.Carol, room, 'Carol');
      const erin = await openPage(denying);
      await joinRoom(erin, room, 'Erin', { mic: false, camera: false });
      await waitFor(erin, (s) => connectedTo(s, 'Carol'), {
        timeout: 45_000,
        what: 'Erin connected to Carol',
      });
      await waitFor(erin, (s) => inboundFrom(s, peerNamed(s, 'Carol')).video > 0, {
        what: 'Erin decodes Carol',
      });

      await erin.click('#btn-share');
      await assertAlert(erin, 'SCREEN_DENIED');
      assert.equal(
        await erin.locator('.alert[data-code="SCREEN_DENIED"] .muted').textContent(),
        ' (NotAllowedError)',
      );
      assert.deepEqual(await alertCodes(erin), ['SCREEN_DENIED']);
      assert.equal(await erin.isVisible('#btn-share'), true, 'the share button is back');
      assert.equal(await erin.isVisible('#btn-stop-share'), false);
      assert.equal(await erin.locator('.tile.screen').count(), 0, 'no screen tile');

      const s0 = await stats(erin);
      assert.equal(s0.state, 'joined');
      assert.equal(s0.screen, null);
      const fpCarol = peerNamed(s0, 'Carol');
      const before = inboundFrom(s0, fpCarol);
      await sleep(2500);
      const s1 = await stats(erin);
      assert.ok(connectedTo(s1, 'Carol'), 'still connected to Carol');
      assert.ok(inboundFrom(s1, fpCarol).video > before.video, 'Erin keeps decoding Carol');
      assert.ok(inboundFrom(s1, fpCarol).audio > before.audio, 'Erin keeps hearing Carol');
      const c = await stats(pages.Carol);
      const fpErin = peerNamed(c, 'Erin');
      assert.equal(c.peers[fpErin].screenStreamId, null, 'Carol was never told of a share');
      assert.deepEqual(await alertCodes(pages.Carol), [], 'Carol was told nothing');
      // Chat still crosses.
      await erin.fill('#chat-text', 'share failed, still here');
      await erin.click('#chat-form button[type=submit]');
      await waitFor(pages.Carol, (s) => s.chat.some((x) => x.text === 'share failed, still here'), {
        what: "Carol gets Erin's chat",
      });
    } finally {
      await denying.close();
    }
  });
});

describe('a gateway that shows different members to different peers is caught', { skip }, () => {
  let gw;
  let browser;
  const NAMES = ['Alice', 'Bob', 'Carol'];
  const pages = {};

  before(async () => {
    gw = await startGateway({ testMain: 'dev.hybridge.gateway.room.LyingGatewayMain' });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await gw?.stop().catch(() => {});
  });

  test('(j) the gateway tells Alice that Carol left while Bob still sees her: Alice and Bob both warn', async () => {
    const link = newLink(gw);
    for (const n of NAMES) {
      pages[n] = await openPage(browser);
      await joinRoom(pages[n], link, n);
    }
    // Alice and Bob compare views inside their channel once both are stable for 3 s.
    for (const [n, other] of [
      ['Alice', 'Bob'],
      ['Bob', 'Alice'],
    ]) {
      const s = await waitFor(
        pages[n],
        (x) => x.peers[peerNamed(x, other)]?.viewMismatch === true,
        { timeout: 30_000, what: `${n} warns about ${other}` },
      );
      if (process.env.HYBRIDGE_TEST_LOG)
        console.error(
          n,
          JSON.stringify(s.problems),
          JSON.stringify(
            Object.fromEntries(
              Object.entries(s.peers).map(([k, p]) => [k, [p.name, p.state, p.viewMismatch]]),
            ),
          ),
        );
      await assertAlert(pages[n], 'VIEW_MISMATCH');
      assert.ok(
        await pages[n]
          .locator('.alert[data-code="VIEW_MISMATCH"]')
          .evaluate((e) => e.classList.contains('sticky')),
        'the warning stays',
      );
      const fp = peerNamed(s, other);
      assert.ok(
        s.problems.some((p) => p.code === 'VIEW_MISMATCH' && p.keyFp === fp),
        `${n}: a VIEW_MISMATCH about ${other}`,
      );
      await pages[n].click('#tab-security');
      assert.equal(
        await pages[n].locator(`#sec-peers li[data-fp="${fp}"] .warn`).textContent(),
        'sees different members',
      );
    }
    // What the lie was: Alice no longer lists Carol, Bob and Carol still list everyone.
    const a = await stats(pages.Alice);
    assert.equal(
      peerNamed(a, 'Carol') === null || a.peers[peerNamed(a, 'Carol')].state !== 'connected',
      true,
      'Alice was told Carol left',
    );
    const b = await stats(pages.Bob);
    assert.ok(connectedTo(b, 'Carol'), 'Bob still has Carol');
    assert.equal(
      b.peers[peerNamed(b, 'Carol')].viewMismatch,
      false,
      'Bob and Carol saw the same room',
    );
  });
});
