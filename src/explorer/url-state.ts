// The page's state in its URL query, so a link reproduces a view (issue 17, point 2). The URL is
// only ever parsed here, and its values are typed before anything uses them.

import { SAMPLING_FIELDS, SAMPLING_KEYS, type Sampling } from '../sql/sampling-fields.ts';

export interface PageState extends Partial<Sampling> {
  model?: string;
  prompt?: string;
  block?: number;
  head?: number;
}

/** Each field's name in the query string (the API's spelling, the sampling fields' included). */
const PARAMS: Record<keyof PageState, string> = {
  model: 'model', prompt: 'prompt', block: 'block', head: 'head',
  ...(Object.fromEntries(SAMPLING_KEYS.map((key) => [key, SAMPLING_FIELDS[key].name])) as Record<keyof Sampling, string>),
};

const TEXT_FIELDS = new Set<keyof PageState>(['model', 'prompt']);

/**
 * The state in a query string; a number that does not parse is left out (the page's default
 * stands), so a mistyped link still opens.
 *
 * @example
 * readState('?model=tiny&block=1&head=x'); // { model: 'tiny', block: 1 }
 */
export function readState(search: string = location.search): PageState {
  const query = new URLSearchParams(search);
  const state: Record<string, string | number> = {};
  for (const [field, param] of Object.entries(PARAMS) as Array<[keyof PageState, string]>) {
    const value = query.get(param);
    if (value === null) continue;
    if (TEXT_FIELDS.has(field)) state[field] = value;
    else if (value.trim() !== '' && Number.isFinite(Number(value))) state[field] = Number(value);
  }
  return state as PageState;
}

/**
 * Changes some fields in the URL (undefined removes one) without a new history entry: moving a
 * slider should not fill the back button.
 *
 * @example
 * updateState({ block: 1, head: 0 }); // ?model=tiny&prompt=Hello&block=1&head=0
 */
export function updateState(patch: Partial<PageState>): void {
  const url = new URL(location.href);
  for (const [field, value] of Object.entries(patch) as Array<[keyof PageState, string | number | undefined]>) {
    if (value === undefined) url.searchParams.delete(PARAMS[field]);
    else url.searchParams.set(PARAMS[field], String(value));
  }
  history.replaceState(null, '', url);
}
