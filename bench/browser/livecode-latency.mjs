#!/usr/bin/env node
// Live Code pad, keystroke to remote display (a script, not a test): headless Chromium pages on
// loopback against the real gateway (web-client/test/support/gateway.js, serving the test build
// web-client/dist-test), audio only (fake microphone, no camera).
//
//   node --experimental-websocket bench/browser/livecode-latency.mjs [--keys=150] [--interval=80]
//        [--configs=2:data,2:relay,6:data,6:relay] [--media=audio|none]
//
// Prerequisites: mvn -B -ntp -q -pl gateway -am process-classes -DskipTests; (cd web-client &&
// npm run build:test).
//
// Per configuration (`peers:path`; path `data` = peer records on the data channels, `relay` =
// data channels off, every record through the gateway), one room of that many pages: the first
// page types `--keys` characters into the pad with the keyboard, one every `--interval` ms (12.5
// keys per second by default, a fast typist). Each keystroke's time is taken at its keydown in
// the typing page; each other page takes the time at which its editor's content (the DOM)
// first shows that character, at the next animation frame (i.e. when it can be painted). The
// clocks are the pages' performance.timeOrigin + performance.now(), one machine's clock. Printed:
// p50, p99 and max over all (keystroke, receiving page) pairs, and each configuration's p50
// against the first one's. --media=none joins with the microphone off too: no media at all, so
// that six pages on two cores measure the pad's path rather than six calls' audio and SFrame.

import { execSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { startGateway } from '../../web-client/test/support/gateway.js';
import {
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  waitFor,
} from '../../web-client/test/e2e/browser.js';

const arg = (name, dflt) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const keys = Number(arg('keys', 150));
const interval = Number(arg('interval', 80));
const media = arg('media', 'audio');
const configs = arg('configs', '2:data,2:relay,6:data,6:relay')
  .split(',')
  .map((c) => {
    const [n, path] = c.split(':');
    return { n: Number(n), path };
  });

/** In a receiving page: record when the editor's DOM first shows each new length of the pad. */
function watchPad() {
  const root = document.querySelector('#pad-editor').shadowRoot;
  const content = root.querySelector('.cm-content');
  const seen = [];
  globalThis.__padSeen = seen;
  const check = () => {
    // the number of characters drawn (lines joined by \n, as in the document)
    const lines = [...content.querySelectorAll('.cm-line')].map((l) => l.textContent);
    const n = lines.join('\n').length;
    if (n > seen.length) {
      requestAnimationFrame(() => {
        const t = performance.timeOrigin + performance.now();
        for (let i = seen.length; i < n; i++) seen[i] = t;
      });
    }
  };
  new MutationObserver(check).observe(content, {
    subtree: true,
    childList: true,
    characterData: true,
  });
}

/** In the typing page: record the time of each keydown on the editor. */
function watchKeys() {
  const content = document.querySelector('#pad-editor').shadowRoot.querySelector('.cm-content');
  const downs = [];
  globalThis.__padDowns = downs;
  content.addEventListener(
    'keydown',
    () => downs.push(performance.timeOrigin + performance.now()),
    {
      capture: true,
    },
  );
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function run(browser, gw, { n, path }) {
  const names = Array.from({ length: n }, (_, i) => `P${i}`);
  const config = path === 'relay' ? { dataChannel: false } : {};
  const pages = [];
  try {
    for (const _ of names) {
      const page = await openPage(browser, { config });
      page.setDefaultTimeout(120_000); // six pages on a loaded machine join slowly
      pages.push(page);
    }
    await pages[0].goto(`${gw.url}/`);
    await pages[0].click('#create-room');
    await pages[0].waitForSelector('#invite-new:not([hidden])');
    const link = await pages[0].inputValue('#invite-new-link');
    for (let i = 0; i < n; i++) {
      await joinRoom(pages[i], link, names[i], {
        camera: false,
        mic: media !== 'none',
        waitJoined: false,
      });
      await waitFor(pages[i], (s) => s.state === 'joined', {
        timeout: 120_000,
        what: `${names[i]} joined`,
      });
    }
    for (let i = 0; i < n; i++) {
      const others = names.filter((x) => x !== names[i]);
      await waitFor(
        pages[i],
        (s) =>
          others.every((o) => {
            const p = s.peers[peerNamed(s, o)];
            if (!p || p.state !== 'connected' || p.sas === null) return false;
            return path === 'relay' || (p.paths?.send === 'data' && p.paths?.receive === 'data');
          }),
        { timeout: 180_000, what: `${names[i]} connected (${path})` },
      );
    }
    for (const p of pages) {
      await p.click('#tab-pad');
      await p.waitForSelector('#pad-editor .cm-content');
    }
    for (const p of pages.slice(1)) await p.evaluate(watchPad);
    await pages[0].evaluate(watchKeys);
    await pages[0].click('#pad-editor .cm-content');
    const load0 = loadavg()[0];
    for (let k = 0; k < keys; k++) {
      const started = Date.now();
      await pages[0].keyboard.press(k % 40 === 39 ? 'Enter' : String.fromCharCode(97 + (k % 26)));
      const wait = interval - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const downs = await pages[0].evaluate(() => globalThis.__padDowns);
    const lat = [];
    let missing = 0;
    for (const p of pages.slice(1)) {
      await p.waitForFunction((k) => globalThis.__padSeen.length >= k, keys, { timeout: 120_000 });
      const seen = await p.evaluate(() => globalThis.__padSeen);
      for (let k = 0; k < keys; k++) {
        if (seen[k] === undefined) missing++;
        else lat.push(seen[k] - downs[k]);
      }
    }
    lat.sort((a, b) => a - b);
    const load1 = loadavg()[0];
    return { n, path, lat, missing, load: [load0, load1] };
  } finally {
    for (const p of pages)
      await p
        .context()
        .close()
        .catch(() => {});
  }
}

const gw = await startGateway();
const browser = await launchBrowser();
const results = [];
try {
  for (const c of configs) {
    const r = await run(browser, gw, c);
    results.push(r);
    console.log(
      `${r.n} peers, ${r.path.padEnd(5)} (${media === 'none' ? 'no media' : 'audio'}): p50 ${pct(r.lat, 50).toFixed(1)} ms, p99 ${pct(r.lat, 99).toFixed(1)} ms, max ${r.lat.at(-1).toFixed(1)} ms (n=${r.lat.length}, missing ${r.missing}; load ${r.load.map((x) => x.toFixed(1)).join(' -> ')})`,
    );
  }
} finally {
  await browser.close();
  await gw.stop();
}
const base = results[0];
console.log(`\nratios of p50 / p99 against ${base.n} peers ${base.path}:`);
for (const r of results) {
  console.log(
    `  ${r.n} peers, ${r.path.padEnd(5)}: ${(pct(r.lat, 50) / pct(base.lat, 50)).toFixed(2)} / ${(pct(r.lat, 99) / pct(base.lat, 99)).toFixed(2)}`,
  );
}
let cpus = '';
try {
  cpus = execSync('nproc').toString().trim();
} catch {
  cpus = '?';
}
console.log(
  `machine: ${cpus} cores, load average now ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
