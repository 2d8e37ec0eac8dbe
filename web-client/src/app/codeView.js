// @ts-check
// The landing page's short join codes (spec/short-codes.md §6): "Create a code" beside "Create a
// room" (a big code with a countdown), and a code field with the usual digit-group behaviour.
// The exchange itself is app/joinCode.js; on success both sides continue as if they had opened
// the room link (enterRoom).

import { $, show } from './dom.js';
import { createRoomLink } from './link.js';
import { CodeError, codeMessage, offerCode, redeemCode } from './joinCode.js';
import { formatCode, parseCode } from '../protocol/code.js';

/**
 * Normalises what is typed: digits, one '-' between groups; a complete code is shown in its
 * canonical grouping (slot-dddd-dd) as soon as it has one.
 * @param {string} raw
 */
export function tidyCodeInput(raw) {
  const kept = raw
    .replace(/[^0-9\s-]/g, '')
    .replace(/[\s-]+/g, '-')
    .replace(/^-/, '');
  const parsed = parseCode(kept);
  if (parsed !== null && /^[0-9]+-[0-9]{4}-[0-9]{2}$/.test(kept) === false && kept.includes('-')) {
    return formatCode(parsed.slot, parsed.digits);
  }
  return kept;
}

/** @param {{enterRoom: (fragment: string) => void}} o */
export function initCodeView({ enterRoom }) {
  /** @type {AbortController | null} */
  let offering = null;
  /** @type {ReturnType<typeof setInterval> | null} */
  let ticker = null;
  const stopTicker = () => {
    if (ticker !== null) clearInterval(ticker);
    ticker = null;
  };
  const status = (/** @type {string} */ text) => {
    $('#code-status').textContent = text;
  };

  async function create() {
    offering?.abort();
    const controller = new AbortController();
    offering = controller;
    $('#create-code').disabled = true;
    show($('#code-new'));
    show($('#code-again'), false);
    $('#code-value').textContent = '…';
    $('#code-countdown').textContent = '';
    status('Asking the gateway for a code…');
    try {
      const { fragment } = await createRoomLink(location.origin);
      await offerCode({
        origin: location.origin,
        fragment,
        signal: controller.signal,
        onCode: ({ code, ttl }) => {
          $('#code-value').textContent = code;
          status('Waiting for the other person…');
          const until = Date.now() + ttl * 1000;
          const tick = () => {
            const left = Math.max(0, Math.round((until - Date.now()) / 1000));
            $('#code-countdown').textContent =
              `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left`;
          };
          tick();
          stopTicker();
          ticker = setInterval(tick, 1000);
        },
        onPaired: () => {
          stopTicker();
          $('#code-countdown').textContent = '';
          status('Someone entered the code. Checking it…');
        },
      });
      status('Connected. Entering the room…');
      document.body.dataset.code = 'used';
      enterRoom(fragment);
    } catch (e) {
      stopTicker();
      if (controller.signal.aborted) return;
      const code = e instanceof CodeError ? e.code : (/** @type {any} */ (e)?.code ?? 'INTERNAL');
      $('#code-value').textContent = '—';
      $('#code-countdown').textContent = '';
      status(codeMessage('creator', code));
      document.body.dataset.code = code;
      show($('#code-again'));
    } finally {
      if (offering === controller) offering = null;
      $('#create-code').disabled = false;
    }
  }

  $('#create-code').addEventListener('click', create);
  $('#code-again').addEventListener('click', create);
  $('#code-cancel').addEventListener('click', () => {
    offering?.abort();
    stopTicker();
    show($('#code-new'), false);
  });

  const input = /** @type {HTMLInputElement} */ ($('#code-input'));
  input.addEventListener('input', () => {
    const tidy = tidyCodeInput(input.value);
    if (tidy !== input.value) input.value = tidy;
    show($('#code-error'), false);
  });
  $('#code-form').addEventListener('submit', async (/** @type {SubmitEvent} */ e) => {
    e.preventDefault();
    const error = $('#code-error');
    show(error, false);
    const button = /** @type {HTMLButtonElement} */ ($('#code-join'));
    button.disabled = true;
    button.textContent = 'Joining…';
    try {
      const fragment = await redeemCode({ origin: location.origin, text: input.value });
      input.value = '';
      enterRoom(fragment);
    } catch (err) {
      const code =
        err instanceof CodeError ? err.code : (/** @type {any} */ (err)?.code ?? 'INTERNAL');
      error.textContent = codeMessage('joiner', code);
      error.dataset.code = code;
      show(error);
    } finally {
      button.disabled = false;
      button.textContent = 'Join';
    }
  });
}
