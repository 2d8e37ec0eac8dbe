// Browser end-to-end test of simulcast through the blind SFU (spec/sfu.md §5, media-sframe.md
// §7.5): real Chromium pages, the real gateway with hybridge.sfu enabled (threshold 2, so three
// pages are an SFU room) and Debian's Janus on loopback. P1 sends a 640x360 camera, published as
// simulcast; its frames are VP8 sealed with their first bytes in clear, which is all Janus needs
// to switch layers. P2 asks Janus for the lowest substream, then the highest, then the lowest
// again, and each time decodes P1's video at that layer's width, with every frame opened by P1's
// SFrame keys and none refused; P3, showing two cameras, gets the top layer without asking.
// Then a room of Chromium, Firefox and Chromium through the SFU: every page decodes every other's
// video and audio there (Firefox seals and opens VP8 in the same layout), nothing refused.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { janusInstalled, startJanus } from '../support/janus.js';
import { newLink } from './calls.js';
import { firefoxAvailable, launchFirefox, openFirefoxPage } from './firefox.js';
import {
  chromiumAvailable,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  stats,
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
    let firefox = null;
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
      await firefox?.close().catch(() => {});
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
        }).catch(async (e) => {
          // what the publisher did with the asks, and what Janus said, for the next reader
          const p1 = await stats(pages.P1).catch(() => null);
          console.log('P1 sfu counters:', JSON.stringify(p1?.sfu?.counters));
          console.log('P1 sframe send:', JSON.stringify(p1?.sframe?.send)?.slice(0, 2000));
          console.log('janus log tail:', janus.log().slice(-3000));
          throw e;
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
      const counters = (await stats(pages.P2)).sfu?.counters ?? {};
      console.log(
        `P2 asked for layers ${counters.layers} times, ${counters['layers-again'] ?? 0} of them again after no switch`,
      );
    });

    test(
      'Chromium, Firefox and Chromium through the SFU: every page decodes every other, nothing refused',
      { skip: !firefoxAvailable() && 'no /usr/bin/firefox-esr (apt-get install firefox-esr)' },
      async () => {
        for (const n of Object.keys(pages)) await pages[n].context().close();
        firefox = await launchFirefox();
        const link = newLink(gw);
        const viewport = { width: 640, height: 360 };
        const room = {
          C1: await openPage(browsers[0], { video: SMALL_VIDEO, viewport }),
          F1: await openFirefoxPage(firefox, { video: CAMERA, viewport }),
          C2: await openPage(browsers[1], { video: SMALL_VIDEO, viewport }),
        };
        for (const n of ['C1', 'F1', 'C2']) await joinRoom(room[n], link, n);
        for (const n of Object.keys(room)) {
          const others = Object.keys(room).filter((o) => o !== n);
          const s = await waitFor(
            room[n],
            (x) =>
              x.sfu.mode === 'sfu' &&
              x.sframe != null &&
              others.every((o) => {
                const v = videoOf(x, o);
                const fp = peerNamed(x, o);
                const audio = (x.peers[fp]?.media?.inbound ?? []).some(
                  (i) => i.kind === 'audio' && i.totalSamplesReceived > 0,
                );
                return v.via === 'sfu' && v.decoded > 5 && audio;
              }),
            { what: `${n} decodes ${others} through the SFU`, timeout: 90_000, interval: 1000 },
          );
          for (const o of others) {
            const v = videoOf(s, o);
            assert.ok(v.sframe?.frames > 0, `${n} opens ${o}'s frames with ${o}'s keys`);
            assert.deepEqual(
              { malformed: v.sframe.dropped.malformed, authFailed: v.sframe.dropped.authFailed },
              { malformed: 0, authFailed: 0 },
              `no frame of ${o} refused by ${n}`,
            );
          }
          console.log(
            `${n} decodes ${others.map((o) => `${o} ${videoOf(s, o).width}px`).join(', ')} through the SFU`,
          );
        }
        // Firefox publishes its 640x360 camera as simulcast too: C1 switches between its layers
        const fpub = await waitFor(
          room.F1,
          (s) =>
            (s.sfu.publish?.outbound ?? []).filter(
              (o) => o.kind === 'video' && o.rid !== null && o.framesEncoded > 0,
            ).length >= 2,
          { what: 'F1 sends two simulcast layers', timeout: 30_000, interval: 1000 },
        );
        const flayers = fpub.sfu.publish.outbound.filter(
          (o) => o.kind === 'video' && o.framesEncoded > 0,
        );
        console.log(
          'F1 publishes:',
          flayers.map((o) => `${o.rid} ${o.frameWidth}px ${o.framesEncoded} frames`).join(', '),
        );
        const widths = flayers.map((o) => o.frameWidth);
        for (const [layer, width] of [
          [0, Math.min(...widths)],
          [2, Math.max(...widths)],
        ]) {
          await room.C1.evaluate((l) => globalThis.__hybridge.sfuLayer(l), layer);
          const at = await waitFor(room.C1, (s) => videoOf(s, 'F1').width === width, {
            what: `C1 decodes F1 at ${width}px (substream ${layer})`,
            timeout: 30_000,
          }).catch(async (e) => {
            const f = await stats(room.F1);
            const c = await stats(room.C1);
            console.error(
              'C1 counters',
              JSON.stringify(c.sfu.counters),
              'F1 counters',
              JSON.stringify(f.sfu.counters),
              'F1 send',
              JSON.stringify({ ...f.sframe?.send, byKid: undefined }),
            );
            console.error(
              'F1 outbound:',
              JSON.stringify(
                f.sfu.publish.outbound
                  .filter((o) => o.kind === 'video')
                  .map((o) => [
                    o.rid,
                    o.frameWidth,
                    o.framesEncoded,
                    o.keyFramesEncoded,
                    o.pliCount,
                    o.firCount,
                  ]),
              ),
            );
            throw e;
          });
          assert.equal(videoOf(at, 'F1').sframe.dropped.authFailed, 0);
          console.log(`C1 decodes Firefox's F1 at ${width}px on substream ${layer}`);
        }
      },
    );
  },
);
