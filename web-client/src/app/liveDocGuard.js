// @ts-check
// The gate every update of a peer passes before it reaches the pad (spec/live-code.md §4): it is
// applied first to a shadow copy of the document, and refused if Yjs throws on it, if it adds a
// root type other than the pad's, or if the text would go over its cap. A refusal rebuilds the
// shadow from the document, which never saw the update.

import * as Y from 'yjs';
import { LiveDocLimits } from './liveDocWire.js';

/** The pad's root types (spec/live-code.md §1). */
const ROOT_TYPES = new Set(['code', 'meta']);

export class UpdateGuard {
  #doc;
  #shadow = new Y.Doc();

  /** @param {Y.Doc} doc the document the guard keeps a shadow of (empty at this point) */
  constructor(doc) {
    this.#doc = doc;
  }

  /** One of our own updates: the shadow follows the document. @param {Uint8Array} update */
  local(update) {
    Y.applyUpdate(this.#shadow, update);
  }

  /**
   * Null if `update` may go into the document (the shadow then has it already), or why not.
   * @param {Uint8Array} update @returns {{reason: 'malformed' | 'cap', message: string} | null}
   */
  check(update) {
    /** @type {{reason: 'malformed' | 'cap', message: string} | null} */
    let refusal = null;
    try {
      Y.applyUpdate(this.#shadow, update);
      const length = this.#shadow.getText('code').length;
      if (length > LiveDocLimits.MAX_TEXT) {
        const message = `the pad would have ${length} characters, more than ${LiveDocLimits.MAX_TEXT}`;
        refusal = { reason: 'cap', message };
      } else if ([...this.#shadow.share.keys()].some((k) => !ROOT_TYPES.has(k))) {
        refusal = { reason: 'malformed', message: 'an update of something that is not the pad' };
      }
    } catch {
      refusal = { reason: 'malformed', message: 'not a Yjs update' };
    }
    if (refusal !== null) {
      this.#shadow.destroy();
      this.#shadow = new Y.Doc();
      Y.applyUpdate(this.#shadow, Y.encodeStateAsUpdate(this.#doc));
    }
    return refusal;
  }

  close() {
    this.#shadow.destroy();
  }
}
