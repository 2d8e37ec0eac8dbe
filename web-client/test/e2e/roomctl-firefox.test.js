// The room control with Firefox in the call (spec/peer-messages.md §8), against the real gateway:
// Alice (Chromium) locks the room; Bob (firefox-esr) is held until she lets him in, then has
// media; his raised hand shows at Alice's; he records on his device (Firefox's MediaRecorder),
// Alice sees it while it runs and not after, and his file plays.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import {
  chromiumAvailable,
  inboundFrom,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  stats,
  waitFor,
} from './browser.js';
import { connectedTo, newLink, room, waitRecorded, waitRoom } from './calls.js';
import { firefoxAvailable, launchFirefox, openFirefoxPage } from './firefox.js';

const skip =
  (!chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)') ||
  (!firefoxAvailable() && 'no /usr/bin/firefox-esr (apt-get install firefox-esr)');

const VIDEO = { width: { exact: 160 }, height: { exact: 120 }, frameRate: { max: 10 } };

/** Clicks a button of the More menu (open or not) the way a person's click does. */
const press = (page, selector) =>
  page.evaluate((s) => {
    document.querySelector('#room-menu').open = true;
    document.querySelector(s).click();
  }, selector);

describe('room control with Firefox in the call', { skip }, () => {
  let gw;
  let chromium;
  let firefox;

  before(async () => {
    gw = await startGateway();
    chromium = await launchBrowser();
    firefox = await launchFirefox();
  });

  after(async () => {
    await firefox?.close().catch(() => {});
    await chromium?.close().catch(() => {});
    await gw?.stop().catch(() => {});
  });

  test('a locked room holds Firefox until let in; its hand and its recording are seen; the file plays', async () => {
    const link = newLink(gw);
    const alice = await openPage(chromium, { video: VIDEO });
    await joinRoom(alice, link, 'Alice');
    await press(alice, '#btn-lock');
    await waitRoom(alice, (r) => r.lock.locked, 'Alice locked');

    const bob = await openFirefoxPage(firefox, { video: VIDEO });
    await joinRoom(bob, link, 'Bob');
    await waitRoom(bob, (r) => r.waitingFor.length === 1, 'Bob waits');
    await waitRoom(alice, (r) => r.held.includes('Bob'), 'Alice holds Bob');
    const held = await stats(bob);
    assert.equal(held.peers[peerNamed(held, 'Alice')].media, null, 'held: no media connection');

    await alice.click('.room-notice[data-kind="held"] .admit');
    await waitFor(bob, (s) => connectedTo(s, ['Alice']), { timeout: 60_000, what: 'Bob in' });
    await waitFor(bob, (s) => inboundFrom(s, peerNamed(s, 'Alice')).video > 0, {
      what: 'Bob decodes Alice',
    });
    assert.equal((await room(bob)).lock.locked, true, "the lock in Bob's view");

    await bob.click('#btn-hand');
    await waitRoom(alice, (r) => r.hands.includes('Bob'), "Alice sees Bob's hand");

    await press(bob, '#btn-record');
    await alice.waitForSelector('.room-notice[data-kind="rec"]');
    assert.match(await alice.textContent('.room-notice[data-kind="rec"]'), /Bob is recording/);
    await waitRecorded(bob, 3); // something to record
    await press(bob, '#btn-record');
    await alice.waitForSelector('.room-notice[data-kind="rec"]', { state: 'detached' });
    await bob.waitForSelector('#rec-download:not([hidden])');
    const rec = await bob.evaluate(() =>
      globalThis.__hybridge.recording().catch((e) => ({ error: e.message })),
    );
    assert.ok(rec.size > 0, JSON.stringify(rec));
    assert.match(rec.type, /^video\/webm/);
    assert.ok(Number.isFinite(rec.duration) && rec.duration > 1, `duration ${rec.duration}`);
  });
});
