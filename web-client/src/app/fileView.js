// @ts-check
// The files of a call as the page shows them (fileTransfer.js does the work): a File button and
// a "to" picker in the chat panel, and one list item per transfer with who, what, size, a
// progress bar, its state in words and its buttons (accept, decline, cancel, retry, save). The
// sender's name, file name and type go in as text only (dom.js); a received file is offered for
// saving only once its SHA-256 matched, as bytes (application/octet-stream), never rendered.

import { PeerPhase } from '../signal/peerState.js';
import { $, clear, h, show } from './dom.js';

/**
 * @typedef {import('./call.js').Call} Call
 * @typedef {import('./fileTransfer.js').FileItem} FileItem
 */

const STATE_TEXT = {
  waiting: 'waiting for a direct connection',
  offered: 'offered',
  sending: 'sending',
  finishing: 'checking the SHA-256',
  delivered: 'delivered, SHA-256 verified',
  receiving: 'receiving',
  verifying: 'checking the SHA-256',
  complete: 'received, SHA-256 verified',
  declined: 'declined',
  cancelled: 'cancelled',
  failed: 'failed',
  incomplete: 'incomplete',
  corrupt: 'SHA-256 mismatch: not saved',
  refused: 'refused',
};

/** A transfer's progress alone is redrawn at most this often (ms). */
const PROGRESS_MS = 250;

/** @param {number} n */
export function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * @typedef {{li: HTMLElement, head: HTMLElement, progress: HTMLProgressElement, state: HTMLElement,
 *   actions: HTMLElement, drawn: string | null, drawnAt: number, url: string | null,
 *   frame: boolean, timer: ReturnType<typeof setTimeout> | null}} Row
 *   (frame: a redraw waits for the next frame; timer: a progress redraw waits for its time)
 * @type {Map<string, Row>} item key -> its row
 */
const rows = new Map();

/** @param {Call} call @param {string} keyFp */
function nameOf(call, keyFp) {
  const p = call.peers.get(keyFp)?.peer ?? call.session.peers.get(keyFp);
  return p?.name || `Guest ${keyFp.slice(0, 6)}`;
}

/** The File button and the picker. @param {() => Call | null} getCall */
export function initFiles(getCall) {
  const input = $('#file-input');
  $('#btn-file').addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const call = getCall();
    const file = input.files?.[0];
    input.value = '';
    if (!call || !file) return;
    sendFile(call, file);
  });
}

/** Sends `file` to the picked person, or to everyone up. @param {Call} call @param {File} file */
export function sendFile(call, file) {
  const to = $('#file-to').value;
  const everyone = [...call.peers.values()]
    .filter((p) => p.peer.phase === PeerPhase.UP)
    .map((p) => p.keyFp);
  const note = $('#file-note');
  try {
    call.files.send(file, to === '' ? everyone : [to]);
    show(note, false);
  } catch (e) {
    note.textContent = `${file.name}: ${/** @type {Error} */ (e).message}`;
    show(note, true);
  }
}

/**
 * The size cap from the gateway's client settings (`client.file_max_bytes` in
 * /.well-known/hybridge.json, config hybridge.client.file-max-bytes); the built-in default stays
 * when the document has none or cannot be read. @param {Call} call
 */
export async function loadFileCap(call) {
  try {
    const res = await fetch('/.well-known/hybridge.json', { cache: 'no-store' });
    const cap = (await res.json())?.client?.file_max_bytes;
    if (Number.isSafeInteger(cap) && cap >= 1) call.files.maxBytes = cap;
  } catch {
    // the default cap (fileTransfer.js) applies
  }
}

/** The "to" picker: everyone, or one person who is up. @param {Call | null} call */
export function renderFileTo(call) {
  const select = $('#file-to');
  const keep = select.value;
  clear(select).append(h('option', { value: '' }, 'Everyone'));
  for (const p of call?.peers.values() ?? []) {
    if (p.peer.phase !== PeerPhase.UP) continue;
    select.append(h('option', { value: p.keyFp }, nameOf(/** @type {Call} */ (call), p.keyFp)));
  }
  select.value = [...select.options].some((o) => o.value === keep) ? keep : '';
}

/**
 * A transfer changed: its row, redrawn at the next frame for a new state and at most every
 * PROGRESS_MS for progress alone; the buttons only when the state
 * changes (so that they stay put while the progress moves). @param {FileItem} item @param {Call} call
 */
export function renderFile(item, call) {
  let row = rows.get(item.key);
  if (row === undefined) {
    const progress = /** @type {HTMLProgressElement} */ (
      h('progress', { max: Math.max(item.size, 1), value: 0 })
    );
    row = {
      li: h('li', { class: `file-item ${item.dir}`, dataset: { key: item.key } }),
      head: h('div', { class: 'file-head' }),
      progress,
      state: h('div', { class: 'file-state' }),
      actions: h('div', { class: 'row' }),
      drawn: null,
      drawnAt: 0,
      url: null,
      frame: false,
      timer: null,
    };
    row.li.append(row.head, row.progress, row.state, row.actions);
    rows.set(item.key, row);
    $('#file-list').append(row.li);
  }
  const r = row;
  // A new state is drawn at the next frame; progress alone at most every PROGRESS_MS (a file
  // moves tens of MB a second, and a frame per change cost the transfer itself CPU: bench/README.md).
  const progressOnly = r.drawn === item.state;
  if (r.frame || (progressOnly && r.timer !== null)) return;
  clearTimeout(r.timer ?? undefined);
  const frame = () => {
    r.timer = null;
    r.frame = true;
    requestAnimationFrame(() => {
      r.frame = false;
      if (rows.get(item.key) !== r) return; // the call ended meanwhile
      r.drawnAt = performance.now();
      draw(item, call, r);
    });
  };
  const wait = progressOnly ? r.drawnAt + PROGRESS_MS - performance.now() : 0;
  if (wait <= 0) frame();
  else r.timer = setTimeout(frame, wait);
}

/** @param {FileItem} item @param {Call} call @param {Row} row */
function draw(item, call, row) {
  const who = nameOf(call, item.peer);
  row.head.textContent =
    item.dir === 'out'
      ? `You → ${who}: ${item.name} (${formatSize(item.size)})`
      : `${who} sends ${item.name} (${formatSize(item.size)}${item.type ? `, ${item.type}` : ''})`;
  // Out: what the receiver acknowledged; in: what arrived.
  row.progress.value = item.size === 0 ? 1 : item.bytes;
  row.state.textContent = `${STATE_TEXT[/** @type {keyof typeof STATE_TEXT} */ (item.state)] ?? item.state}${
    item.error ? `: ${item.error}` : ''
  }`;
  row.state.dataset.state = item.state;
  if (row.drawn === item.state) return;
  row.drawn = item.state;
  const f = call.files;
  const button = (
    /** @type {string} */ text,
    /** @type {string} */ cls,
    /** @type {() => void} */ fn,
  ) => h('button', { type: 'button', class: cls, onclick: fn }, text);
  const actions = [];
  if (item.dir === 'in' && item.state === 'offered') {
    actions.push(button('Accept', 'file-accept', () => f.accept(item.key)));
    actions.push(button('Decline', 'file-decline', () => f.cancel(item.key)));
  } else if (['waiting', 'offered', 'sending', 'finishing', 'receiving'].includes(item.state)) {
    actions.push(button('Cancel', 'file-cancel', () => f.cancel(item.key)));
  }
  if (item.dir === 'out' && ['failed', 'cancelled', 'declined'].includes(item.state))
    actions.push(button('Retry', 'file-retry', () => f.retry(item.key)));
  if (item.dir === 'in' && item.state === 'complete' && item.blob !== null) {
    row.url ??= URL.createObjectURL(item.blob);
    actions.push(h('a', { href: row.url, download: item.name, class: 'file-save' }, 'Save'));
  }
  clear(row.actions).append(...actions);
  show(row.actions, actions.length > 0);
}

/** The call ended: rows and their object URLs go. */
export function clearFiles() {
  for (const row of rows.values()) {
    if (row.url !== null) URL.revokeObjectURL(row.url);
    if (row.timer !== null) clearTimeout(row.timer);
  }
  rows.clear();
  clear($('#file-list'));
}
