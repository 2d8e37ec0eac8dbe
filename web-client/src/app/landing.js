// @ts-check
// The landing page: create a room (its link and QR code), or open a pasted link. Short codes
// have their own module (codeView.js).

import { $, clear, show } from './dom.js';
import { AppError, createRoomLink, readPastedLink } from './link.js';
import { alertBox, clearAlerts } from './alerts.js';
import { qrSvg } from './qr.js';

/** A button that copies `input`'s value. @param {HTMLElement} button @param {HTMLInputElement} input */
export function copyButton(button, input) {
  const label = button.textContent;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = 'Copied';
    } catch {
      show(input); // clipboard refused (no permission): leave it shown and selected for Ctrl+C
      input.select();
      button.textContent = 'Press Ctrl+C';
    }
    setTimeout(() => {
      button.textContent = label;
    }, 2000);
  });
}

/** @param {{enter: (fragment: string) => void}} o `enter`: go to the join page of a room */
export function initLanding({ enter }) {
  let created = '';
  $('#create-room').addEventListener('click', async () => {
    clearAlerts();
    try {
      const { link, fragment } = await createRoomLink(location.origin);
      // A second room replaces the link shown: say so, so nobody sends the wrong one unknowingly.
      show($('#invite-new-replaced'), !$('#invite-new').hidden);
      $('#create-room').textContent = 'Create another room';
      created = fragment;
      $('#invite-new-link').value = link;
      clear($('#invite-new-qr')).append(qrSvg(link));
      show($('#invite-new'));
    } catch (e) {
      alertBox(e instanceof AppError ? e.code : 'INTERNAL');
    }
  });
  copyButton($('#invite-new-copy'), $('#invite-new-link'));
  $('#invite-new-enter').addEventListener('click', () => enter(created));
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
    enter(r.fragment);
  });
}
