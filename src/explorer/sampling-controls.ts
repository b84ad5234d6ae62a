// The sampling sliders (one per sampling field of src/sql/sampling-fields.ts but the seed) and the
// seed: read by the next-token panel and by generate, kept in the URL, each slider with its value
// shown beside it. A slider's id is its field's name with dashes (top_p: #top-p).

import { SAMPLING_FIELDS, SAMPLING_KEYS, type Sampling, type SamplingKey } from '../sql/sampling-fields.ts';
import { byId } from './dom.ts';
import type { PageState } from './url-state.ts';

/** The sliders' fields: every sampling field but the seed. */
export type SliderKey = Exclude<SamplingKey, 'seed'>;
export type Sliders = Omit<Sampling, 'seed'>;

const SLIDER_KEYS = SAMPLING_KEYS.filter((key): key is SliderKey => key !== 'seed');
const idOf = (key: SamplingKey) => SAMPLING_FIELDS[key].name.replaceAll('_', '-');
const slider = (key: SamplingKey) => byId<HTMLInputElement>(idOf(key));

/** The sliders' values as numbers (a range input always holds a number within its bounds). */
export function readSampling(): Sliders {
  return Object.fromEntries(SLIDER_KEYS.map((key) => [key, Number(slider(key).value)])) as Sliders;
}

/** The seed, an integer; a box left empty or holding a fraction gives what it rounds to (0 when empty). */
export function readSeed(): number {
  const value = Math.round(Number(slider('seed').value));
  return Number.isSafeInteger(value) ? value : 0;
}

/** Sets the sliders and seed that the URL names; the others keep index.html's defaults. */
export function applyState(state: PageState): void {
  for (const key of SAMPLING_KEYS) {
    const value = state[key];
    if (value !== undefined) slider(key).value = String(value);
  }
  showValues();
}

/** A slider's value as its label shows it; a value that turns its filter off says so. */
function shown(key: SliderKey, value: number): string {
  const text = SAMPLING_FIELDS[key].type === 'int' ? String(value) : value.toFixed(2);
  if (key === 'temperature') return value === 0 ? '0 (greedy)' : text;
  return value === SAMPLING_FIELDS[key].default ? `${text} (off)` : text;
}

/** Writes each slider's value into its label. */
function showValues(): void {
  const values = readSampling();
  for (const key of SLIDER_KEYS) byId(`${idOf(key)}-value`).textContent = shown(key, values[key]);
}

/**
 * Calls `changed` on every movement of a slider (after updating its label), and `seedChanged`
 * when the seed is edited.
 */
export function onSamplingInput(changed: (sampling: Sliders) => void, seedChanged: (seed: number) => void): void {
  for (const key of SLIDER_KEYS) {
    slider(key).addEventListener('input', () => {
      showValues();
      changed(readSampling());
    });
  }
  slider('seed').addEventListener('change', () => seedChanged(readSeed()));
}
