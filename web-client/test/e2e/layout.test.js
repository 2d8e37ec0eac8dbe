// The call screen's layout and indicators in real Chromium against the real gateway (issue "The
// meeting people expect"): three people, one on a phone held upright (390x844), two on laptops
// (1280x800). Tiles show each video whole and fill their place (the aspect is kept); a shared
// screen becomes the large tile with the people in a strip; a pinned tile becomes the large one,
// and a tile's Full screen button shows it alone;
// muted and camera-off reach the others (the `media` peer message) and show on their tiles; the
// fake microphone's beeps make an unmuted person the speaker at the others, never a muted one;
// shortcuts (m, v, ?) act only outside text fields; every control is reachable by Tab with a
// visible focus ring; axe-core finds nothing serious. Screenshots: test/e2e/artifacts/layout-*.png.

import { after, before, describe, test } from 'node:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import {
  chromiumAvailable,
  joinRoom,
  launchBrowser,
  openPage,
  sleep,
  stats,
  waitFor,
  axeViolations,
} from './browser.js';
import { connectedTo, newLink } from './calls.js';

const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/**
 * Every tile as laid out: its box, its role, and for a tile with a picture the box the video's
 * content is drawn in (from object-fit and videoWidth/videoHeight) and how much of the video is
 * cut off (cover) or how much of the tile it fills.
 */
function tiles(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('#tiles .tile')].map((el) => {
      const v = el.querySelector('video');
      const b = v.getBoundingClientRect();
      const t = el.getBoundingClientRect();
      const fitMode = getComputedStyle(v).objectFit;
      const va = v.videoWidth > 0 ? v.videoWidth / v.videoHeight : null;
      let content = null;
      let shown = 1;
      if (va !== null) {
        const ba = b.width / b.height;
        if (fitMode === 'contain') {
          content = ba > va ? { w: b.height * va, h: b.height } : { w: b.width, h: b.width / va };
        } else if (fitMode === 'cover') {
          content = { w: b.width, h: b.height };
          shown = ba > va ? va / ba : ba / va; // the part of the video that is not cut off
        } else {
          content = { w: b.width, h: b.height };
          shown = Math.min(ba / va, va / ba); // stretched: distorted
        }
      }
      return {
        key: el.dataset.key,
        name: el.querySelector('.tile-name').textContent,
        role: el.dataset.role,
        noVideo: el.classList.contains('no-video'),
        box: { x: t.x, y: t.y, w: t.width, h: t.height },
        aspect: va,
        shown,
        fill: content ? (content.w * content.h) / (b.width * b.height) : null,
      };
    }),
  );
}

/** Waits until the page shows `n` tiles with a picture and the layout has settled (two equal reads). */
async function settled(page, n, what) {
  const end = Date.now() + 30_000;
  let last = '';
  for (;;) {
    const ts = await tiles(page);
    const now = JSON.stringify(ts);
    if (ts.filter((t) => !t.noVideo).length >= n && now === last) return ts;
    if (Date.now() > end) throw new Error(`${what}: not settled: ${now}`);
    last = now;
    await sleep(400); // two reads apart, past the 0.2 s move transition of app.css
  }
}

const area = (t) => t.box.w * t.box.h;
const overlaps = (a, b) =>
  a.x < b.x + b.w - 1 && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1;

/** The grid keeps every video whole and filling its tile, tiles apart and inside the stage. */
async function checkGrid(page, what) {
  const ts = await settled(page, 3, what);
  const stage = await page.locator('#tiles').boundingBox();
  assert.equal(ts.length, 3, `${what}: three tiles`);
  for (const t of ts) {
    assert.equal(t.role, 'grid', `${what}: ${t.name} in the grid`);
    assert.equal(t.shown, 1, `${what}: ${t.name}'s video is not cropped`);
    assert.ok(t.fill >= 0.95, `${what}: ${t.name}'s video fills ${t.fill} of its tile`);
    assert.ok(
      Math.abs(t.box.w / t.box.h - t.aspect) / t.aspect < 0.05,
      `${what}: ${t.name}'s tile ${Math.round(t.box.w)}x${Math.round(t.box.h)} has its video's aspect ${t.aspect}`,
    );
    const inside =
      t.box.x >= stage.x - 1 &&
      t.box.x + t.box.w <= stage.x + stage.width + 1 &&
      t.box.y >= stage.y - 1 &&
      t.box.y + t.box.h <= stage.y + stage.height + 1;
    assert.ok(
      inside,
      `${what}: ${t.name} ${JSON.stringify(t.box)} inside ${JSON.stringify(stage)}`,
    );
  }
  for (let i = 0; i < ts.length; i++)
    for (let j = 0; j < i; j++) assert.ok(!overlaps(ts[i].box, ts[j].box), `${what}: overlap`);
  const used = (3 * area(ts[0])) / (stage.width * stage.height);
  assert.ok(used >= 0.35, `${what}: the tiles use ${used} of the stage`);
  return ts;
}

/** The tile of `name` at `page`, as a selector. */
async function tileOf(page, name) {
  const key = await page.evaluate(
    (n) =>
      [...document.querySelectorAll('#tiles .tile')].find(
        (el) => el.querySelector('.tile-name').textContent === n,
      )?.dataset.key,
    name,
  );
  assert.ok(key, `a tile for ${name}`);
  return `#tiles .tile[data-key="${key}"]`;
}

describe(
  'layout and indicators of the call screen in Chromium',
  { skip: !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)' },
  () => {
    let gw;
    let browser;
    const p = {};

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      gw = await startGateway();
      browser = await launchBrowser();
      const link = newLink(gw);
      p.alice = await openPage(browser, { viewport: LAPTOP });
      p.bob = await openPage(browser, { viewport: PHONE });
      p.carol = await openPage(browser, { viewport: LAPTOP });
      await joinRoom(p.alice, link, 'Alice');
      await joinRoom(p.bob, link, 'Bob');
      await joinRoom(p.carol, link, 'Carol Jones');
      for (const [page, others] of [
        [p.alice, ['Bob', 'Carol Jones']],
        [p.bob, ['Alice', 'Carol Jones']],
        [p.carol, ['Alice', 'Bob']],
      ])
        await waitFor(page, (s) => connectedTo(s, others), { what: `connected to ${others}` });
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await gw?.stop().catch(() => {});
    });

    test('three people: each video whole and filling a tile of its aspect, at 1280x800 and on a phone (390x844)', async () => {
      const laptop = await checkGrid(p.alice, 'Alice at 1280x800');
      assert.ok(
        laptop.every((t) => t.box.w > t.box.h),
        'landscape video, landscape tiles',
      );
      await checkGrid(p.bob, 'Bob at 390x844');
      await p.alice.screenshot({ path: join(ARTIFACTS, 'layout-grid-1280x800.png') });
      await p.bob.screenshot({ path: join(ARTIFACTS, 'layout-grid-390x844.png') });
      // The phone still has its chat and no page scroll (meeting.test.js asked it of the old grid).
      assert.equal(
        await p.bob.evaluate(() => document.scrollingElement.scrollHeight <= innerHeight),
        true,
      );
    });

    test('`m` mutes (outside text fields only): the others see Alice muted; unmuted Bob is the speaker, muted Alice never', async () => {
      // Typing an "m" in the chat does not mute.
      await p.alice.focus('#chat-text');
      await p.alice.keyboard.type('m');
      assert.equal(await p.alice.inputValue('#chat-text'), 'm');
      assert.equal(await p.alice.getAttribute('#btn-mute', 'aria-pressed'), 'false');
      await p.alice.fill('#chat-text', '');
      await p.alice.focus('#btn-keys');
      await p.alice.keyboard.press('m');
      assert.equal(await p.alice.getAttribute('#btn-mute', 'aria-pressed'), 'true');
      for (const page of [p.bob, p.carol]) {
        const alice = await tileOf(page, 'Alice');
        await page.waitForSelector(`${alice}[data-muted="true"] .tile-muted:not([hidden])`);
      }
      assert.equal(await p.carol.getAttribute(await tileOf(p.carol, 'Bob'), 'data-muted'), 'false');
      // Speaking: the fake microphone beeps. At Carol, Bob (unmuted) becomes the speaker and
      // stays it between beeps (hysteresis); Alice (muted) is never highlighted.
      const bob = await tileOf(p.carol, 'Bob');
      const alice = await tileOf(p.carol, 'Alice');
      await p.carol.waitForSelector(`${bob}.speaking`, { timeout: 15_000 });
      const seen = [];
      for (let i = 0; i < 15; i++) {
        seen.push(
          await p.carol.evaluate(
            ([b, a]) => [
              document.querySelector(b).classList.contains('speaking'),
              document.querySelector(a).classList.contains('speaking'),
            ],
            [bob, alice],
          ),
        );
        await sleep(200); // sampled over 3 s: the highlight must hold, not flicker
      }
      assert.ok(
        seen.every(([b]) => b),
        `Bob stays the speaker: ${seen.map(([b]) => +b).join('')}`,
      );
      assert.ok(
        seen.every(([, a]) => !a),
        `muted Alice is never the speaker: ${seen.map(([, a]) => +a).join('')}`,
      );
      await p.carol.screenshot({ path: join(ARTIFACTS, 'layout-muted-speaking-1280x800.png') });
      // What measuring the levels costs (a figure, not asserted): getStats of two receivers and
      // one sender every 300 ms.
      const cost = (await stats(p.carol)).presence;
      console.log(
        `speaker detection at Carol: ${cost.rounds} rounds, ${(cost.ms / cost.rounds).toFixed(1)} ms each (wall clock, awaited), ${cost.skipped} ticks skipped while one was running`,
      );
      // Unmuted again: Alice's beeps make her a speaker too, and the mark goes.
      await p.alice.keyboard.press('m');
      assert.equal(await p.alice.getAttribute('#btn-mute', 'aria-pressed'), 'false');
      await p.carol.waitForSelector(`${alice}[data-muted="false"].speaking`, { timeout: 15_000 });
    });

    test('`v` turns the camera off: the others see the name and initials, not a black rectangle', async () => {
      await p.carol.locator('#btn-keys').focus();
      await p.carol.keyboard.press('v');
      assert.equal(await p.carol.getAttribute('#btn-camera', 'aria-pressed'), 'true');
      for (const page of [p.alice, p.bob]) {
        const carol = await tileOf(page, 'Carol Jones');
        await page.waitForSelector(`${carol}.no-video[data-camera="off"] .avatar`);
        assert.equal(await page.locator(`${carol} .avatar`).isVisible(), true);
        assert.equal(await page.locator(`${carol} video`).isVisible(), false);
        assert.equal(await page.textContent(`${carol} .avatar`), 'CJ');
        assert.equal(await page.locator(`${carol} .tile-name`).isVisible(), true);
      }
      await sleep(500);
      await p.bob.screenshot({ path: join(ARTIFACTS, 'layout-camera-off-390x844.png') });
      await p.carol.keyboard.press('v');
      const carol = await tileOf(p.alice, 'Carol Jones');
      await p.alice.waitForSelector(`${carol}[data-camera="on"]:not(.no-video)`);
    });

    test('`s` shares: the screen is the large tile, the people a strip; a pinned tile takes its place', async () => {
      await p.alice.locator('#btn-keys').focus();
      await p.alice.keyboard.press('s'); // the shortcut for Share screen
      await p.alice.waitForSelector('#btn-stop-share:not([hidden])');
      for (const [page, what, file] of [
        [p.carol, 'Carol at 1280x800', 'layout-share-1280x800.png'],
        [p.bob, 'Bob at 390x844', 'layout-share-390x844.png'],
      ]) {
        await page.waitForSelector('#tiles[data-layout="stage"] .tile.screen[data-role="main"]', {
          timeout: 30_000,
        });
        const ts = await settled(page, 4, what);
        const main = ts.find((t) => t.role === 'main');
        assert.match(main.name, /Alice’s screen/);
        assert.equal(main.shown, 1, `${what}: the screen is not cropped`);
        assert.ok(main.fill >= 0.95, `${what}: the screen fills its tile (${main.fill})`);
        for (const t of ts.filter((x) => x !== main)) {
          assert.equal(t.role, 'strip');
          assert.ok(area(main) > 3 * area(t), `${what}: the screen is larger than ${t.name}`);
        }
        const stage = await page.locator('#tiles').boundingBox();
        assert.ok(area(main) / (stage.width * stage.height) > 0.4, `${what}: it takes the stage`);
        await page.screenshot({ path: join(ARTIFACTS, file) });
      }
      // Carol pins Bob: his tile is the large one, the screen goes to the strip; unpin: back.
      const bob = await tileOf(p.carol, 'Bob');
      await p.carol.click(`${bob} .tile-pin`);
      await p.carol.waitForSelector(`${bob}[data-role="main"] .tile-pin[aria-pressed="true"]`);
      assert.equal(await p.carol.getAttribute('#tiles .tile.screen', 'data-role'), 'strip');
      const pinned = await settled(p.carol, 4, 'pinned');
      const big = pinned.find((t) => t.role === 'main');
      assert.equal(big.name, 'Bob');
      assert.ok(pinned.every((t) => t === big || area(big) > 3 * area(t)));
      await p.carol.screenshot({ path: join(ARTIFACTS, 'layout-pinned-1280x800.png') });
      // Full screen: the tile itself fills the screen; the same button (or Escape) ends it.
      await p.carol.click(`${bob} .tile-full`);
      await p.carol.waitForFunction(
        (sel) => document.fullscreenElement === document.querySelector(sel),
        bob,
      );
      await p.carol.click(`${bob} .tile-full`);
      await p.carol.waitForFunction(() => document.fullscreenElement === null);
      // Picture-in-picture (the button is there where the browser has it, as Chromium does).
      assert.equal(await p.carol.locator(`${bob} .tile-pip`).count(), 1);
      await p.carol.click(`${bob} .tile-pip`);
      await p.carol.waitForFunction(
        (sel) => document.pictureInPictureElement === document.querySelector(`${sel} video`),
        bob,
      );
      await p.carol.click(`${bob} .tile-pip`);
      await p.carol.waitForFunction(() => document.pictureInPictureElement === null);
      await p.carol.click(`${bob} .tile-pin`);
      await p.carol.waitForSelector('#tiles .tile.screen[data-role="main"]');
      await p.alice.locator('#btn-keys').focus();
      await p.alice.keyboard.press('s'); // and for Stop sharing
      await p.alice.waitForSelector('#btn-share:not([hidden])');
      await p.carol.waitForSelector('#tiles[data-layout="grid"]');
    });

    test('shortcuts help (`?` and a button); `l` asks to leave; every control reachable by Tab with a visible focus ring; axe-core', async () => {
      const page = p.alice;
      await page.locator('#btn-keys').focus();
      await page.keyboard.press('?');
      await page.waitForSelector('#keys-dialog[open]');
      const listed = await page.locator('#keys-list').textContent();
      for (const k of ['M', 'V', 'S', 'L', '?']) assert.ok(listed.includes(k), `lists ${k}`);
      assert.match(listed, /Mute or unmute/);
      assert.deepEqual(await axeViolations(page), [], 'call screen with the shortcuts dialog');
      await page.screenshot({ path: join(ARTIFACTS, 'layout-shortcuts-1280x800.png') });
      await page.keyboard.press('Escape');
      await page.waitForSelector('#keys-dialog', { state: 'hidden' });
      await page.click('#btn-keys');
      await page.waitForSelector('#keys-dialog[open]');
      await page.click('#keys-close');
      await page.waitForSelector('#keys-dialog', { state: 'hidden' });
      assert.equal(await page.getAttribute('#btn-mute', 'aria-keyshortcuts'), 'M');
      // `l` asks, as the Leave button does; Stay keeps the call.
      await page.locator('#btn-keys').focus();
      await page.keyboard.press('l');
      await page.waitForSelector('#leave-dialog[open]');
      await page.click('#leave-stay');
      await page.waitForSelector('#leave-dialog', { state: 'hidden' });
      assert.equal((await stats(page)).state, 'joined');

      // Tab through the page from the top: every button of the tiles and the toolbar gets the
      // focus, with an outline, and a tile's buttons are visible while they have it.
      await page.evaluate(() => document.activeElement?.blur());
      const focused = new Map();
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        const f = await page.evaluate(() => {
          const el = document.activeElement;
          if (!el || el === document.body) return null;
          const cs = getComputedStyle(el);
          const tools = el.closest('.tile-tools');
          return {
            id: el.id || `${el.className}@${el.closest('.tile')?.dataset.key ?? ''}`,
            outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 1,
            visible: tools === null || getComputedStyle(tools).opacity === '1',
          };
        });
        if (f !== null) focused.set(f.id, f);
      }
      const ids = [...focused.keys()].join(' ');
      for (const id of [
        'btn-mute',
        'btn-camera',
        'share-quality',
        'btn-share',
        'btn-leave',
        'btn-keys',
      ])
        assert.ok(focused.has(id), `${id} is reachable by Tab: ${ids}`);
      for (const cls of ['tile-pin', 'tile-full'])
        assert.ok(ids.includes(`${cls}@peer:`), `a tile's ${cls} is reachable by Tab: ${ids}`);
      for (const f of focused.values()) {
        assert.ok(f.outline, `${f.id} shows a focus ring`);
        assert.ok(f.visible, `${f.id} is visible while focused`);
      }
      assert.deepEqual(await axeViolations(page), [], 'call screen with the tile controls');
    });

    /** Resolves once the tile of `name` at `page` has attribute data-`attr` equal to `want`. */
    async function tileSays(page, name, attr, want, what) {
      const sel = await tileOf(page, name);
      await page
        .waitForFunction(
          ({ sel, attr, want }) => document.querySelector(sel)?.dataset[attr] === want,
          { sel, attr, want },
          { timeout: 30_000 },
        )
        .catch(async (e) => {
          const health = await page.evaluate(() => globalThis.__hybridge.health());
          throw new Error(`${what}: ${e.message}; health ${JSON.stringify(health)}`);
        });
      return sel;
    }

    test('connection quality on every tile, with the figures in words; a sender that stops is poor at the others, then good again', async () => {
      for (const [page, name] of [
        [p.alice, 'Bob'],
        [p.carol, 'Bob'],
      ]) {
        const sel = await tileOf(page, name);
        await page.waitForFunction(
          (sel) => /^(good|fair)$/.test(document.querySelector(sel)?.dataset.quality ?? ''),
          sel,
          { timeout: 30_000 },
        );
        const words = await page.getAttribute(`${sel} .tile-quality`, 'aria-label');
        assert.match(
          words,
          /^Connection to Bob: (good|fair) \(round trip \d+ ms, loss \d+\.\d%, \d+ kbit\/s received\)$/,
        );
      }
      await p.bob.evaluate(() => globalThis.__hybridge.stallSend(true)); // Bob sends nothing any more
      await tileSays(p.alice, 'Bob', 'quality', 'poor', 'Alice sees Bob poor');
      await tileSays(p.carol, 'Bob', 'quality', 'poor', 'Carol sees Bob poor');
      const sel = await tileOf(p.alice, 'Bob');
      assert.match(
        await p.alice.getAttribute(`${sel} .tile-quality`, 'title'),
        /^Connection to Bob: poor .*\b0 kbit\/s received\)$/,
      );
      await p.bob.evaluate(() => globalThis.__hybridge.stallSend(false));
      await p.alice.waitForFunction(
        (sel) => /^(good|fair)$/.test(document.querySelector(sel)?.dataset.quality ?? ''),
        sel,
        { timeout: 30_000 },
      );
    });

    test('a person whose media fails to decrypt (wrong keys) is said on their tile, not a black picture; it clears once their keys are right', async () => {
      const sel = await tileOf(p.alice, 'Carol Jones');
      assert.equal(await p.alice.isVisible(`${sel} .tile-decrypt`), false);
      await p.carol.evaluate(() => globalThis.__hybridge.rekey(true)); // a broken client
      await tileSays(p.alice, 'Carol Jones', 'decrypt', 'failing', 'Alice sees Carol failing');
      await tileSays(p.bob, 'Carol Jones', 'decrypt', 'failing', 'Bob sees Carol failing');
      assert.match(
        await p.alice.textContent(`${sel} .tile-decrypt`),
        /^Can't decrypt Carol Jones's media: their keys don't match ours \(\d+ frames refused\)/,
      );
      assert.equal(await p.alice.isVisible(`${sel} .tile-decrypt`), true);
      // Bob's tile at Alice is not affected
      assert.equal(await p.alice.getAttribute(await tileOf(p.alice, 'Bob'), 'data-decrypt'), 'ok');
      await p.carol.evaluate(() => globalThis.__hybridge.rekey(false)); // right keys again
      await tileSays(p.alice, 'Carol Jones', 'decrypt', 'ok', 'Alice sees Carol decrypting again');
      assert.equal(await p.alice.isVisible(`${sel} .tile-decrypt`), false);
    });
  },
);
