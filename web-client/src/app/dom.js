// @ts-check
// Tiny DOM helpers. Everything a person or a peer typed is put into the page with textContent
// (never innerHTML), so a name or chat message can never become markup (spec/peer-messages.md §1).
// No inline style either: the gateway's CSP has style-src 'self', so looks come from classes.

/**
 * h('div', { class: 'tile', dataset: { fp }, onclick: fn }, child, 'text', ...)
 * Strings become text nodes; null/undefined/false children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (el === null) throw new Error(`missing element ${selector}`);
  return el;
}

export function show(el, visible = true) {
  el.hidden = !visible;
}
