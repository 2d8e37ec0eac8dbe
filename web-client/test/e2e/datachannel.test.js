// Browser tests of the gateway stepping out (spec/data-channel.md) and of delivery (nothing a
// person sends is lost silently: spec/peer-messages.md §6). Real Chromium pages, the real
// gateway, stopped and started again with the same key and port (test/support/gateway.js).
//   (a) gateway only (no data channels): a chat sent while the gateway is down waits and arrives
//       after the reconnect; one that cannot arrive in time is marked not delivered, and its
//       Retry delivers it once the gateway is back;
//   (b) with data channels: three pages move their peer records onto the data channels; the
//       gateway is stopped and chat, a snippet and a leave (with its rekey) still work between
//       them, the page says "Gateway unreachable, call continues peer to peer"; after the gateway
//       is back the peers carry on.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import {
  chromiumAvailable,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  stats,
  waitFor,
} from './browser.js';

/** Every page sees every other named page connected, with a SAS and connected media. */
function connectedTo(s, others) {
  return others.every((n) => {
    const fp = peerNamed(s, n);
    return (
      fp !== null &&
      s.peers[fp].state === 'connected' &&
      s.peers[fp].sas !== null &&
      s.peers[fp].media?.connectionState === 'connected'
    );
  });
}

/** Our chat entry with this text, or undefined. */
const mine = (s, text) => s.chat.find((c) => c.from === null && c.text === text);
const has = (s, text) => s.chat.some((c) => c.from !== null && c.text === text);

async function createRoom(page, gw) {
  await page.goto(`${gw.url}/`);
  await page.click('#create-room');
  await page.waitForSelector('#invite-new:not([hidden])');
  return page.inputValue('#invite-new-link');
}

async function send(page, text, code = false) {
  await page.fill('#chat-text', text);
  if (code) await page.check('#chat-code');
  await page.click('#chat-form button[type=submit]');
}

describe(
  'data channels and delivery in Chromium',
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

    test('(a) gateway only: a chat sent while it is down arrives after the reconnect, or is marked not delivered with a retry', async () => {
      const config = { dataChannel: false, deliveryTimeoutMs: 15_000 };
      const alice = await openPage(browser, { config });
      const bob = await openPage(browser, { config });
      try {
        const link = await createRoom(alice, gw);
        await joinRoom(alice, link, 'Alice', { camera: false });
        await joinRoom(bob, link, 'Bob', { camera: false });
        await waitFor(alice, (s) => connectedTo(s, ['Bob']), { what: 'Alice sees Bob' });
        await waitFor(bob, (s) => connectedTo(s, ['Alice']), { what: 'Bob sees Alice' });

        // Outage 1: a snippet sent meanwhile waits, then arrives.
        await gw.stopOnly();
        await waitFor(alice, (s) => s.state !== 'joined', { what: 'Alice notices' });
        await send(alice, 'queued while down', true);
        let s = await stats(alice);
        assert.equal(Object.values(mine(s, 'queued while down').to).join(), 'pending');
        assert.equal(
          await alice.locator('#chat-log li.mine .chat-status').last().getAttribute('data-status'),
          'pending',
          'shown as sending, not as sent',
        );
        const sentAt = Date.now();
        await gw.start();
        // It arrives once the two are back, unless getting back took longer than the delivery
        // timeout (a gateway slow to start on a loaded machine): then it must be shown as not
        // delivered, never as sent, and a retry delivers it.
        const failed = (x) =>
          Object.values(mine(x, 'queued while down')?.to ?? {}).join() === 'failed';
        await Promise.race([
          waitFor(bob, (x) => has(x, 'queued while down'), {
            timeout: 60_000,
            what: 'Bob gets the snippet sent while the gateway was down',
          }),
          waitFor(alice, failed, { timeout: 60_000, what: 'the snippet marked not delivered' }),
        ]);
        if (!has(await stats(bob), 'queued while down')) {
          assert.ok(
            Date.now() - sentAt >= config.deliveryTimeoutMs,
            'marked not delivered only after the delivery timeout',
          );
          console.log('# the reconnect outlasted the delivery timeout: retrying the snippet');
          await waitFor(alice, (x) => x.state === 'joined' && connectedTo(x, ['Bob']), {
            timeout: 60_000,
            what: 'Alice back',
          });
          await alice.locator('#chat-log li.mine .chat-retry').last().click();
          await waitFor(bob, (x) => has(x, 'queued while down'), { what: 'Bob gets the retry' });
        }
        s = await waitFor(alice, (x) => mine(x, 'queued while down')?.delivered === 1, {
          what: 'Alice sees it delivered',
        });
        assert.equal(mine(s, 'queued while down').kind, 'code');

        // Outage 2, longer than the delivery timeout: marked not delivered, then a retry.
        await gw.stopOnly();
        await waitFor(alice, (x) => x.state !== 'joined', { what: 'Alice notices again' });
        await send(alice, 'too late');
        await waitFor(
          alice,
          (x) =>
            mine(x, 'too late')?.to && Object.values(mine(x, 'too late').to).join() === 'failed',
          {
            timeout: 30_000,
            what: 'Alice sees "too late" not delivered',
          },
        );
        const retry = alice.locator('#chat-log li.mine .chat-retry');
        assert.equal(await retry.count(), 1, 'a retry button');
        assert.match(
          await alice.locator('#chat-log li.mine .chat-status').last().textContent(),
          /Not delivered to Bob/,
        );
        await gw.start();
        await waitFor(alice, (x) => x.state === 'joined' && connectedTo(x, ['Bob']), {
          timeout: 60_000,
          what: 'Alice back',
        });
        assert.ok(!has(await stats(bob), 'too late'), 'not sent again without a retry');
        await retry.click();
        await waitFor(bob, (x) => has(x, 'too late'), { what: 'Bob gets the retried message' });
        await waitFor(alice, (x) => mine(x, 'too late')?.delivered === 1, {
          what: 'Alice sees the retry delivered',
        });
        assert.equal(
          await alice.locator('#chat-log li.mine .chat-status').last().getAttribute('data-status'),
          'delivered',
        );
        assert.equal(
          (await stats(bob)).chat.filter((c) => c.text === 'queued while down').length,
          1,
        );
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });

    test('(b) data channels: with the gateway stopped, chat, snippets and a leave with its rekey still work', async () => {
      const names = ['Alice', 'Bob', 'Carol'];
      const pages = {};
      for (const n of names) pages[n] = await openPage(browser);
      try {
        const link = await createRoom(pages.Alice, gw);
        for (const n of names) await joinRoom(pages[n], link, n, { camera: n !== 'Carol' });
        const onData = (s, others) =>
          connectedTo(s, others) &&
          others.every((o) => {
            const p = s.peers[peerNamed(s, o)].paths;
            return p?.send === 'data' && p?.receive === 'data';
          });
        for (const n of names) {
          await waitFor(
            pages[n],
            (s) =>
              onData(
                s,
                names.filter((x) => x !== n),
              ),
            {
              what: `${n}'s peer records on the data channels`,
            },
          );
        }
        const before = {};
        for (const n of names) before[n] = await stats(pages[n]);

        await gw.stopOnly();
        for (const n of names) {
          await waitFor(pages[n], (s) => s.state !== 'joined' && s.peerToPeer, {
            what: `${n} goes on peer to peer`,
          });
          assert.equal(
            await pages[n].textContent('#status'),
            'Gateway unreachable, call continues peer to peer',
          );
        }
        await send(pages.Alice, 'no gateway needed');
        await send(pages.Bob, 'const x = 1;\nconsole.log(x);', true);
        for (const n of ['Bob', 'Carol'])
          await waitFor(pages[n], (s) => has(s, 'no gateway needed'), {
            what: `${n} gets Alice's chat without the gateway`,
          });
        for (const n of ['Alice', 'Carol'])
          await waitFor(pages[n], (s) => has(s, 'const x = 1;\nconsole.log(x);'), {
            what: `${n} gets Bob's snippet without the gateway`,
          });
        await waitFor(pages.Alice, (s) => mine(s, 'no gateway needed')?.delivered === 2, {
          what: 'Alice sees her chat delivered to both',
        });

        // Carol leaves: her bye goes over the data channels, and the two others rekey.
        await pages.Carol.click('#btn-leave');
        await pages.Carol.click('#leave-confirm'); // Leave asks first
        await pages.Carol.waitForSelector('#view-left:not([hidden])');
        const two = ['Alice', 'Bob'];
        for (const n of two) {
          const other = two.find((x) => x !== n);
          const otherFp = peerNamed(before[n], other);
          const s = await waitFor(
            pages[n],
            (x) =>
              !(peerNamed(before[n], 'Carol') in x.peers) &&
              x.sframe.send.kid !== before[n].sframe.send.kid &&
              x.sframe.receive[otherFp]?.kid !== before[n].sframe.receive[otherFp].kid,
            { what: `${n} sees Carol leave and rekeys without the gateway` },
          );
          assert.equal(s.kids.at(-1).reason, 'peer-bye');
          assert.notEqual(s.state, 'joined', 'the gateway is still down');
        }

        // The gateway comes back: the two carry on, and chat still works.
        await gw.start();
        for (const n of two) {
          await waitFor(
            pages[n],
            (s) =>
              s.state === 'joined' &&
              onData(
                s,
                two.filter((x) => x !== n),
              ),
            { timeout: 60_000, what: `${n} back at the gateway, on the data channel again` },
          );
        }
        await send(pages.Bob, 'gateway is back');
        await waitFor(pages.Alice, (s) => has(s, 'gateway is back'), {
          what: 'Alice gets chat after the gateway is back',
        });
      } finally {
        for (const n of names) await pages[n].context().close();
      }
    });
  },
);
