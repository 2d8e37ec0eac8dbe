// Devices in real Chromium against the real gateway (issue "The meeting people expect", devices
// and media): the join screen lists microphones, cameras and speakers, tests them with a level
// meter and a preview, and the call uses what was chosen; during the call the Devices dialog
// switches camera and microphone with replaceTrack (no new offer either way) while the other side
// keeps decoding, and sends sound to the chosen speaker (setSinkId); a device that stops
// (unplugged) gives way to another, said in an alert; with none to open, the call goes on
// without it and says so, and the controls offer to start it again; a refused switch or start
// says what happened and changes nothing else; a camera that sends no picture is said.
//
// Chromium's fake devices: three microphones ("Fake Default Audio Input", 1, 2), three outputs,
// and with device-count=3 three cameras: fake_device_0 (I420) and fake_device_2 (MJPEG) give
// frames a video encoder takes; fake_device_1 is a depth camera (Y16) whose frames no encoder
// takes, so the tests use the other two. "Unplugged" is the track stopped and its 'ended' event,
// what a browser fires when the device goes (test hook unplug);
// "no device" is getUserMedia failing with NotReadableError (test hook failDevices).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import {
  alerts,
  axeViolations,
  chromiumAvailable,
  inboundFrom,
  joinRoom,
  launchBrowser,
  openPage,
  peerNamed,
  stats,
  waitFor,
} from './browser.js';
import { connectedTo, newLink } from './calls.js';

const devices = (page) => page.evaluate(() => globalThis.__hybridge.devices());
const localOf = async (page, kind) => (await devices(page)).local.find((t) => t.kind === kind);

/** Frames and samples `receiver` decodes from `name`. */
async function from(receiver, name) {
  const s = await stats(receiver);
  return inboundFrom(s, peerNamed(s, name));
}

/** Waits until `receiver` decodes more than `delta` video frames and audio samples from `name` than now. */
async function keepsDecoding(receiver, name, what, { frames = 15, samples = 48_000 } = {}) {
  const start = await from(receiver, name);
  const deadline = Date.now() + 30_000;
  let now = start;
  while (
    (now.video < start.video + frames || now.audio < start.audio + samples) &&
    Date.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 250));
    now = await from(receiver, name);
  }
  assert.ok(
    now.video >= start.video + frames && now.audio >= start.audio + samples,
    `${what}: the other side decodes on (video ${start.video} -> ${now.video}, audio ${start.audio} -> ${now.audio})`,
  );
}

/** The offers and answers a page's connections made or took (a switch must add none). */
async function negotiations(page) {
  const s = await stats(page);
  let n = 0;
  for (const p of Object.values(s.peers))
    for (const [k, v] of Object.entries(p.media?.negotiation ?? {}))
      if (/sdp:(offer|answer)/.test(k)) n += v;
  return n;
}

/** The <option>s of a select: [value, text]. */
const options = (page, sel) =>
  page.$$eval(`${sel} option`, (os) => os.map((o) => [o.value, o.textContent]));

/** Opens the Devices dialog (its lists are filled before it shows). */
async function openDevices(page) {
  await page.click('#btn-devices');
  await page.waitForSelector('#devices-dialog[open]');
}

async function choose(page, sel, label) {
  const value = (await options(page, sel)).find(([, t]) => t === label)?.[0];
  assert.ok(value, `${sel} offers ${label}: ${JSON.stringify(await options(page, sel))}`);
  await page.selectOption(sel, value);
  return value;
}

describe(
  'choosing devices in Chromium',
  { skip: !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)' },
  () => {
    let gw;
    let browser;

    before(async () => {
      gw = await startGateway();
      browser = await launchBrowser(['--use-fake-device-for-media-stream=device-count=3'], {
        without: ['--use-fake-device-for-media-stream'],
      });
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await gw?.stop().catch(() => {});
    });

    test('join screen: lists, level meter and preview, the chosen devices in the call; mid-call switches without renegotiation; the speaker', async () => {
      const link = newLink(gw);
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      try {
        await alice.goto(link);
        await alice.waitForSelector('#view-join:not([hidden])');
        await alice.click('#join-devices summary');
        await alice.click('#join-test');
        await alice.waitForFunction(() => document.querySelector('#join-preview')?.videoWidth > 0);
        const cams = (await options(alice, '#join-cam-device')).map(([, t]) => t);
        assert.deepEqual(
          cams,
          ['Default', 'fake_device_0', 'fake_device_1', 'fake_device_2'],
          'cameras, named',
        );
        assert.deepEqual(await axeViolations(alice), [], 'join screen with the device test');
        const mics = (await options(alice, '#join-mic-device')).map(([, t]) => t);
        assert.ok(mics.includes('Fake Audio Input 2'), `microphones: ${mics}`);
        // The fake microphone beeps: the meter moves.
        await alice.waitForFunction(
          () => document.querySelector('#join-mic-level')?.value > 0.3,
          null,
          { timeout: 15_000, polling: 50 },
        );
        const cam2 = await choose(alice, '#join-cam-device', 'fake_device_2');
        const mic2 = await choose(alice, '#join-mic-device', 'Fake Audio Input 2');
        await alice.fill('#join-name', 'Alice');
        await alice.click('#join-button');
        await waitFor(alice, (s) => s.state === 'joined', { what: 'Alice joined' });
        assert.equal(
          await alice.$eval('#join-preview', (v) => v.srcObject),
          null,
          'the preview stopped',
        );
        assert.equal((await localOf(alice, 'video')).deviceId, cam2, 'the chosen camera');
        assert.equal((await localOf(alice, 'audio')).label, 'Fake Audio Input 2', 'the chosen mic');

        await joinRoom(bob, link, 'Bob');
        await waitFor(alice, (s) => connectedTo(s, ['Bob']), { what: 'Alice sees Bob' });
        await waitFor(bob, (s) => connectedTo(s, ['Alice']), { what: 'Bob sees Alice' });
        await keepsDecoding(bob, 'Alice', 'before any switch');
        assert.deepEqual((await devices(alice)).senders.Bob.sort(), [
          'Fake Audio Input 2',
          'fake_device_2',
        ]);
        const offers = [await negotiations(alice), await negotiations(bob)];

        // Mid-call: the camera, then the microphone (muted first: it stays muted).
        await openDevices(alice);
        assert.equal(
          await alice.inputValue('#call-cam-device'),
          cam2,
          'the dialog shows the camera in use',
        );
        assert.equal(await alice.inputValue('#call-mic-device'), mic2, 'and the microphone');
        await choose(alice, '#call-cam-device', 'fake_device_0');
        await alice.waitForFunction(() =>
          globalThis.__hybridge.devices().senders.Bob.includes('fake_device_0'),
        );
        assert.equal((await localOf(alice, 'video')).label, 'fake_device_0');
        await keepsDecoding(bob, 'Alice', 'after the camera switch');

        await alice.click('#devices-close');
        await alice.click('#btn-mute');
        await openDevices(alice);
        await choose(alice, '#call-mic-device', 'Fake Audio Input 1');
        await alice.waitForFunction(() =>
          globalThis.__hybridge.devices().senders.Bob.includes('Fake Audio Input 1'),
        );
        const mic = await localOf(alice, 'audio');
        assert.equal(mic.enabled, false, 'still muted after the switch');
        assert.equal(await alice.textContent('#btn-mute'), 'Unmute');
        assert.equal(
          (await devices(alice)).local.filter((t) => t.kind === 'audio').length,
          1,
          'one microphone in the call',
        );
        await alice.click('#devices-close');
        await alice.click('#btn-mute');
        await keepsDecoding(bob, 'Alice', 'after the microphone switch');
        assert.deepEqual(
          [await negotiations(alice), await negotiations(bob)],
          offers,
          'no offer or answer for either switch (replaceTrack)',
        );

        // The speaker: Alice's remote tiles play on the chosen output.
        await openDevices(alice);
        assert.equal(await alice.isVisible('#call-speaker-row'), true, 'Chromium can choose');
        assert.deepEqual(await axeViolations(alice), [], 'the Devices dialog');
        const out1 = await choose(alice, '#call-speaker-device', 'Fake Audio Output 1');
        await alice.waitForFunction((id) => {
          const remote = [...document.querySelectorAll('#tiles video')].filter((v) => !v.muted);
          return remote.length > 0 && remote.every((v) => v.sinkId === id);
        }, out1);
        await alice.click('#devices-close');
        assert.deepEqual(await alerts(alice), [], 'no alert on the way');

        // A reload rejoins the call (tabCall.js) with the devices last chosen: the microphone
        // (not the default) and the speaker. (The camera chosen last is also the default one.)
        await alice.reload();
        await waitFor(alice, (s) => s.state === 'joined' && connectedTo(s, ['Bob']), {
          what: 'Alice back in the call after a reload',
          timeout: 60_000,
        });
        assert.equal((await localOf(alice, 'audio')).label, 'Fake Audio Input 1', 'the mic kept');
        await alice.waitForFunction((id) => {
          const remote = [...document.querySelectorAll('#tiles video')].filter((v) => !v.muted);
          return remote.length > 0 && remote.every((v) => v.sinkId === id);
        }, out1);
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });

    test('a device that stops gives way to another; with none, the call goes on without it and says so; refused switches and starts say so', async () => {
      const link = newLink(gw);
      const alice = await openPage(browser);
      const bob = await openPage(browser);
      const hook = (fn, arg) => alice.evaluate(([f, a]) => globalThis.__hybridge[f](a), [fn, arg]);
      try {
        await joinRoom(alice, link, 'Alice');
        await joinRoom(bob, link, 'Bob');
        await waitFor(bob, (s) => connectedTo(s, ['Alice']), { what: 'Bob sees Alice' });
        await keepsDecoding(bob, 'Alice', 'at the start');

        // Then on fake_device_2, the camera is unplugged: the first other one takes over (fake_device_0),
        // and Alice is told which.
        await openDevices(alice);
        assert.equal(
          await alice.inputValue('#call-mic-device'),
          '',
          'the microphone opened without a choice shows as Default',
        );
        // A camera whose frames no encoder takes (fake_device_1, depth): said, not a silent
        // black tile at Bob; another camera clears it.
        await choose(alice, '#call-cam-device', 'fake_device_1');
        await alice.waitForSelector('.alert[data-code="CAMERA_NO_PICTURE"]', { timeout: 30_000 });
        await choose(alice, '#call-cam-device', 'fake_device_2');
        await alice.waitForFunction(() =>
          globalThis.__hybridge.devices().senders.Bob.includes('fake_device_2'),
        );
        await alice.waitForSelector('.alert[data-code="CAMERA_NO_PICTURE"]', {
          state: 'detached',
          timeout: 30_000,
        });
        await alice.click('#devices-close');
        const was = (await localOf(alice, 'video')).deviceId;
        assert.equal(await hook('unplug', 'video'), true);
        await alice.waitForSelector('.alert[data-code="CAMERA_SWITCHED"]');
        assert.match(
          await alice.textContent('.alert[data-code="CAMERA_SWITCHED"]'),
          /now: fake_device_0/,
        );
        const cam = await localOf(alice, 'video');
        assert.equal(cam.state, 'live');
        assert.notEqual(cam.deviceId, was, 'another camera');
        await keepsDecoding(bob, 'Alice', 'after the camera was unplugged', { samples: 0 });

        // A switch that the browser refuses: said, and the microphone in use stays.
        await hook('failDevices', 'audio');
        const micBefore = await localOf(alice, 'audio');
        await openDevices(alice);
        await choose(alice, '#call-mic-device', 'Fake Audio Input 2');
        await alice.waitForSelector('.alert[data-code="DEVICE_SWITCH_FAILED"]');
        assert.deepEqual(await localOf(alice, 'audio'), micBefore, 'the microphone in use stays');
        await alice.click('#devices-close');

        // No camera left to open: the call goes on without one, says so, offers to start one.
        await hook('failDevices', 'video');
        await hook('unplug', 'video');
        await alice.waitForSelector('.alert[data-code="CAMERA_LOST"]');
        assert.equal(await localOf(alice, 'video'), undefined, 'no camera track in the call');
        await alice.waitForFunction(
          () => document.querySelector('#btn-camera')?.textContent === 'Start camera',
        );
        // Starting it while it still fails: the mid-call wording, not "joining with the microphone only".
        await alice.click('#btn-camera');
        await alice.waitForSelector('.alert[data-code="CAMERA_START_FAILED"]');
        assert.match(
          await alice.textContent('.alert[data-code="CAMERA_START_FAILED"]'),
          /press “Start camera” again/,
        );
        assert.ok(!(await alerts(alice)).includes('CAMERA_DENIED'));
        await keepsDecoding(bob, 'Alice', 'audio goes on without a camera', { frames: 0 });

        // The device is back: Start camera works, and the errors about it are gone.
        await hook('failDevices', null);
        await alice.click('#btn-camera');
        await alice.waitForFunction(
          () => document.querySelector('#btn-camera')?.textContent === 'Camera off',
        );
        const left = await alerts(alice);
        for (const code of ['CAMERA_LOST', 'CAMERA_START_FAILED'])
          assert.ok(!left.includes(code), `${code} cleared: ${left}`);
        await keepsDecoding(bob, 'Alice', 'the camera started again');
      } finally {
        await alice.context().close();
        await bob.context().close();
      }
    });

    test("the join screen's connection test: gateway, handshake, paths, microphone and camera, as text without secrets; a link with another gateway key fails it", async () => {
      const link = newLink(gw);
      const page = await openPage(browser);
      try {
        await page.goto(link);
        await page.waitForSelector('#view-join:not([hidden])');
        await page.click('#join-conn summary');
        await page.click('#conn-run');
        await page.waitForSelector('#conn-copy-row:not([hidden])', { timeout: 60_000 });
        const lines = await page.$$eval('#conn-lines li', (ls) =>
          Object.fromEntries(ls.map((l) => [l.dataset.what, [l.dataset.status, l.textContent]])),
        );
        assert.equal(lines.Gateway[0], 'ok', lines.Gateway[1]);
        assert.match(lines.Gateway[1], /reached in \d+ ms, its key checked/);
        assert.equal(lines['Secure handshake and join'][0], 'ok');
        // This gateway's default configuration names no STUN or TURN server.
        assert.equal(lines.TURN[0], 'info');
        assert.match(lines.TURN[1], /names no TURN relay/);
        assert.equal(lines.Microphone[0], 'ok', lines.Microphone[1]);
        assert.equal(lines.Camera[0], 'ok', lines.Camera[1]);
        assert.match(lines.Camera[1], /working, \d+x\d+/);
        const report = await page.inputValue('#conn-report');
        const secret = new URL(link).hash.slice(1).split('.')[0];
        assert.ok(!report.includes(secret), 'the room secret is not in the report');
        assert.doesNotMatch(report, /candidate|username|credential/i);
        assert.match(report, /^Hybridge connection test, /);
        assert.equal(report.split('\n').length, 1 + Object.keys(lines).length);
        assert.deepEqual(await alerts(page), [], 'the test raises no alert of the call');

        // A link whose pinned key is not this gateway's: the test says so and goes no further.
        const wrong = `${link.slice(0, link.lastIndexOf('.'))}.${Buffer.alloc(32, 7).toString('base64url')}`;
        const other = await openPage(browser);
        await other.goto(wrong);
        await other.waitForSelector('#view-join:not([hidden])');
        await other.click('#join-conn summary');
        await other.uncheck('#join-mic');
        await other.uncheck('#join-cam');
        await other.click('#conn-run');
        await other.waitForSelector('#conn-copy-row:not([hidden])', { timeout: 60_000 });
        const bad = await other.$$eval('#conn-lines li', (ls) =>
          ls.map((l) => [l.dataset.what, l.dataset.status, l.textContent]),
        );
        assert.deepEqual(
          bad.map(([w, st]) => [w, st]),
          [
            ['Browser', 'info'],
            ['Gateway', 'fail'],
          ],
        );
        assert.match(bad[1][2], /UNKNOWN_GATEWAY_KEY/);
        await other.context().close();
      } finally {
        await page.context().close();
      }
    });
  },
);
