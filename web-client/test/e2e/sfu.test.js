// Browser end-to-end tests of rooms through the blind SFU (spec/sfu.md): real Chromium pages,
// the real gateway with hybridge.sfu enabled, and Debian's Janus on loopback
// (test/support/janus.js). PAGES pages (8; HYBRIDGE_SFU_PAGES) and a mesh/SFU threshold of 5
// (HYBRIDGE_SFU_THRESHOLD): the room that grows from 5 to 8. On two cores the load
// average reaches about 15 while the last pages join, and the run takes about 3 minutes
// (three runs, 2026-12-04: 168-192 s; six pages with a threshold of 3 took 78 s). Small video
// (160x120, 5 fps),
// and at most PAGES_PER_BROWSER pages per browser: Chromium's fake camera stalls for every page of
// a browser once several of them capture at the same time (four pages: the fourth gets no frame
// and the others stop; three under load: all three stop for good), as if one browser's capture
// buffers ran out.
// One room, in order:
//   (a) THRESHOLD pages join: a mesh; the rest join: the room moves to the SFU (make before break)
//       and every page decodes every other page's audio and video through Janus, SFrame on every
//       sender and receiver, no media left on the pairwise connections; the longest stall of one
//       page's video seen by another during the switch (the join that crosses the threshold)
//       stays under SWITCH_GAP_MS, and at least one mesh page heard `sfu-seen` from everyone;
//   (b) an impostor (right room id, wrong room secret's psk: what a gateway could fake) that
//       subscribes to every feed gets the SFU's packets and decodes none of them, and says why;
//   (c) Janus is killed mid-call: the pages say so (SFU_UNAVAILABLE) and, once it is back, every
//       page decodes every other again within RECOVERY_MS, and the alert goes;
//   (c3) a member's SFU session is rebuilt (it publishes again under the same feed id) while
//       another page's subscription work is held up, so that page learns the member's `leaving`
//       and new `publishers` before it next compares feeds: it subscribes again at once (not by
//       the 8 s net for lost subscriptions) and decodes the member again;
//   (d) one page leaves: the others start new send epochs and keep decoding each other;
//   (e) more leave until THRESHOLD remain: the room goes back to the mesh; media through the switch
//       stalls under SWITCH_GAP_MS, and the SFU connections are gone.
// Timeouts are generous (two shared cores); the figures printed are for the issue, not asserts
// on speed, except the two bounds the issue asks for.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { startGateway } from '../support/gateway.js';
import { janusInstalled, startJanus } from '../support/janus.js';
import { newLink } from './calls.js';
import {
  alerts,
  chromiumAvailable,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  sleep,
  stats,
  waitFor,
} from './browser.js';

const SMALL_VIDEO = { width: { exact: 160 }, height: { exact: 120 }, frameRate: { max: 5 } };
/** The fake screen otherwise comes at 2560x1440 ('sharp'): 0.8 s per VP9 frame on two cores. */
const SMALL_SCREEN = { width: { max: 320 }, height: { max: 180 }, frameRate: { max: 5 } };
const THRESHOLD = Number(process.env.HYBRIDGE_SFU_THRESHOLD ?? 5);
const PAGES_PER_BROWSER = 2;
const PAGES = Number(process.env.HYBRIDGE_SFU_PAGES ?? 8);
const NAMES = Array.from({ length: PAGES }, (_, i) => `P${i + 1}`);
/**
 * The longest a page's video may stall, seen by another page, while the room switches. The switch
 * itself is make before break (a tile moves to the other path once its video decodes there, and
 * media leaves the pairwise path once the others said `sfu-seen`); what stalls on two cores is the
 * load of a page joining at that moment: 1 to 4.9 s were seen (2026-12-04).
 */
const SWITCH_GAP_MS = 10_000;
/**
 * From Janus back to every page decoding every other again: 21-27 s with eight pages on two cores
 * (three runs, 2026-12-04), most of it the SFU retry already at its 8 s step while the test saw
 * every page say SFU_UNAVAILABLE, then 8 publishers and 56 subscriptions under load.
 */
const RECOVERY_MS = 45_000;

/** A page's stats with its SFrame worker's part (that request has a deadline a loaded machine can pass). */
function withSFrame(page) {
  // 90 s: with six pages at a load average of 25-35, a page's worker once took over 30 s to answer
  return waitFor(page, (s) => s.sframe != null, {
    what: 'the SFrame worker answers',
    timeout: 90_000,
  });
}

/** Leaves as a person would: alerts that cover the controls are dismissed first. */
async function leave(page) {
  for (const close of await page.$$('#alerts .close')) await close.click().catch(() => {});
  await page.click('#btn-leave');
  await page.click('#leave-confirm');
}

/** What `s` decodes from each named page through the path its tile shows: {via, video, audio}. */
function decodedFrom(s, names) {
  const out = {};
  for (const n of names) {
    const fp = peerNamed(s, n);
    const p = fp === null ? null : s.peers[fp];
    out[n] = { via: p?.via ?? null, video: 0, audio: 0, bytes: 0 };
    for (const i of p?.media?.inbound ?? []) {
      out[n].bytes += i.bytesReceived;
      if (i.kind === 'video') out[n].video += i.framesDecoded;
      else out[n].audio += i.totalSamplesReceived;
    }
  }
  return out;
}

/**
 * Watches page `observer` decode `subject`'s video every `ms`; stop() gives the longest time
 * without a new frame (a change of path with frames on the new one counts as progress).
 */
function stallWatch(page, subject, ms = 1000) {
  let last = null;
  let lastProgress = performance.now();
  let longest = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const d = decodedFrom(await stats(page), [subject])[subject];
      const now = performance.now();
      const progressed =
        last !== null &&
        ((d.via !== last.via && d.video > 0) || (d.via === last.via && d.video > last.video));
      if (last === null || progressed) {
        longest = Math.max(longest, now - lastProgress);
        lastProgress = now;
      }
      last = d;
      await new Promise((r) => setTimeout(r, ms));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return Math.max(longest, performance.now() - lastProgress);
  };
}

describe(
  'rooms through the blind SFU (Janus) in Chromium',
  {
    skip:
      (!chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)') ||
      (!janusInstalled() && 'no Janus (apt-get install janus)'),
  },
  () => {
    let janus;
    let gw;
    const browsers = [];
    let link;
    const pages = {};
    let present = [];

    before(async () => {
      janus = await startJanus();
      gw = await startGateway({
        config: {
          limits: { 'room-capacity': 25 },
          sfu: { enabled: true, 'janus-url': janus.url, threshold: THRESHOLD },
        },
      });
      for (let i = 0; i <= NAMES.length / PAGES_PER_BROWSER; i++)
        browsers.push(await launchBrowser(['--allow-loopback-in-peer-connection']));
      link = newLink(gw);
    });

    after(async () => {
      for (const b of browsers) await b.close().catch(() => {});
      await gw?.stop().catch(() => {});
      await janus?.stop().catch(() => {});
    });

    /** A page for the `i`th participant (0-based): PAGES_PER_BROWSER per browser. */
    function pageFor(i, config = {}) {
      return openPage(browsers[Math.floor(i / PAGES_PER_BROWSER)], {
        video: SMALL_VIDEO,
        viewport: { width: 640, height: 360 },
        config: { screenVideo: SMALL_SCREEN, ...config },
      });
    }

    /** Every present page decodes every other present page, advancing, through `via`. */
    async function everyoneDecodes(via, what, timeout = 60_000) {
      const started = performance.now();
      for (const n of present) {
        const others = present.filter((o) => o !== n);
        const first = decodedFrom(await stats(pages[n]), others);
        // What must be passed: the counts at the start on `via`. A rebuilt SFU session (its
        // connection failed under load: SFU_MEDIA_FAILED) starts its counters again from zero,
        // and then any decoding on it counts.
        const base = {};
        for (const o of others) base[o] = first[o].via === via ? first[o] : { video: 0, audio: 0 };
        await waitFor(
          pages[n],
          (s) => {
            const d = decodedFrom(s, others);
            for (const o of others)
              if (d[o].via === via && (d[o].video < base[o].video || d[o].audio < base[o].audio))
                base[o] = { video: 0, audio: 0 };
            return (
              s.sfu.mode === via &&
              others.every(
                (o) =>
                  d[o].via === via && d[o].video > base[o].video + 3 && d[o].audio > base[o].audio,
              )
            );
          },
          {
            what: `${n} decodes ${others.join(', ')} via ${via} (${what})`,
            timeout,
            interval: 1000,
          },
        ).catch(async (e) => {
          const s = await stats(pages[n]);
          const d = decodedFrom(s, others);
          console.error(`${n} (${what}):`, JSON.stringify({ d, failures: s.sfu.failures, first }));
          // The SFU side of each member whose feed is missing here: is it publishing at all?
          for (const o of others.filter((x) => d[x].via !== via)) {
            const so = await stats(pages[o]).catch(() => null);
            console.error(
              `${o}, missing at ${n}: ${JSON.stringify({
                failures: so?.sfu.failures,
                history: so?.sfu.history,
                counters: so?.sfu.counters,
                publish: so?.sfu.publish?.connectionState,
                problems: so?.problems,
              })}`,
            );
          }
          for (const o of others) {
            const fp = peerNamed(s, o);
            const video = (s.peers[fp]?.media?.inbound ?? []).filter((i) => i.kind === 'video');
            console.error(
              `${n} from ${o}: SFrame ${JSON.stringify(s.sframe?.receive?.[fp] ?? null)}; ` +
                `pairwise video ${JSON.stringify(video)}`,
            );
          }
          throw e;
        });
      }
      return performance.now() - started;
    }

    test(`(a) ${THRESHOLD} pages in a mesh, ${PAGES - THRESHOLD} more: the room moves to the SFU, everyone decodes everyone`, async () => {
      present = NAMES.slice(0, THRESHOLD);
      for (const n of present) {
        pages[n] = await pageFor(NAMES.indexOf(n));
        await joinRoom(pages[n], link, n);
      }
      await everyoneDecodes('mesh', `${THRESHOLD} pages`);
      /** Opens the next page and joins it; the figures go to the log. */
      const join = async (n) => {
        pages[n] = await pageFor(NAMES.indexOf(n));
        const t0 = performance.now();
        await joinRoom(pages[n], link, n, { waitJoined: false });
        await waitFor(pages[n], (s) => s.state === 'joined', {
          what: `${n} joined`,
          timeout: 90_000,
        });
        console.log(
          `${n} joined in ${Math.round(performance.now() - t0)} ms, load ${loadavg()[0]}`,
        );
      };
      // One more page takes the room past the threshold. The stall is watched from before its
      // join until every mesh page's switch has settled (its media off the pairwise connections);
      // the later pages join after that. On two cores every page runs on the same machine, so
      // each join starves every page for seconds: pages joining during the switch measured the
      // machine (stalls of 11-19 s with every page's switch waiting its full deadlines), not the
      // switch, which each person's own machine runs alone.
      const stop = stallWatch(pages.P1, 'P2');
      await join(NAMES[THRESHOLD]);
      for (const n of NAMES.slice(0, THRESHOLD))
        await waitFor(
          pages[n],
          (s) => s.sfu.history.some((e) => e.mode === 'sfu' && e.settledAt !== null),
          { what: `${n}'s switch to the SFU settles`, timeout: 60_000, interval: 500 },
        );
      await waitFor(pages.P1, (s) => decodedFrom(s, ['P2']).P2.via === 'sfu', {
        what: 'P1 shows P2 through the SFU',
      });
      const stall = await stop();
      console.log(`mesh -> SFU: P1 saw P2's video stall at most ${Math.round(stall)} ms`);
      // The mesh pages' media left the pairwise connections once the others said `sfu-seen`
      // (or after its deadline): at least one page heard from everyone.
      const unseen = [];
      for (const n of NAMES.slice(0, THRESHOLD)) {
        const h = (await stats(pages[n])).sfu.history.find((e) => e.mode === 'sfu');
        const s = (h.settledAt - h.at) / 1000;
        console.log(`${n} switched in ${s.toFixed(1)} s; ${h.unseen} did not say sfu-seen in time`);
        unseen.push(h.unseen);
      }
      assert.ok(unseen.includes(0), `sfu-seen missing: ${unseen}`);
      assert.ok(stall < SWITCH_GAP_MS, `stall ${Math.round(stall)} ms`);
      for (const n of NAMES.slice(THRESHOLD + 1)) await join(n);
      present = NAMES.slice();
      await everyoneDecodes('sfu', `${PAGES} pages`);

      for (const n of present) {
        const others = present.filter((o) => o !== n);
        // The worker's stats, and every other member through the SFU: a subscriber connection
        // that fails under this load is rebuilt (SFU_MEDIA_FAILED), and its feeds are gone
        // until the new one decodes.
        const s = await waitFor(
          pages[n],
          (x) => x.sframe != null && others.every((o) => x.peers[peerNamed(x, o)]?.via === 'sfu'),
          { what: `${n}: SFrame stats, every member through the SFU`, timeout: 90_000 },
        );
        if (s.sfu.failures.length > 0) console.log(`${n}: SFU session rebuilt: ${s.sfu.failures}`);
        // SFrame on both ends: our frames sealed, every other member's frames opened with its keys
        assert.ok(s.sframe.send.frames > 0 && s.sframe.send.droppedNoKey < s.sframe.send.frames);
        for (const o of others) {
          const fp = peerNamed(s, o);
          assert.ok(s.sframe.receive[fp]?.frames > 0, `${n} decrypts ${o}'s frames`);
          assert.equal(s.peers[fp].via, 'sfu');
          assert.deepEqual(s.peers[fp].meshSending, [], `${n} sends no media to ${o} pairwise`);
          // a pair from the mesh keeps its connection for the data channel; a later pair has none
          const meshPair = NAMES.indexOf(n) < THRESHOLD && NAMES.indexOf(o) < THRESHOLD;
          assert.equal(s.peers[fp].dataChannel, meshPair ? 'open' : null, `${n}-${o} pairwise`);
          assert.ok(s.peers[fp].media.receiverTransforms.every((t) => t));
        }
        const pub = s.sfu.publish.outbound;
        assert.ok(pub.some((o) => o.kind === 'video' && o.framesEncoded > 0));
        assert.ok(s.sfu.history.some((h) => h.mode === 'sfu'));
      }
    });

    test('(b) an impostor subscribed to every feed gets packets and decodes nothing', async () => {
      const mallory = await pageFor(NAMES.length, {
        wrongPsk: true,
        sfuSubscribeAllForTestingOnly: true,
      });
      /** Per member (Mallory knows no names: keys only), what came through the SFU. */
      const received = (x) =>
        Object.values(x.peers)
          .filter((p) => p.via === 'sfu')
          .map((p) => {
            const r = { bytes: 0, video: 0, audio: 0 };
            for (const i of p.media?.inbound ?? []) {
              r.bytes += i.bytesReceived;
              if (i.kind === 'video') r.video += i.framesDecoded;
              else r.audio += i.totalSamplesReceived;
            }
            return r;
          });
      try {
        await joinRoom(mallory, link, 'Mallory');
        const s = await waitFor(
          mallory,
          (x) =>
            x.sfu.mode === 'sfu' &&
            x.sframe != null &&
            // at least two feeds' worth of ciphertext (she has not always got all six: open
            // question in the issue-17 notes; what she gets she must not open)
            received(x).filter((r) => r.bytes > 20_000).length >= 2,
          { what: 'Mallory receives feeds', timeout: 60_000, interval: 1000 },
        );
        for (const r of received(s)) {
          assert.equal(r.video, 0, 'Mallory decodes no video');
          assert.equal(r.audio, 0, 'Mallory decodes no audio');
        }
        const dropped = Object.values(s.sframe.receive).reduce(
          (a, r) => a + r.dropped.unknownKid + r.dropped.authFailed,
          0,
        );
        assert.ok(dropped > 0, 'her SFrame receive side drops what it cannot open');
        assert.ok(
          Object.values(s.sframe.receive).every((r) => r.frames === 0),
          'and opens nothing',
        );
        const codes = await alerts(mallory);
        assert.ok(codes.includes('PEER_HANDSHAKE_FAILED'), `Mallory is told: ${codes}`);
      } finally {
        await mallory.context().close();
      }
    });

    test('(c) Janus killed mid-call: the pages say so, and recover once it is back', async () => {
      await janus.kill();
      for (const n of present)
        await waitFor(pages[n], (s) => s.problems.some((p) => p.code === 'SFU_UNAVAILABLE'), {
          what: `${n} says the SFU is gone`,
        });
      await janus.launch();
      const took = await everyoneDecodes('sfu', 'after Janus restarted', RECOVERY_MS);
      for (const n of present) {
        const end = Date.now() + 10_000;
        while ((await alerts(pages[n])).includes('SFU_UNAVAILABLE') && Date.now() < end)
          await sleep(250);
        assert.ok(!(await alerts(pages[n])).includes('SFU_UNAVAILABLE'), `${n}: the alert goes`);
      }
      console.log(
        `Janus restart: every page decodes every other again ${Math.round(took)} ms after it is back`,
      );
    });

    test('(c2) a screen shared in SFU mode reaches a page that has no pairwise connection to it', async () => {
      const last = present.at(-1); // joined in SFU mode: no pairwise connection to P1
      await pages.P1.click('#btn-share');
      const screenOf = (s) => {
        const p = s.peers[peerNamed(s, 'P1')];
        return {
          via: p?.via,
          announced: p?.screenStreamId != null,
          frames: (p?.media?.inbound ?? [])
            .filter((i) => i.screen && i.kind === 'video')
            .reduce((a, i) => a + i.framesDecoded, 0),
        };
      };
      const s = await waitFor(
        pages[last],
        (x) => {
          const sc = screenOf(x);
          return sc.via === 'sfu' && sc.announced && sc.frames > 3;
        },
        { what: `${last} sees P1's screen through the SFU`, timeout: 60_000, interval: 1000 },
      ).catch(async (e) => {
        const [p1, l] = [await stats(pages.P1), await stats(pages[last])];
        console.log(`P1 publishes: ${JSON.stringify(p1.sfu?.publish)}`);
        console.log(`${last}'s SFrame receive from P1: ${JSON.stringify(l.sframe?.receive)}`);
        throw e;
      });
      assert.equal(s.peers[peerNamed(s, 'P1')].dataChannel, null);
      await pages[last].waitForSelector(`.tile.screen[data-fp="${peerNamed(s, 'P1')}"]`);
      await pages.P1.click('#btn-stop-share');
    });

    test('(c3) a member publishes again while another page is busy: that page subscribes again', async () => {
      const [member, busy] = ['P2', 'P3'];
      const HOLD_MS = 15_000;
      const before = await stats(pages[member]);
      const held = performance.now();
      await pages[busy].evaluate((ms) => window.__hybridge.sfuHold(ms), HOLD_MS);
      await pages[member].evaluate(() => window.__hybridge.sfuFail());
      // the member's new session publishes (its counters start again: `published` once more)
      await waitFor(
        pages[member],
        (s) =>
          s.sfu.failures.length > before.sfu.failures.length &&
          s.sfu.counters?.published === 1 &&
          s.sfu.publish?.connectionState === 'connected',
        { what: `${member} publishes again`, timeout: 30_000, interval: 250 },
      );
      const republished = performance.now() - held;
      assert.ok(
        republished < HOLD_MS - 1000,
        `${member} republished ${Math.round(republished)} ms after ${busy}'s hold began, not within it: the race this test is for did not happen`,
      );
      const frames = (s) =>
        (s.peers[peerNamed(s, member)]?.media?.inbound ?? [])
          .filter((i) => i.kind === 'video')
          .reduce((a, i) => a + i.framesDecoded, 0);
      await sleep(Math.max(0, HOLD_MS - (performance.now() - held)));
      const released = performance.now();
      // frames decoded from now on (a new m-line starts its count again from zero)
      let last = frames(await stats(pages[busy]));
      let gained = 0;
      const s = await waitFor(
        pages[busy],
        (x) => {
          const f = frames(x);
          if (f >= last) gained += f - last;
          last = f;
          return x.peers[peerNamed(x, member)]?.via === 'sfu' && gained > 3;
        },
        { what: `${busy} decodes ${member} through the SFU again`, timeout: 30_000, interval: 500 },
      );
      const took = performance.now() - released;
      console.log(
        `${member} republished ${Math.round(republished)} ms into ${busy}'s hold; ${busy} decoded it again ${Math.round(took)} ms after the hold (counters ${JSON.stringify(s.sfu.counters)})`,
      );
      assert.ok((s.sfu.counters?.['feed-gone'] ?? 0) >= 1, `${busy} saw ${member}'s feed go`);
      assert.equal(
        s.sfu.counters?.resubscribe ?? 0,
        0,
        `${busy} subscribed again on the events, not by the net for lost subscriptions`,
      );
    });

    test('(d) one page leaves: the others rekey and keep decoding through the SFU', async () => {
      const before = {};
      for (const n of present) before[n] = (await withSFrame(pages[n])).sframe.send.kid;
      const last = present.at(-1);
      await leave(pages[last]);
      present = present.filter((n) => n !== last);
      for (const n of present)
        await waitFor(
          pages[n],
          (s) => peerNamed(s, last) === null && s.sframe != null && s.sframe.send.kid !== before[n],
          { what: `${n} sees ${last} leave and starts a new epoch` },
        );
      await everyoneDecodes('sfu', `after ${last} left`);
    });

    test('(e) more leave, down to the threshold: back to the mesh, media stalls under the bound, the SFU connections go', async () => {
      const stop = stallWatch(pages.P1, 'P2');
      const leaving = present.slice(THRESHOLD);
      for (const n of leaving) await leave(pages[n]);
      present = present.slice(0, THRESHOLD);
      await everyoneDecodes('mesh', `${THRESHOLD} pages again`);
      const stall = await stop();
      console.log(`SFU -> mesh: P1 saw P2's video stall at most ${Math.round(stall)} ms`);
      assert.ok(stall < SWITCH_GAP_MS, `stall ${Math.round(stall)} ms`);
      for (const n of present) {
        const s = await waitFor(pages[n], (x) => x.sfu.publish === null, {
          what: `${n} left the SFU`,
        });
        for (const o of present.filter((x) => x !== n))
          assert.deepEqual(s.peers[peerNamed(s, o)].meshSending.slice(0, 2), ['mic', 'camera']);
      }
    });
  },
);
