#!/usr/bin/env node
// Browser benchmark (a script, not a test): headless Chromium on loopback against the real
// gateway (started through web-client/test/support/gateway.js, serving web-client/dist).
//
//   node bench/browser/bench.mjs [--runs=5] [--cpu-seconds=20] [--cpu-rounds=3]
//
// Prerequisites: the web client built and the gateway compiled with its classpath file, e.g.
//   mvn -B -ntp -q -pl gateway -am process-classes -DskipTests     (from the repository root)
//
// It prints:
// 1. Open the link -> first decoded remote video frame: a page opens the room link while one
//    member is in the room; the test automation enters the name and clicks Join at once. Time
//    is the page's performance.now() (0 = navigation start) when getStats first reports
//    framesDecoded > 0 for a remote video (polled every 20 ms). Also the join click, the hop
//    handshake + JOIN (state 'handshaking' -> 'joined'), and the peer handshake (first seen ->
//    channel up, including the relay round trips through the gateway and the hello exchange).
// 2. Browser compute time of the handshakes: the client's part of the hop handshake, and the
//    initiator's and responder's parts of the peer handshake, run in the page with the same
//    protocol code (bench/browser/crypto-page.js), median of 30 after 5 warm-ups.
// 3. Sender CPU with and without SFrame: two browsers (sender, receiver), one call, 640x480
//    camera at 30 fps and audio, VP9. CPU = the sum of cpuTime over every process of the
//    SENDER's browser (CDP SystemInfo.getProcessInfo: browser, renderer, GPU and utility
//    processes, all threads; encoding, the SFrame worker, packetization), over a fixed window
//    after a warm-up, alternating modes. Without SFrame is a test-only switch of the app
//    (__hybridgeTestConfig.sframe = false, both sides): no transforms, otherwise the same call.
//    Reported as CPU seconds per wall second, and per encoded video frame.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from '../../web-client/node_modules/esbuild/lib/main.js';
import { startGateway } from '../../web-client/test/support/gateway.js';
import { launchBrowser, openPage, joinRoom, stats, waitFor, sleep } from '../../web-client/test/e2e/browser.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
const RUNS = arg('runs', 5);
const CPU_SECONDS = arg('cpu-seconds', 20);
const CPU_ROUNDS = arg('cpu-rounds', 3);
const BENCH_VIDEO = { width: 640, height: 480, frameRate: 30 };

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const b64 = (u8) => Buffer.from(u8).toString('base64url');

function newLink(gw) {
  return `${gw.url}/#${b64(crypto.getRandomValues(new Uint8Array(32)))}.${b64(gw.fingerprint)}`;
}

async function firstFrame(gw) {
  const browser = await launchBrowser();
  const results = [];
  try {
    const link = newLink(gw);
    const host = await openPage(browser);
    await joinRoom(host, link, 'Host');
    for (let i = 0; i < RUNS; i++) {
      const page = await openPage(browser);
      await joinRoom(page, link, `Guest${i}`, { waitJoined: false });
      const s = await waitFor(page, (x) => x.timings?.firstRemoteVideo != null, { timeout: 20_000, what: 'first remote frame' });
      const t = s.timings;
      results.push({
        firstFrame: t.firstRemoteVideo,
        click: t.joinStarted,
        hop: t.states.joined - (t.states.handshaking ?? t.states.connecting),
        connectToJoined: t.joined - t.joinStarted,
        peer: t.peerHandshakes[0] ?? null,
        peerUp: t.firstPeerUp - t.joinStarted,
        clickToFrame: t.firstRemoteVideo - t.joinStarted,
      });
      await page.click('#btn-leave');
      await page.context().close();
      await sleep(1500);
    }
  } finally {
    await browser.close();
  }
  return results;
}

async function handshakes(gw) {
  const bundle = await esbuild.build({ entryPoints: [join(HERE, 'crypto-page.js')], bundle: true, format: 'esm', write: false, logLevel: 'warning' });
  const js = bundle.outputFiles[0].text;
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    // Served on the gateway's origin (a secure context: 127.0.0.1) by the automation, not the gateway.
    await page.route(`${gw.url}/__bench/**`, (r) => r.request().url().endsWith('.js')
      ? r.fulfill({ contentType: 'text/javascript', body: js })
      : r.fulfill({ contentType: 'text/html', body: '<!doctype html><script type="module" src="/__bench/crypto.js"></script>' }));
    await page.goto(`${gw.url}/__bench/`);
    await page.waitForFunction(() => typeof globalThis.runHandshakeBench === 'function');
    return await page.evaluate(() => globalThis.runHandshakeBench(30, 5));
  } finally {
    await browser.close();
  }
}

async function browserCpu(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  await cdp.detach();
  return processInfo.reduce((sum, p) => sum + p.cpuTime, 0);
}

async function cpuRound(gw, sframe) {
  const sender = await launchBrowser();
  const receiver = await launchBrowser();
  try {
    const link = newLink(gw);
    const config = sframe ? {} : { sframe: false };
    const a = await openPage(sender, { video: BENCH_VIDEO, config });
    const b = await openPage(receiver, { video: BENCH_VIDEO, config });
    await joinRoom(a, link, 'Sender');
    await joinRoom(b, link, 'Receiver', { camera: false, mic: false });
    await waitFor(b, (s) => Object.values(s.peers).some((p) => p.media?.inbound?.some((i) => i.kind === 'video' && i.framesDecoded > 30)), { what: 'receiver decodes', timeout: 30_000 });
    await sleep(5000); // warm-up: encoder ramp-up, bandwidth estimate
    const framesOf = async () => {
      const s = await stats(a);
      let n = 0;
      for (const p of Object.values(s.peers)) for (const o of p.media?.outbound ?? []) if (o.kind === 'video') n += o.framesEncoded;
      return { n, sframeFrames: s.sframe?.send?.frames ?? 0 };
    };
    const f0 = await framesOf();
    const c0 = await browserCpu(sender);
    const t0 = performance.now();
    await sleep(CPU_SECONDS * 1000);
    const c1 = await browserCpu(sender);
    const t1 = performance.now();
    const f1 = await framesOf();
    const wall = (t1 - t0) / 1000;
    const frames = f1.n - f0.n;
    return { sframe, cpuPerSecond: (c1 - c0) / wall, frames, msPerFrame: ((c1 - c0) * 1000) / frames, sframeFrames: f1.sframeFrames - f0.sframeFrames };
  } finally {
    await sender.close();
    await receiver.close();
  }
}

const gw = await startGateway();
try {
  console.log(`Hybridge browser benchmark: Chromium headless, loopback, gateway ${gw.url}`);
  const ff = await firstFrame(gw);
  console.log(`\n1. Open link -> first decoded remote video frame (${RUNS} joins into a room with one member)`);
  console.log('   run  link->frame  click  click->joined  hop+join  peer handshake  click->peer up  click->frame   (ms)');
  ff.forEach((r, i) => console.log(`   ${i + 1}    ${fmt(r.firstFrame).padStart(8)}  ${fmt(r.click).padStart(5)}  ${fmt(r.connectToJoined).padStart(13)}  ${fmt(r.hop).padStart(8)}  ${fmt(r.peer).padStart(14)}  ${fmt(r.peerUp).padStart(14)}  ${fmt(r.clickToFrame).padStart(12)}`));
  const med = (k) => median(ff.map((r) => r[k]).filter((x) => x !== null));
  console.log(`   median link->first frame ${fmt(med('firstFrame'))} ms (target < 1500), click->frame ${fmt(med('clickToFrame'))} ms, hop+join ${fmt(med('hop'))} ms, peer handshake ${fmt(med('peer'))} ms`);

  const hs = await handshakes(gw);
  console.log(`\n2. Handshake compute in the browser (median of ${hs.iterations})`);
  console.log(`   hop handshake, client side:  ${fmt(hs.hopClientMs, 2)} ms`);
  console.log(`   peer handshake, initiator:   ${fmt(hs.peerInitiatorMs, 2)} ms`);
  console.log(`   peer handshake, responder:   ${fmt(hs.peerResponderMs, 2)} ms`);

  console.log(`\n3. Sender CPU, 640x480@30 camera + audio to one peer, ${CPU_SECONDS} s windows, ${CPU_ROUNDS} rounds each, alternating`);
  const rounds = [];
  for (let i = 0; i < CPU_ROUNDS; i++) {
    for (const sframe of i % 2 ? [true, false] : [false, true]) {
      const r = await cpuRound(gw, sframe);
      rounds.push(r);
      console.log(`   ${sframe ? 'SFrame   ' : 'no SFrame'}  ${fmt(r.cpuPerSecond, 3)} CPU s/s  ${r.frames} video frames  ${fmt(r.msPerFrame, 2)} ms CPU/frame  (SFrame-encrypted frames: ${r.sframeFrames})`);
    }
  }
  const m = (sf, k) => median(rounds.filter((r) => r.sframe === sf).map((r) => r[k]));
  const off = m(false, 'msPerFrame');
  const on = m(true, 'msPerFrame');
  console.log(`   median CPU per video frame: without ${fmt(off, 2)} ms, with SFrame ${fmt(on, 2)} ms: ${fmt(((on - off) / off) * 100, 1)}% more (target < 5%)`);
  console.log(`   median CPU s/s: without ${fmt(m(false, 'cpuPerSecond'), 3)}, with ${fmt(m(true, 'cpuPerSecond'), 3)}: ${fmt(((m(true, 'cpuPerSecond') - m(false, 'cpuPerSecond')) / m(false, 'cpuPerSecond')) * 100, 1)}% more`);
} finally {
  await gw.stop();
}
