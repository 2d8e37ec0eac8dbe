// TURN through a real coturn (issue 5): the gateway mints TURN REST credentials from the secret
// coturn was started with; two headless Chromium pages get them the way the app does (hop
// handshake + JOIN, here driven from Node with the JS protocol core), connect with
// iceTransportPolicy 'relay', exchange a data-channel message and fake-microphone audio, and
// both selected candidate pairs are relay-relay. Wrong and expired credentials are refused by
// coturn: no relay candidate, an icecandidateerror with errorCode 401, which
// src/app/turn.js classifies for the user. The join screen's connection test finds the relay
// the way a user would run it.
//
// Run: npm run test:turn (Maven runs it after the gateway jar is built; ./hybridge test installs
// coturn and chromium). HYBRIDGE_TEST_LOG=1 shows coturn's and the gateway's output.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

import { XWingKeyPair } from '../../src/protocol/index.js';
import { classifyIceCandidateError } from '../../src/app/turn.js';
import {
  CHROMIUM,
  fingerprintOf,
  joinRoom,
  mintTurnCredentials,
  requirePrerequisites,
  startCoturn,
  startGatewayJar,
} from './support.js';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

let coturn;
let gateway;
let browser;

before(async () => {
  requirePrerequisites();
  coturn = await startCoturn();
  gateway = await startGatewayJar({
    ice: { turn: { urls: [coturn.url], secret: coturn.secret, 'credential-ttl': 'PT1H' } },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
    timeout: 60_000,
  });
});

after(async () => {
  await browser?.close();
  await gateway?.stop();
  await coturn?.stop();
});

/** A page on the gateway's own origin (http://127.0.0.1 is a secure context: getUserMedia works). */
async function openPage() {
  const page = await browser.newPage();
  await page.goto(`${gateway.url}/`);
  return page;
}

// ---- code that runs inside the pages -------------------------------------------------------

/** Creates window.pc with `config`, recording candidates and icecandidateerror events. */
function pageCreatePc(config) {
  const pc = new RTCPeerConnection(config);
  window.pc = pc;
  window.candidates = [];
  window.candidateErrors = [];
  window.received = [];
  pc.addEventListener('icecandidate', (e) => {
    if (e.candidate) window.candidates.push(e.candidate.candidate);
  });
  pc.addEventListener('icecandidateerror', (e) => {
    window.candidateErrors.push({
      errorCode: e.errorCode,
      errorText: e.errorText,
      url: e.url,
      address: e.address,
      port: e.port,
    });
  });
  const wireChannel = (dc) => {
    window.dc = dc;
    dc.onmessage = (m) => window.received.push(m.data);
  };
  pc.addEventListener('datachannel', (e) => wireChannel(e.channel));
  window.wireChannel = wireChannel;
}

/** Resolves with the local description once ICE gathering is complete (no trickle needed). */
function pageGathered(timeoutMs) {
  const pc = window.pc;
  return new Promise((resolve) => {
    const done = () => resolve({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
    if (pc.iceGatheringState === 'complete') return done();
    const t = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        done();
      }
    });
  });
}

async function pageOffer() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  for (const t of stream.getTracks()) window.pc.addTrack(t, stream);
  window.wireChannel(window.pc.createDataChannel('hybridge'));
  await window.pc.setLocalDescription(await window.pc.createOffer());
}

async function pageAnswer(offer) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  await window.pc.setRemoteDescription(offer);
  for (const t of stream.getTracks()) window.pc.addTrack(t, stream);
  await window.pc.setLocalDescription(await window.pc.createAnswer());
}

/** The selected candidate pair and the audio bytes received, from getStats(). */
async function pageSelectedPair() {
  const stats = await window.pc.getStats();
  let pair = null;
  let audioBytes = 0;
  stats.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId)
      pair = stats.get(r.selectedCandidatePairId);
    if (r.type === 'inbound-rtp' && r.kind === 'audio') audioBytes += r.bytesReceived ?? 0;
  });
  if (!pair) return { pair: null, audioBytes };
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {
    pair: {
      state: pair.state,
      nominated: pair.nominated,
      bytesSent: pair.bytesSent,
      bytesReceived: pair.bytesReceived,
    },
    local: {
      candidateType: local.candidateType,
      address: local.address,
      port: local.port,
      relayProtocol: local.relayProtocol,
      url: local.url,
    },
    remote: { candidateType: remote.candidateType, address: remote.address, port: remote.port },
    audioBytes,
  };
}

// ---- helpers on the Node side ---------------------------------------------------------------

/** Polls `fn` (sync or async) in `page` until it returns a truthy value. */
async function waitFor(page, fn, arg, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let ok = false;
  while (!ok && Date.now() < deadline) {
    ok = await page.evaluate(fn, arg);
    if (!ok) await new Promise((r) => setTimeout(r, 100));
  }
  if (!ok) {
    const state = await page.evaluate(() => ({
      connection: window.pc?.connectionState,
      ice: window.pc?.iceConnectionState,
      candidates: window.candidates,
      errors: window.candidateErrors,
    }));
    throw new Error(
      `${what} did not happen: ${JSON.stringify(state)}\ncoturn:\n${coturn.output().slice(-3000)}`,
    );
  }
}

/** Gathers with `iceServers` and policy relay on a fresh page; returns candidates and errors. */
async function gatherOnly(iceServers) {
  const page = await openPage();
  try {
    await page.evaluate(pageCreatePc, { iceServers, iceTransportPolicy: 'relay' });
    await page.evaluate(async () => {
      window.pc.createDataChannel('probe');
      await window.pc.setLocalDescription(await window.pc.createOffer());
    });
    const desc = await page.evaluate(pageGathered, 15_000);
    return await page.evaluate(
      (sdp) => ({ candidates: window.candidates, errors: window.candidateErrors, sdp }),
      desc.sdp,
    );
  } finally {
    await page.close();
  }
}

describe('TURN through a real coturn', { timeout: 180_000 }, () => {
  test('two pages call each other through coturn relays with credentials minted by the gateway', async () => {
    const pin = await fingerprintOf(gateway);
    const roomId = randomBytes(32);
    const a = await joinRoom(gateway, pin, roomId, XWingKeyPair.generate().publicKey());
    const b = await joinRoom(gateway, pin, roomId, XWingKeyPair.generate().publicKey());
    try {
      // what the gateway handed each peer inside the hop channel: fresh credentials, same server
      const iceA = a.joined.iceServers;
      const iceB = b.joined.iceServers;
      assert.equal(iceA.length, 1);
      assert.deepEqual(iceA[0].urls, [coturn.url]);
      assert.match(iceA[0].username, /^\d+:[A-Za-z0-9_-]{12}$/);
      assert.notEqual(iceA[0].username, iceB[0].username, 'credentials are minted per join');

      const pageA = await openPage();
      const pageB = await openPage();
      const toRtc = (servers) =>
        servers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential }));
      await pageA.evaluate(pageCreatePc, { iceServers: toRtc(iceA), iceTransportPolicy: 'relay' });
      await pageB.evaluate(pageCreatePc, { iceServers: toRtc(iceB), iceTransportPolicy: 'relay' });

      // SDP with all candidates in it, exchanged through the test (the app relays it in peer envelopes)
      await pageA.evaluate(pageOffer);
      const offer = await pageA.evaluate(pageGathered, 15_000);
      assert.match(
        offer.sdp,
        /typ relay/,
        `A gathered no relay candidate: ${JSON.stringify(await pageA.evaluate(() => window.candidateErrors))}`,
      );
      assert.doesNotMatch(offer.sdp, /typ host|typ srflx/, 'policy relay: relay candidates only');
      await pageB.evaluate(pageAnswer, offer);
      const answer = await pageB.evaluate(pageGathered, 15_000);
      assert.match(answer.sdp, /typ relay/);
      await pageA.evaluate((d) => window.pc.setRemoteDescription(d), answer);

      await waitFor(pageA, () => window.dc?.readyState === 'open', null, 'A data channel open');
      await waitFor(pageB, () => window.dc?.readyState === 'open', null, 'B data channel open');
      await pageA.evaluate(() => window.dc.send('hello through the relay'));
      await waitFor(
        pageB,
        () => window.received.includes('hello through the relay'),
        null,
        'B receives the message',
      );
      await pageB.evaluate(() => window.dc.send('and back'));
      await waitFor(
        pageA,
        () => window.received.includes('and back'),
        null,
        'A receives the reply',
      );

      // audio from the fake microphone flows both ways
      for (const page of [pageA, pageB]) {
        await waitFor(
          page,
          async () => {
            const s = await window.pc.getStats();
            let n = 0;
            s.forEach((r) => {
              if (r.type === 'inbound-rtp' && r.kind === 'audio') n += r.bytesReceived ?? 0;
            });
            return n > 1000;
          },
          null,
          'audio received',
        );
      }

      for (const [name, page] of [
        ['A', pageA],
        ['B', pageB],
      ]) {
        const s = await page.evaluate(pageSelectedPair);
        assert.ok(s.pair, `${name}: no selected candidate pair`);
        assert.equal(s.pair.state, 'succeeded', `${name}: ${JSON.stringify(s)}`);
        assert.equal(s.local.candidateType, 'relay', `${name}: ${JSON.stringify(s)}`);
        assert.equal(s.remote.candidateType, 'relay', `${name}: ${JSON.stringify(s)}`);
        assert.equal(
          s.local.address,
          '127.0.0.1',
          `${name}: the relay address is coturn's relay-ip`,
        );
        assert.ok(s.audioBytes > 1000, `${name}: audio bytes ${s.audioBytes}`);
      }
      // and coturn agrees: it allocated relays for both usernames the gateway minted
      for (const user of [iceA[0].username, iceB[0].username]) {
        assert.ok(coturn.output().includes(user), `coturn saw ${user}`);
      }
      await pageA.close();
      await pageB.close();
    } finally {
      a.close();
      b.close();
    }
  });

  test('credentials minted with a wrong secret are refused: no relay candidate, errorCode 401', async () => {
    const wrong = mintTurnCredentials(
      randomBytes(24).toString('hex'),
      Math.floor(Date.now() / 1000) + 3600,
    );
    const r = await gatherOnly([{ urls: [coturn.url], ...wrong }]);
    if (process.env.HYBRIDGE_TEST_LOG) console.error('wrong secret:', JSON.stringify(r.errors));
    assert.doesNotMatch(r.sdp, /typ relay/, 'no relay candidate');
    assert.deepEqual(
      r.candidates.filter((c) => c.includes('typ relay')),
      [],
    );
    assert.ok(r.errors.length >= 1, `an icecandidateerror was fired: ${JSON.stringify(r)}`);
    for (const e of r.errors) {
      assert.equal(e.errorCode, 401, JSON.stringify(e));
      assert.equal(e.url, coturn.url.replace('?transport=udp', '?transport=udp'));
      assert.equal(classifyIceCandidateError(e).kind, 'turn-credentials-refused');
    }
  });

  test('expired credentials (right secret, expiry in the past) are refused the same way', async () => {
    const expired = mintTurnCredentials(coturn.secret, Math.floor(Date.now() / 1000) - 60);
    const r = await gatherOnly([{ urls: [coturn.url], ...expired }]);
    if (process.env.HYBRIDGE_TEST_LOG) console.error('expired:', JSON.stringify(r.errors));
    assert.doesNotMatch(r.sdp, /typ relay/);
    assert.ok(r.errors.length >= 1, `an icecandidateerror was fired: ${JSON.stringify(r)}`);
    for (const e of r.errors) {
      assert.equal(e.errorCode, 401, JSON.stringify(e));
      assert.equal(classifyIceCandidateError(e).kind, 'turn-credentials-refused');
    }
  });

  test('control: the same page setup with fresh valid credentials does gather a relay candidate', async () => {
    const valid = mintTurnCredentials(coturn.secret, Math.floor(Date.now() / 1000) + 3600);
    const r = await gatherOnly([{ urls: [coturn.url], ...valid }]);
    assert.match(r.sdp, /typ relay/, JSON.stringify(r.errors));
    assert.deepEqual(r.errors, []);
  });

  test("the join screen's connection test reaches the relay, over UDP, with the credentials of its own test room, and its report names no credential", async () => {
    const pin = await fingerprintOf(gateway);
    const b64 = (u8) => Buffer.from(u8).toString('base64url');
    const page = await browser.newPage();
    try {
      await page.goto(`${gateway.url}/#${b64(randomBytes(32))}.${b64(pin)}`);
      await page.waitForSelector('#view-join:not([hidden])');
      await page.click('#join-conn summary');
      await page.uncheck('#join-mic');
      await page.uncheck('#join-cam');
      await page.click('#conn-run');
      await page.waitForSelector('#conn-copy-row:not([hidden])', { timeout: 60_000 });
      const lines = await page.$$eval('#conn-lines li', (ls) =>
        Object.fromEntries(ls.map((l) => [l.dataset.what, [l.dataset.status, l.textContent]])),
      );
      assert.equal(lines.Gateway?.[0], 'ok', JSON.stringify(lines));
      assert.deepEqual(lines.TURN, ['ok', 'TURN: relay reachable over udp']);
      const report = await page.inputValue('#conn-report');
      assert.doesNotMatch(report, /\d+:[A-Za-z0-9_-]{12}/, 'no TURN username');
      assert.ok(!report.includes(coturn.url), 'no TURN address');
    } finally {
      await page.close();
    }
  });
});
