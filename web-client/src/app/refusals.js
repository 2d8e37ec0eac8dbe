// @ts-check
// A description or candidate that a browser refuses is never silent (docs/browsers.md): what a
// MediaConnection keeps of each refusal, how many fresh negotiations it tries, and what the
// peer's tile says. The refusing and the recovery are in mediaConnection.js (#refused).

/**
 * What the browser refused: the peer's offer or answer, our own offer or answer (made from what
 * the peer sent), a peer's ICE candidate, or (`peer`) the peer's browser refused what we sent.
 * @typedef {{what: 'remote-offer' | 'remote-answer' | 'local-offer' | 'local-answer' | 'candidate' | 'peer',
 *            name: string, message: string, at: number, gaveUp: boolean}} Refusal
 */

/** Fresh negotiations after refusals before giving up, until the connection is 'connected'. */
export const MAX_RECOVERIES = 3;

const REFUSED_TEXT = {
  'remote-offer': "this browser refused the peer's media offer",
  'remote-answer': "this browser refused the peer's media answer",
  'local-offer': 'this browser could not make a media offer',
  'local-answer': 'this browser could not answer the peer',
  candidate: "this browser refused a network address of the peer's",
  peer: "the peer's browser refused our media description",
};

/** What a peer's tile says about a refusal. @param {Refusal} r */
export function describeRefusal(r) {
  const why = r.what === 'peer' ? '' : ` (${r.name}${r.message ? `: ${r.message}` : ''})`;
  return `Media: ${REFUSED_TEXT[r.what]}${why}; ${r.gaveUp ? 'gave up' : 'renegotiating'}`;
}
