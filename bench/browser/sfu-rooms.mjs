#!/usr/bin/env node
// Rooms in the mesh and through the blind SFU, side by side in one run (a script, not a test):
// headless Chromium on loopback against the real gateway (test build) and Debian's Janus.
//
//   node --experimental-websocket bench/browser/sfu-rooms.mjs [--pages=6] [--seconds=20] [--joins=3]
//        [--large=12] [--mics=2]
//
// Prerequisites: mvn -B -ntp -q -pl gateway -am process-classes -DskipTests; (cd web-client &&
// npm run build:test); apt-get install janus chromium.
//
// Two rooms of `pages` pages, one after the other, each page with the test video (160x120, 5 fps)
// and microphone, two pages per browser (Chromium's fake camera stalls beyond that, see
// web-client/test/e2e/sfu.test.js): "mesh" (threshold above the room) and "sfu" (threshold 2).
// Once every page decodes every other, for `seconds`: per page, its uplink (RTP bytes sent on
// all its connections) and the CPU of all Chromium processes divided by the pages; Janus' CPU
// per forwarded stream (audio and video of every member to every other). Then, in the SFU room,
// `joins` times a new page joins and leaves: join-to-first-frame is from its Join click to the
// first video frame it decodes from any member through the SFU (its own clock). With --large=N, a
// third room of N pages through the SFU follows (uplink, CPU per page, Janus per stream; no joins).
// With --mics=M, only the first M pages of every room join with their microphone (the others
// with the camera alone, as most people in a large call are muted); by default all do. Opening
// the audio frames of every other member is most of what a page spends on SFrame (25 frames a
// second each with 40 ms Opus), and twelve pages all with microphones do not fit on two cores.

import { performance } from 'node:perf_hooks';
import { startGateway } from '../../web-client/test/support/gateway.js';
import { janusInstalled, startJanus } from '../../web-client/test/support/janus.js';
import {
  joinRoom,
  launchBrowser,
  openPage,
  stats,
  waitFor,
} from '../../web-client/test/e2e/browser.js';
import { chromium } from './drivers.js';
import { fmt, median, newLink } from './args.js';

const arg = (name, dflt) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const PAGES = arg('pages', 6);
const SECONDS = arg('seconds', 20);
const JOINS = arg('joins', 3);
const LARGE = arg('large', 0);
const MICS = arg('mics', Infinity);
const PER_BROWSER = 2;
const VIDEO = { width: { exact: 160 }, height: { exact: 120 }, frameRate: { max: 5 } };

if (!janusInstalled()) {
  console.error('no Janus: apt-get install janus');
  process.exit(1);
}

/** Bytes this page has sent on all its connections (pairwise and publisher). */
function uplinkBytes(s) {
  let n = 0;
  for (const o of s.sfu.publish?.outbound ?? []) n += o.bytesSent;
  for (const p of Object.values(s.peers))
    if (p.via === 'mesh') for (const o of p.media?.outbound ?? []) n += o.bytesSent;
  return n;
}

/** Every page decodes video from every other through `via`. */
function decodesAll(s, via, others) {
  const ps = Object.values(s.peers).filter((p) => p.state === 'connected');
  return (
    s.sfu.mode === via &&
    ps.length === others &&
    ps.every(
      (p) =>
        p.via === via &&
        (p.media?.inbound ?? []).some((i) => i.kind === 'video' && i.framesDecoded > 0),
    )
  );
}

/** Streams Janus forwards in a room of n pages: every camera, and MICS microphones, to every other page. */
function streamsOf(n) {
  return n * (n - 1) + Math.min(MICS, n) * (n - 1);
}

async function room(mode, janus, PAGES, JOINS) {
  const gw = await startGateway({
    config: {
      limits: { 'room-capacity': 25 },
      sfu: { enabled: true, 'janus-url': janus.url, threshold: mode === 'sfu' ? 2 : 24 },
    },
  });
  const browsers = [];
  const pages = [];
  try {
    const link = newLink(gw);
    for (let i = 0; i < PAGES; i++) {
      if (i % PER_BROWSER === 0)
        browsers.push(await launchBrowser(['--allow-loopback-in-peer-connection']));
      const page = await openPage(browsers.at(-1), {
        video: VIDEO,
        viewport: { width: 640, height: 360 },
      });
      await joinRoom(page, link, `P${i + 1}`, { mic: i < MICS, waitJoined: false });
      // a loaded machine takes its time: the join itself is not what is measured
      await waitFor(page, (s) => s.state === 'joined', {
        what: `P${i + 1} joined`,
        timeout: 120_000,
      });
      pages.push(page);
    }
    // The large room may not get there on a small machine: it is measured anyway, and the
    // output says how many pages decoded every other page.
    let complete = 0;
    for (const p of pages)
      complete += await waitFor(p, (s) => decodesAll(s, mode, PAGES - 1), {
        what: `${mode}: every page decodes every other`,
        timeout: JOINS === 0 ? 30_000 : 120_000,
        interval: 1000,
      }).then(
        () => 1,
        (e) => {
          if (JOINS > 0) throw e;
          return 0;
        },
      );
    const cpu = async () => {
      let c = 0;
      for (const b of browsers) c += await chromium.cpu(b);
      return c;
    };
    const up0 = await Promise.all(pages.map(async (p) => uplinkBytes(await stats(p))));
    const cpu0 = await cpu();
    const janus0 = janus.cpuSeconds();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const up1 = await Promise.all(pages.map(async (p) => uplinkBytes(await stats(p))));
    const secs = (performance.now() - t0) / 1000;
    const out = {
      uplinkKbps: up1.map((u, i) => ((u - up0[i]) * 8) / 1000 / secs),
      cpuPerPage: (await cpu()) - cpu0,
      janusCpu: janus.cpuSeconds() - janus0,
      secs,
      complete,
    };
    out.cpuPerPage /= PAGES * secs;
    const streams = streamsOf(PAGES);
    out.janusPerStream = mode === 'sfu' ? out.janusCpu / secs / streams : null;

    if (mode === 'sfu') {
      out.joinToFirstFrame = [];
      for (let j = 0; j < JOINS; j++) {
        const page = await openPage(browsers.at(-1), {
          video: VIDEO,
          viewport: { width: 640, height: 360 },
        });
        await joinRoom(page, link, `J${j}`, { waitJoined: false });
        const s = await waitFor(
          page,
          (x) =>
            Object.values(x.peers ?? {}).some((p) =>
              (p.media?.inbound ?? []).some(
                (i) => i.kind === 'video' && i.framesDecoded > 0 && p.via === 'sfu',
              ),
            ),
          { what: 'the newcomer decodes a frame through the SFU', timeout: 60_000, interval: 100 },
        );
        const t = await page.evaluate(() => performance.now());
        out.joinToFirstFrame.push(t - s.timings.joinStarted - 0); // upper bound: the poll's 100 ms
        await page.context().close();
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
    return out;
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    await gw.stop();
  }
}

const janus = await startJanus();
try {
  const mesh = await room('mesh', janus, PAGES, JOINS);
  const sfu = await room('sfu', janus, PAGES, JOINS);

  const up = (r) => median(r.uplinkKbps);
  const mics = MICS >= PAGES ? 'every page' : `the first ${MICS} pages`;
  console.log(
    `${PAGES} pages, ${SECONDS} s measured, 160x120 at 5 fps per page, 40 ms Opus from ${mics}`,
  );
  console.log(
    `  uplink per page, median kbit/s:   mesh ${fmt(up(mesh), 1)}   sfu ${fmt(up(sfu), 1)}   (sfu/mesh ${fmt(up(sfu) / up(mesh), 2)})`,
  );
  console.log(
    `  Chromium CPU per page (cores):    mesh ${fmt(mesh.cpuPerPage, 3)}   sfu ${fmt(sfu.cpuPerPage, 3)}   (sfu/mesh ${fmt(sfu.cpuPerPage / mesh.cpuPerPage, 2)})`,
  );
  console.log(
    `  Janus CPU per forwarded stream:   ${fmt(sfu.janusPerStream * 1000, 2)} ms/s (${streamsOf(PAGES)} streams)`,
  );
  console.log(
    `  join to first frame through the SFU, ms: median ${fmt(median(sfu.joinToFirstFrame))}, all ${sfu.joinToFirstFrame.map((x) => fmt(x)).join(', ')}`,
  );
  let large = null;
  if (LARGE > 0) {
    // printed after the rooms above, so that a large room the machine cannot hold loses nothing
    large = await room('sfu', janus, LARGE, 0).catch((e) => {
      console.log(`${LARGE} pages through the SFU: not measured, ${e.message.split(';')[0]}`);
      return null;
    });
  }
  if (large !== null) {
    console.log(
      `${LARGE} pages through the SFU, same run, against the ${PAGES}-page rooms above (${large.complete} of ${LARGE} pages decoded every other page before the measurement)`,
    );
    console.log(
      `  uplink per page, median kbit/s:   ${fmt(up(large), 1)}   (/ mesh of ${PAGES}: ${fmt(up(large) / up(mesh), 2)}, / sfu of ${PAGES}: ${fmt(up(large) / up(sfu), 2)})`,
    );
    console.log(
      `  Chromium CPU per page (cores):    ${fmt(large.cpuPerPage, 3)}   (/ mesh of ${PAGES}: ${fmt(large.cpuPerPage / mesh.cpuPerPage, 2)}, / sfu of ${PAGES}: ${fmt(large.cpuPerPage / sfu.cpuPerPage, 2)})`,
    );
    console.log(
      `  Janus CPU per forwarded stream:   ${fmt(large.janusPerStream * 1000, 2)} ms/s (${streamsOf(LARGE)} streams)`,
    );
  }
} finally {
  await janus.stop();
}
