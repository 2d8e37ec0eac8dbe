// Browser end-to-end test of simulcast through the blind SFU (spec/sfu.md §5, media-sframe.md
// §7.5): real Chromium pages, the real gateway with hybridge.sfu enabled (threshold 2, so three
// pages are an SFU room) and Debian's Janus on loopback. P1 sends a 640x360 camera, published as
// simulcast; its frames are VP8 sealed with their first bytes in clear, which is all Janus needs
// to switch layers. P2 asks Janus for the lowest substream, then the highest, then the lowest
// again, and each time decodes P1's video at that layer's width, with every frame opened by P1's
// SFrame keys and none refused; P3, showing two cameras, gets the top layer without asking.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { janusInstalled, startJanus } from '../support/janus.js';
import { newLink } from './calls.js';
import {
  chromiumAvailable,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  waitFor,
} from './browser.js';

/** Large enough for Chromium to send two simulcast layers (it sends one below 480x270). */
const CAMERA = { width: { exact: 640 }, height: { exact: 360 }, frameRate: { max: 10 } };
const SMALL_VIDEO = { width: { exact: 160 }, height: { exact: 120 }, frameRate: { max: 5 } };

/** P1's video as `s` receives it through the SFU: {width, decoded}. */
function videoOf(s, name) {
  const fp = peerNamed(s, name);
  const p = fp === null ? null : s.peers[fp];
  const v = (p?.media?.inbound ?? []).filter((i) => i.kind === 'video' && i.packetsReceived > 0);
  return {
    via: p?.via ?? null,
    width: Math.max(0, ...v.map((i) => i.frameWidth)),
    decoded: v.reduce((a, i) => a + i.framesDecoded, 0),
    sframe: fp === null ? null : (s.sframe?.receive?.[fp] ?? null),
  };
}

describe(
  'simulcast through the blind SFU (Janus) in Chromium',
  {
    skip:
      (!chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)') ||
      (!janusInstalled() && 'no Janus (apt-get install janus)'),
  },
  () => {
    let janus;
    let gw;
    const browsers = [];
    const pages = {};

    before(async () => {
      janus = await startJanus();
      gw = await startGateway({
        config: { sfu: { enabled: true, 'janus-url': janus.url, threshold: 2 } },
      });
      // two pages per browser at most: its fake camera stalls with more (sfu.test.js)
      for (let i = 0; i < 2; i++)
        browsers.push(await launchBrowser(['--allow-loopback-in-peer-connection']));
    });

    after(async () => {
      for (const b of browsers) await b.close().catch(() => {});
      await gw?.stop().catch(() => {});
      await janus?.stop().catch(() => {});
    });

    test('a subscriber switches P1 between simulcast layers; every frame is opened with P1’s keys', async () => {
      const link = newLink(gw);
      const viewport = { width: 640, height: 360 };
      pages.P1 = await openPage(browsers[0], { video: CAMERA, viewport });
      pages.P2 = await openPage(browsers[0], { video: SMALL_VIDEO, viewport });
      pages.P3 = await openPage(browsers[1], { video: SMALL_VIDEO, viewport });
      for (const n of ['P1', 'P2', 'P3']) await joinRoom(pages[n], link, n);

      for (const n of ['P2', 'P3'])
        await waitFor(
          pages[n],
          (s) => {
            const v = videoOf(s, 'P1');
            return s.sfu.mode === 'sfu' && v.via === 'sfu' && v.decoded > 5;
          },
          { what: `${n} decodes P1 through the SFU`, timeout: 90_000, interval: 1000 },
        );

      // P1 publishes its camera as simulcast: two or more encodings of different widths
      const pub = await waitFor(
        pages.P1,
        (s) =>
          (s.sfu.publish?.outbound ?? []).filter(
            (o) => o.kind === 'video' && o.rid !== null && o.framesEncoded > 0,
          ).length >= 2,
        { what: 'P1 sends two simulcast layers', timeout: 30_000, interval: 1000 },
      );
      const layers = pub.sfu.publish.outbound.filter((o) => o.kind === 'video' && o.rid !== null);
      console.log(
        'P1 publishes:',
        layers.map((o) => `${o.rid} ${o.frameWidth}px ${o.framesEncoded} frames`).join(', '),
      );
      const sent = layers.filter((o) => o.framesEncoded > 0).map((o) => o.frameWidth);
      const top = Math.max(...sent);
      const low = Math.min(...sent);
      assert.ok(low < top, `layers of different widths: ${sent}`);

      // P3 shows two cameras: it gets the top layer without asking for one
      await waitFor(pages.P3, (s) => videoOf(s, 'P1').width === top, {
        what: `P3 decodes P1 at ${top}px`,
        timeout: 30_000,
      });

      // P2 switches: lowest, highest, lowest. Janus switches on a key frame it sees in the clear
      // bytes, and asks P1 for one.
      for (const [layer, width] of [
        [0, low],
        [2, top],
        [0, low],
      ]) {
        const t0 = performance.now();
        await pages.P2.evaluate((n) => globalThis.__hybridge.sfuLayer(n), layer);
        const at = await waitFor(pages.P2, (s) => videoOf(s, 'P1').width === width, {
          what: `P2 decodes P1 at ${width}px (substream ${layer})`,
          timeout: 30_000,
        });
        const before = videoOf(at, 'P1');
        // and goes on decoding it there, every frame opened with P1's keys, none refused
        const later = await waitFor(
          pages.P2,
          (s) => {
            const v = videoOf(s, 'P1');
            return v.width === width && v.decoded >= before.decoded + 10;
          },
          { what: `P2 goes on decoding P1 at ${width}px`, timeout: 30_000 },
        );
        const v = videoOf(later, 'P1');
        console.log(
          `substream ${layer}: P2 decodes P1 at ${width}px ${Math.round(performance.now() - t0)} ms after asking`,
        );
        assert.ok(v.sframe?.frames > 0, 'P2 opens P1’s frames with P1’s keys');
        assert.deepEqual(
          { malformed: v.sframe.dropped.malformed, authFailed: v.sframe.dropped.authFailed },
          { malformed: 0, authFailed: 0 },
          'no frame of P1 refused by P2',
        );
      }
    });
  },
);
