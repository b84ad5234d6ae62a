// The explorer page: wires the panels and runs them. A run traces the prompt (GET /explorer/trace:
// tokens, attention grid, logit lens), then asks for the next-token candidates, the open head and
// the generate SQL together; body[data-ready] says when all of it is drawn.

import type { HeadResponse, TraceResponse } from './explorer-api.ts';
import { getJson } from './api-client.ts';
import { drawAttentionGrid, markOpenHead } from './attention-panel.ts';
import { byId, isAbort } from './dom.ts';
import { clearError, setUpKeyForm, showError } from './error-view.ts';
import { refreshGenerateSql, setUpGenerate } from './generate-panel.ts';
import { closeHead, drawHead, setUpHeadView } from './head-view.ts';
import { drawLens } from './lens-panel.ts';
import { loadModels, modelSelect } from './model-select.ts';
import { refreshNext, samplingMoved, setNextTarget } from './next-panel.ts';
import { applyState, onSamplingInput } from './sampling-controls.ts';
import { setUpCopyButtons } from './sql-box.ts';
import { drawTokens } from './tokens-panel.ts';
import { readState, updateState } from './url-state.ts';

/** Shown in an empty prompt box, but not run until asked: a first visit should not start a trace. */
const EXAMPLE_PROMPT = 'The quick brown fox jumps over the lazy dog. The dog';

const promptBox = () => byId<HTMLTextAreaElement>('prompt');

/** The run in progress (a new run aborts it), and the model and prompt of the trace on show. */
let running: AbortController | undefined;
let traced: { model: string; prompt: string } | undefined;
let headRequest: AbortController | undefined;
/** Whether the model list is in the select: a Run clicked while it is still coming waits for it. */
let modelsListed: Promise<boolean> = Promise.resolve(false);

function setStatus(text: string): void {
  byId('status').textContent = text;
}

/** The form's model and prompt now (generate uses them, traced or not). */
const formPrompt = () => ({ model: modelSelect().value, prompt: promptBox().value });

async function run(): Promise<void> {
  running?.abort();
  const controller = (running = new AbortController());
  delete document.body.dataset.ready;
  await modelsListed;
  if (running !== controller) return;
  clearError();
  const { model, prompt } = formPrompt();
  updateState({ model, prompt });
  try {
    if (!model) throw new Error('no model is selected; load one with gpt2sql load, then reload this page');
    if (prompt === '') throw new Error('the prompt is empty; type some text, then Run');
    setStatus('tracing…');
    const started = performance.now();
    const trace = await getJson<TraceResponse>('/explorer/trace', { model, prompt }, controller.signal);
    drawTrace(trace, prompt, performance.now() - started);
    const { block, head } = readState();
    await Promise.all([
      refreshNext(),
      block !== undefined && head !== undefined ? openHead(block, head) : closeHeadView(),
      refreshGenerateSql(formPrompt),
    ]);
  } catch (error) {
    if (isAbort(error)) return;
    setStatus('failed: see the message above');
    showError(error);
  }
  // set after a failed run too, so a test can wait for it and then read #error
  if (running === controller) {
    document.body.dataset.ready = 'true';
    performance.mark('explorer:ready');
  }
}

function drawTrace(trace: TraceResponse, prompt: string, elapsedMs: number): void {
  traced = { model: trace.model.name, prompt };
  const count = `${trace.tokens.length} token${trace.tokens.length === 1 ? '' : 's'}`;
  setStatus(trace.traced_seconds > 0
    ? `traced ${count} in ${trace.traced_seconds.toFixed(1)} s`
    : `${count}, traced before; read in ${(elapsedMs / 1000).toFixed(1)} s`);
  byId('trace-name').textContent = trace.trace;
  drawTokens(trace);
  drawAttentionGrid(trace, (block, head) => void openHead(block, head, true));
  performance.mark('explorer:grid'); // scripts/bench-explorer.ts reads when the grid was drawn
  drawLens(trace);
  setNextTarget(traced.model, traced.prompt, trace.model.n_vocab);
}

/**
 * Opens head `head` of block `block` of the trace on show, and keeps them in the URL. Opened by a
 * click, the view is scrolled to (at once: a smooth scroll would move it under a test's pointer).
 */
async function openHead(block: number, head: number, clicked = false): Promise<void> {
  if (!traced) return;
  updateState({ block, head });
  markOpenHead(block, head);
  headRequest?.abort();
  const controller = (headRequest = new AbortController());
  try {
    drawHead(await getJson<HeadResponse>('/explorer/head', { ...traced, block, head }, controller.signal));
    if (clicked) byId('head-view').scrollIntoView({ block: 'nearest' });
  } catch (error) {
    showError(error);
  }
}

function closeHeadView(): void {
  headRequest?.abort();
  closeHead();
  markOpenHead();
  updateState({ block: undefined, head: undefined });
}

/** Lists the models, sets the form from the URL, and runs when the URL has a prompt (a shared link). */
async function load(): Promise<void> {
  const state = readState();
  applyState(state);
  promptBox().value = state.prompt ?? (promptBox().value || EXAMPLE_PROMPT);
  setStatus('listing the models…');
  modelsListed = loadModels(state.model).then(() => true, (error: unknown) => {
    setStatus('');
    showError(error);
    return false;
  });
  if (!(await modelsListed)) return;
  setStatus('ready: type a prompt and Run (Ctrl+Enter)');
  if (state.prompt !== undefined) await run();
}

function wireForm(): void {
  const form = byId<HTMLFormElement>('run-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  promptBox().addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  modelSelect().addEventListener('change', () => {
    closeHeadView(); // another model may have fewer blocks or heads
    updateState({ model: modelSelect().value });
    if (traced) void run();
  });
}

function start(): void {
  setUpCopyButtons();
  setUpKeyForm(() => void load());
  setUpHeadView(closeHeadView);
  setUpGenerate(formPrompt);
  onSamplingInput(
    (sliders) => {
      updateState(sliders);
      samplingMoved();
    },
    (seed) => updateState({ seed }),
  );
  wireForm();
  void load();
}

start();
