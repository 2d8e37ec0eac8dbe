// Real Chromium for the browser tests and the benchmark (playwright-core, Debian's chromium).
//
// Headless Chromium 156 needs only --use-fake-ui-for-media-stream (grants getUserMedia AND
// getDisplayMedia without a picker) and --use-fake-device-for-media-stream (a synthetic camera,
// a beeping microphone, and for getDisplayMedia a synthetic 1280x720 30 fps "screen:-3:0" with
// "Fake audio"). --auto-select-desktop-capture-source and --auto-accept-this-tab-capture are not
// needed (checked: same result with and without them).

import { chromium } from 'playwright-core';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const CHROMIUM = process.env.HYBRIDGE_CHROMIUM ?? '/usr/bin/chromium';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now (axe is evaluated by the
 * test driver, so the page's CSP does not apply).
 */
export async function axeViolations(page) {
  await page.evaluate(AXE);
  const r = await page.evaluate(() =>
    globalThis.axe.run(document, { resultTypes: ['violations'] }),
  );
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  // Background pages are what the other participants are here: do not throttle their timers.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** Small fake video keeps three or four pages within two cores. */
export const TEST_VIDEO = { width: { exact: 320 }, height: { exact: 240 }, frameRate: { max: 15 } };

export function chromiumAvailable() {
  return existsSync(CHROMIUM);
}

/** `without`: flags of CHROMIUM_ARGS to leave out (e.g. the fake media UI, to test a denial). */
export async function launchBrowser(extraArgs = [], { without = [] } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS.filter((a) => !without.includes(a)), ...extraArgs],
  });
}

/** A page in its own browser context (its own storage and renderer), with the test hook. */
export async function openPage(
  browser,
  {
    video = TEST_VIDEO,
    viewport = { width: 1280, height: 720 },
    consoleTo = null,
    config = {},
  } = {},
) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.addInitScript(
    (c) => {
      globalThis.__hybridgeTestConfig = c;
    },
    { hooks: true, video, ...config },
  );
  if (consoleTo) page.on('console', (m) => consoleTo(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
  return page;
}

/** Opens a room link, enters a name and joins. Resolves once the page's session is joined. */
export async function joinRoom(
  page,
  link,
  name,
  { mic = true, camera = true, waitJoined = true } = {},
) {
  await page.goto(link);
  await page.waitForSelector('#view-join:not([hidden])');
  await page.fill('#join-name', name);
  if (!mic) await page.uncheck('#join-mic');
  if (!camera) await page.uncheck('#join-cam');
  await page.click('#join-button');
  if (waitJoined) await waitFor(page, (s) => s.state === 'joined', { what: `${name} joined` });
}

export function stats(page) {
  return page.evaluate(() => globalThis.__hybridge.stats());
}

export function alerts(page) {
  return page.evaluate(() => globalThis.__hybridge.alerts());
}

/**
 * Polls the page's stats until `predicate(stats)` is truthy; returns that stats object. Throws
 * with `what` and the last stats after `timeout` ms.
 */
export async function waitFor(
  page,
  predicate,
  { timeout = 30_000, interval = 250, what = 'condition' } = {},
) {
  const end = Date.now() + timeout;
  for (;;) {
    const last = await stats(page);
    if (predicate(last)) return last;
    if (Date.now() > end) {
      const brief = JSON.stringify(summary(last)).slice(0, 4000);
      throw new Error(`timed out waiting for ${what}; last stats: ${brief}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** What a failure message shows of a page's stats. */
export function summary(s) {
  return {
    state: s.state,
    name: s.name,
    problems: s.problems?.map((p) =>
      p.cause
        ? `${p.code}(${p.cause} ${p.keyFp?.slice(0, 8)} +${p.at - s.problems[0].at}ms)`
        : p.code,
    ),
    sendKid: s.sframe?.send?.kid,
    sfu: s.sfu,
    peers: Object.values(s.peers ?? {}).map((p) => ({
      name: p.name,
      state: p.state,
      via: p.via,
      role: p.role,
      sas: p.sas,
      failure: p.failure,
      conn: p.media?.connectionState,
      sig: p.media?.signalingState,
      ice: p.media?.iceConnectionState,
      negotiation: p.media?.negotiation,
      inbound: p.media?.inbound?.map(
        (i) =>
          `${i.kind}${i.screen ? '/screen' : ''}:${i.kind === 'video' ? `${i.framesDecoded}/${i.framesReceived}/${i.packetsReceived}p` : i.totalSamplesReceived}`,
      ),
    })),
  };
}

/** Totals of a page's inbound media from one peer: camera video frames, audio samples, screen frames. */
export function inboundFrom(s, keyFp) {
  const media = s.peers[keyFp]?.media;
  const out = { video: 0, audio: 0, screen: 0, screenAudio: 0 };
  for (const i of media?.inbound ?? []) {
    if (i.kind === 'video') out[i.screen ? 'screen' : 'video'] += i.framesDecoded;
    else out[i.screen ? 'screenAudio' : 'audio'] += i.totalSamplesReceived;
  }
  return out;
}

/** keyFp of the peer named `name` in a page's stats. */
export function peerNamed(s, name) {
  for (const [fp, p] of Object.entries(s.peers)) if (p.name === name) return fp;
  return null;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
