// @ts-check
// A tab list as WAI-ARIA's tabs pattern has it: click or arrow keys (Left, Right, Home, End) select
// a tab and show its panel (`tab-X` shows `panel-X`); only the selected tab is in the Tab order.
// The list then dispatches `tabselect` with X as its detail.

/**
 * @param {HTMLElement} list the element with role="tablist"
 * @param {(name: string) => void} [onSelect] called with X of the selected `tab-X`
 * @returns {{select: (name: string) => void, selected: () => string}}
 */
export function initTabs(list, onSelect) {
  const tabs = () => /** @type {HTMLElement[]} */ ([...list.querySelectorAll('[role="tab"]')]);
  const nameOf = (/** @type {HTMLElement} */ t) => t.id.replace(/^tab-/, '');
  /** @param {HTMLElement} tab @param {boolean} focus */
  const select = (tab, focus) => {
    for (const t of tabs()) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(`panel-${nameOf(t)}`);
      if (panel !== null) {
        panel.hidden = !on;
        t.setAttribute('aria-controls', panel.id);
        panel.setAttribute('aria-labelledby', t.id);
      }
    }
    if (focus) tab.focus();
    onSelect?.(nameOf(tab));
    list.dispatchEvent(new CustomEvent('tabselect', { detail: nameOf(tab) }));
  };
  list.addEventListener('click', (e) => {
    const t = /** @type {HTMLElement | null} */ (
      /** @type {HTMLElement} */ (e.target).closest('[role="tab"]')
    );
    if (t !== null && list.contains(t)) select(t, false);
  });
  list.addEventListener('keydown', (/** @type {KeyboardEvent} */ e) => {
    const all = tabs();
    const i = all.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (i < 0) return;
    const to = {
      ArrowRight: (i + 1) % all.length,
      ArrowLeft: (i - 1 + all.length) % all.length,
      Home: 0,
      End: all.length - 1,
    }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    select(all[to], true);
  });
  const first = tabs().find((t) => t.getAttribute('aria-selected') === 'true') ?? tabs()[0];
  if (first) select(first, false);
  return {
    select: (name) => {
      const t = tabs().find((x) => nameOf(x) === name);
      if (t) select(t, false);
    },
    selected: () => nameOf(tabs().find((t) => t.getAttribute('aria-selected') === 'true') ?? list),
  };
}
