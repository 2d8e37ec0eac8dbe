// The benchmark's measurements (bench.mjs prints them), each run in one browser through its
// driver (drivers.js): first frame, handshake compute, SFrame cost per frame, sender CPU per mode.
import { join } from 'node:path';
import * as esbuild from '../../web-client/node_modules/esbuild/lib/main.js';
import { joinRoom, stats, waitFor, sleep } from '../../web-client/test/e2e/browser.js';
import { threadCpu } from './drivers.js';
import {
  AUDIO_FRAME_MS,
  BENCH_VIDEO,
  CPU_SECONDS,
  HERE,
  LIVEKIT_KEY_BITS,
  RUNS,
  median,
  newLink,
} from './args.js';

export async function firstFrame(gw, d) {
  const browser = await d.launch();
  const results = [];
  try {
    const link = newLink(gw);
    const host = await d.openPage(browser);
    await joinRoom(host, link, 'Host');
    for (let i = 0; i < RUNS; i++) {
      const page = await d.openPage(browser);
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
      await page.click('#leave-confirm');
      await d.close(page);
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
async function benchScriptPage(browser, gw, entry, html, d) {
  return d.scriptPage(browser, gw.url, await bundle(entry), html);
}

/** `entry` (under bench/browser) bundled by esbuild as one ES module. */
async function bundle(entry, define = {}) {
  const out = await esbuild.build({
    entryPoints: [join(HERE, entry)],
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'warning',
    define,
  });
  return out.outputFiles[0].text;
}

export async function handshakes(gw, d) {
  const browser = await d.launch();
  try {
    const page = await benchScriptPage(
      browser,
      gw,
      'crypto-page.js',
      '<!doctype html><script type="module" src="/__bench/crypto.js"></script>',
      d,
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

async function benchPage(browser, mode, d) {
  const config = {
    ...(mode === 'off' ? { sframe: false } : {}),
    ...(AUDIO_FRAME_MS !== undefined ? { audioFrameMs: AUDIO_FRAME_MS } : {}),
  };
  const page = await d.openPage(browser, { video: BENCH_VIDEO, config });
  if (mode in DIAGNOSTIC_WORKER) await d.replaceWorker(page, diagnosticWorker(mode));
  if (mode === 'livekit')
    await d.replaceWorker(
      page,
      await bundle('livekit-worker.js', { LIVEKIT_KEY_BITS: String(LIVEKIT_KEY_BITS) }),
    );
  return page;
}

// 4. SFrame's own per-frame cost, without WebRTC: batches of frames encrypted by the app's
// SFrameContext in a worker, CPU of the whole (otherwise idle) browser around each batch.
export async function sframeCost(gw, d) {
  const browser = await d.launch();
  try {
    const page = await benchScriptPage(
      browser,
      gw,
      'sframe-cost-page.js',
      '<!doctype html><title>sframe cost</title>',
      d,
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
          const c0 = await d.cpu(browser);
          const r = await page.evaluate(
            ([s, n, w]) => globalThis.runBatch(s, n, w),
            [size, frames, what],
          );
          const c1 = await d.cpu(browser);
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

/** One sender/receiver pair in `mode`, joined and decoding. */
async function startPair(gw, mode, d) {
  const sender = await d.launch();
  const receiver = await d.launch();
  const link = newLink(gw);
  const a = await benchPage(sender, mode, d);
  const b = await benchPage(receiver, mode, d);
  await joinRoom(a, link, 'Sender');
  await joinRoom(b, link, 'Receiver', { camera: false, mic: false });
  return { mode, sender, receiver, a, b, d };
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
  pair.processes ??= await pair.d.processes(pair.sender);
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
    cpu: await pair.d.cpu(pair.sender),
    threads: threadCpu(pair.processes),
    t: performance.now(),
  };
}

/**
 * One round: a pair per mode, all running at the same time, so every mode sees the same load
 * from the rest of the machine during the same window (on a shared 2-core machine, load that
 * changes between sequential windows was the largest error: +-15% between rounds).
 */
export async function cpuRound(gw, modes, d) {
  const pairs = [];
  try {
    for (const mode of modes) pairs.push(await startPair(gw, mode, d));
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
    // What the receiver's worker saw: for LiveKit, frames with and without its trailer.
    const receiverChecks = [];
    for (const p of pairs) receiverChecks.push((await stats(p.b)).sframe?.received ?? null);
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
          (((f1.threads.get(d.workerThread) ?? 0) - (f0.threads.get(d.workerThread) ?? 0)) * 1000) /
          wall,
        pool:
          (((f1.threads.get(d.cryptoThread) ?? 0) - (f0.threads.get(d.cryptoThread) ?? 0)) * 1000) /
          wall,
        sframeFrames: f1.sframeFrames - f0.sframeFrames,
        // CPU of the transform's threads (worker + crypto pool) per frame through the sender's
        // transforms (video frames + audio packets, one 40 ms frame each): robust to a starved
        // encoder sending fewer frames in one mode than in another.
        usPerFrame:
          (((f1.threads.get(d.workerThread) ?? 0) -
            (f0.threads.get(d.workerThread) ?? 0) +
            ((f1.threads.get(d.cryptoThread) ?? 0) - (f0.threads.get(d.cryptoThread) ?? 0))) *
            1e6) /
          (frames + (f1.audioPackets - f0.audioPackets)),
        // the threads whose CPU grew most in the window (where the work is)
        top: [...f1.threads]
          .map(([k, v]) => [k, ((v - (f0.threads.get(k) ?? 0)) * 1000) / wall])
          .sort((x, y) => y[1] - x[1])
          .slice(0, 6),
        receiver: receiverChecks[i],
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
