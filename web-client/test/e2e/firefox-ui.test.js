// Firefox's side of what differs by browser, against the real gateway (test/support/gateway.js),
// with Debian's Chromium (browser.js) and firefox-esr (firefox.js):
//   (h) Chromium really refuses Firefox's unrepaired offer (a test-only switch sends Firefox's
//       first description as Firefox made it, orphan rtcp-fb lines included): both tiles say
//       what failed, both pages count it, and a fresh negotiation brings media;
//   (i) a refusal that persists: three fresh negotiations, then the tile says it gave up;
//   (j) a Firefox without encoded transforms (RTCRtpScriptTransform deleted before the app
//       loads) is told at the landing page that it cannot encrypt the call, and never joins;
//   (k) Firefox's own screen capture: headless Firefox has no screen (NotFoundError), so a
//       headful Firefox on a virtual display (Debian's Xvfb) shares that display into a call
//       with Chromium, which decodes it; the share has no sound and Firefox's page says so.

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
import { connectedTo, mediaMatrix, newLink, waitRising } from './calls.js';
import {
  firefoxAvailable,
  launchFirefox,
  openFirefoxPage,
  startXvfb,
  xvfbAvailable,
} from './firefox.js';
import { messageFor } from '../../src/messages.js';

const skip =
  (!chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)') ||
  (!firefoxAvailable() && 'no /usr/bin/firefox-esr (apt-get install firefox-esr)');

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

describe('refusals and browser differences, with Firefox', { skip }, () => {
  let gw;
  let chromium;
  let firefox;

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

  /** Opens `link`, records every text a tile's state line shows from then on, and joins. */
  async function joinRecording(page, link, name) {
    await page.goto(link);
    await page.waitForSelector('#view-join:not([hidden])');
    await page.evaluate(() => {
      globalThis.__tileTexts = [];
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('.tile .tile-state'))
          if (!globalThis.__tileTexts.includes(el.textContent))
            globalThis.__tileTexts.push(el.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.fill('#join-name', name);
    await page.click('#join-button');
    await waitFor(page, (s) => s.state === 'joined', { what: `${name} joined` });
  }
  const tileTexts = (page) => page.evaluate(() => globalThis.__tileTexts);

  test("(h) Chromium refuses Firefox's unrepaired offer: both tiles say so, both count it, a fresh negotiation brings media", async () => {
    const link = newLink(gw);
    const pages = { Chrome: await openPage(chromium) };
    // Firefox sends its first description as Firefox made it (the test-only switch), orphan
    // rtcp-fb lines included: Chromium's real refusal of it.
    pages.Fox = await openFirefoxPage(firefox, { config: { rawSdpForTestingOnly: 1 } });
    await joinRecording(pages.Chrome, link, 'Chrome');
    await joinRecording(pages.Fox, link, 'Fox');
    for (const [a, b] of [
      ['Chrome', 'Fox'],
      ['Fox', 'Chrome'],
    ])
      await waitFor(pages[a], (s) => connectedTo(s, [b]), {
        timeout: 45_000,
        what: `${a} connected to ${b} after the recovery`,
      });
    const c = await stats(pages.Chrome);
    const cm = c.peers[peerNamed(c, 'Fox')].media;
    assert.ok(
      cm.negotiation['refused:remote-offer:OperationError'] >= 1,
      JSON.stringify(cm.negotiation),
    );
    assert.match(cm.refusals[0].message, /Failed to parse/);
    assert.equal(cm.refusal, null, 'cleared once a negotiation went through');
    const f = await stats(pages.Fox);
    const fm = f.peers[peerNamed(f, 'Chrome')].media;
    assert.ok(fm.negotiation['peer-refused'] >= 1, JSON.stringify(fm.negotiation));
    assert.ok(fm.negotiation['recovery:offer'] >= 1, 'Firefox (impolite) offered again');
    assert.ok(
      (await tileTexts(pages.Chrome)).some((t) =>
        /this browser refused the peer's media offer \(OperationError: .*Failed to parse/.test(t),
      ),
      `Chromium's tile said what failed: ${await tileTexts(pages.Chrome)}`,
    );
    assert.ok(
      (await tileTexts(pages.Fox)).some((t) =>
        /the peer's browser refused our media description/.test(t),
      ),
      `Firefox's tile said what failed: ${await tileTexts(pages.Fox)}`,
    );
    await waitRising(
      pages,
      ['Chrome', 'Fox'],
      await mediaMatrix(pages, ['Chrome', 'Fox']),
      'after the recovery',
    );
    for (const p of Object.values(pages)) await p.context().close();
  });

  test('(i) a refusal that persists: three fresh negotiations, then the tile says it gave up', async () => {
    const link = newLink(gw);
    const chrome = await openPage(chromium);
    const fox = await openFirefoxPage(firefox, { config: { rawSdpForTestingOnly: 100 } });
    await joinRecording(chrome, link, 'Chrome');
    await joinRecording(fox, link, 'Fox');
    const s = await waitFor(
      chrome,
      (x) => Object.values(x.peers).some((p) => p.media?.refusal?.gaveUp),
      { timeout: 30_000, what: 'Chromium gives up' },
    );
    const m = Object.values(s.peers)[0].media;
    assert.equal(m.negotiation['refused:remote-offer:OperationError'], 4, '1 + 3 fresh offers');
    assert.notEqual(m.connectionState, 'connected');
    await chrome.waitForSelector('.tile[data-state="failed"] .tile-state');
    assert.match(
      await chrome.textContent('.tile[data-state="failed"] .tile-state'),
      /refused the peer's media offer .*; gave up$/,
    );
    await chrome.context().close();
    await fox.context().close();
  });

  test('(l) devices in Firefox: the connection test, and the Devices dialog shows the devices in use and switches with replaceTrack', async () => {
    const link = newLink(gw);
    const fox = await openFirefoxPage(firefox);
    const chrome = await openPage(chromium);
    try {
      await fox.goto(link);
      await fox.waitForSelector('#view-join:not([hidden])');
      await fox.click('#join-conn summary');
      await fox.click('#conn-run');
      await fox.waitForSelector('#conn-copy-row:not([hidden])', { timeout: 60_000 });
      const lines = await fox.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll('#conn-lines li')].map((l) => [
            l.dataset.what,
            l.dataset.status,
          ]),
        ),
      );
      // Headless Firefox has no sound output, so its audio engine never starts: the microphone
      // opens, and the test says its level was not measured (info) rather than "heard nothing".
      assert.deepEqual(lines, {
        Browser: 'info',
        Gateway: 'ok',
        'Secure handshake and join': 'ok',
        TURN: 'info',
        Microphone: 'info',
        Camera: 'ok',
      });

      await joinRoom(fox, link, 'Fox');
      await joinRoom(chrome, link, 'Chrome');
      await waitFor(chrome, (s) => connectedTo(s, ['Fox']), { what: 'Chrome sees Fox' });
      await fox.click('#btn-devices');
      await fox.waitForSelector('#devices-dialog[open]');
      const shown = await fox.evaluate(() => ({
        cam: document.querySelector('#call-cam-device').value,
        mic: document.querySelector('#call-mic-device').value,
        local: globalThis.__hybridge.devices().local,
      }));
      const inUse = Object.fromEntries(shown.local.map((t) => [t.kind, t.deviceId]));
      assert.equal(shown.cam, inUse.video, 'the camera in use is the one shown');
      assert.equal(shown.mic, inUse.audio, 'the microphone in use is the one shown');
      // Firefox's fake devices are one of each: "switching" to Default opens the camera again, a
      // new track on the same slot (replaceTrack), and Chrome decodes it.
      const before = (await fox.evaluate(() => globalThis.__hybridge.devices().local)).find(
        (t) => t.kind === 'video',
      );
      await fox.selectOption('#call-cam-device', '');
      const frames = async () => {
        const s = await stats(chrome);
        return inboundFrom(s, peerNamed(s, 'Fox')).video;
      };
      const f0 = await frames();
      const deadline = Date.now() + 30_000;
      while ((await frames()) < f0 + 15 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 250));
      assert.ok((await frames()) >= f0 + 15, 'Chrome decodes Fox after the switch');
      const after = (await fox.evaluate(() => globalThis.__hybridge.devices().local)).find(
        (t) => t.kind === 'video',
      );
      assert.equal(after.state, 'live');
      assert.notEqual(after.id, before.id, 'a new camera track');
      assert.deepEqual(await alerts(fox), []);
    } finally {
      await fox.context().close();
      await chrome.context().close();
    }
  });

  test('(j) a Firefox without encoded transforms is told it cannot encrypt the call, and never joins', async () => {
    const page = await openFirefoxPage(firefox, {
      initScript: () => {
        delete globalThis.RTCRtpScriptTransform;
      },
    });
    try {
      const m0 = await metrics(gw);
      await page.goto(`${gw.url}/`);
      await page.waitForSelector('.alert[data-code="NO_SFRAME"]');
      const m = messageFor('NO_SFRAME');
      assert.equal(
        await page.textContent('.alert[data-code="NO_SFRAME"]'),
        `${m.title} ${m.text}×`,
      );
      assert.equal(
        await page.evaluate(() => document.querySelector('#create-room').disabled),
        true,
      );
      // A room link opens no join form either: nothing to click.
      await page.goto(newLink(gw));
      await page.waitForSelector('.alert[data-code="NO_SFRAME"]');
      assert.equal(await page.isVisible('#view-join'), false, 'no join form');
      assert.equal(await page.isVisible('#view-call'), false, 'no call');
      assert.deepEqual(await alerts(page), ['NO_SFRAME']);
      assert.equal((await stats(page)).state, 'idle', 'no call object');
      const m1 = await metrics(gw);
      assert.equal(m1.hybridge_connections_total, m0.hybridge_connections_total, 'no WebSocket');
      assert.equal(m1.hybridge_peers, m0.hybridge_peers, 'nobody seated');
    } finally {
      await page.close();
    }
  });
});

describe(
  "Firefox's own screen capture, headful on a virtual display (Xvfb)",
  {
    skip: skip || (!xvfbAvailable() && 'no /usr/bin/Xvfb (apt-get install xvfb)'),
  },
  () => {
    let gw;
    let chromium;
    let xvfb;
    let firefox;

    before(async () => {
      gw = await startGateway();
      chromium = await launchBrowser();
      xvfb = await startXvfb();
      firefox = await launchFirefox({ headful: true, display: xvfb.display });
    });

    after(async () => {
      await chromium?.close().catch(() => {});
      await firefox?.close().catch(() => {});
      await xvfb?.stop();
      await gw?.stop().catch(() => {});
    });

    test('(k) Firefox shares its screen (no sound, and says so); Chromium decodes it', async () => {
      const link = newLink(gw);
      const pages = { Chrome: await openPage(chromium), Fox: await openFirefoxPage(firefox) };
      await joinRoom(pages.Chrome, link, 'Chrome', { camera: false });
      await joinRoom(pages.Fox, link, 'Fox', { camera: false });
      await waitFor(pages.Chrome, (s) => connectedTo(s, ['Fox']), {
        timeout: 45_000,
        what: 'connected',
      });
      const fox = pages.Fox;
      assert.match(
        await fox.evaluate(() => document.querySelector('#btn-share').title),
        /Firefox shares no system or tab audio/,
      );
      await fox.click('#btn-share');
      await fox.waitForSelector('#btn-stop-share:not([hidden])');
      const s = await stats(fox);
      assert.ok(s.screen !== null, 'Firefox is sharing');
      const tracks = await fox.evaluate(() =>
        [...document.querySelectorAll('.tile.screen video')].flatMap((v) =>
          v.srcObject.getTracks().map((t) => `${t.kind}:${t.label}`),
        ),
      );
      assert.deepEqual(
        tracks.filter((t) => t.startsWith('audio')),
        [],
        'no sound with the screen',
      );
      assert.ok(
        tracks.some((t) => t.startsWith('video')),
        `a screen video track: ${tracks}`,
      );
      assert.ok((await alerts(fox)).includes('SCREEN_NO_AUDIO'), 'the page says so');
      assert.match(await fox.textContent('.tile.screen .tile-state'), /no sound/);
      const c = await stats(pages.Chrome);
      const fp = peerNamed(c, 'Fox');
      await waitFor(
        pages.Chrome,
        (x) => x.peers[fp].screenStreamId !== null && inboundFrom(x, fp).screen > 0,
        { what: "Chromium decodes Firefox's screen" },
      );
      await pages.Chrome.waitForSelector(`.tile.screen[data-fp="${fp}"]`);
      for (const p of Object.values(pages)) await p.context().close();
    });
  },
);
