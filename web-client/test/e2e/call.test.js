// Browser end-to-end tests: real Chromium pages against the real gateway (started through
// test/support/gateway.js), with fake camera, microphone and screen. One room, in order:
//   (a) three pages join: audio and video both ways, a screen share, chat, SFrame on every
//       sender and receiver, and the same SAS on both ends of every pair;
//   (e) a screenshot of the three-person call (test/e2e/artifacts/call.png);
//   (b) a fourth page with a wrong link gets nothing and says why;
//   (d) the gateway restarts mid-call: media flows throughout, chat works after;
//   (c) one page leaves: the others rekey (new KIDs) and keep talking;
//   (f) both ends of a pair restart ICE at once: only the impolite one offers (the polite one asks
//       with `ice-restart`), so no glare, and video keeps decoding both ways (a polite offer rolled
//       back in a glare left Chromium's receivers without their decrypting transform: frozen);
//   (g) that fault forced (a page makes an offer and rolls it back): its media path stops passing
//       through its transforms, and the page says so on the tile, not a silent frozen picture.
// Timeouts are generous (two shared cores); nothing here measures speed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VIEW_STABLE_MS } from '../../src/signal/membership.js';
import { startGateway } from '../support/gateway.js';
import { connectedTo, newLink } from './calls.js';
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

const HERE = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(HERE, 'artifacts');
const NAMES = ['Alice', 'Bob', 'Carol'];
/** Carol's reconnection delay after an outage; the others keep the app's 0.5 s .. 8 s backoff. */
const RECONNECT_LATE_MS = 12_000;

function b64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

/** All three pages: each sees the two others connected, with names and a SAS. */
function fullyConnected(s, others) {
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

describe(
  'three-person call in Chromium',
  { skip: !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)' },
  () => {
    let gw;
    let browser;
    let link;
    const pages = {}; // name -> page
    const fps = {}; // name -> keyFp as seen by the others

    before(async () => {
      gw = await startGateway();
      browser = await launchBrowser();
      for (const n of NAMES)
        // Carol comes back from a gateway outage 12 s after she lost it, the others within a few
        // seconds: (d) checks that nobody compares room views with the one she had before.
        pages[n] = await openPage(browser, {
          config: n === 'Carol' ? { reconnectDelayMs: RECONNECT_LATE_MS } : {},
        });
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await gw?.stop().catch(() => {});
    });

    /** frames/samples a page receives from every other listed page. */
    async function mediaMatrix(names) {
      const m = {};
      for (const a of names) {
        const s = await stats(pages[a]);
        m[a] = {};
        for (const b of names) if (b !== a) m[a][b] = inboundFrom(s, peerNamed(s, b));
      }
      return m;
    }

    function assertRising(before, later, names, what) {
      for (const a of names) {
        for (const b of names) {
          if (a === b) continue;
          assert.ok(
            later[a][b].video > before[a][b].video,
            `${what}: ${a} decodes ${b}'s video (${before[a][b].video} -> ${later[a][b].video})`,
          );
          assert.ok(
            later[a][b].audio > before[a][b].audio,
            `${what}: ${a} receives ${b}'s audio (${before[a][b].audio} -> ${later[a][b].audio})`,
          );
        }
      }
    }

    test('(a) three pages join: audio, video, screen share, chat, SFrame everywhere, same SAS per pair', async () => {
      const alice = pages.Alice;
      // Alice creates the room on the landing page: the link pins the gateway's fingerprint.
      await alice.goto(`${gw.url}/`);
      await alice.click('#create-room');
      await alice.waitForSelector('#invite-new:not([hidden])');
      link = await alice.inputValue('#invite-new-link');
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\/#([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/.exec(
        link,
      );
      assert.ok(m, `link shape: ${link}`);
      assert.equal(m[1], gw.url);
      assert.equal(m[3], b64url(gw.fingerprint), 'the link pins the gateway key fingerprint');
      assert.equal(await alice.locator('#invite-new-qr svg.qr path').count(), 1, 'QR code drawn');
      await alice.click('#invite-new-enter');
      await alice.waitForSelector('#view-join:not([hidden])');
      await alice.fill('#join-name', 'Alice');
      await alice.click('#join-button');
      await waitFor(alice, (s) => s.state === 'joined', { what: 'Alice joined' });
      assert.equal(
        new URL(alice.url()).hash,
        '',
        'the secret leaves the address bar once in the call',
      );

      await joinRoom(pages.Bob, link, 'Bob');
      await joinRoom(pages.Carol, link, 'Carol');

      for (const n of NAMES) {
        const others = NAMES.filter((x) => x !== n);
        await waitFor(pages[n], (s) => fullyConnected(s, others), {
          timeout: 45_000,
          what: `${n} connected to ${others}`,
        });
      }
      // Key fingerprints as the others know them (the same from every side).
      const sAlice = await stats(alice);
      const sBob = await stats(pages.Bob);
      fps.Bob = peerNamed(sAlice, 'Bob');
      fps.Carol = peerNamed(sAlice, 'Carol');
      fps.Alice = peerNamed(sBob, 'Alice');
      assert.equal(peerNamed(sBob, 'Carol'), fps.Carol);

      // The same SAS at both ends of every pair, and different pairs have different SAS.
      const all = {};
      for (const n of NAMES) all[n] = await stats(pages[n]);
      const sasOf = (a, b) => all[a].peers[fps[b]].sas;
      for (const [a, b] of [
        ['Alice', 'Bob'],
        ['Alice', 'Carol'],
        ['Bob', 'Carol'],
      ]) {
        assert.match(sasOf(a, b), /^\d{4}-\d{4}-\d{4}$/);
        assert.equal(sasOf(a, b), sasOf(b, a), `SAS ${a}-${b}`);
      }
      assert.notEqual(sasOf('Alice', 'Bob'), sasOf('Alice', 'Carol'));
      // ... and the security panel shows it.
      assert.equal(
        await alice.locator(`#sec-peers li[data-fp="${fps.Bob}"] .sas`).textContent(),
        sasOf('Alice', 'Bob'),
      );

      // Audio and video both ways: decoded frames and received samples rise.
      await waitFor(
        pages.Carol,
        (s) => inboundFrom(s, fps.Alice).video > 0 && inboundFrom(s, fps.Bob).video > 0,
        { what: 'Carol decodes video' },
      );
      const m1 = await mediaMatrix(NAMES);
      const sent1 = { at: Date.now(), s: await stats(alice) };
      await sleep(2500);
      const m2 = await mediaMatrix(NAMES);
      const sent2 = { at: Date.now(), s: await stats(alice) };
      assertRising(m1, m2, NAMES, 'call');

      // 40 ms Opus frames (spec/media-sframe.md §7.5): every SDP a page sends asks for them, its
      // own local description stays as Chromium made it, and Chromium then sends 25 audio packets
      // per second (50 at its default 20 ms).
      const sdps = await alice.evaluate(() => globalThis.__hybridge.sdp());
      for (const n of ['Bob', 'Carol']) {
        const audioSections = (sdp) =>
          sdp.split(/\r\n(?=m=)/).filter((x) => x.startsWith('m=audio '));
        assert.ok(
          audioSections(sdps[n].remote).length >= 1 &&
            audioSections(sdps[n].remote).every((x) => x.includes('\r\na=ptime:40\r\n')),
          `${n}'s SDP asks Alice for 40 ms frames`,
        );
        assert.ok(
          !sdps[n].local.includes('a=ptime:'),
          "the local description is the browser's own",
        );
        const packets = (st) =>
          st.peers[fps[n]].media.outbound
            .filter((o) => o.kind === 'audio')
            .reduce((x, o) => x + o.packetsSent, 0);
        const rate = ((packets(sent2.s) - packets(sent1.s)) * 1000) / (sent2.at - sent1.at);
        assert.ok(
          rate >= 18 && rate <= 32,
          `Alice sends ${n} about 25 audio packets per second, not ${rate.toFixed(1)}`,
        );
      }

      // SFrame on every sender and receiver, VP8/VP9 only, nothing failing to decrypt persistently.
      for (const n of NAMES) {
        const s = await stats(pages[n]);
        assert.equal(s.transformApi, 'script', 'RTCRtpScriptTransform in Chromium 156');
        assert.ok(s.sframe.send.frames > 0 && s.sframe.send.kid !== null, `${n} encrypts`);
        assert.equal(
          s.sframe.send.droppedNoKey === 0 || s.sframe.send.frames > s.sframe.send.droppedNoKey,
          true,
        );
        assert.ok(
          s.sframe.transforms.send >= 4,
          `${n}: a send transform per sender (${s.sframe.transforms.send})`,
        );
        assert.ok(
          s.sframe.transforms.receive >= 4,
          `${n}: a receive transform per receiver (${s.sframe.transforms.receive})`,
        );
        for (const o of NAMES.filter((x) => x !== n)) {
          const p = s.peers[fps[o]];
          assert.ok(s.sframe.receive[fps[o]].frames > 0, `${n} decrypts ${o}'s frames`);
          assert.ok(
            p.media.senderTransforms.length >= 2 && p.media.senderTransforms.every(Boolean),
            `${n}->${o} senders transformed`,
          );
          assert.ok(
            p.media.receiverTransforms.length >= 2 && p.media.receiverTransforms.every(Boolean),
            `${n}<-${o} receivers transformed`,
          );
          for (const i of p.media.inbound.filter(
            (x) => x.kind === 'video' && x.framesDecoded > 0,
          )) {
            assert.match(i.codec, /^video\/VP[89]$/i, 'whole-frame SFrame needs VP8/VP9');
          }
        }
      }

      // Screen share from Alice ("sharp text"): its own tile at Bob and Carol, frames decoded.
      await alice.selectOption('#share-quality', 'sharp');
      await alice.click('#btn-share');
      await alice.waitForSelector('#btn-stop-share:not([hidden])');
      for (const n of ['Bob', 'Carol']) {
        await waitFor(
          pages[n],
          (s) => s.peers[fps.Alice].screenStreamId !== null && inboundFrom(s, fps.Alice).screen > 0,
          { what: `${n} sees Alice's screen` },
        );
        await pages[n].waitForSelector(`.tile.screen[data-fp="${fps.Alice}"]`);
      }

      // Chat: text and a code snippet, rendered as text only.
      await pages.Bob.fill('#chat-text', 'hello from Bob');
      await pages.Bob.click('#chat-form button[type=submit]');
      const snippet = '<b>not bold</b>\nconst x = 1;';
      await pages.Carol.fill('#chat-text', snippet);
      await pages.Carol.check('#chat-code');
      await pages.Carol.click('#chat-form button[type=submit]');
      for (const n of NAMES) {
        await waitFor(
          pages[n],
          (s) =>
            s.chat.some((c) => c.text === 'hello from Bob') &&
            s.chat.some((c) => c.text === snippet),
          { what: `${n} has the chat` },
        );
      }
      const alicePre = alice.locator('#chat-log pre code');
      assert.equal(await alicePre.textContent(), snippet);
      assert.equal(await alice.locator('#chat-log b').count(), 0, 'chat text never becomes markup');
    });

    test('(e) screenshot of the three-person call', async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      // Let the videos paint a few frames after the share started.
      await pages.Bob.bringToFront();
      await sleep(1500);
      await pages.Bob.screenshot({ path: join(ARTIFACTS, 'call.png') });
      await pages.Alice.bringToFront();
      await pages.Alice.click('#tab-security');
      await sleep(300);
      await pages.Alice.screenshot({ path: join(ARTIFACTS, 'call-security.png') });
      await pages.Alice.click('#tab-chat');
      // The share costs CPU on two cores; the remaining tests do not need it.
      await pages.Alice.click('#btn-stop-share');
      for (const n of ['Bob', 'Carol']) {
        await pages[n].waitForSelector(`.tile.screen[data-fp="${fps.Alice}"]`, {
          state: 'detached',
        });
      }
    });

    test('(b) a fourth page with a wrong link completes no peer handshake, gets no media, and says why', async () => {
      const [, base, secret, fp] = /^(.*)#([^.]+)\.(.+)$/.exec(link);
      const intruder = await openPage(browser);
      try {
        // 1. Right secret, wrong gateway pin: stops before joining, with the pin warning.
        const fpBytes = Buffer.from(fp, 'base64url');
        fpBytes[0] ^= 1;
        await joinRoom(intruder, `${base}#${secret}.${b64url(fpBytes)}`, 'Mallory', {
          waitJoined: false,
        });
        await intruder.waitForSelector('.alert[data-code="UNKNOWN_GATEWAY_KEY"]', {
          timeout: 20_000,
        });
        const text = await intruder
          .locator('.alert[data-code="UNKNOWN_GATEWAY_KEY"]')
          .textContent();
        assert.match(text, /not the one in your link/);
        assert.equal(await intruder.isVisible('#view-call'), false, 'not in a call');

        // 2. Another secret (a link to another room): alone, no media, and the page says nobody is here.
        const otherSecret = b64url(crypto.getRandomValues(new Uint8Array(32)));
        await joinRoom(intruder, `${base}#${otherSecret}.${fp}`, 'Mallory');
        await sleep(3000);
        const s = await stats(intruder);
        assert.equal(Object.keys(s.peers).length, 0, 'alone in another room');
        assert.ok(
          await intruder.evaluate(() => document.body.classList.contains('alone')),
          'the page says it is waiting for others',
        );
        // The three in the call never saw anyone new.
        for (const n of NAMES)
          assert.equal(
            Object.keys((await stats(pages[n])).peers).length,
            2,
            `${n} still sees two peers`,
          );

        // 3. The right room (same room id) with a wrong PSK: what a gateway could do with a room id
        //    it saw. Every peer handshake fails key confirmation; no channel, no SDP, no media.
        const impostor = await openPage(browser, { config: { wrongPsk: true } });
        try {
          await joinRoom(impostor, link, 'Mallory');
          await waitFor(
            impostor,
            (x) => x.problems.some((p) => p.code === 'PEER_HANDSHAKE_FAILED'),
            { timeout: 30_000, what: 'wrong-PSK handshake failure' },
          );
          await sleep(2000);
          const x = await stats(impostor);
          for (const p of Object.values(x.peers)) {
            assert.notEqual(p.state, 'connected');
            assert.equal(p.sas, null);
            assert.ok(
              p.media === null ||
                p.media.inbound.every((i) => i.framesDecoded === 0 && i.totalSamplesReceived === 0),
              'no media',
            );
          }
          assert.ok(
            (await alerts(impostor)).includes('PEER_HANDSHAKE_FAILED'),
            'the impostor is told why',
          );
          const text = await impostor
            .locator('.alert[data-code="PEER_HANDSHAKE_FAILED"]')
            .textContent();
          assert.match(text, /different room link/);
          // The members see the failed attempt too, and none of them connected to it.
          const s1 = await stats(pages.Alice);
          assert.ok(
            Object.values(s1.peers).every((p) => p.name !== 'Mallory'),
            'no channel means no name either',
          );
        } finally {
          await impostor.context().close();
        }
      } finally {
        await intruder.context().close();
      }
    });

    test('(d) the gateway restarts mid-call: media flows throughout, chat works after', async () => {
      const before = await mediaMatrix(NAMES);
      let sawDown = false;
      let during = null;
      let downAt = null;
      const restarting = gw.restart();
      let done = false;
      restarting.finally(() => {
        done = true;
      });
      // While the gateway is away: once a page notices, frames must still rise.
      while (!done) {
        const s = await stats(pages.Bob);
        if (s.state === 'reconnecting' || s.state === 'connecting' || s.state === 'handshaking') {
          if (!sawDown) {
            sawDown = true;
            downAt = inboundFrom(s, fps.Alice).video;
          } else {
            during = inboundFrom(s, fps.Alice).video;
          }
        }
        await sleep(200);
      }
      await restarting;
      assert.ok(sawDown, 'Bob noticed the gateway going away');
      if (during !== null)
        assert.ok(
          during > downAt,
          `Bob decodes Alice while the gateway is down (${downAt} -> ${during})`,
        );

      // When each page is joined again: Carol well after the others (her reconnection delay).
      const backAt = {};
      while (Object.keys(backAt).length < NAMES.length) {
        for (const n of NAMES)
          if (backAt[n] === undefined && (await stats(pages[n])).state === 'joined')
            backAt[n] = Date.now();
        await sleep(100);
      }
      const lead = backAt.Carol - Math.max(backAt.Alice, backAt.Bob);
      console.log(`Carol rejoined ${lead} ms after the last of Alice and Bob`);
      assert.ok(lead > VIEW_STABLE_MS + 500, 'Carol came back late enough to test the view check');
      for (const n of NAMES) {
        const others = NAMES.filter((x) => x !== n);
        await waitFor(pages[n], (s) => s.state === 'joined' && fullyConnected(s, others), {
          timeout: 60_000,
          what: `${n} back after restart`,
        });
      }
      // Carol's channels ran peer to peer while she was away: she told them that she had no view
      // (spec/peer-messages.md §4), so nobody compared theirs with the one she had before.
      await sleep(VIEW_STABLE_MS + 500); // and a comparison of the views after her return is done
      for (const n of NAMES) {
        const s = await stats(pages[n]);
        assert.deepEqual(
          s.problems.filter((p) => p.code === 'VIEW_MISMATCH'),
          [],
          `${n}: no room-view warning after an honest gateway restart`,
        );
      }
      const afterM = await mediaMatrix(NAMES);
      assertRising(before, afterM, NAMES, 'across the restart');

      await pages.Carol.fill('#chat-text', 'after the restart');
      await pages.Carol.click('#chat-form button[type=submit]');
      for (const n of ['Alice', 'Bob']) {
        await waitFor(pages[n], (s) => s.chat.some((c) => c.text === 'after the restart'), {
          what: `${n} gets chat after restart`,
        });
      }
    });

    test('(c) one page leaves: the others rekey and keep talking', async () => {
      const two = ['Alice', 'Bob'];
      const s0 = { Alice: await stats(pages.Alice), Bob: await stats(pages.Bob) };
      await pages.Carol.click('#btn-leave');
      await pages.Carol.click('#leave-confirm'); // Leave asks first
      await pages.Carol.waitForSelector('#view-left:not([hidden])');
      for (const n of two) {
        const other = two.find((x) => x !== n);
        await waitFor(pages[n], (s) => !(fps.Carol in s.peers), { what: `${n} sees Carol leave` });
        // A new send KID here, and a new KID from the other side observed by the worker.
        const s = await waitFor(
          pages[n],
          (x) =>
            x.sframe.send.kid !== s0[n].sframe.send.kid &&
            x.sframe.receive[fps[other]]?.kid !== s0[n].sframe.receive[fps[other]].kid,
          { what: `${n} rekeyed` },
        );
        assert.ok(
          s.kids.at(-1).reason.startsWith('peer-'),
          'the last epoch started on the departure',
        );
        assert.equal(s.sframe.receive[fps.Carol], undefined, `${n} forgot Carol's keys`);
      }
      const m1 = await mediaMatrix(two);
      await sleep(2000);
      const m2 = await mediaMatrix(two);
      assertRising(m1, m2, two, 'after the leave');
    });

    test('(f) both ends restart ICE at once: no glare, video keeps decoding both ways', async () => {
      const two = ['Alice', 'Bob'];
      const before = await mediaMatrix(two);
      const neg = async (n) => {
        const s = await stats(pages[n]);
        return s.peers[fps[two.find((x) => x !== n)]].media;
      };
      const offered = {};
      for (const n of two) offered[n] = (await neg(n)).negotiation['sent:sdp:offer'] ?? 0;
      await Promise.all(two.map((n) => pages[n].evaluate(() => window.__hybridge.restartIce())));
      // decoding again past the restart: each side's video rising over what it had
      for (const n of two) {
        const other = two.find((x) => x !== n);
        await waitFor(
          pages[n],
          (s) => inboundFrom(s, fps[other]).video > before[n][other].video + 10,
          {
            what: `${n} decodes ${other}'s video after the restart`,
            timeout: 20_000,
          },
        );
      }
      const m1 = await mediaMatrix(two);
      await sleep(2000);
      assertRising(m1, await mediaMatrix(two), two, 'after both restarted ICE');
      const media = { Alice: await neg('Alice'), Bob: await neg('Bob') };
      const polite = two.find((n) => media[n].polite);
      const impolite = two.find((n) => !media[n].polite);
      assert.ok(polite && impolite, 'one polite and one impolite side');
      assert.equal(
        media[polite].negotiation['sent:sdp:offer'] ?? 0,
        offered[polite],
        'the polite side made no offer',
      );
      assert.ok(media[polite].negotiation['sent:ice-restart'] >= 1, 'the polite side asked');
      assert.ok(
        (media[impolite].negotiation['sent:sdp:offer'] ?? 0) > offered[impolite],
        'the impolite side offered the restart',
      );
      assert.equal(media[impolite].negotiation['ignored:offer'] ?? 0, 0, 'no glare');
    });

    test('(g) frames that bypass decryption (a rolled-back offer) are said on the tile', async () => {
      // A fresh pair in a room of its own: Chromium 156 loses the receivers' transforms when the
      // side that answered the pair's first offer rolls back an offer of its own, before any
      // other renegotiation (after an ICE restart it did not, in this file's earlier order).
      const link2 = newLink(gw);
      const two = ['Dave', 'Erin'];
      for (const n of two) {
        pages[n] = await openPage(browser);
        await joinRoom(pages[n], link2, n);
      }
      for (const n of two) {
        const o = two.find((x) => x !== n);
        const s = await waitFor(pages[n], (x) => connectedTo(x, [o]), { what: `${n} and ${o}` });
        fps[o] = peerNamed(s, o);
      }
      const polite = [];
      for (const n of two)
        if ((await stats(pages[n])).peers[fps[two.find((x) => x !== n)]].media.polite)
          polite.push(n);
      assert.equal(polite.length, 1, 'one side is polite');
      const [p] = polite;
      const other = two.find((x) => x !== p);
      await waitFor(pages[p], (s) => inboundFrom(s, fps[other]).video > 5, {
        what: `${p} decodes ${other}`,
      });
      await pages[p].evaluate(() => window.__hybridge.offerAndRollBack());
      const tile = `.tile[data-fp="${fps[other]}"][data-decrypt="bypassed"] .tile-decrypt`;
      await pages[p].waitForSelector(tile, { timeout: 30_000 }).catch(async (e) => {
        const s = await stats(pages[p]);
        const m = s.peers[fps[other]].media;
        console.error(
          JSON.stringify({
            polite: p,
            sframe: s.sframe?.receive?.[fps[other]]?.frames,
            video: m.inbound.filter((i) => i.kind === 'video' && !i.screen),
            negotiation: m.negotiation,
          }),
        );
        throw e;
      });
      assert.match(
        await pages[p].textContent(tile),
        /arrives but this browser stopped passing it through decryption/,
      );
      const h = await pages[p].evaluate(() => window.__hybridge.health());
      assert.equal(h[fps[other]].undecrypted, true);
      // (What the other side sees varies: in this order the rolled-back side also stopped
      // sending, so its media simply stops arriving there, and the quality mark says so.)
    });
  },
);
