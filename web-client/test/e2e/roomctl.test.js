// The control of the room in real Chromium against the real gateway (issue 15, "Control of the
// room, without trusting anyone new"; spec/peer-messages.md §8): every control is a peer message
// inside the peer channels, enforced by the members' clients. One call of three pages (Alice,
// Bob, Carol), and a fourth (Dave) for the lock and the removal:
//   raise hand and a reaction seen by all; a mute request prompts, and mutes only on yes;
//   a local recording others see while it runs, a playable file after;
//   a locked room holds Dave (no media) until a member lets him in, then he has media;
//   removing Dave moves the three to a new room; Dave decodes nothing after and is told;
//   leaving while recording saves the file.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { startGateway } from '../support/gateway.js';
import {
  alerts,
  chromiumAvailable,
  inboundFrom,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  sleep,
  stats,
  waitFor,
} from './browser.js';
import { connectedTo, newLink, room, waitRecorded, waitRoom } from './calls.js';

/** Smaller than TEST_VIDEO: four pages share two cores with other work. */
const VIDEO = { width: { exact: 160 }, height: { exact: 120 }, frameRate: { max: 10 } };

/** Clicks `selector` inside the More menu, opening it first. */
async function menu(page, selector) {
  if (!(await page.$eval('#room-menu', (d) => d.open))) await page.click('#room-menu > summary');
  await page.click(`#room-menu ${selector}`);
}

const chatLines = (page) =>
  page.$$eval('#chat-log li.system', (lis) => lis.map((li) => li.textContent));

async function waitLine(page, re, what) {
  await page
    .waitForFunction(
      (src) =>
        [...document.querySelectorAll('#chat-log li.system')].some((li) =>
          new RegExp(src).test(li.textContent),
        ),
      re.source,
      { timeout: 30_000 },
    )
    .catch(async (e) => {
      throw new Error(
        `${what}: no chat line ${re}; lines: ${JSON.stringify(await chatLines(page))}; ${e.message}`,
      );
    });
}

describe(
  'room control in Chromium (hand, reactions, mute requests, recording, lock, removal)',
  { skip: !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)' },
  () => {
    let gw;
    let browser;
    const pages = {};
    const names = ['Alice', 'Bob', 'Carol'];
    let link;

    before(async () => {
      gw = await startGateway();
      browser = await launchBrowser();
      link = newLink(gw);
      for (const n of names) {
        pages[n] = await openPage(browser, { video: VIDEO });
        await joinRoom(pages[n], link, n);
      }
      for (const n of names)
        await waitFor(
          pages[n],
          (s) =>
            connectedTo(
              s,
              names.filter((o) => o !== n),
            ),
          {
            timeout: 60_000,
            what: `${n} connected to the others`,
          },
        );
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await gw?.stop().catch(() => {});
    });

    test('a raised hand shows on every page, on the tile and in the chat; lowering it clears it; a reaction too', async () => {
      const { Alice, Bob, Carol } = pages;
      await Bob.click('#btn-hand');
      for (const [n, p] of Object.entries(pages)) {
        await waitRoom(
          p,
          (r) => r.hands.includes(n === 'Bob' ? 'self' : 'Bob'),
          `${n} sees Bob's hand`,
        );
        const tile =
          n === 'Bob'
            ? 'figure[data-key="self"]'
            : `figure[data-fp="${peerNamed(await stats(p), 'Bob')}"]`;
        await p.waitForSelector(`#tiles ${tile} .room-badges[aria-label="hand raised"]`);
        if (n !== 'Bob') await waitLine(p, /Bob raised their hand/, n);
      }
      assert.equal(await Bob.textContent('#btn-hand'), 'Lower hand');
      await Bob.click('#btn-hand');
      for (const [n, p] of Object.entries(pages)) {
        await waitRoom(p, (r) => r.hands.length === 0, `${n}: no hand up`);
        if (n !== 'Bob') await waitLine(p, /Bob lowered their hand/, n);
      }
      const bobOnAlice = peerNamed(await stats(Alice), 'Bob');
      assert.equal(
        await Alice.textContent(`#tiles figure[data-fp="${bobOnAlice}"] .room-badges`),
        '',
      );

      // The overlay shows for 4 s: watch for it before the reaction is sent (a loaded machine
      // could otherwise look after it went).
      const overlays = [];
      for (const p of [Alice, Bob]) {
        const fp = peerNamed(await stats(p), 'Carol');
        overlays.push(
          p.waitForSelector(`#tiles figure[data-fp="${fp}"] .tile-reaction`, { state: 'attached' }),
        );
      }
      await menu(Carol, 'button[data-emoji="🎉"]');
      await Promise.all(overlays);
      for (const p of [Alice, Bob]) await waitLine(p, /Carol reacted 🎉/, 'reaction line');
    });

    test('a mute request prompts the person; declined, nothing is muted; only their yes mutes them', async () => {
      const { Alice, Carol } = pages;
      const carolOnAlice = peerNamed(await stats(Alice), 'Carol');
      assert.equal(await Carol.textContent('#btn-mute'), 'Mute', 'Carol talks');

      await menu(Alice, `#room-people li[data-fp="${carolOnAlice}"] .ask-mute`);
      await Carol.waitForSelector('.room-notice[data-kind="mute-ask"]');
      await sleep(1000); // the prompt alone changes nothing
      assert.equal(await Carol.textContent('#btn-mute'), 'Mute', 'asked, not muted');
      await Carol.click('.room-notice[data-kind="mute-ask"] .mute-no');
      await waitLine(Alice, /Carol declined to mute/, 'Alice told of the no');
      assert.equal(await Carol.textContent('#btn-mute'), 'Mute', 'declined: still talking');

      await menu(Alice, `#room-people li[data-fp="${carolOnAlice}"] .ask-mute`);
      await Carol.waitForSelector('.room-notice[data-kind="mute-ask"]');
      assert.equal(await Carol.textContent('#btn-mute'), 'Mute');
      await Carol.click('.room-notice[data-kind="mute-ask"] .mute-yes');
      await Carol.waitForFunction(
        () => document.querySelector('#btn-mute').textContent === 'Unmute',
      );
      assert.equal(
        await Carol.evaluate(() =>
          document.querySelector('#btn-mute').getAttribute('aria-pressed'),
        ),
        'true',
      );
      await waitLine(Alice, /Carol muted at your request/, 'Alice told of the yes');
      await Carol.click('#btn-mute'); // Carol talks again for the tests below
    });

    test('a local recording: the others see who records while it runs and not after; the file plays', async () => {
      const { Alice, Bob, Carol } = pages;
      await menu(Alice, '#btn-record');
      for (const p of [Bob, Carol]) {
        await p.waitForSelector('.room-notice[data-kind="rec"]');
        assert.match(await p.textContent('.room-notice[data-kind="rec"]'), /Alice is recording/);
      }
      await waitRecorded(Alice, 3); // something to record
      await menu(Alice, '#btn-record');
      for (const p of [Bob, Carol]) {
        await p.waitForSelector('.room-notice[data-kind="rec"]', { state: 'detached' });
        await waitLine(p, /Alice stopped recording/, 'stop line');
      }
      await Alice.waitForSelector('#rec-download:not([hidden])');
      const rec = await Alice.evaluate(() => globalThis.__hybridge.recording());
      assert.ok(rec.size > 0, `a non-empty file: ${JSON.stringify(rec)}`);
      assert.match(rec.type, /^video\/webm/);
      assert.ok(Number.isFinite(rec.duration) && rec.duration > 1, `duration ${rec.duration}`);
      assert.ok(rec.width > 0, 'it has a picture');
    });

    test('a locked room holds a newcomer with no media until a member lets them in; then media flows', async () => {
      const { Alice, Bob, Carol } = pages;
      await menu(Alice, '#btn-lock');
      for (const p of [Alice, Bob, Carol]) await waitRoom(p, (r) => r.lock.locked, 'locked');
      // A recording running while Dave waits: he learns of it once let in.
      await menu(Carol, '#btn-record');

      const Dave = await openPage(browser, { video: VIDEO });
      pages.Dave = Dave;
      await joinRoom(Dave, link, 'Dave');
      await waitRoom(Dave, (r) => r.waitingFor.length === 3, 'Dave waits for all three', 60_000);
      await Dave.waitForSelector('.room-notice[data-kind="waiting"]');
      for (const p of [Alice, Bob, Carol]) {
        await waitRoom(p, (r) => r.held.includes('Dave'), 'holds Dave');
        await p.waitForSelector('.room-notice[data-kind="held"]');
      }
      await sleep(3000); // held: a while, and still nothing
      const held = await stats(Dave);
      for (const n of names) {
        const fp = peerNamed(held, n);
        assert.equal(
          held.peers[fp].state,
          'connected',
          `Dave's channel to ${n} is up (he has the link)`,
        );
        assert.equal(held.peers[fp].media, null, `Dave has no media connection with ${n}`);
        assert.equal(held.sframe.receive[fp]?.frames ?? 0, 0, `Dave has no frame from ${n}`);
      }
      const daveOnAlice = peerNamed(await stats(Alice), 'Dave');
      assert.equal((await stats(Alice)).peers[daveOnAlice].media, null, 'Alice gives Dave nothing');
      assert.equal(
        await Alice.textContent(`#tiles figure[data-fp="${daveOnAlice}"] .tile-state`),
        'waiting to be let in',
      );
      assert.equal(
        await room(Dave).then((r) => r.recorders.length),
        0,
        'held: not told who records',
      );

      await Bob.click('.room-notice[data-kind="held"] .admit');
      for (const p of [Alice, Bob, Carol])
        await waitLine(p, /Bob let Dave in|You let Dave in/, 'admitted');
      await waitFor(Dave, (s) => connectedTo(s, names), {
        timeout: 60_000,
        what: 'Dave connected to all',
      });
      const before = await stats(Dave);
      await waitFor(
        Dave,
        (s) =>
          names.every(
            (n) =>
              inboundFrom(s, peerNamed(s, n)).video >
              inboundFrom(before, peerNamed(before, n)).video,
          ),
        { timeout: 30_000, what: 'Dave decodes video from all three' },
      );
      const r = await waitRoom(
        Dave,
        (x) => x.waitingFor.length === 0 && x.recorders.includes('Carol'),
        'Dave in, sees the recording',
      );
      assert.equal(r.lock.locked, true, "the lock in Dave's view");
      await Dave.waitForSelector('.room-notice[data-kind="rec"]');
      await menu(Carol, '#btn-record');
      await Dave.waitForSelector('.room-notice[data-kind="rec"]', { state: 'detached' });
    });

    test('removing Dave moves the other three to a new room; Dave decodes nothing after and is told', async () => {
      const { Alice, Bob, Carol, Dave } = pages;
      assert.ok(Dave, 'the lock test let Dave in');
      const oldFragment = await Alice.evaluate(
        () => JSON.parse(sessionStorage.getItem('hybridge.call')).fragment,
      );
      const daveOnAlice = peerNamed(await stats(Alice), 'Dave');
      await menu(Alice, `#room-people li[data-fp="${daveOnAlice}"] .remove`);
      // The move leaves and joins (a same-document URL change): the click waits for none of it.
      await Alice.click('#remove-confirm', { noWaitAfter: true });

      await waitFor(Dave, (s) => Object.keys(s.peers).length === 0, {
        timeout: 30_000,
        what: 'Dave alone',
      });
      assert.ok((await alerts(Dave)).includes('REMOVED'), 'Dave is told he was removed');
      await waitLine(Dave, /Alice removed you/, 'Dave');
      for (const p of [Bob, Carol]) await waitLine(p, /Alice removed Dave/, 'who removed whom');

      for (const n of names)
        await waitFor(
          pages[n],
          (s) =>
            s.state === 'joined' &&
            connectedTo(
              s,
              names.filter((o) => o !== n),
            ),
          {
            timeout: 60_000,
            what: `${n} in the new room with the others`,
          },
        );
      for (const n of names) {
        const s = await stats(pages[n]);
        assert.equal(peerNamed(s, 'Dave'), null, `${n}: no Dave in the new room`);
        const kept = await pages[n].evaluate(
          () => JSON.parse(sessionStorage.getItem('hybridge.call')).fragment,
        );
        assert.notEqual(kept, oldFragment, `${n}'s tab keeps the new link`);
        assert.equal(kept.split('.')[1], oldFragment.split('.')[1], 'same gateway pin');
        assert.ok(
          (await pages[n].inputValue('#invite-link')).endsWith(kept),
          `${n}'s Invite tab shows it`,
        );
      }
      const before = await stats(Alice);
      await waitFor(
        Alice,
        (s) =>
          ['Bob', 'Carol'].every(
            (n) =>
              inboundFrom(s, peerNamed(s, n)).video >
              inboundFrom(before, peerNamed(before, n)).video,
          ),
        { what: 'media in the new room' },
      );
      const d1 = await stats(Dave);
      await sleep(2000);
      const d2 = await stats(Dave);
      assert.deepEqual(d2.sframe.receive, d1.sframe.receive, 'Dave decrypts nothing more');
      assert.equal(Object.keys(d2.peers).length, 0, 'Dave has no peer, so no inbound media');

      // Dave records alone, then leaves: the file is saved as he leaves, not lost with the view.
      await menu(Dave, '#btn-record');
      await waitRoom(Dave, (r) => r.recorders.includes('self'), 'Dave records');
      await waitRecorded(Dave, 1);
      const download = Dave.waitForEvent('download');
      await Dave.click('#btn-leave');
      await Dave.click('#leave-confirm');
      const file = await download;
      assert.match(file.suggestedFilename(), /^hybridge-recording-.*\.webm$/);
      assert.ok((await stat(await file.path())).size > 0, 'the saved file has the recording');
    });
  },
);
