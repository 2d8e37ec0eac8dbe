// Short join codes in real Chromium against the real gateway (spec/short-codes.md): one page
// creates a code, another types it, and both end up in the same call; a wrong code burns the
// slot and both sides are told; a third page trying a used code is told so; an expired code; and
// 1,000 guesses from one address (X-Forwarded-For through a trusted proxy: 127.0.0.1) are cut by
// the per-address bucket while the right code, typed in a page from 127.0.0.1, still works.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import {
  chromiumAvailable,
  launchBrowser,
  openPage,
  peerNamed,
  stats,
  waitFor,
} from './browser.js';
import { GatewayConnection, fetchGatewayKey } from '../../src/signal/gatewayConnection.js';
import { XWingKeyPair } from '../../src/protocol/xwingKeyPair.js';
import { errorName } from '../../src/protocol/errors.js';

// The expiry test runs against a gateway of its own with a short TTL; the others get a long one,
// since a slot (and what became of it) is remembered only that long, and a loaded machine can
// take longer than a short TTL to set up a call.
const SLOT_TTL_S = 120;
const SHORT_TTL_S = 6;

/** Creates a code in `page`; resolves with its text once shown. */
async function createCode(page, url) {
  await page.goto(url);
  await page.waitForSelector('#view-landing:not([hidden])');
  await page.click('#create-code');
  await page.waitForFunction(() =>
    /^[0-9]+-[0-9]{4}-[0-9]{2}$/.test(document.querySelector('#code-value')?.textContent ?? ''),
  );
  return page.textContent('#code-value');
}

/** Types a code in `page` (as a person would, digit groups and all) and submits it. */
async function typeCode(page, url, code) {
  await page.goto(url);
  await page.waitForSelector('#view-landing:not([hidden])');
  await page.click('#code-input');
  await page.keyboard.type(code.replaceAll('-', ' '));
  await page.click('#code-join');
}

async function codeError(page) {
  await page.waitForSelector('#code-error:not([hidden])', { timeout: 30_000 });
  return page.getAttribute('#code-error', 'data-code');
}

async function creatorOutcome(page, expected) {
  await page.waitForFunction((c) => document.body.dataset.code === c, expected, {
    timeout: 40_000,
  });
  return page.textContent('#code-status');
}

async function joinCall(page, name) {
  await page.waitForSelector('#view-join:not([hidden])', { timeout: 30_000 });
  await page.fill('#join-name', name);
  await page.uncheck('#join-cam');
  await page.click('#join-button');
}

describe(
  'short join codes in Chromium',
  { skip: !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)' },
  () => {
    let gw;
    let browser;

    before(async () => {
      gw = await startGateway({
        config: {
          'trusted-proxies': ['127.0.0.1'],
          limits: {
            'slot-ttl': `PT${SLOT_TTL_S}S`,
            'slot-attempt-burst': 10,
            'slot-attempts-per-minute': 1,
            'slot-create-burst': 20,
          },
        },
      });
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await gw?.stop().catch(() => {});
    });

    test('code -> call: two pages, one typed code, the same room and SAS', async () => {
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      const code = await createCode(alice, gw.url);
      await typeCode(bob, gw.url, code);
      await joinCall(bob, 'Bob');
      await joinCall(alice, 'Alice');
      const connected = (s, other) => {
        if (s.state !== 'joined' || !s.peers) return false;
        const fp = peerNamed(s, other);
        return fp !== null && s.peers[fp].state === 'connected' && s.peers[fp].sas !== null;
      };
      const sa = await waitFor(alice, (s) => connected(s, 'Bob'), { what: 'Alice sees Bob' });
      const sb = await waitFor(bob, (s) => connected(s, 'Alice'), { what: 'Bob sees Alice' });
      assert.equal(sa.peers[peerNamed(sa, 'Bob')].sas, sb.peers[peerNamed(sb, 'Alice')].sas);
      // A third page trying the same code afterwards is told it was used.
      const carol = await openPage(browser);
      await typeCode(carol, gw.url, code);
      assert.equal(await codeError(carol), 'SLOT_USED');
      assert.match(await carol.textContent('#code-error'), /already used/);
      for (const p of [alice, bob, carol]) await p.context().close();
    });

    test('a wrong code burns the slot: the joiner and the creator are told', async () => {
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      const code = await createCode(alice, gw.url);
      const last = Number(code.at(-1));
      const wrong = code.slice(0, -1) + String((last + 1) % 10);
      await typeCode(bob, gw.url, wrong);
      assert.equal(await codeError(bob), 'CONFIRMATION_FAILED');
      assert.match(await bob.textContent('#code-error'), /ask for a new code/);
      assert.match(await creatorOutcome(alice, 'SLOT_BURNED'), /wrong code/);
      // The right code is worthless now.
      const carol = await openPage(browser);
      await typeCode(carol, gw.url, code);
      assert.equal(await codeError(carol), 'SLOT_BURNED');
      assert.equal((await stats(bob)).state, 'idle');
      for (const p of [alice, bob, carol]) await p.context().close();
    });

    test('an expired code: the creator sees it expire, a late joiner is told', async () => {
      const short = await startGateway({
        config: { limits: { 'slot-ttl': `PT${SHORT_TTL_S}S` } },
      });
      try {
        const alice = await openPage(browser);
        const code = await createCode(alice, short.url);
        assert.match(await alice.textContent('#code-countdown'), /0:0[0-6] left/);
        assert.match(await creatorOutcome(alice, 'SLOT_EXPIRED'), /expired/);
        const bob = await openPage(browser);
        await typeCode(bob, short.url, code);
        assert.equal(await codeError(bob), 'SLOT_EXPIRED');
        for (const p of [alice, bob]) await p.context().close();
      } finally {
        await short.stop().catch(() => {});
      }
    });

    test('1,000 guesses from one address are cut; the right code from another still works', async () => {
      const alice = await openPage(browser);
      const code = await createCode(alice, gw.url);
      const slot = Number(code.split('-')[0]);
      // The guesser: 6 connections from 203.0.113.9 (a trusted proxy's X-Forwarded-For), each
      // within the per-connection bucket. The first 10 guesses (the slot bucket's burst) go to
      // numbers that name no slot; every later one, 990 of them at the real slot, is refused.
      const key = await fetchGatewayKey(gw.url, gw.fingerprint);
      class Forwarded extends WebSocket {
        constructor(url) {
          super(url, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
        }
      }
      const counts = {};
      let sent = 0;
      for (let c = 0; c < 6 && sent < 1000; c++) {
        const conn = new GatewayConnection({
          origin: gw.url,
          gatewayPublicKey: key,
          WebSocketImpl: Forwarded,
          sendRate: null,
        });
        const replies = [];
        conn.addEventListener('message', (e) => replies.push(e.detail.msg));
        await conn.open();
        const pk = XWingKeyPair.generate().publicKey();
        const n = Math.min(167, 1000 - sent);
        for (let i = 0; i < n; i++, sent++) {
          const target = sent < 10 ? 100_000 + sent : slot;
          conn.send({ type: 'SLOT_JOIN', slot: target, publicKey: pk });
        }
        const end = Date.now() + 30_000;
        while (replies.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
        assert.equal(replies.length, n, 'every guess was answered');
        for (const m of replies) {
          const name = m.type === 'ERROR' ? errorName(m.code) : m.type;
          counts[name] = (counts[name] ?? 0) + 1;
        }
        assert.equal(conn.closed, false, 'refusals leave the connection open');
        await conn.close();
      }
      assert.equal(sent, 1000);
      assert.deepEqual(counts, { SLOT_UNKNOWN: 10, SLOT_RATE_LIMITED: 990 });
      // The right code, typed in a page (127.0.0.1, its own bucket), still works.
      const bob = await openPage(browser);
      await typeCode(bob, gw.url, code);
      await bob.waitForSelector('#view-join:not([hidden])', { timeout: 30_000 });
      await creatorOutcome(alice, 'used');
      for (const p of [alice, bob]) await p.context().close();
    });
  },
);
