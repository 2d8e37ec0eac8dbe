#!/usr/bin/env node
// Short join codes, timed (a script, not a test): headless Chromium on loopback against the real
// gateway (web-client/test/support/gateway.js, serving the test build web-client/dist-test).
//
//   node --experimental-websocket bench/browser/code-to-call.mjs [--runs=5]
//
// Prerequisites: mvn -B -ntp -q -pl gateway -am process-classes -DskipTests; (cd web-client &&
// npm run build:test).
//
// Per run: page A clicks "Create a code" and waits for it; page B types it and submits. Printed,
// from B's submit (B's performance.now()): (1) "code": the code exchange is done and B shows the
// room's join view (B's well-known fetch, hop handshake, SLOT_JOIN, CPace, X-Wing peer handshake,
// invite; A's side runs concurrently); (2) "call": B has clicked Join (at once) and sees A with a
// SAS, i.e. B's room hop handshake, JOIN and the room peer handshake are done as well. Median,
// min and max over the runs. Camera off on both pages (the figure is about signaling, not media).

import { performance } from 'node:perf_hooks';
import { startGateway } from '../../web-client/test/support/gateway.js';
import { launchBrowser, openPage, peerNamed, waitFor } from '../../web-client/test/e2e/browser.js';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);

const gw = await startGateway({ config: { limits: { 'slot-attempt-burst': 1000 } } });
const browser = await launchBrowser();
const codeMs = [];
const callMs = [];
try {
  for (let i = 0; i < runs; i++) {
    const a = await openPage(browser);
    const b = await openPage(browser);
    await a.goto(gw.url);
    await b.goto(gw.url);
    await a.click('#create-code');
    await a.waitForFunction(() =>
      /^[0-9]+-[0-9]{4}-[0-9]{2}$/.test(document.querySelector('#code-value')?.textContent ?? ''),
    );
    const code = await a.textContent('#code-value');
    await b.fill('#code-input', code);
    const t0 = performance.now();
    await b.click('#code-join');
    await b.waitForSelector('#view-join:not([hidden])', { timeout: 30_000 });
    const t1 = performance.now();
    await b.fill('#join-name', 'B');
    await b.uncheck('#join-cam');
    await b.click('#join-button');
    await a.waitForSelector('#view-join:not([hidden])', { timeout: 30_000 });
    await a.fill('#join-name', 'A');
    await a.uncheck('#join-cam');
    await a.click('#join-button');
    await waitFor(
      b,
      (s) => {
        if (s.state !== 'joined' || !s.peers) return false;
        const fp = peerNamed(s, 'A');
        return fp !== null && s.peers[fp].state === 'connected' && s.peers[fp].sas !== null;
      },
      { interval: 20, what: 'B sees A' },
    );
    const t2 = performance.now();
    codeMs.push(t1 - t0);
    callMs.push(t2 - t0);
    console.log(`run ${i + 1}: code ${(t1 - t0).toFixed(0)} ms, call ${(t2 - t0).toFixed(0)} ms`);
    await a.context().close();
    await b.context().close();
  }
} finally {
  await browser.close();
  await gw.stop();
}

const stat = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms (min ${s[0].toFixed(0)}, max ${s.at(-1).toFixed(0)}, n=${s.length})`;
};
console.log(`typed code -> join view (code exchange): ${stat(codeMs)}`);
console.log(`typed code -> in the call with a SAS:     ${stat(callMs)}`);
