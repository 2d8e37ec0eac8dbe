// @ts-check
// Keyboard shortcuts of the call screen, and the dialog that lists them (opened by `?` and by
// the Shortcuts button). A shortcut presses the same button a click would, so it does exactly
// what the button does (Leave still asks). Shortcuts are single keys without Ctrl, Alt or Meta,
// and only act when the focus is not where someone types (chat, code pad, any input or
// editable element) and no dialog is open: typing an "m" in the chat never mutes.

import { $, h } from './dom.js';

/** key -> what it does and the buttons it presses (the first one shown). */
export const SHORTCUTS = Object.freeze([
  { key: 'm', what: 'Mute or unmute the microphone', buttons: ['#btn-mute'] },
  { key: 'v', what: 'Turn the camera off or on', buttons: ['#btn-camera'] },
  {
    key: 's',
    what: 'Share the screen, or stop sharing',
    buttons: ['#btn-share', '#btn-stop-share'],
  },
  { key: 'l', what: 'Leave the call (asks first)', buttons: ['#btn-leave'] },
  { key: '?', what: 'Show these shortcuts', buttons: ['#btn-keys'] },
]);

/** Whether the event comes from a place where someone types. @param {Event} e */
export function typingTarget(e) {
  for (const n of e.composedPath()) {
    if (!(n instanceof HTMLElement)) continue;
    if (n.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(n.tagName)) return true;
  }
  return false;
}

export function initShortcuts() {
  const dialog = /** @type {HTMLDialogElement} */ ($('#keys-dialog'));
  const list = $('#keys-list');
  for (const s of SHORTCUTS) {
    list.append(
      h('dt', {}, h('kbd', {}, s.key === '?' ? '?' : s.key.toUpperCase())),
      h('dd', {}, s.what),
    );
    for (const b of s.buttons)
      $(b).setAttribute('aria-keyshortcuts', s.key === '?' ? '?' : s.key.toUpperCase());
  }
  $('#btn-keys').addEventListener('click', () => dialog.showModal());
  document.addEventListener('keydown', (/** @type {KeyboardEvent} */ e) => {
    if (document.body.dataset.view !== 'call' || e.defaultPrevented || e.repeat) return;
    if (e.ctrlKey || e.altKey || e.metaKey || typingTarget(e)) return;
    if (document.querySelector('dialog[open]') !== null) return;
    const s = SHORTCUTS.find((x) => x.key === e.key.toLowerCase());
    if (s === undefined) return;
    if (s.key === '?') {
      e.preventDefault();
      dialog.showModal();
      return;
    }
    const button = s.buttons
      .map((b) => /** @type {HTMLButtonElement} */ ($(b)))
      .find((b) => !b.hidden);
    if (button === undefined || button.disabled) return;
    e.preventDefault();
    button.click();
  });
}
