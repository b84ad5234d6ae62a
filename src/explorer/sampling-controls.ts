// The sampling sliders (temperature, top-k, top-p) and the seed: read by the next-token panel and
// by generate, kept in the URL, each slider with its value shown beside it.

import { byId } from './dom.ts';
import type { PageState } from './url-state.ts';

export interface Sampling {
  temperature: number;
  topK: number;
  topP: number;
}

const inputs = () => ({
  temperature: byId<HTMLInputElement>('temperature'),
  topK: byId<HTMLInputElement>('top-k'),
  topP: byId<HTMLInputElement>('top-p'),
  seed: byId<HTMLInputElement>('seed'),
});

/** The sliders' values as numbers (a range input always holds a number within its bounds). */
export function readSampling(): Sampling {
  const { temperature, topK, topP } = inputs();
  return { temperature: Number(temperature.value), topK: Number(topK.value), topP: Number(topP.value) };
}

/** The seed, an integer; a box left empty or holding a fraction gives what it rounds to (0 when empty). */
export function readSeed(): number {
  const value = Math.round(Number(inputs().seed.value));
  return Number.isSafeInteger(value) ? value : 0;
}

/** Sets the sliders and seed that the URL names; the others keep index.html's defaults. */
export function applyState(state: PageState): void {
  const { temperature, topK, topP, seed } = inputs();
  if (state.temperature !== undefined) temperature.value = String(state.temperature);
  if (state.topK !== undefined) topK.value = String(state.topK);
  if (state.topP !== undefined) topP.value = String(state.topP);
  if (state.seed !== undefined) seed.value = String(state.seed);
  showValues();
}

/** Writes each slider's value into its label; the values that turn a filter off say so. */
function showValues(): void {
  const { temperature, topK, topP } = readSampling();
  byId('temperature-value').textContent = temperature === 0 ? '0 (greedy)' : temperature.toFixed(2);
  byId('top-k-value').textContent = topK === 0 ? '0 (off)' : String(topK);
  byId('top-p-value').textContent = topP === 1 ? '1.00 (off)' : topP.toFixed(2);
}

/**
 * Calls `changed` on every movement of a slider (after updating its label), and `seedChanged`
 * when the seed is edited.
 */
export function onSamplingInput(changed: (sampling: Sampling) => void, seedChanged: (seed: number) => void): void {
  const { temperature, topK, topP, seed } = inputs();
  for (const slider of [temperature, topK, topP]) {
    slider.addEventListener('input', () => {
      showValues();
      changed(readSampling());
    });
  }
  seed.addEventListener('change', () => seedChanged(readSeed()));
}
