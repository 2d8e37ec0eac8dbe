// @ts-check
// The Hybridge web app: landing (create or paste a room link), join (name, microphone), call.
//
// The link fragment (#secret.fingerprint) is read once. It is removed from the address bar when
// the call starts (history.replaceState), and kept in memory for the Invite tab: a URL with the
// room secret in it would otherwise sit in the history, session restore and synced tabs of
// every participant, where it outlives the call. Before joining, it stays, so a reload of the
// join page works.

import { canRunSFrame, isFirefox, screenAudioNote } from './browserSupport.js';
import { Fingerprint } from '../protocol/index.js';
import { $, clear, show } from './dom.js';
import {
  AppError,
  checkSecureContext,
  createRoomLink,
  parseLinkFragment,
  readPastedLink,
} from './link.js';
import { alertBox, alertCodes, clearAlerts, dismiss } from './alerts.js';
import {
  renderChatEntry,
  renderSecurity,
  renderShareButtons,
  renderStatus,
  renderTiles,
} from './callView.js';
import { qrSvg } from './qr.js';
import { Call } from './call.js';
import { openLocalMedia } from './localMedia.js';
import { initCodeView } from './codeView.js';
import { clearFiles, initFiles, loadFileCap, renderFile, renderFileTo } from './fileView.js';
// test-hook:begin
import { callSnapshot } from './callSnapshot.js';
// test-hook:end
import { PeerLimits } from '../signal/peerMessages.js';

/* global __SFRAME_WORKER_URL__ */
const WORKER_URL =
  typeof __SFRAME_WORKER_URL__ === 'string' ? __SFRAME_WORKER_URL__ : '/sframe-worker.js';
// Set only by the browser tests and the benchmark (page.addInitScript): small fake video and
// the window.__hybridge hook. A page cannot set it for another page, and the served bundle
// never reads it (build.mjs leaves test-hook regions out).
/** @type {{hooks?: boolean, video?: MediaTrackConstraints, audioFrameMs?: number, wrongPsk?: boolean, sframe?: boolean, deliveryTimeoutMs?: number, dataChannel?: boolean} | null} */
let TEST = null;
// test-hook:begin
TEST = globalThis.__hybridgeTestConfig ?? null;
// test-hook:end

/** @type {{fragment: string | null, link: string | null, call: Call | null}} */
const app = {
  fragment: null, // the link fragment while on this page
  link: null, // the full invite link (kept in memory only)
  call: null,
};

/** @param {'landing' | 'join' | 'call'} name */
function showView(name) {
  for (const v of ['landing', 'join', 'call']) show($(`#view-${v}`), v === name);
  document.body.dataset.view = name;
}

/** @param {HTMLElement} button @param {HTMLInputElement} input */
function copyButton(button, input) {
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = 'Copied';
    } catch {
      input.select(); // clipboard refused (no permission): leave it selected for Ctrl+C
      button.textContent = 'Press Ctrl+C';
    }
    setTimeout(() => {
      button.textContent = 'Copy';
    }, 2000);
  });
}

// --- landing ---------------------------------------------------------------------------------

function initLanding() {
  $('#create-room').addEventListener('click', async () => {
    clearAlerts();
    try {
      const { link, fragment } = await createRoomLink(location.origin);
      app.link = link;
      app.fragment = fragment;
      $('#invite-new-link').value = link;
      clear($('#invite-new-qr')).append(qrSvg(link));
      show($('#invite-new'));
    } catch (e) {
      alertBox(e instanceof AppError ? e.code : 'INTERNAL');
    }
  });
  copyButton($('#invite-new-copy'), $('#invite-new-link'));
  $('#invite-new-enter').addEventListener('click', () => {
    history.replaceState(null, '', `#${app.fragment}`);
    route();
  });
  $('#paste-form').addEventListener('submit', (/** @type {SubmitEvent} */ e) => {
    e.preventDefault();
    clearAlerts();
    const r = readPastedLink($('#paste-link').value);
    if (r === null) {
      alertBox('BAD_LINK');
      return;
    }
    $('#paste-link').value = '';
    if (r.origin !== null && r.origin !== location.origin) {
      location.assign(`${r.origin}/#${r.fragment}`); // the room lives on the gateway of the link
      return;
    }
    history.replaceState(null, '', `#${r.fragment}`);
    route();
  });
}

// --- join ------------------------------------------------------------------------------------

function initJoin() {
  // The limits of spec/peer-messages.md §2, from their one definition (PeerLimits). maxLength
  // counts UTF-16 units, never fewer than the code points the limit counts, so it never lets
  // more through.
  $('#join-name').maxLength = PeerLimits.MAX_NAME_CHARS;
  $('#join-cancel').addEventListener('click', () => {
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
    app.call = null;
    showView('join');
    alertBox(typeof code === 'string' ? code : 'INTERNAL', { sticky: true });
    return;
  }
  // In the call: the secret leaves the address bar (see the top of this file).
  history.replaceState(null, '', location.pathname);
}

// --- call ------------------------------------------------------------------------------------

/** @param {Call} call @param {Uint8Array} fingerprint */
function wireCall(call, fingerprint) {
  $('#sec-gateway-fp').textContent = Fingerprint.toDisplay(fingerprint);
  $('#invite-link').value = app.link;
  clear($('#invite-qr')).append(qrSvg(app.link ?? ''));
  call.on('status', (d) => renderStatus(call, d.state));
  call.on('problem', (d) => {
    const code = d.code;
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
  call.on('media', () => renderTiles(app.call));
  call.on('chat', (d) => renderChatEntry(d.entry, call));
  call.on('file', (d) => renderFile(d.item, call));
  call.on('peers', () => renderFileTo(call));
  loadFileCap(call);
  renderStatus(call, 'connecting');
}

function initCall() {
  $('#btn-share').title = screenAudioNote();
  $('#chat-text').maxLength = PeerLimits.MAX_CHAT_CHARS;
  initFiles(() => app.call);
  $('#btn-mute').addEventListener(
    'click',
    (/** @type {MouseEvent & {currentTarget: HTMLElement}} */ e) => {
      const call = app.call;
      if (!call) return;
      call.setMuted(!call.muted);
      e.currentTarget.textContent = call.muted ? 'Unmute' : 'Mute';
      e.currentTarget.setAttribute('aria-pressed', String(call.muted));
      renderTiles(app.call);
    },
  );
  $('#btn-camera').addEventListener(
    'click',
    (/** @type {MouseEvent & {currentTarget: HTMLElement}} */ e) => {
      const call = app.call;
      if (!call) return;
      const off = e.currentTarget.getAttribute('aria-pressed') !== 'true';
      call.setCameraOff(off);
      e.currentTarget.textContent = off ? 'Camera on' : 'Camera off';
      e.currentTarget.setAttribute('aria-pressed', String(off));
    },
  );
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
  $('#btn-leave').addEventListener('click', async () => {
    const call = app.call;
    app.call = null;
    await call?.leave();
    renderTiles(app.call);
    clear($('#chat-log'));
    clearFiles();
    clearAlerts();
    show($('#status'), false);
    app.fragment = null;
    history.replaceState(null, '', location.pathname);
    route();
  });
  for (const tab of ['chat', 'security', 'invite']) {
    $(`#tab-${tab}`).addEventListener('click', () => {
      for (const t of ['chat', 'security', 'invite']) {
        show($(`#panel-${t}`), t === tab);
        $(`#tab-${t}`).setAttribute('aria-selected', String(t === tab));
      }
    });
  }
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

// --- routing ---------------------------------------------------------------------------------

function route() {
  if (app.call) return; // in a call: the address bar no longer holds the link
  const fragment = location.hash.slice(1);
  if (fragment === '') {
    showView('landing');
    return;
  }
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

// test-hook:begin
function installTestHook() {
  if (!TEST?.hooks) return;
  globalThis.__hybridge = {
    /** Per-peer media stats, SFrame worker stats, SAS, chat, KIDs, problems, timings. */
    async stats() {
      return app.call
        ? callSnapshot(app.call)
        : { state: 'idle', problems: alertCodes().map((code) => ({ code })) };
    },
    alerts: () => alertCodes(),
    /** Negotiated SDP per peer (for debugging a test; ICE credentials and DTLS fingerprints, no keys). */
    sdp: () =>
      Object.fromEntries(
        [...(app.call?.peers.values() ?? [])].map((p) => [
          p.peer.name,
          {
            local: p.media?.pc.localDescription?.sdp ?? null,
            remote: p.media?.pc.remoteDescription?.sdp ?? null,
            transceivers:
              p.media?.pc.getTransceivers().map((t) => ({
                mid: t.mid,
                dir: t.direction,
                cur: t.currentDirection,
                send: t.sender.track?.kind ?? null,
                recv: t.receiver.track.kind,
              })) ?? [],
          },
        ]),
      ),
    sendChat: (/** @type {string} */ text, /** @type {string} */ kind) =>
      app.call?.sendChat(text, kind) ?? null,
    /** The call's FileTransfers (fileTransfer.js): tests send, accept, cancel and read items. */
    files: () => app.call?.files ?? null,
    onFile: (/** @type {(item: object) => void} */ fn) => app.call?.on('file', (d) => fn(d.item)),
  };
}
// test-hook:end

function boot() {
  // test-hook:begin
  installTestHook();
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
  initLanding();
  initCodeView({
    enterRoom: (fragment) => {
      history.replaceState(null, '', `#${fragment}`);
      route();
    },
  });
  initJoin();
  initCall();
  addEventListener('hashchange', route);
  addEventListener('pagehide', () => app.call?.leave());
  route();
}

boot();
