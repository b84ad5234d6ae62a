/**
 * The statements the engine runs, as values (src/sql/sql.ts): step (prefill, step, recompute),
 * next and hidden, each a template of sql/ around the forward pass of forward.ts. Their inputs are
 * the statement's own (bound as parameters, or inlined for psql) unless a statement around them
 * gives SQL instead (complete.sql feeds a step its row's ids).
 */
import { cachedHeads, kernel } from './kernels.ts';
import { FORWARD_INPUTS, headOf, logits, transformer, type ForwardInputs, type ModelShape } from './forward.ts';
import { ctes, EMPTY, input, template, type Fill, type Sql } from './sql.ts';

/** How the next token is chosen, the rules of src/reference/sample.ts: the one shape of the sampling options. */
export interface Sampling {
  /** 0 is greedy (the most probable token); 1 samples from the model's distribution. */
  temperature: number;
  /** Keep only the k most probable tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of most probable tokens whose probability reaches p; 1 keeps all. */
  topP: number;
  /** The same seed (and options) gives the same tokens. */
  seed: number;
}

/**
 * The values of sample.sql's inputs for `sampling`, on a model of `vocabSize` tokens: any top_k of
 * V or more keeps every token, and fits an int.
 */
export function samplingValues(sampling: Sampling, vocabSize: number): { temperature: number; top_k: number; top_p: number; seed: number } {
  return { temperature: sampling.temperature, top_k: Math.min(sampling.topK, vocabSize), top_p: sampling.topP, seed: sampling.seed };
}

/** Where sample.sql's options come from. */
export interface SamplingInputs {
  temperature: Fill;
  top_k: Fill;
  top_p: Fill;
  seed: Fill;
  /** The 0-based index of the token being chosen, for the seeded uniform. */
  step: Fill;
}

export const SAMPLING_INPUTS: SamplingInputs = {
  temperature: input('temperature'), top_k: input('top_k'), top_p: input('top_p'), seed: input('seed'), step: input('step'),
};

/** The inputs of the incremental engine's step: the forward pass's, its session, and sampling's. */
export const STEP_INPUTS: ForwardInputs & SamplingInputs = { ...FORWARD_INPUTS, session: input('session'), ...SAMPLING_INPUTS };
/** The inputs of the article's engine: no cache. */
export const RECOMPUTE_INPUTS: ForwardInputs & SamplingInputs = { ...FORWARD_INPUTS, ...SAMPLING_INPUTS };

/** tokenize.sql over `text`: rows (position, token), GPT-2's BPE in SQL (pretokenize.sql cuts the pieces). */
export function tokenize(text: Fill = input('text')): Sql {
  return template('tokenize', { pieces: template('pretokenize', { text }) });
}

/** detokenize.sql over the int[] `ids`: one row, text. */
export function detokenize(ids: Fill = input('ids')): Sql {
  return template('detokenize', { ids });
}

/** probs.sql: softmax(logits / temperature), over the CTE logits. */
export function probs(temperature: Fill): Sql {
  return template('probs', { temperature });
}

/** sample.sql: the token chosen from logits and probs. */
export function sample(inputs: SamplingInputs): Sql {
  const { temperature, top_k, top_p, seed, step } = inputs;
  return template('sample', { temperature, top_k, top_p, seed, step });
}

/**
 * step.sql: the forward pass over the ids fed, the keys/values saved to the session's cache (when
 * `inputs.session` is given), and the next token chosen. One statement.
 *
 * @example
 * renderBound(step(model, STEP_INPUTS)); // parameters: ids, start, session, temperature, …
 */
export function step(model: ModelShape, inputs: ForwardInputs & SamplingInputs): Sql {
  return template('step', {
    transformer: transformer(model, inputs, 'last').ctes,
    save: inputs.session !== undefined ? kvSave(model, inputs.session, inputs.start) : EMPTY,
    logits: logits(model),
    probs: probs(inputs.temperature),
    sample: sample(inputs),
  });
}

/** kv_save.sql as the CTE saved: block b's k and v of place `start` + t, head h, cut out of forward's rows. */
function kvSave(model: ModelShape, session: Fill, start: Fill): Sql {
  const HS = model.n_embd / model.n_head;
  const { k, v } = cachedHeads(kernel(model.kernel), HS);
  const head = (column: 'k' | 'v') => headOf(`forward.${column}`, 'h', HS, `t * ${model.n_embd}`);
  return ctes({
    name: 'saved',
    note: '[n_layer, T*C] -> rows of kv_cache',
    body: template('kv_save', { session, start, n_embd: model.n_embd, n_head: model.n_head, k: k.prepare(head('k')), v: v.prepare(head('v')) }),
  });
}

/** next.sql: the `top` most probable next tokens with logits and probabilities at `temperature`. */
export function next(model: ModelShape, inputs: ForwardInputs & { temperature: Fill; top: Fill } = { ...FORWARD_INPUTS, temperature: input('temperature'), top: input('top') }): Sql {
  return template('next', {
    transformer: transformer(model, inputs, 'last').ctes,
    logits: logits(model),
    probs: probs(inputs.temperature),
    temperature: inputs.temperature,
    top: inputs.top,
  });
}
