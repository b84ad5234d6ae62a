// The alternatives at one generated step: the most probable tokens the model had there (from
// top_logprobs), as probabilities, the chosen one marked.

import { byId, el, fill, formatProb, visibleText } from './dom.ts';

/** One generated token as the stream gave it. */
export interface GeneratedStep {
  step: number;
  /** The token as the API spells it (`bytes:\xNN…` for part of a character). */
  text: string;
  /** exp(logprob); undefined when the server sent none. */
  prob: number | undefined;
  /** The alternatives' log-probabilities by text, the chosen token among them. */
  top: Record<string, number>;
}

export function showAlternatives(step: GeneratedStep): void {
  const rows = Object.entries(step.top)
    .map(([text, logprob]) => ({ text, prob: Math.exp(logprob) }))
    .sort((a, b) => b.prob - a.prob);
  const chosen = step.prob === undefined ? '' : `, p = ${formatProb(step.prob)}`;
  byId('alternatives-title').textContent = `Step ${step.step}: "${visibleText(step.text)}" was chosen${chosen}. The model's most probable tokens there:`;
  fill(byId('alternatives'), rows.map((row) => alternativeRow(row, row.text === step.text)));
}

function alternativeRow(row: { text: string; prob: number }, chosen: boolean): HTMLElement {
  const bar = el('div', { className: 'bar bar-prob' });
  bar.style.width = `${row.prob * 100}%`;
  return el('li', {
    className: `alternative${chosen ? ' chosen' : ''}`,
    attrs: { 'data-text': row.text, 'data-prob': String(row.prob) },
  }, [
    el('span', { className: 'chip', text: visibleText(row.text) }),
    el('div', { className: 'bar-track' }, [bar]),
    el('span', { className: 'num', text: formatProb(row.prob) }),
  ]);
}
