// @ts-check
// Editing commands of the Live Code pad that differ from CodeMirror's defaults because the pad
// is shared: a key press changes only what its own person selected.

import { EditorSelection, countColumn } from '@codemirror/state';
import { IndentContext, getIndentation, indentString } from '@codemirror/language';

/**
 * Enter: a line break and the language's indentation in place of the selection, and nothing
 * else. CodeMirror's insertNewlineAndIndent also deletes the whitespace right after the cursor
 * (and a blank line's indentation before it). In a shared pad that whitespace may be a space
 * another person typed a moment ago at the same spot: their keystroke would vanish, and nobody
 * would be told (seen in the three-typist browser test).
 * @param {{state: import('@codemirror/state').EditorState, dispatch: (tr: import('@codemirror/state').Transaction) => void}} target
 */
export function insertNewlineKeepingOthersText({ state, dispatch }) {
  if (state.readOnly) return false;
  const changes = state.changeByRange((range) => {
    const { from, to } = range;
    const cx = new IndentContext(state, { simulateBreak: from });
    let indent = getIndentation(cx, from);
    if (indent === null)
      indent = countColumn(/^\s*/.exec(state.doc.lineAt(from).text)?.[0] ?? '', state.tabSize);
    const insert = state.lineBreak + indentString(state, indent);
    return { changes: { from, to, insert }, range: EditorSelection.cursor(from + insert.length) };
  });
  dispatch(state.update(changes, { scrollIntoView: true, userEvent: 'input' }));
  return true;
}
