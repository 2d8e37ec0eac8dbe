// @ts-check
// The Live Code pad's editor (CodeMirror 6) on a call's LiveDoc (liveDoc.js): y-codemirror.next
// binds the editor to the Y.Text; remote cursors and selections are drawn here (a layer with
// classes lc-c0..lc-c7) because the gateway's CSP (style-src 'self') refuses the inline styles
// of y-codemirror.next's own cursor plugin. The editor lives in a shadow root: there CodeMirror's
// style sheets are constructed (adoptedStyleSheets), which the CSP allows, where in the document
// it would add <style> elements, which the CSP refuses. Every name goes in as text.

import { Compartment, EditorSelection, EditorState, StateEffect } from '@codemirror/state';
import {
  EditorView,
  RectangleMarker,
  layer,
  keymap,
  lineNumbers,
  drawSelection,
  highlightActiveLine,
  highlightSpecialChars,
} from '@codemirror/view';
import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput } from '@codemirror/language';
import { oneDark } from '@codemirror/theme-one-dark';
import * as Y from 'yjs';
import { yCollab, ySyncAnnotation } from 'y-codemirror.next';
import { $, clear, h, show } from './dom.js';
import { LiveDocLimits } from './liveDocWire.js';
import { insertNewlineKeepingOthersText } from './padCommands.js';

/** The pad's languages: value -> [label, file extension, CodeMirror support (a chunk loaded when chosen)]. */
const LANGS = /** @type {Record<string, [string, string, () => Promise<any>]>} */ ({
  '': ['Plain text', 'txt', async () => []],
  javascript: [
    'JavaScript',
    'js',
    async () => (await import('@codemirror/lang-javascript')).javascript(),
  ],
  typescript: [
    'TypeScript',
    'ts',
    async () => (await import('@codemirror/lang-javascript')).javascript({ typescript: true }),
  ],
  python: ['Python', 'py', async () => (await import('@codemirror/lang-python')).python()],
  java: ['Java', 'java', async () => (await import('@codemirror/lang-java')).java()],
  cpp: ['C / C++', 'cpp', async () => (await import('@codemirror/lang-cpp')).cpp()],
  rust: ['Rust', 'rs', async () => (await import('@codemirror/lang-rust')).rust()],
  go: ['Go', 'go', async () => (await import('@codemirror/lang-go')).go()],
  json: ['JSON', 'json', async () => (await import('@codemirror/lang-json')).json()],
  html: ['HTML', 'html', async () => (await import('@codemirror/lang-html')).html()],
  css: ['CSS', 'css', async () => (await import('@codemirror/lang-css')).css()],
  markdown: ['Markdown', 'md', async () => (await import('@codemirror/lang-markdown')).markdown()],
});

/** @typedef {import('./liveDoc.js').LiveDoc} LiveDoc */

/** Eight colours for the people of a call (colorOf in liveDoc.js picks one per key). */
const COLORS = [
  '#e5c07b',
  '#61afef',
  '#98c379',
  '#e06c75',
  '#c678dd',
  '#56b6c2',
  '#d19a66',
  '#abb2bf',
];

const padTheme = EditorView.theme({
  '&': { height: '100%' },
  '.lc-layer': { pointerEvents: 'none' },
  '.lc-caret': { borderLeft: '2px solid', marginLeft: '-1px' },
  '.lc-caret-name': {
    position: 'absolute',
    top: '-1.15em',
    left: '-2px',
    fontSize: '.7em',
    lineHeight: '1.15',
    padding: '0 .25em',
    color: '#111',
    whiteSpace: 'nowrap',
    borderRadius: '3px 3px 3px 0',
    fontFamily: 'system-ui, sans-serif',
  },
  '.lc-sel': { opacity: '.3' },
  ...Object.fromEntries(
    COLORS.flatMap((c, i) => [
      [`.lc-c${i}`, { borderColor: c }],
      [`.lc-c${i} .lc-caret-name, .lc-sel.lc-c${i}`, { background: c }],
    ]),
  ),
});

/** A remote caret: a rectangle of CodeMirror's layer with the person's name on it. */
class NamedCaret {
  /** @param {RectangleMarker} rect @param {string} name @param {number} color */
  constructor(rect, name, color) {
    this.rect = rect;
    this.name = name;
    this.color = color;
  }

  draw() {
    const el = this.rect.draw(); // positioned through el.style (CSSOM: allowed by the CSP)
    el.className = `lc-caret lc-c${this.color}`;
    el.append(h('span', { class: 'lc-caret-name' }, this.name));
    return el;
  }

  /** @param {any} other */
  eq(other) {
    return (
      other instanceof NamedCaret &&
      other.name === this.name &&
      other.color === this.color &&
      other.rect.eq(this.rect)
    );
  }
}

const cursorsChanged = StateEffect.define();

/**
 * Remote cursors and selections from liveDoc.cursors, drawn on a layer over the text (outside
 * the editable content, so the browser's editing never sees them).
 * @param {LiveDoc} live @param {AbortSignal} signal the pad is taken down
 */
function remoteCursors(live, signal) {
  return layer({
    above: true,
    class: 'lc-layer',
    update: (u) =>
      u.docChanged ||
      u.selectionSet ||
      u.viewportChanged ||
      u.geometryChanged ||
      u.transactions.some((t) => t.effects.some((e) => e.is(cursorsChanged))),
    markers(view) {
      /** @type {any[]} */
      const out = [];
      const len = view.state.doc.length;
      for (const c of live.cursors.values()) {
        const a = Y.createAbsolutePositionFromRelativePosition(c.anchor, live.doc);
        const hd = Y.createAbsolutePositionFromRelativePosition(c.head, live.doc);
        if (a === null || hd === null || a.type !== live.text || hd.type !== live.text) continue;
        const anchor = Math.min(a.index, len);
        const head = Math.min(hd.index, len);
        if (anchor !== head) {
          const range = EditorSelection.range(anchor, head);
          out.push(...RectangleMarker.forRange(view, `lc-sel lc-c${c.color}`, range));
        }
        const [caret] = RectangleMarker.forRange(view, '', EditorSelection.cursor(head));
        if (caret !== undefined) out.push(new NamedCaret(caret, c.name, c.color));
      }
      return out;
    },
    mount(_layer, view) {
      const redraw = () => view.dispatch({ effects: cursorsChanged.of(null) });
      live.addEventListener('cursors', redraw, { signal });
    },
  });
}

/**
 * The pad of a call in #panel-pad; returns a function that takes it down (the call ended).
 * @param {LiveDoc} live
 */
export function mountPad(live) {
  const abort = new AbortController();
  const signal = abort.signal;
  const lang = new Compartment();
  const error = $('#pad-error');
  /** @param {string} text */
  const showError = (text) => {
    $('#pad-error-text').textContent = text;
    show(error);
  };
  const host = $('#pad-editor');
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  clear(root);
  const view = new EditorView({
    root,
    parent: root,
    state: EditorState.create({
      doc: live.text.toString(),
      extensions: [
        lineNumbers(),
        highlightSpecialChars(),
        drawSelection(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        oneDark,
        padTheme,
        // Enter first: CodeMirror's own would delete whitespace right of the cursor, which may
        // be another person's (padCommands.js)
        keymap.of([
          { key: 'Enter', run: insertNewlineKeepingOthersText },
          ...defaultKeymap,
          indentWithTab,
        ]),
        lang.of([]),
        yCollab(live.text, null, { undoManager: new Y.UndoManager(live.text) }),
        remoteCursors(live, signal),
        // The size cap: a local edit that would take the pad over it is not made, and says so.
        EditorState.transactionFilter.of((tr) => {
          if (!tr.docChanged || tr.annotation(ySyncAnnotation) !== undefined) return tr;
          if (tr.newDoc.length <= LiveDocLimits.MAX_TEXT) return tr;
          showError(
            `The pad holds at most ${LiveDocLimits.MAX_TEXT} characters: that edit was not made.`,
          );
          return [];
        }),
        EditorView.updateListener.of((u) => {
          if (u.selectionSet || u.focusChanged) {
            const s = u.state.selection.main;
            live.setSelection(s.anchor, s.head);
          }
        }),
      ],
    }),
  });

  const select = $('#pad-lang');
  clear(select).append(
    ...Object.entries(LANGS).map(([value, [label]]) => h('option', { value }, label)),
  );
  const syncLang = () => {
    const value = live.language in LANGS ? live.language : '';
    select.value = value;
    LANGS[value][2]().then(
      (support) => {
        if (!signal.aborted && select.value === value)
          view.dispatch({ effects: lang.reconfigure(support) });
      },
      () => showError(`The ${LANGS[value][0]} highlighting did not load; the text is unchanged.`),
    );
  };
  syncLang();
  live.meta.observe(syncLang);
  select.addEventListener('change', () => live.setLanguage(select.value), { signal });

  const status = () => {
    const parts = live.syncStates().map((p) => {
      if (!p.up) return `${p.name}: away, gets your edits when back`;
      return p.synced ? `${p.name}: has all your edits` : `${p.name}: sending…`;
    });
    $('#pad-status').textContent = parts.length ? parts.join(' · ') : 'Nobody else here yet';
  };
  status();
  live.addEventListener('status', status, { signal });
  live.addEventListener(
    'problem',
    (e) => {
      const d = /** @type {CustomEvent<{code: string, message: string}>} */ (e).detail;
      const who = live.stats.lastProblem?.name ?? 'a peer';
      if ($('#panel-pad').hidden) $('#tab-pad').dataset.alert = 'true'; // seen when the tab opens
      showError(
        d.code === 'unsent'
          ? d.message
          : `Refused an edit from ${who} (${d.code}): ${d.message}. Your pad is unchanged.`,
      );
    },
    { signal },
  );
  $('#pad-error-close').addEventListener('click', () => show(error, false), { signal });
  $('#pad-copy').addEventListener(
    'click',
    () =>
      navigator.clipboard.writeText(live.text.toString()).then(
        () => ($('#pad-status').textContent = 'Copied.'),
        () => showError('The browser did not allow copying.'),
      ),
    { signal },
  );
  $('#pad-download').addEventListener(
    'click',
    () => {
      const url = URL.createObjectURL(new Blob([live.text.toString()], { type: 'text/plain' }));
      const a = h('a', { href: url, download: `pad.${LANGS[select.value]?.[1] ?? 'txt'}` });
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
    { signal },
  );
  // The pad needs room: the side column widens while its tab is open.
  $('#side-tabs').addEventListener(
    'tabselect', // tabs.js: by click or by arrow key
    (/** @type {CustomEvent<string>} */ e) => {
      $('.side').classList.toggle('wide', e.detail === 'pad');
      if (e.detail === 'pad') delete $('#tab-pad').dataset.alert;
    },
    { signal },
  );
  return () => {
    abort.abort();
    live.meta.unobserve(syncLang);
    view.destroy();
    show(error, false);
    $('.side').classList.remove('wide');
  };
}

/** What the test hook shows of the pad: its text, language, counters and the names drawn. */
export function padSnapshot(/** @type {LiveDoc | null | undefined} */ live) {
  if (!live) return null;
  return {
    text: live.text.toString(),
    language: live.language,
    stats: live.stats,
    sync: live.syncStates(),
    carets: [...(padRoot()?.querySelectorAll('.lc-caret-name') ?? [])].map((e) => e.textContent),
    /** What the editor shows (which may lag the document by a frame). */
    editorText: editorText(),
  };
}

function padRoot() {
  return document.querySelector('#pad-editor')?.shadowRoot ?? null;
}

function editorText() {
  const dom = padRoot()?.querySelector('.cm-editor');
  return dom instanceof HTMLElement
    ? (EditorView.findFromDOM(dom)?.state.doc.toString() ?? null)
    : null;
}
