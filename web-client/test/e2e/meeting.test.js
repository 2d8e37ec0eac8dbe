// The meeting around the call in real Chromium against the real gateway (issue "The meeting people
// expect", first stumbles): a reload brings a person back into the same call; Leave asks first and
// then offers Rejoin and the link; someone alone in a room is told to check the link; a second
// "Create a room" says that it replaced the link shown; joining without camera and microphone
// leaves buttons that start them, and they then reach the others; no request of the page fails (favicon); a
// gateway outage is one status line, and nothing of it stays once the call is back.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import {
  alerts,
  chromiumAvailable,
  inboundFrom,
  peerNamed,
  joinRoom,
  launchBrowser,
  openPage,
  stats,
  waitFor,
  axeViolations,
} from './browser.js';
import { connectedTo, newLink } from './calls.js';

const sasWith = (s, name) => {
  const p = Object.values(s.peers ?? {}).find((x) => x.name === name);
  return p?.sas ?? null;
};

describe(
  'the meeting around the call in Chromium',
  { skip: !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)' },
  () => {
    let gw;
    let browser;

    before(async () => {
      gw = await startGateway();
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await gw?.stop().catch(() => {});
    });

    test('alone: the hint says to check the link, and goes when someone joins; a reload rejoins the same call', async () => {
      const link = newLink(gw);
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      const failed = [];
      alice.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
      try {
        await joinRoom(alice, link, 'Alice', { camera: false });
        await alice.waitForSelector('#alone-hint:not([hidden])');
        assert.match(await alice.textContent('#alone-hint'), /check that you opened the link/);
        assert.equal(new URL(alice.url()).hash, '', 'the secret left the address bar');
        await joinRoom(bob, link, 'Bob', { camera: false });
        await waitFor(alice, (s) => connectedTo(s, ['Bob']), { what: 'Alice sees Bob' });
        await alice.waitForSelector('#alone-hint', { state: 'hidden' });
        const sas = sasWith(await stats(alice), 'Bob');

        // Alice reloads: she comes back into the same room as Alice, without a click.
        await alice.reload();
        await waitFor(alice, (s) => s.state === 'joined' && connectedTo(s, ['Bob']), {
          timeout: 60_000,
          what: 'Alice back in the call after a reload',
        });
        await waitFor(bob, (s) => connectedTo(s, ['Alice']), { what: 'Bob sees Alice again' });
        const s = await stats(alice);
        assert.equal(s.name, 'Alice');
        assert.notEqual(sasWith(s, 'Bob'), null);
        assert.notEqual(sasWith(s, 'Bob'), sas, 'a new peer channel (new SAS per session)');
        assert.equal(new URL(alice.url()).hash, '', 'still not in the address bar');
        assert.deepEqual(failed, [], 'no request of the page failed (favicon included)');
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });

    test('Leave asks first, then offers Rejoin and the link; a reload after Leave does not rejoin; Back to the start forgets', async () => {
      const link = newLink(gw);
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      try {
        await joinRoom(alice, link, 'Alice', { camera: false });
        await joinRoom(bob, link, 'Bob', { camera: false });
        await waitFor(alice, (s) => connectedTo(s, ['Bob']), { what: 'Alice sees Bob' });

        // Stay: nothing happens.
        await alice.click('#btn-leave');
        await alice.waitForSelector('#leave-dialog[open]');
        await alice.click('#leave-stay');
        await alice.waitForSelector('#leave-dialog', { state: 'hidden' });
        assert.equal((await stats(alice)).state, 'joined');

        // Leave: the others see her go; she sees Rejoin and Copy link.
        await alice.click('#btn-leave');
        await alice.click('#leave-confirm');
        await alice.waitForSelector('#view-left:not([hidden])');
        await waitFor(bob, (s) => Object.keys(s.peers ?? {}).length === 0, {
          what: 'Bob sees Alice leave',
        });
        assert.equal((await stats(alice)).state, 'idle');
        assert.equal(await alice.inputValue('#left-link'), link, 'the link to share again');

        // A reload after Leave shows the same choice, it does not rejoin on its own.
        await alice.reload();
        await alice.waitForSelector('#view-left:not([hidden])');
        assert.equal((await stats(alice)).state, 'idle');

        // Rejoin: back in the same call.
        await alice.click('#left-rejoin');
        await waitFor(alice, (s) => s.state === 'joined' && connectedTo(s, ['Bob']), {
          what: 'Alice rejoined',
        });

        // Leave again, then Back to the start: a reload is the landing page.
        await alice.click('#btn-leave');
        await alice.click('#leave-confirm');
        await alice.waitForSelector('#view-left:not([hidden])');
        await alice.click('#left-home');
        await alice.waitForSelector('#view-landing:not([hidden])');
        await alice.reload();
        await alice.waitForSelector('#view-landing:not([hidden])');
        assert.equal(
          await alice.evaluate(() => sessionStorage.length),
          0,
          'nothing of the call is kept',
        );
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });

    test('a second "Create a room" says that it replaced the link shown', async () => {
      const page = await openPage(browser);
      try {
        await page.goto(`${gw.url}/`);
        await page.click('#create-room');
        await page.waitForSelector('#invite-new:not([hidden])');
        const first = await page.inputValue('#invite-new-link');
        assert.equal(await page.isVisible('#invite-new-replaced'), false);
        await page.click('#create-room');
        await page.waitForSelector('#invite-new-replaced:not([hidden])');
        assert.notEqual(await page.inputValue('#invite-new-link'), first);
        assert.equal(await page.textContent('#create-room'), 'Create another room');
      } finally {
        await page.context().close();
      }
    });

    test('joined without camera and microphone: the buttons start them, and the others then get both', async () => {
      const link = newLink(gw);
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      try {
        await joinRoom(alice, link, 'Alice', { camera: false, mic: false });
        await joinRoom(bob, link, 'Bob', { camera: false });
        await waitFor(bob, (s) => connectedTo(s, ['Alice']), { what: 'Bob sees Alice' });
        assert.equal(await alice.textContent('#btn-camera'), 'Start camera');
        assert.equal(await alice.textContent('#btn-mute'), 'Start microphone');
        const fromAlice = async () => {
          const s = await stats(bob);
          return inboundFrom(s, peerNamed(s, 'Alice'));
        };
        const before = await fromAlice();
        assert.equal(before.video, 0, 'no video before the camera is started');
        await alice.click('#btn-camera');
        await alice.waitForFunction(
          () => document.querySelector('#btn-camera')?.textContent === 'Camera off',
        );
        await alice.click('#btn-mute');
        await alice.waitForFunction(
          () => document.querySelector('#btn-mute')?.textContent === 'Mute',
        );
        const deadline = Date.now() + 30_000;
        let now = await fromAlice();
        while ((now.video <= 10 || now.audio <= before.audio + 48_000) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          now = await fromAlice();
        }
        assert.ok(now.video > 10, `Bob decodes Alice's camera (${now.video} frames)`);
        assert.ok(now.audio > before.audio + 48_000, `and her microphone (${now.audio} samples)`);
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });

    test('accessibility: no serious or critical axe-core violation on the landing, join and call screens; tabs by arrow keys; unread chat; safe links', async () => {
      const link = newLink(gw);
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      try {
        await alice.goto(`${gw.url}/`);
        await alice.waitForSelector('#view-landing:not([hidden])');
        assert.deepEqual(await axeViolations(alice), [], 'landing');
        await alice.goto(link);
        await alice.waitForSelector('#view-join:not([hidden])');
        assert.deepEqual(await axeViolations(alice), [], 'join');
        await joinRoom(alice, link, 'Alice', { camera: false });
        await joinRoom(bob, link, 'Bob', { camera: false });
        await waitFor(alice, (s) => connectedTo(s, ['Bob']), { what: 'Alice sees Bob' });
        assert.deepEqual(await axeViolations(alice), [], 'call');

        // Tabs: arrow keys move the selection, and only the selected tab is in the Tab order.
        await alice.focus('#tab-chat');
        await alice.keyboard.press('End');
        assert.equal(await alice.getAttribute('#tab-invite', 'aria-selected'), 'true');
        await alice.keyboard.press('ArrowLeft');
        assert.equal(await alice.getAttribute('#tab-security', 'aria-selected'), 'true');
        assert.equal(await alice.isVisible('#panel-security'), true);
        assert.equal(await alice.isVisible('#panel-chat'), false);
        assert.equal(
          await alice.evaluate(() => document.activeElement?.id),
          'tab-security',
          'focus follows',
        );
        assert.equal(await alice.getAttribute('#tab-chat', 'tabindex'), '-1');

        // A message while the Security tab is shown: the Chat tab counts it; opening Chat clears it.
        await bob.fill('#chat-text', 'read https://example.org/notes. thanks');
        await bob.click('#chat-form button[type=submit]');
        await alice.waitForSelector('#chat-unread:not([hidden])');
        assert.equal(await alice.textContent('#chat-unread'), '1');
        assert.equal(await alice.getAttribute('#tab-chat', 'aria-label'), 'Chat, 1 unread');
        await alice.keyboard.press('Home');
        await alice.waitForSelector('#chat-unread', { state: 'hidden' });
        const a = alice.locator('#chat-log li.theirs a');
        assert.equal(await a.count(), 1);
        assert.equal(await a.getAttribute('href'), 'https://example.org/notes');
        assert.equal(await a.getAttribute('rel'), 'noopener noreferrer nofollow');
        assert.equal(await a.getAttribute('referrerpolicy'), 'no-referrer');
        assert.equal(
          await alice.locator('#chat-log li.theirs p').textContent(),
          'read https://example.org/notes. thanks',
        );
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });

    test('on a phone (390x844, three people): the chat panel keeps a usable height on the screen', async () => {
      const link = newLink(gw);
      const phone = { width: 390, height: 844 };
      const alice = await openPage(browser, { viewport: phone });
      const bob = await openPage(browser);
      const carol = await openPage(browser);
      try {
        await joinRoom(alice, link, 'Alice', { camera: true });
        await joinRoom(bob, link, 'Bob', { camera: true });
        await joinRoom(carol, link, 'Carol', { camera: true });
        await waitFor(alice, (s) => connectedTo(s, ['Bob', 'Carol']), { what: 'Alice sees both' });
        const chat = await alice.locator('#panel-chat').boundingBox();
        const input = await alice.locator('#chat-text').boundingBox();
        assert.ok(chat.height >= 250, `the chat panel is ${Math.round(chat.height)} px high`);
        assert.ok(
          input.y >= 0 && input.y + input.height <= phone.height,
          `the message field is on the screen without scrolling (y ${Math.round(input.y)})`,
        );
        assert.equal(
          await alice.evaluate(() => document.scrollingElement.scrollHeight <= innerHeight),
          true,
          'no page scroll',
        );
      } finally {
        for (const p of [alice, bob, carol]) await p.context().close();
      }
    });

    // Last: it restarts the gateway the others use.
    test('a gateway outage is one status line, not a stack of alerts, and clears itself', async () => {
      const link = newLink(gw);
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      try {
        await joinRoom(alice, link, 'Alice', { camera: false });
        await joinRoom(bob, link, 'Bob', { camera: false });
        await waitFor(alice, (s) => connectedTo(s, ['Bob']), { what: 'Alice sees Bob' });
        await gw.stopOnly();
        await waitFor(alice, (s) => s.state === 'reconnecting', { what: 'Alice reconnecting' });
        await alice.waitForSelector('#status[data-state="peer-to-peer"]');
        assert.match(await alice.textContent('#status'), /continues peer to peer/);
        // Let reconnection attempts fail a few times: none of them becomes an alert.
        await waitFor(
          alice,
          (s) => s.problems.filter((p) => p.code === 'GATEWAY_UNREACHABLE').length >= 2,
          { timeout: 30_000, what: 'two failed reconnection attempts' },
        );
        const during = await alerts(alice);
        assert.ok(
          during.every((c) => c === 'SHUTTING_DOWN'),
          `at most the restart notice: ${during}`,
        );
        await gw.start();
        await waitFor(alice, (s) => s.state === 'joined' && connectedTo(s, ['Bob']), {
          timeout: 60_000,
          what: 'Alice back',
        });
        assert.deepEqual(await alerts(alice), [], 'nothing of the outage stays');
        assert.equal(await alice.getAttribute('#status', 'data-state'), 'joined');
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });
  },
);
