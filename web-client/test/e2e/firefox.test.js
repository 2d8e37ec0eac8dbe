// Mixed rooms of Chromium and Firefox against the real gateway (test/support/gateway.js): Debian's
// Chromium through playwright-core (browser.js), Debian's firefox-esr through puppeteer-core over
// WebDriver BiDi (firefox.js), both with fake camera and microphone. One gateway, one Chromium and
// one Firefox for the whole file (each page in its own context). In order:
//   (a) Chromium first, Firefox second (the join order that never got media before the SDP fix);
//   (a2) a file each way between them, on the data channel in 64 KiB records;
//   (b) a second Chromium joins: Chromium + Firefox + Chromium, where Firefox is first and the new
//       Chromium second on their pair;
//   (c) a screen share from Chromium reaches Firefox;
//   (d) the gateway restarts mid-call with the Firefox member in it;
//   (e) Firefox first, Chromium second, in a room of two;
//   (f) Firefox + Firefox;
//   (g) a wrong link in Firefox: a wrong gateway pin stops before joining; the right room with a
//       wrong room key decodes nothing; both say why.
// Every call check (calls.js checkCall): connected, the same SAS at both ends of every pair, video
// and audio decoded both ways and rising, SFrame on every sender and receiver with non-zero
// counters, nothing refused, chat in every direction.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import {
  alerts,
  chromiumAvailable,
  inboundFrom,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  stats,
  waitFor,
} from './browser.js';
import { checkCall, connectedTo, mediaMatrix, newLink, waitRising } from './calls.js';
import { sendGenerated, waitItems } from './fileHelpers.js';
import { firefoxAvailable, launchFirefox, openFirefoxPage } from './firefox.js';

const skip =
  (!chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)') ||
  (!firefoxAvailable() && 'no /usr/bin/firefox-esr (apt-get install firefox-esr)');

describe('Chromium and Firefox in one room', { skip }, () => {
  let gw;
  let chromium;
  let firefox;
  const pages = {};

  before(async () => {
    gw = await startGateway();
    chromium = await launchBrowser();
    firefox = await launchFirefox();
  });

  after(async () => {
    await chromium?.close().catch(() => {});
    await firefox?.close().catch(() => {});
    await gw?.stop().catch(() => {});
  });

  async function leave(...names) {
    for (const n of names) {
      await pages[n].context().close();
      delete pages[n];
    }
  }

  test('(a) Chromium first, Firefox second: media both ways, SFrame, SAS, chat', async () => {
    const link = newLink(gw);
    pages.Chrome1 = await openPage(chromium);
    pages.Fox1 = await openFirefoxPage(firefox);
    await joinRoom(pages.Chrome1, link, 'Chrome1');
    await joinRoom(pages.Fox1, link, 'Fox1');
    await checkCall(pages, ['Chrome1', 'Fox1'], 'Chromium then Firefox');
    const f = await stats(pages.Fox1);
    assert.equal(f.transformApi, 'script', 'Firefox uses RTCRtpScriptTransform');
    // Firefox's offer carried orphan rtcp-fb lines; the copy Chromium got had none (sdp.js).
    const neg = f.peers[peerNamed(f, 'Chrome1')].media.negotiation;
    assert.ok(neg['sdp:orphan-lines-dropped'] > 0, JSON.stringify(neg));
    pages.link = link;
  });

  test('(a2) a file each way between Chromium and Firefox, in full 64 KiB records on the data channel', async () => {
    const MB = 1024 * 1024;
    for (const [from, to] of [
      ['Chrome1', 'Fox1'],
      ['Fox1', 'Chrome1'],
    ]) {
      // peer records on the data channel both ways first (files never take the relay)
      await waitFor(
        pages[from],
        (s) => {
          const p = s.peers[peerNamed(s, to)]?.paths;
          return p?.send === 'data' && p?.receive === 'data';
        },
        { what: `${from}'s records to ${to} on the data channel` },
      );
      const name = `${from}.bin`;
      const { sha } = await sendGenerated(pages[from], 3 * MB + 123, name, [to]);
      await pages[to].waitForSelector('#file-list .file-accept');
      await pages[to].click('#file-list .file-accept');
      const inc = await waitItems(
        pages[to],
        (all) => all.find((i) => i.dir === 'in' && i.name === name && i.state === 'complete'),
        { what: `${to} has ${from}'s file` },
      );
      assert.equal(inc.sha256, sha, `${to} computed the same SHA-256`);
      await waitItems(
        pages[from],
        (all) => all.find((i) => i.dir === 'out' && i.name === name && i.state === 'delivered'),
        { what: `${from} sees it delivered` },
      );
    }
  });

  test('(b) Chromium + Firefox + Chromium: every pair, both ways', async () => {
    pages.Chrome2 = await openPage(chromium);
    await joinRoom(pages.Chrome2, pages.link, 'Chrome2');
    await checkCall(pages, ['Chrome1', 'Fox1', 'Chrome2'], 'Chromium+Firefox+Chromium');
  });

  test('(c) a screen share from Chromium reaches Firefox', async () => {
    const c = pages.Chrome1;
    await c.selectOption('#share-quality', 'sharp');
    await c.click('#btn-share');
    await c.waitForSelector('#btn-stop-share:not([hidden])');
    const s = await stats(pages.Fox1);
    const fp = peerNamed(s, 'Chrome1');
    await waitFor(
      pages.Fox1,
      (x) => x.peers[fp].screenStreamId !== null && inboundFrom(x, fp).screen > 0,
      { what: "Firefox decodes Chromium's screen" },
    );
    await pages.Fox1.waitForSelector(`.tile.screen[data-fp="${fp}"]`);
    await c.click('#btn-stop-share');
    await pages.Fox1.waitForSelector(`.tile.screen[data-fp="${fp}"]`, { state: 'detached' });
  });

  test('(d) the gateway restarts mid-call with a Firefox member: media flows throughout, all rejoin, chat after', async () => {
    const names = ['Chrome1', 'Fox1', 'Chrome2'];
    const before = await mediaMatrix(pages, names);
    let sawDown = false;
    let downAt = null;
    let during = null;
    let done = false;
    const restarting = gw.restart().finally(() => {
      done = true;
    });
    const fp = peerNamed(await stats(pages.Fox1), 'Chrome1');
    while (!done) {
      const s = await stats(pages.Fox1);
      if (['reconnecting', 'connecting', 'handshaking'].includes(s.state)) {
        if (!sawDown) {
          sawDown = true;
          downAt = inboundFrom(s, fp).video;
        } else during = inboundFrom(s, fp).video;
      }
    }
    await restarting;
    assert.ok(sawDown, 'Firefox noticed the gateway going away');
    if (during !== null) assert.ok(during > downAt, `Firefox decodes while the gateway is down`);
    // A rare failure in CI (a pair lost with PEER_HANDSHAKE_FAILED after the restart, seen
    // five times, never locally): every page's problems and peers, to tell which side and why.
    const dump = async (e) => {
      for (const n of names) {
        const s = await stats(pages[n]).catch(() => null);
        console.error(
          `${n} after the restart: ${JSON.stringify({
            fp: s?.keyFp,
            problems: s?.problems,
            peers: Object.entries(s?.peers ?? {}).map(([fp, p]) => ({
              fp,
              name: p.name,
              state: p.state,
              failure: p.failure,
              role: p.role,
              channel: p.paths ?? null,
            })),
          })}`,
        );
      }
      throw e;
    };
    for (const n of names) {
      const others = names.filter((x) => x !== n);
      await waitFor(pages[n], (s) => s.state === 'joined' && connectedTo(s, others), {
        timeout: 60_000,
        what: `${n} back after the restart`,
      }).catch(dump);
    }
    await waitRising(pages, names, before, 'across the restart').catch(dump);
    await pages.Fox1.fill('#chat-text', 'Firefox after the restart');
    await pages.Fox1.click('#chat-form button[type=submit]');
    for (const n of ['Chrome1', 'Chrome2'])
      await waitFor(pages[n], (s) => s.chat.some((c) => c.text === 'Firefox after the restart'), {
        what: `${n} gets Firefox's chat after the restart`,
      });
    await leave('Chrome1', 'Chrome2', 'Fox1');
  });

  test('(e) Firefox first, Chromium second', async () => {
    const link = newLink(gw);
    pages.Fox1 = await openFirefoxPage(firefox);
    pages.Chrome1 = await openPage(chromium);
    await joinRoom(pages.Fox1, link, 'Fox1');
    await joinRoom(pages.Chrome1, link, 'Chrome1');
    await checkCall(pages, ['Fox1', 'Chrome1'], 'Firefox then Chromium');
    await leave('Chrome1');
  });

  test('(f) Firefox + Firefox', async () => {
    const link = newLink(gw);
    await leave('Fox1');
    pages.Fox1 = await openFirefoxPage(firefox);
    pages.Fox2 = await openFirefoxPage(firefox);
    await joinRoom(pages.Fox1, link, 'Fox1');
    await joinRoom(pages.Fox2, link, 'Fox2');
    await checkCall(pages, ['Fox1', 'Fox2'], 'Firefox+Firefox');
    pages.link = link;
  });

  test('(g) a wrong link in Firefox decodes nothing and says why', async () => {
    const [, base, secret, fp] = /^(.*)#([^.]+)\.(.+)$/.exec(pages.link);
    // 1. The right secret with a wrong gateway pin: stops before any WebSocket.
    const intruder = await openFirefoxPage(firefox);
    try {
      const fpBytes = Buffer.from(fp, 'base64url');
      fpBytes[0] ^= 1;
      await joinRoom(intruder, `${base}#${secret}.${fpBytes.toString('base64url')}`, 'Mallory', {
        waitJoined: false,
      });
      await intruder.waitForSelector('.alert[data-code="UNKNOWN_GATEWAY_KEY"]', {
        timeout: 20_000,
      });
      assert.match(
        await intruder.textContent('.alert[data-code="UNKNOWN_GATEWAY_KEY"]'),
        /not the one in your link/,
      );
      assert.equal(await intruder.isVisible('#view-call'), false, 'not in a call');
    } finally {
      await intruder.close();
    }
    // 2. The right room id with a wrong room key (the test-only switch: what a gateway could do
    //    with a room id it saw): every peer handshake fails, nothing is decoded, the page says so.
    const impostor = await openFirefoxPage(firefox, { config: { wrongPsk: true } });
    try {
      await joinRoom(impostor, pages.link, 'Mallory');
      await waitFor(impostor, (x) => x.problems.some((p) => p.code === 'PEER_HANDSHAKE_FAILED'), {
        timeout: 30_000,
        what: 'wrong-key handshake failure in Firefox',
      });
      const x = await stats(impostor);
      for (const p of Object.values(x.peers)) {
        assert.notEqual(p.state, 'connected');
        assert.equal(p.sas, null);
        assert.ok(
          p.media === null ||
            p.media.inbound.every((i) => i.framesDecoded === 0 && i.totalSamplesReceived === 0),
          'nothing decoded',
        );
      }
      assert.deepEqual(x.sframe.receive, {}, 'no receive key from anyone');
      assert.ok((await alerts(impostor)).includes('PEER_HANDSHAKE_FAILED'));
      assert.match(
        await impostor.textContent('.alert[data-code="PEER_HANDSHAKE_FAILED"]'),
        /different room link/,
      );
      for (const n of ['Fox1', 'Fox2']) {
        const s = await stats(pages[n]);
        assert.ok(
          Object.values(s.peers).every((p) => p.name !== 'Mallory'),
          `${n} never met Mallory`,
        );
      }
    } finally {
      await impostor.close();
    }
    await leave('Fox1', 'Fox2');
  });
});
