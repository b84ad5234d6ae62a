// Generate: new tokens streamed from POST /v1/completions (the OpenAI-compatible endpoint, with
// the sliders' sampling and the seed), each coloured by its probability; a click on one shows the
// alternatives the model had at that step.

import { apiFields } from '../sql/sampling-fields.ts';
import type { GenerateSqlResponse } from './explorer-api.ts';
import { getJson, postEvents } from './api-client.ts';
import { byId, el, fill, formatProb, isAbort, setBusy } from './dom.ts';
import { showError } from './error-view.ts';
import { readSampling, readSeed } from './sampling-controls.ts';
import { showSql } from './sql-box.ts';
import { showAlternatives, type GeneratedStep } from './alternatives.ts';

/** The part of a completion chunk the page reads (OpenAI's legacy logprobs shape). */
interface CompletionChunk {
  choices: Array<{
    text: string;
    logprobs: {
      tokens: string[];
      token_logprobs: Array<number | null>;
      top_logprobs: Array<Record<string, number> | null>;
    } | null;
  }>;
}

/** How many alternatives each token comes with. */
const LOGPROBS = 5;

let running: AbortController | undefined;

const generateButton = () => byId<HTMLButtonElement>('generate-run');

/** Marks the panel busy while tokens stream (tests wait for it to end), and the buttons with it. */
function setStreaming(streaming: boolean): void {
  setBusy(byId('generate'), streaming);
  generateButton().disabled = streaming;
  byId<HTMLButtonElement>('stop').disabled = !streaming;
}
const steps: GeneratedStep[] = [];

/** What to generate from: the model and prompt in the form now. */
export type PromptSource = () => { model: string; prompt: string };

function parameters(source: PromptSource) {
  const { model, prompt } = source();
  const maxTokens = Math.max(0, Math.round(Number(byId<HTMLInputElement>('max-tokens').value) || 0));
  return { model, prompt, max_tokens: maxTokens, ...apiFields({ ...readSampling(), seed: readSeed() }) };
}

/** Shows the psql script that generates what this panel would (GET /explorer/generate-sql). */
export async function refreshGenerateSql(source: PromptSource): Promise<void> {
  try {
    showSql(byId('generate'), await getJson<GenerateSqlResponse>('/explorer/generate-sql', parameters(source)));
  } catch (error) {
    showError(error);
  }
}

async function generate(source: PromptSource): Promise<void> {
  running?.abort();
  const controller = (running = new AbortController());
  const body = parameters(source);
  startOutput(body.prompt);
  void refreshGenerateSql(source);
  const started = performance.now();
  try {
    await postEvents('/v1/completions', { ...body, stream: true, logprobs: LOGPROBS }, (event) => appendChunk(event as CompletionChunk), controller.signal);
    setStatus(`generated ${steps.length} token${steps.length === 1 ? '' : 's'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    setStatus(isAbort(error) ? `stopped after ${steps.length} tokens` : 'failed');
    showError(error);
  } finally {
    if (running === controller) endOutput();
  }
}

function startOutput(prompt: string): void {
  steps.length = 0;
  setStreaming(true);
  fill(byId('generated'), [el('span', { className: 'generated-prompt', text: prompt })]);
  fill(byId('alternatives'), []);
  byId('alternatives-title').textContent = 'Click a generated token to see the alternatives at that step.';
  setStatus('generating…');
}

function endOutput(): void {
  running = undefined;
  setStreaming(false);
}

function setStatus(text: string): void {
  byId('generate-status').textContent = text;
}

/** Appends the tokens of one streamed chunk (a chunk may carry several, or none: the final one). */
function appendChunk(chunk: CompletionChunk): void {
  const logprobs = chunk.choices[0]?.logprobs;
  if (!logprobs) return;
  const output = byId('generated');
  logprobs.tokens.forEach((text, i) => {
    const logprob = logprobs.token_logprobs[i];
    const step: GeneratedStep = { step: steps.length, text, prob: logprob === null ? undefined : Math.exp(logprob), top: logprobs.top_logprobs[i] ?? {} };
    steps.push(step);
    output.append(tokenSpan(step));
  });
}

function tokenSpan(step: GeneratedStep): HTMLElement {
  const partial = step.text.startsWith('bytes:'); // part of a character: the API shows its bytes as \xNN
  const span = el('span', {
    className: `generated-token${partial ? ' partial' : ''}`,
    text: partial ? step.text.slice('bytes:'.length) : step.text.replace(/\n/g, '↵\n'),
    title: step.prob === undefined ? `step ${step.step}` : `step ${step.step}: p = ${formatProb(step.prob)}`,
    attrs: { 'data-step': String(step.step), 'data-prob': step.prob === undefined ? '' : String(step.prob), 'data-text': step.text, tabindex: '0', role: 'button' },
  });
  if (step.prob !== undefined) span.style.backgroundColor = probabilityCss(step.prob);
  return span;
}

/** Red-orange for an unlikely token, green for a likely one (the legend in index.html matches). */
export function probabilityCss(prob: number): string {
  return `hsl(${Math.round(10 + 130 * Math.min(1, Math.max(0, prob)))} 75% 85%)`;
}

function selectStep(target: EventTarget | null): void {
  if (!(target instanceof HTMLElement) || !target.classList.contains('generated-token')) return;
  for (const selected of byId('generated').querySelectorAll('.generated-token.selected')) selected.classList.remove('selected');
  target.classList.add('selected');
  const step = steps[Number(target.dataset.step)];
  if (step) showAlternatives(step);
}

/** Wires the buttons and the generated text once; `source` gives the model and prompt at each click. */
export function setUpGenerate(source: PromptSource): void {
  generateButton().addEventListener('click', () => void generate(source));
  byId('stop').addEventListener('click', () => running?.abort());
  const output = byId('generated');
  output.addEventListener('click', (event) => selectStep(event.target));
  output.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') selectStep(event.target);
  });
}
