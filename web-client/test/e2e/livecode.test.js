// Browser tests of the Live Code pad (spec/live-code.md): real Chromium pages (audio only), the
// real gateway, typing with the keyboard into the CodeMirror editor.
//   (a) two pages type at once and converge; each shows the other's caret with its name; the
//       language is shared; Copy and Download give the text;
//   (b) a late joiner gets the document; then three pages type at once and converge;
//   (c) the gateway is stopped mid-call: typing goes on over the data channels and converges,
//       and again after the gateway is back (a new peer channel: state vectors exchanged again);
//   (d) a page with a wrong link (right room id, wrong PSK) gets nothing of the pad.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startGateway } from '../support/gateway.js';
import {
  chromiumAvailable,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  waitFor,
} from './browser.js';

const pad = (page) => page.evaluate(() => globalThis.__hybridge.pad());

/** Polls the pad snapshot until `pred` holds. */
async function waitPad(page, pred, { timeout = 30_000, what = 'pad condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const p = await pad(page);
    if (p !== null && pred(p)) return p;
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}; last pad: ${JSON.stringify(p && { ...p, text: p.text.slice(0, 300), codes: [...p.text].map((c) => c.charCodeAt(0)).filter((c) => c < 32 || c > 126) })}`,
      );
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function createRoom(page, gw) {
  await page.goto(`${gw.url}/`);
  await page.click('#create-room');
  await page.waitForSelector('#invite-new:not([hidden])');
  return page.inputValue('#invite-new-link');
}

async function openPadTab(page) {
  await page.click('#tab-pad');
  await page.waitForSelector('#pad-editor .cm-content');
}

/** Types `text` at the end of the pad with the keyboard (as a person does, key by key). */
async function typeAtEnd(page, text) {
  await page.click('#pad-editor .cm-content');
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text, { delay: 15 });
}

/** Each page types its text at once (`texts`: name -> text); resolves when all have typed. */
async function typeAll(pages, texts) {
  await Promise.all(Object.entries(texts).map(([n, t]) => typeAtEnd(pages[n], t)));
  return Object.values(texts);
}

const sorted = (t) => [...t].sort().join('');

/**
 * Every page's document and editor show the same text, made of exactly the characters of
 * `before` and of every string typed (`typed`): nothing lost, nothing twice. Concurrent typing
 * at the same place may interleave the strings (that is the CRDT's merge), so each one is only
 * checked to be there as characters, not as a run.
 */
async function converge(pages, before, typed, what) {
  const want = sorted(before + typed.join(''));
  const end = Date.now() + 30_000;
  for (;;) {
    const now = await Promise.all(Object.values(pages).map((pg) => pad(pg)));
    const ok = now.every((x) => x.text === now[0].text && x.editorText === x.text);
    if (ok && sorted(now[0].text) === want) return now[0].text;
    if (Date.now() > end)
      assert.fail(
        `${what}: the pads differ or miss text: ${JSON.stringify(now.map((x) => x.text))}, want ${JSON.stringify(want)}, have ${JSON.stringify(sorted(now[0].text))}`,
      );
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Console lines of the pages that say the CSP refused something (the editor's styles must not be). */
const cspErrors = [];
const consoleTo = (line) => {
  if (/Content Security Policy/i.test(line)) cspErrors.push(line);
};

const connected = (s, others) =>
  others.every((n) => {
    const fp = peerNamed(s, n);
    return fp !== null && s.peers[fp].state === 'connected' && s.peers[fp].sas !== null;
  });

describe(
  'Live Code pad in Chromium',
  { skip: !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)' },
  () => {
    let gw;
    let browser;
    let link;
    const pages = {};

    before(async () => {
      gw = await startGateway();
      browser = await launchBrowser();
    });

    after(async () => {
      for (const p of Object.values(pages))
        await p
          .context()
          .close()
          .catch(() => {});
      await browser?.close().catch(() => {});
      await gw?.stop().catch(() => {});
    });

    test("(a) two pages type at once and converge, with each other's named caret; language, copy and download", async () => {
      for (const n of ['Alice', 'Bob']) pages[n] = await openPage(browser, { consoleTo });
      link = await createRoom(pages.Alice, gw);
      for (const n of ['Alice', 'Bob']) await joinRoom(pages[n], link, n, { camera: false });
      await waitFor(pages.Alice, (s) => connected(s, ['Bob']), { what: 'Alice sees Bob' });
      await waitFor(pages.Bob, (s) => connected(s, ['Alice']), { what: 'Bob sees Alice' });
      for (const n of ['Alice', 'Bob']) await openPadTab(pages[n]);

      const typed = await typeAll(pages, {
        Alice: 'function hello() { return 1; }\n',
        Bob: 'print("bob was here")\n',
      });
      const text = await converge(pages, '', typed, 'both lines');
      await waitPad(pages.Alice, (p) => p.carets.includes('Bob'), {
        what: "Bob's caret on Alice's page",
      });
      await waitPad(pages.Bob, (p) => p.carets.includes('Alice'), {
        what: "Alice's caret on Bob's page",
      });
      // the caret label is drawn (CSP allows no inline style: classes only)
      assert.ok(await pages.Alice.isVisible('#pad-editor .lc-caret-name'));

      await pages.Alice.selectOption('#pad-lang', 'python');
      await waitPad(pages.Bob, (p) => p.language === 'python', {
        what: 'the language reaches Bob',
      });
      assert.equal(await pages.Bob.inputValue('#pad-lang'), 'python');
      // highlighted: tokens are spans inside the lines (plain text has none but carets)
      await pages.Bob.waitForSelector('#pad-editor .cm-line span:not([class*="lc-"])');

      await pages.Bob.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: gw.url,
      });
      await pages.Bob.click('#pad-copy');
      assert.equal(await pages.Bob.evaluate(() => navigator.clipboard.readText()), text);
      assert.deepEqual(
        cspErrors,
        [],
        'the CSP refused nothing (CodeMirror styles in a shadow root)',
      );
      const [download] = await Promise.all([
        pages.Bob.waitForEvent('download'),
        pages.Bob.click('#pad-download'),
      ]);
      assert.equal(download.suggestedFilename(), 'pad.py');
      assert.equal(await readFile(await download.path(), 'utf8'), text);
    });

    test('(b) a late joiner gets the document; then three pages type at once and converge', async () => {
      const before = (await pad(pages.Alice)).text;
      pages.Carol = await openPage(browser, { consoleTo });
      await joinRoom(pages.Carol, link, 'Carol', { camera: false });
      await openPadTab(pages.Carol);
      const p = await waitPad(pages.Carol, (x) => x.text === before && x.editorText === before, {
        what: 'Carol gets the document',
      });
      assert.equal(p.language, 'python');
      const typed = await typeAll(pages, {
        Alice: 'a1 a2 a3\n',
        Bob: 'b1 b2 b3\n',
        Carol: 'c1 c2 c3\n',
      });
      await converge(pages, before, typed, 'three lines');
      const final = await pad(pages.Carol);
      assert.ok(final.text.startsWith(before.slice(0, 20)), 'the earlier text is kept');
      for (const n of ['Alice', 'Bob', 'Carol']) {
        const others = ['Alice', 'Bob', 'Carol'].filter((x) => x !== n);
        await waitPad(pages[n], (x) => others.every((o) => x.carets.includes(o)), {
          what: `${n} shows two carets`,
        });
        const s = await pad(pages[n]);
        assert.deepEqual(s.stats.refused, {
          malformed: 0,
          oversized: 0,
          rate: 0,
          parts: 0,
          cap: 0,
          unsent: 0,
        });
      }
    });

    test('(c) the gateway stops mid-call: typing goes on over the data channels and converges, and after it is back', async () => {
      const names = ['Alice', 'Bob', 'Carol'];
      for (const n of names) {
        const others = names.filter((x) => x !== n);
        await waitFor(
          pages[n],
          (s) =>
            others.every((o) => {
              const paths = s.peers[peerNamed(s, o)]?.paths;
              return paths?.send === 'data' && paths?.receive === 'data';
            }),
          { what: `${n} on the data channels` },
        );
      }
      await gw.stopOnly();
      for (const n of names)
        await waitFor(pages[n], (s) => s.state !== 'joined' && s.peerToPeer, {
          what: `${n} peer to peer`,
        });
      const before = (await pad(pages.Alice)).text;
      const typed = await typeAll(pages, {
        Alice: 'no gateway A\n',
        Bob: 'no gateway B\n',
        Carol: 'no gateway C\n',
      });
      const during = await converge(pages, before, typed, 'the lines typed without the gateway');

      await gw.start();
      for (const n of names)
        await waitFor(
          pages[n],
          (s) =>
            s.state === 'joined' &&
            connected(
              s,
              names.filter((x) => x !== n),
            ),
          {
            timeout: 60_000,
            what: `${n} back with the gateway`,
          },
        );
      const typed2 = await typeAll(pages, { Alice: 'back A\n', Carol: 'back C\n' });
      await converge(pages, during, typed2, 'the lines typed after the gateway came back');
    });

    test('(d) a page with a wrong link gets nothing of the pad', async () => {
      const impostor = await openPage(browser, { config: { wrongPsk: true } });
      try {
        await joinRoom(impostor, link, 'Mallory', { camera: false });
        await waitFor(impostor, (x) => x.problems.some((p) => p.code === 'PEER_HANDSHAKE_FAILED'), {
          timeout: 30_000,
          what: 'wrong-PSK handshake failure',
        });
        await openPadTab(impostor);
        await typeAtEnd(impostor, 'mallory writes');
        await new Promise((r) => setTimeout(r, 2000));
        const m = await pad(impostor);
        assert.equal(m.text, 'mallory writes', 'its own text only');
        assert.deepEqual(m.stats.received, { doc: 0, parts: 0, sync: 0, have: 0, aware: 0 });
        assert.deepEqual(m.sync, [], 'no peer of the pad');
        for (const n of ['Alice', 'Bob', 'Carol']) {
          const s = await pad(pages[n]);
          assert.ok(!s.text.includes('mallory'), `${n}'s pad has nothing of it`);
          assert.ok(!s.carets.includes('Mallory'));
        }
      } finally {
        await impostor.context().close();
      }
    });
  },
);
