// @ts-check
// The page's alerts: one box per code, with the title and text of src/messages.js (rendered as
// text, never markup), dismissable; sticky ones stay until dismissed.

import { messageFor } from '../messages.js';
import { $, h } from './dom.js';

/** @type {Map<string, HTMLElement>} code -> its box, in the order shown */
const shown = new Map();

/** @param {string} code a key of src/messages.js @param {{sticky?: boolean, detail?: string}} [options] */
export function alertBox(code, { sticky = false, detail } = {}) {
  if (shown.has(code)) return;
  const m = messageFor(code);
  const box = h(
    'div',
    { class: `alert ${sticky ? 'sticky' : ''}`, dataset: { code } },
    h('strong', {}, m.title),
    ' ',
    h('span', {}, m.text),
    detail ? h('span', { class: 'muted' }, ` (${detail})`) : null,
    h(
      'button',
      { type: 'button', class: 'close', 'aria-label': 'Dismiss', onclick: () => dismiss(code) },
      '×',
    ),
  );
  shown.set(code, box);
  $('#alerts').append(box);
}

/** @param {string} code */
export function dismiss(code) {
  shown.get(code)?.remove();
  shown.delete(code);
}

export function clearAlerts() {
  for (const code of [...shown.keys()]) dismiss(code);
}

/** The codes of the alerts shown now, oldest first. */
export function alertCodes() {
  return [...shown.keys()];
}
