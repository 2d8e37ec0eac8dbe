// @ts-check
// getStats with a deadline. Firefox ESR 140 never settles a getStats() of an RTCPeerConnection
// that is closed while the call is pending (checked: pc.getStats(); pc.close() -> neither
// resolved nor rejected after minutes), so an awaited getStats can hang the poll that made it:
// speaker detection, connection quality and the first-frame timing each poll one round at a time
// and would stop for the rest of the call. Every getStats of the client goes through statsOf.

/** How long a getStats may take before the poll gives up on it (a busy 2-core machine answers in tens of ms). */
export const STATS_DEADLINE_MS = 3000;

export class StatsTimeout extends Error {
  constructor(/** @type {number} */ ms) {
    super(`getStats did not answer in ${ms} ms`);
    this.name = 'StatsTimeout';
  }
}

/**
 * `source.getStats()`, or a StatsTimeout rejection after `ms`.
 * @param {{getStats(): Promise<RTCStatsReport>}} source an RTCPeerConnection, RTCRtpSender or RTCRtpReceiver
 * @param {number} [ms]
 * @returns {Promise<RTCStatsReport>}
 */
export function statsOf(source, ms = STATS_DEADLINE_MS) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const late = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new StatsTimeout(ms)), ms);
  });
  return /** @type {Promise<RTCStatsReport>} */ (
    Promise.race([source.getStats(), late]).finally(() => clearTimeout(timer))
  );
}
