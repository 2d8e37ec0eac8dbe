// @ts-check
// The room controls as the page shows them (roomControl.js): the Raise hand button, the More menu
// (reactions, lock, local recording, and per person: ask to mute, remove), the notices above the
// tiles (waiting to be let in, who waits, who records, a request to mute), a badge and a moment's
// reaction on each tile, and one system line in the chat per event. Names go in as text only.

import { $, clear, h, show } from './dom.js';
import { shownMedia } from './shownMedia.js';
import { REACTIONS } from '../signal/roomMessages.js';
import { CallRecording } from './recording.js';
import { REACTION_MS } from './roomControl.js';
import { setTileDecorator } from './callView.js';

/** @typedef {import('./call.js').Call} Call */

/** @type {CallRecording | null} */
let recording = null;
/** @type {{blob: Blob, url: string} | null} the last recording made on this page */
let last = null;
/** @type {string | null} the member the remove dialog asks about */
let removing = null;

/** The last recording made on this page (the test hook reads it). */
export function lastRecording() {
  return last?.blob ?? null;
}

/** The recording under way: bytes and chunks (about a second each) so far; null when none. */
export function recordingNow() {
  return recording === null ? null : { bytes: recording.bytes, chunks: recording.chunks };
}

/** Buttons and menus, wired once; `getCall` gives the current call. @param {() => Call | null} getCall */
export function initRoomControls(getCall) {
  $('#btn-hand').addEventListener('click', () => {
    const call = getCall();
    call?.room.setHand(!call.room.hands.has(call.session.selfKeyFp ?? ''));
  });
  const reactions = $('#room-reactions');
  for (const emoji of REACTIONS)
    reactions.append(
      h(
        'button',
        {
          type: 'button',
          class: 'small',
          dataset: { emoji },
          'aria-label': `React ${emoji}`,
          onclick: () => getCall()?.room.react(emoji),
        },
        emoji,
      ),
    );
  $('#btn-lock').addEventListener('click', () => {
    const call = getCall();
    call?.room.setLocked(!call.room.lock.state.locked);
  });
  $('#btn-record').addEventListener('click', () => {
    const call = getCall();
    if (call) toggleRecording(call);
  });
  // A recording lives in this page's memory until it is downloaded: closing the tab would lose it.
  addEventListener('beforeunload', (e) => recording !== null && e.preventDefault());
  const dialog = /** @type {HTMLDialogElement} */ ($('#remove-dialog'));
  dialog.addEventListener('close', () => {
    const fp = removing;
    removing = null;
    if (dialog.returnValue === 'remove' && fp !== null) getCall()?.room.remove(fp);
    dialog.returnValue = '';
  });
}

/**
 * Listens to the room control of a new call.
 * @param {Call} call
 * @param {{move: (fragment: string) => void, removed: (by: string) => void, muted: () => void}} on
 */
export function wireRoom(call, on) {
  const room = call.room;
  room.addEventListener('change', () => renderRoom(call));
  room.addEventListener('line', (e) => systemLine(/** @type {CustomEvent} */ (e).detail.text));
  room.addEventListener('reaction', (e) => {
    const { fp, emoji } = /** @type {CustomEvent} */ (e).detail;
    showReaction(fp, emoji);
  });
  room.addEventListener('ask', () => renderRoom(call));
  room.addEventListener('muted', () => on.muted());
  room.addEventListener('move', (e) => {
    stopRecording(call).finally(() => on.move(/** @type {CustomEvent} */ (e).detail.fragment));
  });
  room.addEventListener('removed', (e) => on.removed(/** @type {CustomEvent} */ (e).detail.by));
  call.on('peers', () => renderRoom(call));
  setTileDecorator(decorateTiles); // after every render of the tiles, whatever caused it
  // The call ended (Leave) while recording: the file is saved at once, not lost with the view.
  call.on('status', (d) => {
    if (d.state === 'closed' && recording !== null && !room.moved)
      stopRecording(call).then((saved) => saved && $('#rec-download').click());
  });
  call.on('media', () => {
    recording?.addAudio();
    decorateTiles(call);
  });
  renderRoom(call);
}

/** @param {Call} call */
async function toggleRecording(call) {
  if (recording !== null) {
    await stopRecording(call);
    return;
  }
  try {
    recording = new CallRecording(
      () => [
        .../** @type {NodeListOf<HTMLVideoElement>} */ (document.querySelectorAll('#tiles video')),
      ],
      () => [
        ...call.localStream.getAudioTracks(),
        ...[...call.peers.values()].flatMap((p) => [
          ...(shownMedia(p, call.sfu.mode)?.remoteCamera.getAudioTracks() ?? []),
          ...(shownMedia(p, call.sfu.mode)?.remoteScreen.getAudioTracks() ?? []),
        ]),
      ],
      renderRecordButton,
    );
  } catch (e) {
    systemLine(`Recording could not start: ${/** @type {{name?: string}} */ (e)?.name ?? 'error'}`);
    return;
  }
  if (last !== null) URL.revokeObjectURL(last.url);
  last = null;
  show($('#rec-download'), false);
  call.room.setRecording(true);
}

/**
 * Stops our recording, if any, and offers the file; false when there is none to offer.
 * @param {Call} call
 */
async function stopRecording(call) {
  const r = recording;
  if (r === null) return false;
  recording = null;
  call.room.setRecording(false);
  const blob = await r.stop();
  if (blob.size === 0) {
    // Stopped before the browser's encoder wrote anything: no empty file to download.
    systemLine('The recording is empty: the browser recorded nothing yet. Nothing was saved.');
    renderRoom(call);
    return false;
  }
  const url = URL.createObjectURL(blob);
  last = { blob, url };
  const a = $('#rec-download');
  a.href = url;
  a.download = `hybridge-recording-${new Date(r.startedAt).toISOString().replace(/[:.]/g, '-')}.webm`;
  a.textContent = `Download the recording (${(blob.size / 1e6).toFixed(1)} MB)`;
  show(a);
  renderRoom(call);
  return true;
}

/** The record button: what pressing it does, and while recording how large the file is. */
function renderRecordButton() {
  const rec = $('#btn-record');
  rec.textContent =
    recording === null
      ? 'Record on this device'
      : `Stop recording (${(recording.bytes / 1e6).toFixed(1)} MB)`;
  rec.setAttribute('aria-pressed', String(recording !== null));
}

/** @param {Call} call */
export function renderRoom(call) {
  const room = call.room;
  const self = call.session.selfKeyFp ?? '';
  const up = room.hands.has(self);
  const hand = $('#btn-hand');
  hand.textContent = up ? 'Lower hand' : 'Raise hand';
  hand.setAttribute('aria-pressed', String(up));
  const lock = $('#btn-lock');
  lock.textContent = room.lock.state.locked ? 'Unlock the room' : 'Lock the room';
  lock.setAttribute('aria-pressed', String(room.lock.state.locked));
  renderRecordButton();
  renderPeople(call);
  renderNotices(call);
  decorateTiles(call);
}

/** @param {Call} call */
function renderPeople(call) {
  const list = clear($('#room-people'));
  const members = [...call.peers.values()].filter(
    (p) => p.peer.channelOpen && !call.room.lock.blocked(p.keyFp),
  );
  if (members.length === 0) list.append(h('li', { class: 'muted' }, 'Nobody else is here yet.'));
  for (const p of members) {
    const name = p.peer.name || `Guest ${p.keyFp.slice(0, 6)}`;
    list.append(
      h(
        'li',
        { dataset: { fp: p.keyFp } },
        h('span', { class: 'grow' }, name),
        h(
          'button',
          { type: 'button', class: 'small ask-mute', onclick: () => call.room.askMute(p.keyFp) },
          'Ask to mute',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'small danger remove',
            onclick: () => {
              removing = p.keyFp;
              $('#remove-name').textContent = name;
              /** @type {HTMLDialogElement} */ ($('#remove-dialog')).showModal();
            },
          },
          'Remove',
        ),
      ),
    );
  }
}

/** @param {Call} call */
function renderNotices(call) {
  const room = call.room;
  const box = clear($('#room-notices'));
  const nameOf = (/** @type {string} */ fp) =>
    call.session.peers.get(fp)?.name || `Guest ${fp.slice(0, 6)}`;
  if (room.lock.waitingFor.size > 0)
    box.append(
      h(
        'div',
        { class: 'room-notice', dataset: { kind: 'waiting' } },
        'This room is locked: waiting to be let in by the people in it…',
      ),
    );
  for (const fp of room.lock.held)
    box.append(
      h(
        'div',
        { class: 'room-notice', dataset: { kind: 'held', fp } },
        h('span', { class: 'grow' }, `${nameOf(fp)} is waiting to be let in`),
        h(
          'button',
          { type: 'button', class: 'small primary admit', onclick: () => call.room.admit(fp) },
          'Let in',
        ),
      ),
    );
  const self = call.session.selfKeyFp ?? '';
  for (const fp of room.recorders)
    box.append(
      h(
        'div',
        { class: 'room-notice', dataset: { kind: 'rec', fp } },
        `⏺ ${fp === self ? 'You are' : `${nameOf(fp)} is`} recording this call`,
      ),
    );
  for (const [id, p] of room.prompts)
    box.append(
      h(
        'div',
        { class: 'room-notice', dataset: { kind: 'mute-ask', id } },
        h('span', { class: 'grow' }, `${nameOf(p.fp)} asks you to mute your microphone`),
        h(
          'button',
          {
            type: 'button',
            class: 'small mute-yes',
            onclick: () => call.room.answerMute(id, true),
          },
          'Mute me',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'small mute-no',
            onclick: () => call.room.answerMute(id, false),
          },
          'Keep talking',
        ),
      ),
    );
}

/** The tile of key fp `fp` (null: our own). @param {string | null} fp @returns {HTMLElement | null} */
function tileOf(fp) {
  return document.querySelector(
    fp === null ? '#tiles figure[data-key="self"]' : `#tiles figure[data-key="peer:${fp}"]`,
  );
}

/** A raised hand and a recording mark on each person's tile. @param {Call} call */
function decorateTiles(call) {
  const self = call.session.selfKeyFp ?? '';
  const marks = (/** @type {string} */ fp) =>
    (call.room.hands.has(fp) ? '✋' : '') + (call.room.recorders.has(fp) ? '⏺' : '');
  const tiles = [{ fp: self, el: tileOf(null) }];
  for (const fp of call.peers.keys()) tiles.push({ fp, el: tileOf(fp) });
  for (const { fp, el } of tiles) {
    const caption = el?.querySelector('figcaption');
    if (!caption) continue;
    // A held newcomer, or a member that holds us, has no media by design: say why on its tile.
    const waiting = call.room.lock.held.has(fp)
      ? 'waiting to be let in'
      : call.room.lock.waitingFor.has(fp)
        ? 'room locked'
        : null;
    const state = caption.querySelector('.tile-state');
    if (waiting !== null && state !== null && state.textContent !== waiting) {
      state.textContent = waiting;
      /** @type {HTMLElement} */ (el).dataset.state = 'connecting';
    }
    let badges = caption.querySelector('.room-badges');
    if (badges === null) caption.append((badges = h('span', { class: 'room-badges' })));
    const text = marks(fp);
    if (badges.textContent !== text) badges.textContent = text;
    const label = [
      call.room.hands.has(fp) ? 'hand raised' : '',
      call.room.recorders.has(fp) ? 'recording' : '',
    ]
      .filter(Boolean)
      .join(', ');
    if (label) badges.setAttribute('aria-label', label);
    else badges.removeAttribute('aria-label');
  }
}

/** @param {string | null} fp @param {string} emoji */
function showReaction(fp, emoji) {
  const tile = tileOf(fp);
  if (tile === null) return;
  const el = h('span', { class: 'tile-reaction', 'aria-hidden': 'true' }, emoji);
  tile.append(el);
  setTimeout(() => el.remove(), REACTION_MS);
}

/** One line of what happened in the room, in the chat log (as text). @param {string} text */
function systemLine(text) {
  const log = $('#chat-log');
  const when = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  log.append(h('li', { class: 'system' }, `${when} · ${text}`));
  log.scrollTop = log.scrollHeight;
}
