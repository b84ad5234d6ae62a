// The next-token panel: the top candidates after the prompt as bars, under the sliders' sampling
// options. The server recomputes them from the trace's logits in the database (no forward pass),
// so a slider asks again each time the hand stops.

import { apiFields } from '../sql/sampling-fields.ts';
import type { Candidate, NextResponse } from './explorer-api.ts';
import { getJson } from './api-client.ts';
import { byId, debounce, el, fill, formatProb, setBusy, visibleText } from './dom.ts';
import { showError } from './error-view.ts';
import { readSampling } from './sampling-controls.ts';
import { showSql } from './sql-box.ts';

const COUNT = 20;
/** A drag fires input events many times a second: one request per pause this long (a query takes ~0.3 s). */
const DEBOUNCE_MS = 60;

/** The traced prompt the candidates are for; none before the first run. */
let target: { model: string; prompt: string } | undefined;
/**
 * The request in flight, if its answer is still wanted: a newer request or a slider's move aborts
 * it, so an answer for settings the sliders no longer show is never drawn and never ends the
 * panel's busy state.
 */
let pending: AbortController | undefined;

export function setNextTarget(model: string, prompt: string, nVocab: number): void {
  target = { model, prompt };
  byId('vocab-size').textContent = String(nVocab);
}

/** Asks for the candidates now; resolves once they are drawn, or the failure shown, or the request replaced. */
export async function refreshNext(): Promise<void> {
  if (!target) return;
  pending?.abort();
  const request = (pending = new AbortController());
  const panel = byId('next');
  setBusy(panel, true);
  const { temperature, topK, topP, minP } = readSampling(); // the penalties need generated tokens: none yet
  try {
    const next = await getJson<NextResponse>('/explorer/next', {
      model: target.model, prompt: target.prompt, ...apiFields({ temperature, topK, topP, minP }), count: COUNT,
    }, request.signal);
    if (pending === request) drawNext(next); // else it came after a move that aborted it
  } catch (error) {
    showError(error); // the last candidates stay drawn
  } finally {
    if (pending === request) setBusy(panel, false);
  }
}

const refreshSoon = debounce(() => void refreshNext(), DEBOUNCE_MS);

/**
 * A slider moved: the panel is busy from now until the answer for the new settings is drawn (a
 * test that moves a slider can wait for aria-busy to go), and the candidates are asked for once
 * the slider rests.
 */
export function samplingMoved(): void {
  if (!target) return;
  pending?.abort(); // its answer is for the settings before this move
  pending = undefined;
  setBusy(byId('next'), true);
  refreshSoon();
}

function drawNext(next: NextResponse): void {
  fill(byId('candidates'), next.candidates.map(candidateRow));
  byId('kept-count').textContent = String(next.kept_count);
  showSql(byId('next'), next.sql);
  performance.mark('explorer:next'); // scripts/bench-explorer.ts times a slider's move to here
}

function candidateRow(candidate: Candidate): HTMLTableRowElement {
  const kept = candidate.kept;
  return el('tr', {
    className: `candidate ${kept ? 'kept' : 'dropped'}`,
    title: kept ? 'kept by top-k, top-p and min-p' : 'dropped by top-k, top-p or min-p',
    attrs: {
      'data-rank': String(candidate.rank), 'data-token': String(candidate.token), 'data-text': candidate.text,
      'data-logit': String(candidate.logit), 'data-prob': String(candidate.prob), 'data-kept': String(kept),
      'data-kept-prob': String(candidate.kept_prob), 'data-cumulative': String(candidate.cumulative),
    },
  }, [
    el('td', { className: 'num rank', text: String(candidate.rank) }),
    el('td', {}, [el('span', { className: 'chip', text: visibleText(candidate.text), title: `token ${candidate.token}` })]),
    el('td', { className: 'bar-cell' }, [bars(candidate)]),
    el('td', { className: 'num', text: formatProb(candidate.prob) }),
    el('td', { className: 'num', text: candidate.logit.toFixed(3) }),
    el('td', { className: 'num', text: kept ? formatProb(candidate.kept_prob) : '—' }),
    el('td', { className: 'num', text: kept ? formatProb(candidate.cumulative) : '—' }),
  ]);
}

/** A thick bar for the probability at this temperature, a thin one for it after top-k/top-p renormalize. */
function bars(candidate: Candidate): HTMLElement {
  const prob = el('div', { className: 'bar bar-prob' });
  prob.style.width = `${candidate.prob * 100}%`;
  const kept = el('div', { className: 'bar bar-kept' });
  kept.style.width = `${candidate.kept_prob * 100}%`;
  return el('div', { className: 'bar-track' }, [prob, kept]);
}
