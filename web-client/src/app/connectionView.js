// @ts-check
// The join screen's "Test the connection" (connectionTest.js): runs it, shows each result as it
// comes, and copies the report (no secrets in it) for a support request.

import { $, clear, h, show } from './dom.js';
import { copyButton } from './landing.js';
import { reportText, runConnectionTest } from './connectionTest.js';
import { stopPreview } from './deviceView.js';

/**
 * @param {() => Uint8Array | null} pinned the gateway key fingerprint the link pins, or null without a link
 * @param {MediaTrackConstraints | undefined} video the test's small video, if any
 */
export function initConnectionTest(pinned, video) {
  const run = $('#conn-run');
  const list = $('#conn-lines');
  const out = $('#conn-report');
  copyButton($('#conn-copy'), out);
  run.addEventListener('click', async () => {
    const fp = pinned();
    if (fp === null) return;
    run.disabled = true;
    run.textContent = 'Testing…';
    clear(list);
    show($('#conn-copy-row'), false);
    stopPreview(); // the test opens the devices itself
    try {
      const lines = await runConnectionTest({
        origin: location.origin,
        pinnedFingerprint: fp,
        mic: $('#join-mic').checked,
        cam: $('#join-cam').checked,
        video,
        onLine: (l) =>
          list.append(
            h(
              'li',
              { class: `conn-${l.status}`, dataset: { what: l.what, status: l.status } },
              h('strong', {}, `${l.what}: `),
              l.text,
            ),
          ),
      });
      out.value = reportText(lines);
      show($('#conn-copy-row'));
    } finally {
      run.disabled = false;
      run.textContent = 'Run the test again';
    }
  });
}
