#!/usr/bin/env node
// File transfer throughput over loopback (a script, not a test): headless Chromium against the
// real gateway (web-client/test/support/gateway.js, serving the test build web-client/dist-test).
//
//   node --experimental-websocket bench/browser/file-throughput.mjs [--mb=20] [--runs=3]
//
// Prerequisites: mvn -B -ntp -q -pl gateway -am process-classes -DskipTests; (cd web-client &&
// npm run build:test).
//
// Two pages (Alice, Bob; audio only) join one room; their peer records run on the data channel.
// In the same run, alternating, the same generated file (a File made in Alice's page) goes:
//   hybridge: Alice's call sends it to Bob (spec/files.md: offer, Bob accepts at once, binary
//             chunks sealed in peer records on the data channel, acks, SHA-256 on both sides);
//             timed from send() to "delivered" (Bob's verified ack back at Alice);
//   bare:     on a second, plain RTCPeerConnection between the same two pages, a bare
//             RTCDataChannel (ordered, reliable) carries the file's raw bytes in 16 KiB messages,
//             read by the same 1 MiB slices under the same bufferedAmount bounds (1 MiB high,
//             256 KiB low); timed from the first read to Bob's 1-byte "done" back at Alice;
//   bare-json: the same, each message a JSON text with the chunk in base64 (12 KiB of file per
//             message), decoded at Bob: what a JSON chunk form would cost at best (no seal);
//   bare-64k: as bare, in 64 KiB messages, the size of hybridge's chunks since peer records on a
//             data channel hold 65536 bytes (spec/data-channel.md §2): so that the baseline is
//             not the slower message size.
//   bare-256k (with --bare-256k): as bare, in 255 KiB messages, near Chromium's largest data-channel
//             message (256 KiB).
//   bare-gcm: as bare-64k with the cryptography a sealed transfer cannot do without, and nothing
//             else: each message AES-256-GCM in WebCrypto (one call per message, up to 32 at a
//             time), Bob decrypting in order into one buffer and hashing it (SHA-256), Alice
//             hashing the file beside the sending. Hybridge against bare-gcm is the cost of our
//             own code; bare-gcm against bare is the cost of the browser's AEAD and hash.
//   bare-gcm-256k (with --bare-256k): bare-gcm in 255 KiB messages.
// Round 0 warms up and is not counted (--no-warmup counts it). Printed: MB/s per run, how busy
// the machine was during each (all cores, /proc/stat), the medians, hybridge / bare per run and
// the median of those ratios (the target is at least 0.8), and the same against the fastest
// bare variant of each run. --threads adds each transfer's Chromium CPU by process type and
// thread name, and an idle round (2 s, nothing sent) for the background; --kinds=a,b runs only
// those transfers (hybridge, bare and bare-64k are needed for the ratios); --profile as below.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startGateway } from '../../web-client/test/support/gateway.js';
import { launchBrowser, openPage, peerNamed, waitFor } from '../../web-client/test/e2e/browser.js';
import { chromium, threadCpu } from './drivers.js';

const arg = (name, dflt) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const MB = arg('mb', 20);
const RUNS = arg('runs', 3);
const SIZE = MB * 1024 * 1024;
/** --profile: one more hybridge transfer under the CDP profiler of both pages, top functions printed. */
const PROFILE = process.argv.includes('--profile');

/** The machine's CPU time so far (all cores, /proc/stat): [busy, total] in clock ticks. */
function cpuTicks() {
  const f = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

/** --no-warmup: count the first round too (its bare transfer runs on a cold association). */
const WARMUP = !process.argv.includes('--no-warmup');

/** --kinds=a,b: only these transfers (hybridge, bare and bare-64k are needed for the ratios). */
const KINDS =
  process.argv
    .find((a) => a.startsWith('--kinds='))
    ?.slice(8)
    .split(',') ?? null;

/** --threads: CPU of every Chromium thread during each transfer, by process type and thread name. */
const THREADS = process.argv.includes('--threads');

/** CPU seconds so far of every Chromium thread: Map "type/thread" -> seconds (drivers.js). */
const chromiumThreads = async (b) => threadCpu(await chromium.processes(b));

/** Self time per function (ms) of a CDP Profiler.Profile, the `n` largest. */
function topSelf(profile, n) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const f = byId.get(profile.samples[i]).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, n);
}

console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
const gw = await startGateway();
const browser = await launchBrowser();
const alice = await openPage(browser);
const bob = await openPage(browser);
const results = {
  idle: [],
  hybridge: [],
  bare: [],
  'bare-json': [],
  'bare-64k': [],
  'bare-256k': [],
  'bare-gcm': [],
  'bare-gcm-256k': [],
};
try {
  await alice.goto(`${gw.url}/`);
  await alice.click('#create-room');
  await alice.waitForSelector('#invite-new:not([hidden])');
  const link = await alice.inputValue('#invite-new-link');
  for (const [p, n] of [
    [alice, 'Alice'],
    [bob, 'Bob'],
  ]) {
    await p.goto(link);
    await p.waitForSelector('#view-join:not([hidden])');
    await p.fill('#join-name', n);
    await p.uncheck('#join-cam');
    await p.click('#join-button');
  }
  const onData = (other) => (s) => {
    const fp = peerNamed(s, other);
    return (
      fp !== null && s.peers[fp].paths?.send === 'data' && s.peers[fp].paths?.receive === 'data'
    );
  };
  await waitFor(alice, onData('Bob'), { timeout: 60_000, what: 'Alice on the data channel' });
  await waitFor(bob, onData('Alice'), { timeout: 60_000, what: 'Bob on the data channel' });

  // Bob accepts every offer at once.
  await bob.evaluate(() => {
    globalThis.__hybridge.onFile((item) => {
      if (item.dir === 'in' && item.state === 'offered')
        globalThis.__hybridge.files().accept(item.key);
    });
  });
  // The file, made once in Alice's page.
  await alice.evaluate((size) => {
    const bytes = new Uint8Array(size);
    crypto.getRandomValues(bytes.subarray(0, 65536));
    for (let i = 65536; i < size; i++) bytes[i] = bytes[i - 65536] ^ (i & 0xff);
    globalThis.__benchFile = new File([bytes], 'bench.bin');
  }, SIZE);

  // The bare connection: signaled by this script between the two pages.
  const setup = (role) => {
    const pc = new RTCPeerConnection();
    globalThis.__bare = { pc, dc: pc.createDataChannel('bare', { negotiated: true, id: 0 }) };
    globalThis.__bare.dc.binaryType = 'arraybuffer';
    globalThis.__bare.candidates = [];
    pc.onicecandidate = (e) =>
      e.candidate && globalThis.__bare.candidates.push(e.candidate.toJSON());
    return role;
  };
  await alice.evaluate(setup, 'a');
  await bob.evaluate(setup, 'b');
  const offer = await alice.evaluate(async () => {
    const o = await globalThis.__bare.pc.createOffer();
    await globalThis.__bare.pc.setLocalDescription(o);
    return o;
  });
  const answer = await bob.evaluate(async (o) => {
    await globalThis.__bare.pc.setRemoteDescription(o);
    const a = await globalThis.__bare.pc.createAnswer();
    await globalThis.__bare.pc.setLocalDescription(a);
    return a;
  }, offer);
  await alice.evaluate((a) => globalThis.__bare.pc.setRemoteDescription(a), answer);
  await new Promise((r) => setTimeout(r, 500));
  const candsA = await alice.evaluate(() => globalThis.__bare.candidates);
  const candsB = await bob.evaluate(() => globalThis.__bare.candidates);
  await bob.evaluate(async (cs) => {
    for (const c of cs) await globalThis.__bare.pc.addIceCandidate(c);
  }, candsA);
  await alice.evaluate(async (cs) => {
    for (const c of cs) await globalThis.__bare.pc.addIceCandidate(c);
  }, candsB);
  for (const p of [alice, bob])
    await p.waitForFunction(() => globalThis.__bare.dc.readyState === 'open', null, {
      timeout: 30_000,
    });

  const hybridge = () =>
    alice.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const files = globalThis.__hybridge.files();
          const snapshot = globalThis.__hybridge.stats();
          snapshot.then((s) => {
            const bobFp = Object.keys(s.peers)[0];
            const t0 = performance.now();
            const [item] = files.send(globalThis.__benchFile, [bobFp]);
            globalThis.__hybridge.onFile((it) => {
              if (it.key !== item.key) return;
              if (it.state === 'delivered') resolve(performance.now() - t0);
              else if (['failed', 'cancelled', 'declined'].includes(it.state))
                reject(new Error(it.error));
            });
          });
        }),
    );

  /** @param {boolean} json @param {number} [kib] message size of the binary form */
  const bare = (json, kib = 16) =>
    Promise.all([
      bob.evaluate(
        ({ size, json }) =>
          new Promise((resolve) => {
            const { dc } = globalThis.__bare;
            let got = 0;
            const parts = [];
            dc.onmessage = (e) => {
              let data;
              if (json) {
                const m = JSON.parse(e.data);
                data = Uint8Array.from(atob(m.d), (c) => c.charCodeAt(0));
              } else data = new Uint8Array(e.data);
              parts.push(data);
              got += data.length;
              if (got >= size) {
                const blob = new Blob(parts);
                dc.send(new Uint8Array([blob.size > 0 ? 1 : 0]));
                dc.onmessage = null;
                resolve(got);
              }
            };
          }),
        { size: SIZE, json },
      ),
      alice.evaluate(
        ({ json, kib }) =>
          new Promise((resolve) => {
            const { dc } = globalThis.__bare;
            const file = globalThis.__benchFile;
            const chunk = json ? 12 * 1024 : kib * 1024;
            const t0 = performance.now();
            dc.onmessage = () => resolve(performance.now() - t0);
            (async () => {
              dc.bufferedAmountLowThreshold = 256 * 1024;
              for (let off = 0; off < file.size; off += 64 * chunk) {
                const slice = new Uint8Array(await file.slice(off, off + 64 * chunk).arrayBuffer());
                for (let p = 0; p < slice.length; p += chunk) {
                  if (dc.bufferedAmount > 1024 * 1024)
                    await new Promise((r) =>
                      dc.addEventListener('bufferedamountlow', r, { once: true }),
                    );
                  const part = slice.subarray(p, p + chunk);
                  if (json) {
                    let s = '';
                    for (let i = 0; i < part.length; i++) s += String.fromCharCode(part[i]);
                    dc.send(
                      JSON.stringify({ t: 'file-chunk', id: '0123456789abcdef', i: p, d: btoa(s) }),
                    );
                  } else dc.send(part);
                }
              }
            })();
          }),
        { json, kib },
      ),
    ]).then(([, ms]) => ms);

  // bare-gcm: the bare channel with the cryptography of a sealed transfer and nothing else: each
  // 64 KiB message is AES-256-GCM (WebCrypto, one call per message, up to 32 at a time, as the
  // record layer does) of the chunk, Bob decrypts in order into one buffer of the file's size
  // and hashes it (SHA-256), Alice hashes the file beside the sending. What is left between this
  // and hybridge is the cost of Hybridge's own code (records, peer messages, acks, progress).
  const gcmKey = [...crypto.getRandomValues(new Uint8Array(32))];
  /** @param {number} [kib] message size */
  const bareGcm = (kib = 64) =>
    Promise.all([
      bob.evaluate(
        async ({ size, key }) => {
          const k = await crypto.subtle.importKey('raw', new Uint8Array(key), 'AES-GCM', false, [
            'decrypt',
          ]);
          return new Promise((resolve) => {
            const { dc } = globalThis.__bare;
            const buffer = new Uint8Array(size);
            let got = 0;
            let seq = 0;
            let queue = Promise.resolve();
            dc.onmessage = (e) => {
              const iv = new Uint8Array(12);
              new DataView(iv.buffer).setUint32(8, seq++);
              const opening = crypto.subtle.decrypt({ name: 'AES-GCM', iv }, k, e.data);
              queue = queue.then(async () => {
                const pt = new Uint8Array(await opening);
                buffer.set(pt, got);
                got += pt.length;
                if (got >= size) {
                  const h = await crypto.subtle.digest('SHA-256', buffer);
                  dc.send(new Uint8Array([new Uint8Array(h)[0]]));
                  dc.onmessage = null;
                  resolve(got);
                }
              });
            };
          });
        },
        { size: SIZE, key: gcmKey },
      ),
      alice.evaluate(
        async ({ key, kib }) => {
          const k = await crypto.subtle.importKey('raw', new Uint8Array(key), 'AES-GCM', false, [
            'encrypt',
          ]);
          return new Promise((resolve) => {
            const { dc } = globalThis.__bare;
            const file = globalThis.__benchFile;
            const chunk = kib * 1024;
            const t0 = performance.now();
            dc.onmessage = () => resolve(performance.now() - t0);
            (async () => {
              const digest = file.arrayBuffer().then((b) => crypto.subtle.digest('SHA-256', b));
              dc.bufferedAmountLowThreshold = 256 * 1024;
              const sealing = [];
              let seq = 0;
              for (let off = 0; off < file.size; off += 1024 * 1024) {
                const slice = new Uint8Array(
                  await file.slice(off, off + 1024 * 1024).arrayBuffer(),
                );
                for (let p = 0; p < slice.length; p += chunk) {
                  if (dc.bufferedAmount > 1024 * 1024)
                    await new Promise((r) =>
                      dc.addEventListener('bufferedamountlow', r, { once: true }),
                    );
                  if (sealing.length >= 32) await sealing.shift();
                  const iv = new Uint8Array(12);
                  new DataView(iv.buffer).setUint32(8, seq++);
                  const ct = crypto.subtle.encrypt(
                    { name: 'AES-GCM', iv },
                    k,
                    slice.subarray(p, p + chunk),
                  );
                  sealing.push(ct.then((c) => dc.send(c)));
                }
              }
              await digest;
            })();
          });
        },
        { key: gcmKey, kib },
      ),
    ]).then(([, ms]) => ms);

  // Run 0 warms up (not counted): the first transfer on each channel finds a cold association
  // (SCTP's congestion window, the JIT), and which kind goes first would decide the ratio.
  for (let run = WARMUP ? 0 : 1; run <= RUNS; run++) {
    for (const [kind, f] of [
      ['bare', () => bare(false)],
      ['hybridge', hybridge],
      ['bare-json', () => bare(true)],
      ['bare-64k', () => bare(false, 64)],
      ['bare-gcm', () => bareGcm()],
      ...(process.argv.includes('--bare-256k') ? [['bare-gcm-256k', () => bareGcm(255)]] : []),
      ...(process.argv.includes('--bare-256k') ? [['bare-256k', () => bare(false, 255)]] : []),
      ...(THREADS ? [['idle', () => new Promise((r) => setTimeout(() => r(2000), 2000))]] : []),
    ].filter(([kind]) => KINDS === null || KINDS.includes(kind))) {
      const th0 = THREADS ? await chromiumThreads(browser) : null;
      const [b0, t0] = cpuTicks();
      const ms = await f();
      const [b1, t1] = cpuTicks();
      const mbps = SIZE / 1e6 / (ms / 1000);
      if (run > 0) results[kind].push(mbps);
      // How busy the whole machine was (every core, every process) while the file went.
      const busy = (b1 - b0) / (t1 - t0);
      console.log(
        `run ${run}${run === 0 ? ' (warm-up, not counted)' : ''} ${kind.padEnd(9)} ${MB} MiB in ${ms.toFixed(0)} ms: ${mbps.toFixed(1)} MB/s, machine CPU busy ${(busy * 100).toFixed(0)}%`,
      );
      if (th0 !== null) {
        const d = [...(await chromiumThreads(browser))].map(([k, v]) => [k, v - (th0.get(k) ?? 0)]);
        const top = d
          .filter(([, v]) => v > 0)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 12);
        const all = d.reduce((a, [, v]) => a + v, 0);
        console.log(
          `  ${kind} Chromium CPU ${(all * 1000).toFixed(0)} ms: ${top.map(([k, v]) => `${k} ${(v * 1000).toFixed(0)}`).join(', ')}`,
        );
      }
    }
  }
  if (PROFILE) {
    const sessions = await Promise.all([alice, bob].map((p) => p.context().newCDPSession(p)));
    for (const c of sessions) {
      await c.send('Profiler.enable');
      await c.send('Profiler.setSamplingInterval', { interval: 200 });
      await c.send('Profiler.start');
    }
    const ms = await hybridge();
    console.log(`profiled hybridge ${MB} MiB in ${ms.toFixed(0)} ms`);
    for (const [name, c] of [
      ['Alice (sender)', sessions[0]],
      ['Bob (receiver)', sessions[1]],
    ]) {
      const { profile } = await c.send('Profiler.stop');
      console.log(`${name}, self time:`);
      for (const [k, v] of topSelf(profile, 20))
        console.log(`  ${v.toFixed(0).padStart(6)} ms  ${k}`);
    }
  }
} finally {
  await browser.close();
  await gw.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = Object.fromEntries(
  Object.entries(results).map(([k, v]) => [k, v.length > 0 ? median(v) : NaN]),
);
console.log(
  `median MB/s: hybridge ${m.hybridge.toFixed(1)}, bare ${m.bare.toFixed(1)}, bare-json ${m['bare-json'].toFixed(1)}, bare-64k ${m['bare-64k'].toFixed(1)}`,
);
// The load of a shared machine swings within seconds: each run's own ratio, then their median.
const ratio = (k) =>
  results[k].length > 0 ? median(results[k].map((v, i) => v / results.bare[i])) : NaN;
console.log(
  `per run, hybridge / bare: ${results.hybridge.map((v, i) => (v / results.bare[i]).toFixed(2)).join(' ')}`,
);
console.log(
  `median of the per-run ratios: hybridge / bare = ${ratio('hybridge').toFixed(2)} (target >= 0.80); bare-json / bare = ${ratio('bare-json').toFixed(2)}; bare-64k / bare = ${ratio('bare-64k').toFixed(2)}`,
);
// Against the faster of the two bare message sizes of each run: the baseline that flatters us least.
/** hybridge against the fastest of `kinds` in each run: per run, and their median. */
const againstFastest = (kinds) => {
  const ks = kinds.filter((k) => results[k].length > 0);
  const r = results.hybridge.map((v, i) => v / Math.max(...ks.map((k) => results[k][i])));
  return `hybridge / the fastest of ${ks.join(', ')}, per run: ${r.map((x) => x.toFixed(2)).join(' ')}; median ${median(r).toFixed(2)}`;
};
console.log(againstFastest(['bare', 'bare-64k']));
if (results['bare-256k'].length > 0) console.log(againstFastest(['bare', 'bare-64k', 'bare-256k']));
// The floor: what the browser's AEAD and hash alone leave of the bare channel, and how much of
// that our own code gives away (each as the median of per-run ratios).
const ratioOf = (a, b) =>
  results[a].length > 0 && results[b].length > 0
    ? median(results[a].map((v, i) => v / results[b][i])).toFixed(2)
    : null;
for (const [a, b] of [
  ['bare-gcm', 'bare-64k'],
  ['bare-gcm-256k', 'bare-256k'],
  ['hybridge', 'bare-gcm'],
]) {
  const r = ratioOf(a, b);
  if (r !== null) console.log(`${a} / ${b} = ${r} (median of the per-run ratios)`);
}
console.log(
  `load average at end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
