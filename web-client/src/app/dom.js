// @ts-check
// Tiny DOM helpers. Everything a person or a peer typed is put into the page with textContent
// (never innerHTML), so a name or chat message can never become markup (spec/peer-messages.md §1).
// No inline style either: the gateway's CSP has style-src 'self', so looks come from classes.

/**
 * h('div', { class: 'tile', dataset: { fp }, onclick: fn }, child, 'text', ...)
 * Strings become text nodes; null/undefined/false children are skipped.
 * @param {string} tag @param {Record<string, unknown> | null} [attrs] @param {...unknown} children @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, /** @type {Record<string, string>} */ (v));
    else if (k.startsWith('on') && typeof v === 'function')
      el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === 'text') el.textContent = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** @template {Element} E @param {E} el @param {unknown[]} children @returns {E} */
export function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** @template {Element} E @param {E} el @returns {E} */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/**
 * The element of index.html that `selector` names; throws if there is none. Its kind depends on
 * the selector (input, button, form, ...), so the result is `any`: the page's own markup is the
 * one thing tsc does not check here.
 * @param {string} selector @param {ParentNode} [root] @returns {any}
 */
export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (el === null) throw new Error(`missing element ${selector}`);
  return el;
}

/** @param {HTMLElement} el @param {boolean} [visible] */
export function show(el, visible = true) {
  el.hidden = !visible;
}
