// @ts-check
// The Hybridge web app: landing (create or paste a room link), join (name, microphone), call.
//
// The link fragment (#secret.fingerprint) is read once. It is removed from the address bar when
// the call starts (history.replaceState), and kept in memory for the Invite tab: a URL with the
// room secret in it would otherwise sit in the history, session restore and synced tabs of
// every participant, where it outlives the call. Before joining, it stays, so a reload of the
// join page works. In the call, the tab's sessionStorage keeps it (tabCall.js), so that a reload
// rejoins and Leave can offer Rejoin; "Back to the start" and closing the tab forget it.

import { canRunSFrame, isFirefox, screenAudioNote } from './browserSupport.js';
import { Fingerprint } from '../protocol/index.js';
import { $, clear, show } from './dom.js';
import { AppError, checkSecureContext, parseLinkFragment } from './link.js';
import { alertBox, clearAlerts, dismiss } from './alerts.js';
import {
  renderChatEntry,
  renderSecurity,
  renderShareButtons,
  renderStatus,
  renderTiles,
  initTileLayout,
  RECONNECTING_CODES,
} from './callView.js';
import { MediaPresence, presenceOf } from './mediaPresence.js';
import { MediaHealth } from './mediaHealth.js';
import { initShortcuts } from './shortcuts.js';
import { qrSvg } from './qr.js';
import { Call } from './call.js';
import { openLocalMedia } from './localMedia.js';
import { initCallDevices, initJoinDevices, showJoinDevices, stopPreview } from './deviceView.js';
import { initConnectionTest } from './connectionView.js';
import { initCodeView } from './codeView.js';
import { copyButton, initLanding } from './landing.js';
import { initTabs } from './tabs.js';
import { forgetCall, recallCall, rememberCall } from './tabCall.js';
import { forgetDevices } from './devices.js';
import { clearFiles, initFiles, loadFileCap, renderFile, renderFileTo } from './fileView.js';
import { initRoomControls, wireRoom } from './roomView.js';
// test-hook:begin
import { installTestHook } from './testHook.js';
// test-hook:end
import { PeerLimits } from '../signal/peerMessages.js';

/* global __SFRAME_WORKER_URL__ */
const WORKER_URL =
  typeof __SFRAME_WORKER_URL__ === 'string' ? __SFRAME_WORKER_URL__ : '/sframe-worker.js';
// Set only by the browser tests and the benchmark (page.addInitScript): small fake video and
// the window.__hybridge hook. A page cannot set it for another page, and the served bundle
// never reads it (build.mjs leaves test-hook regions out).
/** @type {{hooks?: boolean, video?: MediaTrackConstraints, audioFrameMs?: number, wrongPsk?: boolean, sframe?: boolean, deliveryTimeoutMs?: number, dataChannel?: boolean, reconnectDelayMs?: number} | null} */
let TEST = null;
// test-hook:begin
TEST = globalThis.__hybridgeTestConfig ?? null;
// test-hook:end

/** @type {{fragment: string | null, link: string | null, call: Call | null, unmountPad: () => void}} */
const app = {
  fragment: null, // the link fragment while on this page
  link: null, // the full invite link (kept in memory only)
  call: null,
  unmountPad: () => {}, // takes the Live Code pad of the call down
};

/** @param {'landing' | 'join' | 'call' | 'left'} name */
function showView(name) {
  for (const v of ['landing', 'join', 'call', 'left']) show($(`#view-${v}`), v === name);
  document.body.dataset.view = name;
  if (name === 'join') showJoinDevices();
  else stopPreview();
}

/** @type {ReturnType<typeof initCallDevices> | null} */
let devices = null;

/** What the tab kept of a call, and the devices chosen for it, forgotten. */
function forgetTab() {
  forgetCall();
  forgetDevices();
}

// --- join ------------------------------------------------------------------------------------

function initJoin() {
  // The limits of spec/peer-messages.md §2, from their one definition (PeerLimits). maxLength
  // counts UTF-16 units, never fewer than the code points the limit counts, so it never lets
  // more through.
  $('#join-name').maxLength = PeerLimits.MAX_NAME_CHARS;
  initJoinDevices(TEST?.video);
  initConnectionTest(() => {
    const parsed = parseLinkFragment(app.fragment ?? '');
    if (parsed === null) return null;
    parsed.secret.fill(0); // only the pinned key is needed: the test joins a room of its own
    return parsed.fingerprint;
  }, TEST?.video);
  $('#join-cancel').addEventListener('click', () => {
    forgetTab();
    history.replaceState(null, '', location.pathname);
    route();
  });
  $('#join-form').addEventListener('submit', async (/** @type {SubmitEvent} */ e) => {
    e.preventDefault();
    const button = $('#join-button');
    button.disabled = true;
    try {
      await join(
        $('#join-name').value.trim().slice(0, PeerLimits.MAX_NAME_CHARS),
        $('#join-mic').checked,
        $('#join-cam').checked,
      );
    } finally {
      button.disabled = false;
    }
  });
}

/** @param {string} name @param {boolean} mic @param {boolean} cam */
async function join(name, mic, cam) {
  clearAlerts();
  const parsed = parseLinkFragment(app.fragment ?? '');
  if (parsed === null) {
    alertBox('BAD_LINK');
    return;
  }
  stopPreview();
  let stream;
  try {
    stream = await openLocalMedia(mic, cam, TEST?.video);
  } catch (e) {
    parsed.secret.fill(0);
    const err = e instanceof AppError ? e : null;
    alertBox(err?.code ?? 'MIC_DENIED', { detail: err?.detail });
    return;
  }
  const call = new Call({
    origin: location.origin,
    roomSecret: parsed.secret,
    pinnedFingerprint: parsed.fingerprint,
    name: name || 'Guest',
    localStream: stream,
    workerUrl: WORKER_URL,
    // test-hook:begin
    // The browser benchmark compares Opus frame durations (bench/browser --audio-frame-ms); the
    // app itself always asks for AUDIO_FRAME_MS (sdp.js).
    ...(TEST?.audioFrameMs !== undefined ? { audioFrameMs: TEST.audioFrameMs } : {}),
    // Browser test (b) only: the right room id with a wrong psk, i.e. an impostor the gateway
    // let in. Unreachable without the test's init script.
    pskOverrideForTestingOnly: TEST?.wrongPsk
      ? crypto.getRandomValues(new Uint8Array(32))
      : undefined,
    // The browser benchmark's baseline (bench/browser): the same call without SFrame.
    noSFrameForTestingOnly: TEST?.sframe === false,
    // Browser tests of delivery and of the gateway fallback (test/e2e/datachannel.test.js).
    ...(TEST?.deliveryTimeoutMs !== undefined ? { deliveryTimeoutMs: TEST.deliveryTimeoutMs } : {}),
    ...(TEST?.dataChannel === false ? { dataChannel: false } : {}),
    // A page that comes back after a gateway outage later than the others (test/e2e/call.test.js).
    ...(TEST?.reconnectDelayMs !== undefined
      ? { reconnectDelayMsForTestingOnly: TEST.reconnectDelayMs }
      : {}),
    // test-hook:end
  });
  parsed.secret.fill(0); // the session derived room id and psk at once and keeps neither secret
  app.call = call;
  wireCall(call, parsed.fingerprint);
  showView('call');
  renderTiles(app.call);
  try {
    await call.start();
  } catch (e) {
    const code =
      /** @type {{name?: string, code?: string, detail?: string} | null | undefined} */ (e)?.code ??
      'GATEWAY_UNREACHABLE';
    call.close();
    app.unmountPad();
    app.call = null;
    showView('join');
    alertBox(typeof code === 'string' ? code : 'INTERNAL', { sticky: true });
    return;
  }
  // In the call: the secret leaves the address bar (see the top of this file) for the tab's storage.
  rememberCall({ fragment: app.fragment ?? '', name, mic, cam, left: false });
  history.replaceState(null, '', location.pathname);
}

// --- call ------------------------------------------------------------------------------------

/** @param {Call} call @param {Uint8Array} fingerprint */
function wireCall(call, fingerprint) {
  $('#sec-gateway-fp').textContent = Fingerprint.toDisplay(fingerprint);
  $('#invite-link').value = app.link;
  clear($('#invite-qr')).append(qrSvg(app.link ?? ''));
  call.on('status', (d) => renderStatus(call, d.state));
  call.on('cleared', (d) => dismiss(d.code));
  call.on('problem', (d) => {
    const code = d.code;
    if (RECONNECTING_CODES.has(code) && call.state !== 'joined') return; // the status line says it
    const sticky =
      code === 'UNKNOWN_GATEWAY_KEY' ||
      code === 'GATEWAY_KEY_RETIRED' ||
      code === 'VIEW_MISMATCH' ||
      code === 'PEER_HANDSHAKE_FAILED';
    // The retirement date comes from the gateway's (unauthenticated) document; shown as text only.
    const detail = code === 'GATEWAY_KEY_RETIRED' || code === 'TURN_ERROR' ? d.message : undefined;
    alertBox(code, { sticky, detail });
  });
  call.on('peers', () => {
    if (call.state === 'reconnecting') renderStatus(call, call.state); // peer to peer or not
    renderTiles(app.call);
    renderSecurity(app.call);
  });
  devices?.watch(call); // the fallback when a device in use stops
  call.on('media', () => {
    devices?.watch(call);
    renderTiles(app.call);
  });
  call.on('chat', (d) => {
    renderChatEntry(d.entry, call);
    if (d.entry.from !== null && sideTabs?.selected() !== 'chat') unread(unreadCount + 1);
  });
  // The pad's editor is a chunk of its own (CodeMirror): loaded with the call, not the landing page.
  import('./liveDocView.js').then(
    (m) => app.call === call && (app.unmountPad = m.mountPad(call.liveDoc)),
    () => alertBox('INTERNAL'),
  );
  call.on('file', (d) => renderFile(d.item, call));
  call.on('peers', () => renderFileTo(call));
  loadFileCap(call);
  const presence = new MediaPresence(call, () => renderTiles(app.call)); // muted, camera off, speaking
  // connection quality and media that fails to decrypt, on the tiles too
  new MediaHealth(
    call,
    () => renderTiles(app.call),
    (keyFp) => {
      const m = presence.of(keyFp);
      return m !== null && (m.audio || m.video);
    },
  );
  renderStatus(call, 'connecting');
  renderDeviceButtons(call);
  wireRoom(call, {
    move: (fragment) => moveTo(call, fragment),
    removed: (by) => alertBox('REMOVED', { sticky: true, detail: `by ${by}` }),
    muted: () => renderDeviceButtons(call),
  });
}

/**
 * Someone was removed (roomControl.js): this call moves to the new room whose link came inside
 * the peer channels. The tab keeps the new link (tabCall.js); the old one is worthless now.
 * @param {Call} call @param {string} fragment
 */
async function moveTo(call, fragment) {
  if (app.call !== call) return;
  const kept = recallCall();
  app.call = null;
  await call.leave();
  app.unmountPad();
  app.fragment = fragment;
  app.link = `${location.origin}/#${fragment}`;
  if (kept !== null) rememberCall({ ...kept, fragment });
  await join(kept?.name ?? call.name, kept?.mic ?? true, kept?.cam ?? true);
}

function initCall() {
  devices = initCallDevices(() => app.call, {
    video: TEST?.video,
    changed: (call) => {
      renderDeviceButtons(call);
      renderTiles(app.call);
    },
  });
  $('#btn-share').title = screenAudioNote();
  $('#chat-text').maxLength = PeerLimits.MAX_CHAT_CHARS;
  initFiles(() => app.call);
  initRoomControls(() => app.call);
  $('#btn-mute').addEventListener('click', async () => {
    const call = app.call;
    if (!call) return;
    if (call.localStream.getAudioTracks().length === 0) await startDevice(call, 'audio');
    else call.setMuted(!call.muted);
    renderDeviceButtons(call);
    renderTiles(app.call);
  });
  $('#btn-camera').addEventListener('click', async () => {
    const call = app.call;
    if (!call) return;
    const tracks = call.localStream.getVideoTracks();
    if (tracks.length === 0) await startDevice(call, 'video');
    else call.setCameraOff(tracks.some((t) => t.enabled));
    renderDeviceButtons(call);
    renderTiles(app.call);
  });
  $('#btn-share').addEventListener('click', async () => {
    const call = app.call;
    if (!call) return;
    dismiss('SCREEN_DENIED');
    try {
      await call.startScreenShare($('#share-quality').value);
      if (call.screen?.stream.getAudioTracks().length === 0 && isFirefox())
        alertBox('SCREEN_NO_AUDIO');
    } catch (e) {
      alertBox('SCREEN_DENIED', {
        detail: /** @type {{name?: string, code?: string, detail?: string} | null | undefined} */ (
          e
        )?.name,
      });
    }
    renderShareButtons(app.call);
  });
  $('#btn-stop-share').addEventListener('click', async () => {
    dismiss('SCREEN_NO_AUDIO');
    await app.call?.stopScreenShare();
    renderShareButtons(app.call);
  });
  $('#share-quality').addEventListener('change', async () => {
    // Changing quality while sharing restarts the share with the new constraints.
    if (app.call?.screen) $('#btn-share').click();
  });
  // Leave asks first; then the left view offers Rejoin and the link.
  const dialog = /** @type {HTMLDialogElement} */ ($('#leave-dialog'));
  $('#btn-leave').addEventListener('click', () => dialog.showModal());
  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'leave') return;
    dialog.returnValue = '';
    const call = app.call;
    app.call = null;
    await call?.leave();
    app.unmountPad();
    renderTiles(app.call);
    clear($('#chat-log'));
    clearFiles();
    clearAlerts();
    show($('#status'), false);
    const kept = recallCall();
    if (kept !== null) rememberCall({ ...kept, left: true });
    history.replaceState(null, '', location.pathname);
    showLeft();
  });
  $('#left-rejoin').addEventListener('click', async () => {
    const kept = recallCall();
    if (kept === null) return route();
    app.fragment = kept.fragment;
    app.link = `${location.origin}/#${kept.fragment}`;
    showView('join');
    $('#join-name').value = kept.name;
    await join(kept.name, kept.mic, kept.cam);
  });
  copyButton($('#left-copy'), $('#left-link'));
  $('#left-home').addEventListener('click', () => {
    forgetTab();
    app.fragment = null;
    app.link = null;
    route();
  });
  sideTabs = initTabs($('#side-tabs'), (name) => {
    if (name === 'chat') unread(0);
  });
  copyButton($('#invite-copy'), $('#invite-link'));
  const text = $('#chat-text');
  text.addEventListener('paste', (/** @type {ClipboardEvent} */ e) => {
    const pasted = e.clipboardData?.getData('text/plain') ?? '';
    if (pasted.includes('\n')) $('#chat-code').checked = true; // multi-line paste: a snippet
  });
  text.addEventListener('keydown', (/** @type {KeyboardEvent} */ e) => {
    if (e.key === 'Enter' && !e.shiftKey && !$('#chat-code').checked) {
      e.preventDefault();
      $('#chat-form').requestSubmit();
    }
  });
  $('#chat-form').addEventListener('submit', (/** @type {SubmitEvent} */ e) => {
    e.preventDefault();
    if (!app.call) return;
    if (app.call.sendChat(text.value, $('#chat-code').checked ? 'code' : 'text') !== null) {
      text.value = '';
      $('#chat-code').checked = false;
    }
  });
}

/**
 * The microphone and camera buttons say what a click does: "Start camera" where the call has no
 * camera (joined without it, or it failed), never a "Camera off" that looks live. @param {Call} call
 */
function renderDeviceButtons(call) {
  const mic = call.localStream.getAudioTracks();
  const cam = call.localStream.getVideoTracks();
  const mute = $('#btn-mute');
  const camera = $('#btn-camera');
  mute.textContent = mic.length === 0 ? 'Start microphone' : call.muted ? 'Unmute' : 'Mute';
  mute.setAttribute('aria-pressed', String(mic.length > 0 && call.muted));
  const camOff = cam.length > 0 && cam.every((t) => !t.enabled);
  camera.textContent = cam.length === 0 ? 'Start camera' : camOff ? 'Camera on' : 'Camera off';
  camera.setAttribute('aria-pressed', String(camOff));
  presenceOf(call)?.announce(); // and the others are told (spec/peer-messages.md §7)
}

/** Opens the microphone or camera during the call and gives it to every peer. @param {Call} call @param {'audio' | 'video'} kind */
async function startDevice(call, kind) {
  const failed = kind === 'audio' ? 'MIC_START_FAILED' : 'CAMERA_START_FAILED';
  for (const code of ['MIC_DENIED', 'CAMERA_DENIED', failed, 'MIC_LOST', 'CAMERA_LOST'])
    dismiss(code);
  let stream;
  try {
    stream = await openLocalMedia(kind === 'audio', kind === 'video', TEST?.video);
  } catch (e) {
    alertBox(failed, { detail: /** @type {{detail?: string} | null | undefined} */ (e)?.detail });
    return;
  }
  const track = stream.getTracks().find((t) => t.kind === kind);
  if (!track || app.call !== call) {
    for (const t of stream.getTracks()) t.stop();
    if (!track) alertBox(failed);
    return;
  }
  await call.setLocalTrack(track);
}

/** @type {ReturnType<typeof initTabs> | null} */
let sideTabs = null;
let unreadCount = 0;

/** The Chat tab's count of messages received while another tab was shown. @param {number} n */
function unread(n) {
  unreadCount = n;
  const badge = $('#chat-unread');
  badge.textContent = String(n);
  show(badge, n > 0);
  $('#tab-chat').setAttribute('aria-label', n > 0 ? `Chat, ${n} unread` : 'Chat');
}

// --- routing ---------------------------------------------------------------------------------

/** The view after Leave: Rejoin, Copy link, Back to the start. */
function showLeft() {
  const kept = recallCall();
  $('#left-link').value = kept ? `${location.origin}/#${kept.fragment}` : (app.link ?? '');
  showView('left');
  $('#left-rejoin').focus();
}

let firstRoute = true;

/** This page was loaded by a reload (not by following a link or typing the address). */
function reloaded() {
  const nav = /** @type {PerformanceNavigationTiming | undefined} */ (
    performance.getEntriesByType?.('navigation')?.[0]
  );
  return nav?.type === 'reload';
}

function route() {
  if (app.call) return; // in a call: the address bar no longer holds the link
  const fragment = location.hash.slice(1);
  if (fragment === '') {
    // A reload in a call (or after Leave) comes back to it: the tab kept the link (tabCall.js).
    // Any other way to the bare page (typing the address, a link to it) is a way out: forgotten.
    const kept = firstRoute && reloaded() ? recallCall() : null;
    firstRoute = false;
    if (kept === null) forgetTab();
    if (kept !== null && parseLinkFragment(kept.fragment) !== null) {
      app.fragment = kept.fragment;
      app.link = `${location.origin}/#${kept.fragment}`;
      if (kept.left) {
        showLeft();
        return;
      }
      showView('join');
      $('#join-name').value = kept.name;
      $('#join-mic').checked = kept.mic;
      $('#join-cam').checked = kept.cam;
      show($('#join-rejoin'));
      join(kept.name, kept.mic, kept.cam).finally(() => show($('#join-rejoin'), false));
      return;
    }
    showView('landing');
    return;
  }
  // A link opened in this tab replaces the call it kept.
  forgetTab();
  const parsed = parseLinkFragment(fragment);
  if (parsed === null) {
    showView('landing');
    alertBox('BAD_LINK');
    return;
  }
  parsed.secret.fill(0);
  app.fragment = fragment;
  app.link = `${location.origin}/#${fragment}`;
  $('#join-fp').textContent = Fingerprint.toDisplay(parsed.fingerprint).slice(0, 19) + '…';
  showView('join');
  $('#join-name').focus();
}

function boot() {
  // test-hook:begin
  if (TEST?.hooks) installTestHook(app);
  // test-hook:end
  try {
    checkSecureContext();
  } catch {
    showView('landing');
    $('#create-room').disabled = true;
    $('#create-code').disabled = true;
    alertBox('INSECURE_CONTEXT', { sticky: true });
    return;
  }
  // No encoded transforms, no SFrame: never join with media that is not end-to-end encrypted.
  if (!canRunSFrame()) {
    showView('landing');
    $('#create-room').disabled = true;
    alertBox('NO_SFRAME', { sticky: true });
    return;
  }
  initLanding({
    enter: (fragment) => {
      history.replaceState(null, '', `#${fragment}`);
      route();
    },
  });
  initCodeView({
    enterRoom: (fragment) => {
      history.replaceState(null, '', `#${fragment}`);
      route();
    },
  });
  initJoin();
  initCall();
  initShortcuts();
  initTileLayout();
  addEventListener('hashchange', route);
  addEventListener('pagehide', () => app.call?.leave());
  route();
}

boot();
