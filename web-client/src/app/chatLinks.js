// @ts-check
// Links in chat text: http(s) addresses become links that open in a new tab with no referrer and
// no opener; nothing is fetched to preview them (a preview would tell the linked site who is in
// the call, and when). Everything else stays text. Snippets (kind "code") are never linked.

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Punctuation that ends a sentence more often than a URL. */
const TRAILING = /[.,;:!?)\]}'"]+$/;

/**
 * The text in pieces: `{text}` as it was typed, `{url}` for an http(s) address (its href, and the
 * same characters as typed for display).
 * @param {string} text @returns {Array<{text: string} | {url: string, shown: string}>}
 */
export function splitLinks(text) {
  /** @type {Array<{text: string} | {url: string, shown: string}>} */
  const out = [];
  let last = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    let shown = m[0];
    const cut = TRAILING.exec(shown);
    if (cut !== null) shown = shown.slice(0, cut.index);
    let url;
    try {
      url = new URL(shown);
    } catch {
      continue; // not an address after all: stays text
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    const at = /** @type {number} */ (m.index);
    if (at > last) out.push({ text: text.slice(last, at) });
    out.push({ url: url.href, shown });
    last = at + shown.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
