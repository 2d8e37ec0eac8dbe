#!/usr/bin/env node
// Browser benchmark (a script, not a test): headless Chromium and Firefox (drivers.js), each on
// its own, on loopback against the real
// gateway (started through web-client/test/support/gateway.js, serving web-client/dist-test: the
// test build, whose hooks the benchmark drives its pages through; the served dist/ has none).
//
//   node bench/browser/bench.mjs [--runs=5] [--cpu-seconds=20] [--cpu-rounds=3]
//                                [--parts=first,handshake,sframe,cpu] [--modes=off,sframe]
//                                [--browsers=chromium,firefox] [--audio-frame-ms=40]
//                                [--livekit-key-bits=128]
//
// Every part runs in each browser of --browsers in turn; a SUMMARY puts the browsers' medians
// side by side at the end. Files: args.js (options), drivers.js (the browsers), parts.js (the
// measurements), livekit-worker.js (mode `livekit`).
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
//    SENDER's browser (Chromium: CDP SystemInfo.getProcessInfo; Firefox: the launched process
//    and its descendants in /proc; all threads: encoding, the SFrame worker, packetization),
//    over a fixed window
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
//    only here. `livekit` serves LiveKit's own E2EE worker (npm livekit-client 2.23.0, unchanged,
//    wrapped by livekit-worker.js) to both pages: the same call encrypted by what users would pick
//    instead; the receiver counts frames with LiveKit's trailer, so it is seen to encrypt.

import { startGateway } from '../../web-client/test/support/gateway.js';
import {
  AUDIO_FRAME_MS,
  BROWSERS,
  CPU_ROUNDS,
  CPU_SECONDS,
  MODES,
  PARTS,
  RUNS,
  fmt,
  median,
} from './args.js';
import { cpuRound, firstFrame, handshakes, sframeCost } from './parts.js';

const LABEL = {
  off: 'no SFrame',
  sframe: 'SFrame',
  pipe: 'pipe (diag.)',
  touch: 'touch (diag.)',
  hop: 'hop (diag.)',
  livekit: 'LiveKit E2EE',
};
const pct = (x, base) => ((x - base) / base) * 100;

/** Every part in one browser; returns the medians for the summary across browsers. */
async function runBrowser(gw, d) {
  const sum = {};
  console.log(`\n===== ${d.name} =====`);
  if (PARTS.has('first')) {
    const ff = await firstFrame(gw, d);
    console.log(
      `\n1. ${d.name}: open link -> first decoded remote video frame (${RUNS} joins into a room with one member)`,
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
    sum.first = { frame: med('firstFrame'), hop: med('hop'), peer: med('peer') };
    console.log(
      `   median link->first frame ${fmt(med('firstFrame'))} ms (target < 1500), click->frame ${fmt(med('clickToFrame'))} ms, hop+join ${fmt(med('hop'))} ms, peer handshake ${fmt(med('peer'))} ms`,
    );
  }

  if (PARTS.has('handshake')) {
    const hs = await handshakes(gw, d);
    sum.hs = hs;
    console.log(`\n2. ${d.name}: handshake compute in the browser (median of ${hs.iterations})`);
    console.log(`   hop handshake, client side:  ${fmt(hs.hopClientMs, 2)} ms`);
    console.log(`   peer handshake, initiator:   ${fmt(hs.peerInitiatorMs, 2)} ms`);
    console.log(`   peer handshake, responder:   ${fmt(hs.peerResponderMs, 2)} ms`);
  }

  if (PARTS.has('sframe')) {
    const cost = await sframeCost(gw, d);
    sum.cost = cost;
    console.log(
      `\n4. ${d.name}: SFrame encrypt cost per frame, app code in a worker, no WebRTC (CPU of the whole browser, median of 5 batches)`,
    );
    for (const c of cost)
      console.log(
        `   ${c.what.padEnd(9)} ${String(c.size).padStart(5)} B frames: ${fmt(c.cpuUs, 1)} us CPU (${fmt(c.cpuMin, 1)}-${fmt(c.cpuMax, 1)}), ${fmt(c.wallUs, 1)} us wall per frame (${c.frames} frames per batch)`,
      );
  }

  if (PARTS.has('cpu')) {
    console.log(
      `\n3. ${d.name}: sender CPU, 640x480@30 camera + audio (${AUDIO_FRAME_MS === undefined ? "the app's own 40" : AUDIO_FRAME_MS} ms Opus frames) to one peer, ${CPU_SECONDS} s windows, ${CPU_ROUNDS} rounds; each round runs one call per mode (${MODES.join(', ')}) at the same time`,
    );
    const rounds = []; // rounds[i][mode] = result
    for (let i = 0; i < CPU_ROUNDS; i++) {
      // Launch order rotates, so no mode always starts first (or last) on the machine.
      const order = MODES.map((_, j) => MODES[(i + j) % MODES.length]);
      const round = await cpuRound(gw, order, d);
      for (const mode of order) {
        const r = round[mode];
        console.log(
          `   round ${i + 1}  ${LABEL[mode].padEnd(13)}  ${fmt(r.cpuPerSecond, 3)} CPU s/s  ${r.frames} video frames (${r.width} px wide, ${fmt(r.kbps)} kbit/s, ${r.keyFrames} key frames, ${r.plis} PLI/FIR, ${r.rtx} retransmitted, encoder ${fmt(r.encodeMsPerFrame, 2)} ms/frame), ${fmt(r.audioPerSecond)} audio packets/s  ${fmt(r.msPerFrame, 2)} ms CPU/frame  (SFrame-encrypted frames: ${r.sframeFrames}; worker thread ${fmt(r.worker, 1)} ms/s, ${d.cryptoThread} ${fmt(r.pool, 1)} ms/s; transform threads ${fmt(r.usPerFrame, 1)} us per frame)`,
        );
      }
      for (const mode of order) {
        const r = round[mode];
        console.log(
          `     ${LABEL[mode]} busiest threads, CPU ms/s: ${r.top.map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')}${r.receiver ? `; receiver saw ${r.receiver.encrypted} LiveKit-encrypted frames, ${r.receiver.plain} not` : ''}`,
        );
      }
      rounds.push(round);
    }
    const base = MODES.includes('off') ? 'off' : MODES[0];
    sum.cpu = { base, rounds };
    console.log(
      `   worker thread ${d.workerThread} (where the transforms run), CPU ms per s: ${MODES.map((m) => `${LABEL[m]} ${fmt(median(rounds.map((r) => r[m].worker)), 1)}`).join(', ')}; ${d.cryptoThread}: ${MODES.map((m) => `${LABEL[m]} ${fmt(median(rounds.map((r) => r[m].pool)), 1)}`).join(', ')} (medians)`,
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
      const digits = k === 'msPerFrame' ? 2 : 3;
      console.log(
        `   ${unit}: ${MODES.map((m) => `${LABEL[m]} ${fmt(median(rounds.map((r) => r[m][k])), digits)}`).join(', ')} (medians)`,
      );
      for (const m of MODES.filter((x) => x !== base)) {
        // Paired per round (both modes measured back to back), so slow drifts of the machine's
        // load cancel; the spread over rounds is the noise to read the median against.
        const paired = rounds.map((r) => pct(r[m][k], r[base][k]));
        const target = '';
        console.log(
          `     ${LABEL[m]} vs ${LABEL[base]}: median ${fmt(median(paired), 1)}% more${target}; per round ${paired.map((x) => `${x >= 0 ? '+' : ''}${fmt(x, 1)}%`).join(' ')}`,
        );
      }
    }
  }
  return sum;
}

/** Side by side: each measurement per browser, from this one run. */
function summary(results) {
  const names = results.map(([d]) => d.name);
  const row = (label, f) =>
    console.log(`   ${label.padEnd(58)} ${results.map(([, s]) => f(s).padStart(14)).join('')}`);
  console.log(`\nSUMMARY (this run)${' '.repeat(44)}${names.map((n) => n.padStart(14)).join('')}`);
  if (PARTS.has('first')) {
    row('open link -> first decoded remote frame, median ms', (s) => fmt(s.first?.frame));
    row('hop handshake + JOIN, median ms', (s) => fmt(s.first?.hop));
    row('peer handshake (wall, through the gateway), median ms', (s) => fmt(s.first?.peer));
  }
  if (PARTS.has('handshake')) {
    row('hop handshake compute, client, ms', (s) => fmt(s.hs?.hopClientMs, 2));
    row(
      'peer handshake compute, initiator / responder, ms',
      (s) => `${fmt(s.hs?.peerInitiatorMs, 1)} / ${fmt(s.hs?.peerResponderMs, 1)}`,
    );
  }
  if (PARTS.has('sframe'))
    for (const size of [100, 1200, 6000])
      row(`SFrame encrypt, ${size} B frame, us CPU (bare AES-GCM)`, (s) => {
        const c = s.cost?.find((x) => x.what === 'sframe' && x.size === size);
        const w = s.cost?.find((x) => x.what === 'webcrypto' && x.size === size);
        return `${fmt(c?.cpuUs, 1)} (${fmt(w?.cpuUs, 1)})`;
      });
  if (PARTS.has('cpu')) {
    for (const m of MODES) {
      row(`sender CPU ms per video frame: ${LABEL[m]}`, (s) =>
        fmt(median(s.cpu.rounds.map((r) => r[m].msPerFrame)), 2),
      );
    }
    for (const m of MODES) {
      row(`worker thread CPU ms per s: ${LABEL[m]}`, (s) =>
        fmt(median(s.cpu.rounds.map((r) => r[m].worker)), 1),
      );
    }
    const perFrame = (s, m) => median(s.cpu.rounds.map((r) => r[m].usPerFrame));
    for (const m of MODES)
      row(`transform threads, us CPU per frame: ${LABEL[m]}`, (s) => fmt(perFrame(s, m), 1));
    for (const [m, b] of [
      ['sframe', 'pipe'],
      ['livekit', 'pipe'],
      ['sframe', 'off'],
    ])
      if (MODES.includes(m) && MODES.includes(b))
        row(`  ${LABEL[m]} above ${LABEL[b]}, us per frame`, (s) =>
          fmt(perFrame(s, m) - perFrame(s, b), 1),
        );
    if (MODES.includes('sframe') && MODES.includes('livekit'))
      row(
        '  SFrame / LiveKit, per frame (target <= 1)',
        (s) => `${fmt(perFrame(s, 'sframe') / perFrame(s, 'livekit'), 2)}x`,
      );
    const over = (s, m, b) =>
      median(s.cpu.rounds.map((r) => pct(r[m].cpuPerSecond, r[b].cpuPerSecond)));
    for (const m of MODES.filter((x) => x !== 'off' && MODES.includes('off')))
      row(
        `sender CPU vs no SFrame, median paired %: ${LABEL[m]}`,
        (s) => `${fmt(over(s, m, 'off'), 1)}%`,
      );
    if (MODES.includes('pipe'))
      for (const m of MODES.filter((x) => !['off', 'pipe'].includes(x)))
        row(
          `sender CPU vs pass-through (pipe), %: ${LABEL[m]}`,
          (s) => `${fmt(over(s, m, 'pipe'), 1)}%`,
        );
  }
}

const gw = await startGateway();
try {
  console.log(
    `Hybridge browser benchmark: ${BROWSERS.map((d) => d.name).join(' and ')} headless, loopback, gateway ${gw.url}`,
  );
  const results = [];
  for (const d of BROWSERS) results.push([d, await runBrowser(gw, d)]);
  summary(results);
} finally {
  await gw.stop();
}
