// DOM helpers. Every text from the server or the URL goes in through textContent (never HTML), so
// a hostile prompt stays text: this file is the one place elements are made.

export interface ElementSpec {
  className?: string;
  text?: string;
  /** Attributes, as strings; undefined ones are left out. */
  attrs?: Record<string, string | undefined>;
  title?: string;
}

/**
 * A new element with its class, attributes, text and children; the text as textContent.
 *
 * @example
 * el('span', { className: 'token-id', text: String(id) });
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, spec: ElementSpec = {}, children: Node[] = []): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (spec.className) element.className = spec.className;
  if (spec.text !== undefined) element.textContent = spec.text;
  if (spec.title !== undefined) element.title = spec.title;
  for (const [name, value] of Object.entries(spec.attrs ?? {})) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

/** The element with this id, of the type the page's HTML gives it; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element as T;
}

/** The first element under `root` matching `selector` (it must be there). */
export function find<T extends Element = HTMLElement>(root: ParentNode, selector: string): T {
  const element = root.querySelector(selector);
  if (!element) throw new Error(`no ${selector} in the page`);
  return element as T;
}

/** Empties `element` and puts `children` in it. */
export function fill(element: Element, children: Node[]): void {
  element.replaceChildren(...children);
}

/** Marks a panel as waiting for an answer (tests wait for aria-busy to go). */
export function setBusy(element: Element, busy: boolean): void {
  if (busy) element.setAttribute('aria-busy', 'true');
  else element.removeAttribute('aria-busy');
}

const VISIBLE: Record<string, string> = { ' ': '·', '\n': '↵', '\r': '␍', '\t': '→' };

/**
 * A token's text with its whitespace and control characters made visible, for chips and labels:
 * a token is often just " " or "\n", which would otherwise show as nothing.
 *
 * @example
 * visibleText(' cat\n'); // '·cat↵'
 */
export function visibleText(text: string): string {
  let shown = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (VISIBLE[char]) shown += VISIBLE[char];
    else if (code < 0x20) shown += String.fromCodePoint(0x2400 + code); // the Control Pictures block: ␀ ␁ …
    else if (code === 0x7f) shown += '␡';
    else shown += char;
  }
  return shown === '' ? '∅' : shown;
}

/**
 * A probability for people (the exact value stays in a data attribute): 4 decimals, or, below
 * 0.001, 3 significant digits: a random model's probabilities are all about 1/50257, and they
 * should still differ on screen.
 *
 * @example
 * formatProb(0.27078); // '0.2708'
 * formatProb(0.0000229); // '2.29e-5'
 */
export function formatProb(value: number): string {
  if (value === 0 || value >= 0.001) return value.toFixed(4);
  return value.toExponential(2);
}

/**
 * Calls `action` once `ms` have passed without another call: sliders send one request when the
 * hand stops, not one per pixel.
 */
export function debounce(action: () => void, ms: number): () => void {
  let timer: number | undefined;
  return () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(action, ms);
  };
}

/** Whether `error` is a fetch ended on purpose (a newer request replaced it, or Stop). */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
