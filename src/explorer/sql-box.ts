// "Show the SQL" on every panel: the query behind the picture, ready to paste into psql, and the
// tables it reads. index.html has each panel's <details class="show-sql">; this fills it.

import type { ShownSql } from './explorer-api.ts';
import { el, fill, find } from './dom.ts';

/** Puts `shown` into the show-sql box of `panel` (its open/closed state is the reader's: kept). */
export function showSql(panel: HTMLElement, shown: ShownSql): void {
  const box = find<HTMLDetailsElement>(panel, 'details.show-sql');
  find(box, 'pre.sql').textContent = shown.sql;
  fill(find(box, 'ul.sql-tables'), shown.tables.map((table) => el('li', { text: table })));
}

/** Wires every Copy button in the page once. */
export function setUpCopyButtons(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('details.show-sql button.copy')) {
    const pre = find<HTMLPreElement>(button.closest('details')!, 'pre.sql');
    button.addEventListener('click', () => void copy(pre, button));
  }
}

/**
 * Copies the SQL to the clipboard. navigator.clipboard exists only in a secure context (https
 * or localhost), and a server reached by its address on the network is neither: there the text
 * is selected instead, for Ctrl+C.
 */
async function copy(pre: HTMLPreElement, button: HTMLButtonElement): Promise<void> {
  const text = pre.textContent ?? '';
  try {
    if (!navigator.clipboard) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text);
    flash(button, 'Copied');
  } catch {
    select(pre);
    flash(button, 'Selected: press Ctrl+C');
  }
}

function select(pre: HTMLPreElement): void {
  const range = document.createRange();
  range.selectNodeContents(pre);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

function flash(button: HTMLButtonElement, label: string): void {
  button.textContent = label;
  window.setTimeout(() => (button.textContent = 'Copy'), 1500);
}
