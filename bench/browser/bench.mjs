#!/usr/bin/env node
// Browser benchmark (a script, not a test): headless Chromium on loopback against the real
// gateway (started through web-client/test/support/gateway.js, serving web-client/dist-test: the
// test build, whose hooks the benchmark drives its pages through; the served dist/ has none).
//
//   node bench/browser/bench.mjs [--runs=5] [--cpu-seconds=20] [--cpu-rounds=3]
//                                [--parts=first,handshake,sframe,cpu] [--modes=off,sframe]
//                                [--audio-frame-ms=40]
//
// Prerequisites: the gateway compiled with its classpath file and the web client's test build, e.g.
//   mvn -B -ntp -q -pl gateway -am process-classes -DskipTests     (from the repository root)
//   (cd web-client && npm run build:test)
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
// 4. (printed before 3) SFrame's own encrypt cost per frame, without WebRTC: the app's
//    SFrameContext in a worker (bench/browser/sframe-cost-page.js), batches of 100, 1200 and
//    6000-byte frames, CPU of the otherwise idle browser around each batch; bare WebCrypto
//    AES-GCM beside it.
// 3. Sender CPU with and without SFrame: two browsers (sender, receiver), one call, 640x480
//    camera at 30 fps and audio, VP9. CPU = the sum of cpuTime over every process of the
//    SENDER's browser (CDP SystemInfo.getProcessInfo: browser, renderer, GPU and utility
//    processes, all threads; encoding, the SFrame worker, packetization), over a fixed window
//    after a warm-up. Each round runs one call per mode AT THE SAME TIME (launch order rotated),
//    so all modes see the same load from the rest of the machine, and ratios are taken within
//    each round. Without SFrame is a test-only switch of the app (__hybridgeTestConfig.sframe =
//    false, both sides): no transforms, otherwise the same call. Reported as CPU seconds per
//    wall second and per encoded video frame, with the video's width, bitrate, key frames and
//    PLIs (equal work for the encoder), and the CPU of the sender's SFrame worker thread and
//    renderer thread pool from /proc (Linux): where the difference is.
//    --modes picks what is compared: `off` (no transforms),
//    `sframe` (the app as shipped), and diagnostic ones that split the cost, where the automation
//    replaces the app's worker: `pipe` pipes every frame through untouched (the encoded-transform
//    machinery alone), `touch` runs the app worker's read-write loop and reads frame.data and
//    writes a copy back, `hop` adds one awaited 1-byte WebCrypto call per frame (the thread hop
//    of the asynchronous AES without the AES work). They send media without SFrame and exist
//    only here.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from '../../web-client/node_modules/esbuild/lib/main.js';
import { startGateway } from '../../web-client/test/support/gateway.js';
import {
  launchBrowser,
  openPage,
  joinRoom,
  stats,
  waitFor,
  sleep,
} from '../../web-client/test/e2e/browser.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
const RUNS = arg('runs', 5);
const CPU_SECONDS = arg('cpu-seconds', 20);
const CPU_ROUNDS = arg('cpu-rounds', 3);
const listArg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.split('=')[1].split(',').filter(Boolean) : dflt;
};
const PARTS = new Set(listArg('parts', ['first', 'handshake', 'sframe', 'cpu']));
const MODES = listArg('modes', ['off', 'sframe']);
for (const m of MODES)
  if (!['off', 'sframe', 'pipe', 'touch', 'hop'].includes(m))
    throw new Error(`unknown mode ${m} (off, sframe, pipe, touch, hop)`);
const BENCH_VIDEO = { width: 640, height: 480, frameRate: 30 };
// The Opus frame duration the pages ask of each other: the app's own (40 ms, web-client/src/app/sdp.js)
// unless --audio-frame-ms says otherwise (20 is what browsers use by default).
const AUDIO_FRAME_MS = arg('audio-frame-ms', undefined);

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
      const s = await waitFor(page, (x) => x.timings?.firstRemoteVideo != null, {
        timeout: 20_000,
        what: 'first remote frame',
      });
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

/**
 * A page at ${gw.url}/__bench/ whose scripts (any .js under it) are `entry` bundled by esbuild.
 * Served on the gateway's origin (a secure context: 127.0.0.1) by the automation, not the gateway.
 */
async function benchScriptPage(browser, gw, entry, html) {
  const bundle = await esbuild.build({
    entryPoints: [join(HERE, entry)],
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'warning',
  });
  const js = bundle.outputFiles[0].text;
  const page = await browser.newPage();
  await page.route(`${gw.url}/__bench/**`, (r) =>
    r.request().url().endsWith('.js')
      ? r.fulfill({ contentType: 'text/javascript', body: js })
      : r.fulfill({ contentType: 'text/html', body: html }),
  );
  await page.goto(`${gw.url}/__bench/`);
  return page;
}

async function handshakes(gw) {
  const browser = await launchBrowser();
  try {
    const page = await benchScriptPage(
      browser,
      gw,
      'crypto-page.js',
      '<!doctype html><script type="module" src="/__bench/crypto.js"></script>',
    );
    await page.waitForFunction(() => typeof globalThis.runHandshakeBench === 'function');
    return await page.evaluate(() => globalThis.runHandshakeBench(30, 5));
  } finally {
    await browser.close();
  }
}

// The diagnostic workers of --modes=pipe|touch (served in place of the app's SFrame worker).
const LOOP = (body) => `const through = async (t) => {
  const r = t.readable.getReader(); const w = t.writable.getWriter();
  for (;;) { const { value: frame, done } = await r.read(); if (done) break; ${body} w.write(frame).catch(() => {}); } };`;
const DIAGNOSTIC_WORKER = {
  // the frames cross into the worker and back, no JS per frame
  pipe: 'const through = (t) => t.readable.pipeTo(t.writable).catch(() => {});',
  // + the app worker's loop, reading frame.data and writing a copy back (no crypto)
  touch: LOOP('const d = new Uint8Array(frame.data); frames++; frame.data = d.slice().buffer;'),
  // + one awaited WebCrypto AES-GCM call per frame, of one byte: the thread hop without the AES work
  hop:
    `const kp = crypto.subtle.importKey('raw', new Uint8Array(32), 'AES-GCM', false, ['encrypt']); let ctr = 0;\n` +
    LOOP(`const d = new Uint8Array(frame.data); frames++; const iv = new Uint8Array(12); new DataView(iv.buffer).setUint32(8, ++ctr);
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await kp, d.subarray(0, 1)); frame.data = d.slice().buffer;`),
};
function diagnosticWorker(mode) {
  return `let frames = 0;
${DIAGNOSTIC_WORKER[mode]}
onrtctransform = (e) => through(e.transformer);
onmessage = (e) => {
  const m = e.data ?? {};
  if (m.readable !== undefined) return through(m);
  if (m.requestId === undefined) return;
  postMessage(m.type === 'stats' ? { type: 'stats', requestId: m.requestId, diagnostic: '${mode}', send: { frames } }
    : { type: 'ack', requestId: m.requestId, op: m.type });
};`;
}

async function benchPage(browser, mode) {
  const config = {
    ...(mode === 'off' ? { sframe: false } : {}),
    ...(AUDIO_FRAME_MS !== undefined ? { audioFrameMs: AUDIO_FRAME_MS } : {}),
  };
  const page = await openPage(browser, { video: BENCH_VIDEO, config });
  if (mode in DIAGNOSTIC_WORKER) {
    await page.route('**/sframe-worker-*.js', (r) =>
      r.fulfill({ contentType: 'text/javascript', body: diagnosticWorker(mode) }),
    );
  }
  return page;
}

// 4. SFrame's own per-frame cost, without WebRTC: batches of frames encrypted by the app's
// SFrameContext in a worker, CPU of the whole (otherwise idle) browser around each batch.
async function sframeCost(gw) {
  const browser = await launchBrowser();
  try {
    const page = await benchScriptPage(
      browser,
      gw,
      'sframe-cost-page.js',
      '<!doctype html><title>sframe cost</title>',
    );
    await page.evaluate(() => {
      const w = new Worker('/__bench/sframe-cost.js', { type: 'module' });
      globalThis.runBatch = (size, frames, what) =>
        new Promise((res) => {
          w.onmessage = (e) => res(e.data);
          w.postMessage({ size, frames, what });
        });
    });
    const out = [];
    for (const what of ['sframe', 'webcrypto']) {
      for (const [size, frames] of [
        [100, 20000],
        [1200, 10000],
        [6000, 5000],
      ]) {
        await page.evaluate(
          ([s, n, w]) => globalThis.runBatch(s, n, w),
          [size, Math.ceil(frames / 10), what],
        ); // warm-up
        const runs = [];
        for (let i = 0; i < 5; i++) {
          const c0 = await browserCpu(browser);
          const r = await page.evaluate(
            ([s, n, w]) => globalThis.runBatch(s, n, w),
            [size, frames, what],
          );
          const c1 = await browserCpu(browser);
          runs.push({ cpuUs: ((c1 - c0) * 1e6) / frames, wallUs: (r.wallMs * 1000) / frames });
        }
        out.push({
          what,
          size,
          frames,
          cpuUs: median(runs.map((r) => r.cpuUs)),
          cpuMin: Math.min(...runs.map((r) => r.cpuUs)),
          cpuMax: Math.max(...runs.map((r) => r.cpuUs)),
          wallUs: median(runs.map((r) => r.wallUs)),
        });
      }
    }
    return out;
  } finally {
    await browser.close();
  }
}

/**
 * CPU seconds per thread name (Linux /proc/<pid>/task/<tid>/stat, utime + stime) over the
 * processes of one browser, keyed "processType/threadName" with trailing digits folded ("#").
 * The whole-browser figure says how much SFrame costs; this says where: the SFrame worker runs
 * on the renderer's "DedicatedWorker thread", WebCrypto on its "ThreadPoolForegroundWorker"s
 * (Linux cuts thread names to 15 characters: "DedicatedWorker", "ThreadPoolForeg").
 */
function threadCpu(processInfo) {
  const out = new Map();
  const hz = 100; // USER_HZ on Linux
  for (const { id, type } of processInfo) {
    let tids = [];
    try {
      tids = readdirSync(`/proc/${id}/task`);
    } catch {
      continue; // not Linux, or the process is gone
    }
    for (const tid of tids) {
      try {
        const st = readFileSync(`/proc/${id}/task/${tid}/stat`, 'utf8');
        const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).replace(/\d+$/, '#');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        const k = `${type}/${name}`;
        out.set(k, (out.get(k) ?? 0) + (Number(f[11]) + Number(f[12])) / hz);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

async function processInfo(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo: info } = await cdp.send('SystemInfo.getProcessInfo');
  await cdp.detach();
  return info;
}

async function browserCpu(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  await cdp.detach();
  return processInfo.reduce((sum, p) => sum + p.cpuTime, 0);
}

/** One sender/receiver pair in `mode`, joined and decoding. */
async function startPair(gw, mode) {
  const sender = await launchBrowser();
  const receiver = await launchBrowser();
  const link = newLink(gw);
  const a = await benchPage(sender, mode);
  const b = await benchPage(receiver, mode);
  await joinRoom(a, link, 'Sender');
  await joinRoom(b, link, 'Receiver', { camera: false, mic: false });
  return { mode, sender, receiver, a, b };
}

async function senderCounters(pair) {
  const s = await stats(pair.a);
  let n = 0;
  let bytes = 0;
  let width = 0;
  let keyFrames = 0;
  let plis = 0;
  let encodeS = 0;
  let rtx = 0;
  let audioPackets = 0;
  for (const p of Object.values(s.peers)) {
    for (const o of p.media?.outbound ?? []) {
      if (o.kind === 'audio') audioPackets += o.packetsSent;
      if (o.kind !== 'video') continue;
      n += o.framesEncoded;
      bytes += o.bytesSent;
      width = Math.max(width, o.frameWidth);
      keyFrames += o.keyFramesEncoded;
      plis += o.pliCount + o.firCount;
      encodeS += o.totalEncodeTime;
      rtx += o.retransmittedPacketsSent;
    }
  }
  pair.processes ??= await processInfo(pair.sender);
  return {
    n,
    audioPackets,
    bytes,
    width,
    keyFrames,
    plis,
    encodeS,
    rtx,
    sframeFrames: s.sframe?.send?.frames ?? 0,
    cpu: await browserCpu(pair.sender),
    threads: threadCpu(pair.processes),
    t: performance.now(),
  };
}

/**
 * One round: a pair per mode, all running at the same time, so every mode sees the same load
 * from the rest of the machine during the same window (on a shared 2-core machine, load that
 * changes between sequential windows was the largest error: +-15% between rounds).
 */
async function cpuRound(gw, modes) {
  const pairs = [];
  try {
    for (const mode of modes) pairs.push(await startPair(gw, mode));
    for (const p of pairs) {
      await waitFor(
        p.b,
        (s) =>
          Object.values(s.peers).some((x) =>
            x.media?.inbound?.some((i) => i.kind === 'video' && i.framesDecoded > 30),
          ),
        { what: `receiver decodes (${p.mode})`, timeout: 30_000 },
      );
    }
    await sleep(5000); // warm-up: encoder ramp-up, bandwidth estimate
    const first = [];
    for (const p of pairs) first.push(await senderCounters(p));
    await sleep(CPU_SECONDS * 1000);
    const last = [];
    for (const p of pairs) last.push(await senderCounters(p));
    const out = {};
    pairs.forEach((p, i) => {
      const f0 = first[i];
      const f1 = last[i];
      const wall = (f1.t - f0.t) / 1000;
      const frames = f1.n - f0.n;
      out[p.mode] = {
        mode: p.mode,
        cpuPerSecond: (f1.cpu - f0.cpu) / wall,
        frames,
        audioPerSecond: (f1.audioPackets - f0.audioPackets) / wall,
        msPerFrame: ((f1.cpu - f0.cpu) * 1000) / frames,
        kbps: ((f1.bytes - f0.bytes) * 8) / wall / 1000,
        width: f1.width,
        keyFrames: f1.keyFrames - f0.keyFrames,
        plis: f1.plis - f0.plis,
        rtx: f1.rtx - f0.rtx,
        encodeMsPerFrame: ((f1.encodeS - f0.encodeS) * 1000) / frames,
        // ms of CPU per wall second of the SFrame worker thread and of the renderer's thread pool
        worker:
          (((f1.threads.get('renderer/DedicatedWorker') ?? 0) -
            (f0.threads.get('renderer/DedicatedWorker') ?? 0)) *
            1000) /
          wall,
        pool:
          (((f1.threads.get('renderer/ThreadPoolForeg') ?? 0) -
            (f0.threads.get('renderer/ThreadPoolForeg') ?? 0)) *
            1000) /
          wall,
        sframeFrames: f1.sframeFrames - f0.sframeFrames,
      };
    });
    return out;
  } finally {
    for (const p of pairs) {
      await p.sender.close().catch(() => {});
      await p.receiver.close().catch(() => {});
    }
  }
}

const LABEL = {
  off: 'no SFrame',
  sframe: 'SFrame',
  pipe: 'pipe (diag.)',
  touch: 'touch (diag.)',
  hop: 'hop (diag.)',
};
const pct = (x, base) => ((x - base) / base) * 100;

const gw = await startGateway();
try {
  console.log(`Hybridge browser benchmark: Chromium headless, loopback, gateway ${gw.url}`);
  if (PARTS.has('first')) {
    const ff = await firstFrame(gw);
    console.log(
      `\n1. Open link -> first decoded remote video frame (${RUNS} joins into a room with one member)`,
    );
    console.log(
      '   run  link->frame  click  click->joined  hop+join  peer handshake  click->peer up  click->frame   (ms)',
    );
    ff.forEach((r, i) =>
      console.log(
        `   ${i + 1}    ${fmt(r.firstFrame).padStart(8)}  ${fmt(r.click).padStart(5)}  ${fmt(r.connectToJoined).padStart(13)}  ${fmt(r.hop).padStart(8)}  ${fmt(r.peer).padStart(14)}  ${fmt(r.peerUp).padStart(14)}  ${fmt(r.clickToFrame).padStart(12)}`,
      ),
    );
    const med = (k) => median(ff.map((r) => r[k]).filter((x) => x !== null));
    console.log(
      `   median link->first frame ${fmt(med('firstFrame'))} ms (target < 1500), click->frame ${fmt(med('clickToFrame'))} ms, hop+join ${fmt(med('hop'))} ms, peer handshake ${fmt(med('peer'))} ms`,
    );
  }

  if (PARTS.has('handshake')) {
    const hs = await handshakes(gw);
    console.log(`\n2. Handshake compute in the browser (median of ${hs.iterations})`);
    console.log(`   hop handshake, client side:  ${fmt(hs.hopClientMs, 2)} ms`);
    console.log(`   peer handshake, initiator:   ${fmt(hs.peerInitiatorMs, 2)} ms`);
    console.log(`   peer handshake, responder:   ${fmt(hs.peerResponderMs, 2)} ms`);
  }

  if (PARTS.has('sframe')) {
    const cost = await sframeCost(gw);
    console.log(
      '\n4. SFrame encrypt cost per frame, app code in a worker, no WebRTC (CPU of the whole browser, median of 5 batches)',
    );
    for (const c of cost)
      console.log(
        `   ${c.what.padEnd(9)} ${String(c.size).padStart(5)} B frames: ${fmt(c.cpuUs, 1)} us CPU (${fmt(c.cpuMin, 1)}-${fmt(c.cpuMax, 1)}), ${fmt(c.wallUs, 1)} us wall per frame (${c.frames} frames per batch)`,
      );
  }

  if (PARTS.has('cpu')) {
    console.log(
      `\n3. Sender CPU, 640x480@30 camera + audio (${AUDIO_FRAME_MS === undefined ? "the app's own 40" : AUDIO_FRAME_MS} ms Opus frames) to one peer, ${CPU_SECONDS} s windows, ${CPU_ROUNDS} rounds; each round runs one call per mode (${MODES.join(', ')}) at the same time`,
    );
    const rounds = []; // rounds[i][mode] = result
    for (let i = 0; i < CPU_ROUNDS; i++) {
      // Launch order rotates, so no mode always starts first (or last) on the machine.
      const order = MODES.map((_, j) => MODES[(i + j) % MODES.length]);
      const round = await cpuRound(gw, order);
      for (const mode of order) {
        const r = round[mode];
        console.log(
          `   round ${i + 1}  ${LABEL[mode].padEnd(13)}  ${fmt(r.cpuPerSecond, 3)} CPU s/s  ${r.frames} video frames (${r.width} px wide, ${fmt(r.kbps)} kbit/s, ${r.keyFrames} key frames, ${r.plis} PLI/FIR, ${r.rtx} retransmitted, encoder ${fmt(r.encodeMsPerFrame, 2)} ms/frame), ${fmt(r.audioPerSecond)} audio packets/s  ${fmt(r.msPerFrame, 2)} ms CPU/frame  (SFrame-encrypted frames: ${r.sframeFrames}; worker thread ${fmt(r.worker, 1)} ms/s, renderer thread pool ${fmt(r.pool, 1)} ms/s)`,
        );
      }
      rounds.push(round);
    }
    const base = MODES.includes('off') ? 'off' : MODES[0];
    console.log(
      `   worker thread (where the transforms run), CPU ms per s: ${MODES.map((m) => `${LABEL[m]} ${fmt(median(rounds.map((r) => r[m].worker)), 1)}`).join(', ')}; renderer thread pool (WebCrypto): ${MODES.map((m) => `${LABEL[m]} ${fmt(median(rounds.map((r) => r[m].pool)), 1)}`).join(', ')} (medians)`,
    );
    // The two threads' CPU beyond the baseline's (its thread pool has other work too), as a share of
    // the baseline sender's whole CPU: the low-noise estimate of what the transforms cost.
    const threadsOver = (r, m) => r[m].worker + r[m].pool - (r[base].worker + r[base].pool);
    console.log(
      `     worker + pool beyond ${LABEL[base]}, as a share of its sender CPU: ${MODES.filter(
        (m) => m !== base,
      )
        .map(
          (m) =>
            `${LABEL[m]} ${fmt(median(rounds.map((r) => (threadsOver(r, m) / (r[base].cpuPerSecond * 1000)) * 100)), 1)}% (per round ${rounds.map((r) => fmt((threadsOver(r, m) / (r[base].cpuPerSecond * 1000)) * 100, 1)).join(' ')})`,
        )
        .join('; ')}`,
    );
    for (const k of ['msPerFrame', 'cpuPerSecond']) {
      const unit = k === 'msPerFrame' ? 'CPU ms per video frame' : 'CPU s per s';
      const d = k === 'msPerFrame' ? 2 : 3;
      console.log(
        `   ${unit}: ${MODES.map((m) => `${LABEL[m]} ${fmt(median(rounds.map((r) => r[m][k])), d)}`).join(', ')} (medians)`,
      );
      for (const m of MODES.filter((x) => x !== base)) {
        // Paired per round (both modes measured back to back), so slow drifts of the machine's
        // load cancel; the spread over rounds is the noise to read the median against.
        const paired = rounds.map((r) => pct(r[m][k], r[base][k]));
        const target = m === 'sframe' ? ' (target < 5%)' : '';
        console.log(
          `     ${LABEL[m]} vs ${LABEL[base]}: median ${fmt(median(paired), 1)}% more${target}; per round ${paired.map((x) => `${x >= 0 ? '+' : ''}${fmt(x, 1)}%`).join(' ')}`,
        );
      }
    }
  }
} finally {
  await gw.stop();
}
