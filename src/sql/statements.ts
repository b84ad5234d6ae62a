/**
 * The statements the engine runs, as values (src/sql/sql.ts): step (prefill, step, recompute),
 * next and hidden, each a template of sql/ around the forward pass of forward.ts. Their inputs are
 * the statement's own (bound as parameters, or inlined for psql) unless a statement around them
 * gives SQL instead (complete.sql feeds a step its row's ids).
 */
import { cachedHeads, kernel } from './kernels.ts';
import { FORWARD_INPUTS, headOf, logits, transformer, type BlocksShape, type ForwardInputs, type ModelShape } from './forward.ts';
import { input, sql, template, type Fill, type Sql } from './sql.ts';

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
 * step.sql: the forward pass over the ids fed and the next token chosen. With `inputs.session`
 * the cache of that generation is read, and the new keys and values come back, one row per block,
 * for kvSave to append (a statement that writes gets no parallel workers). One statement.
 *
 * @example
 * renderBound(step(model, STEP_INPUTS)); // parameters: ids, start, session, temperature, …
 */
export function step(model: ModelShape, inputs: ForwardInputs & SamplingInputs, shape: BlocksShape = 'recursive'): Sql {
  const newKv = shape === 'unrolled'
    ? sql`${Array.from({ length: model.n_layer }, (_, b) => `SELECT ${b} AS block, k, v FROM block_${b}`).join('\nUNION ALL\n')}`
    : sql`SELECT block, k, v FROM forward WHERE block >= 0`;
  return template('step', {
    transformer: transformer(model, inputs, 'last', shape).ctes,
    logits: logits(model),
    probs: probs(inputs.temperature),
    sample: sample(inputs),
    result: inputs.session !== undefined ? template('step_token_kv', { new_kv: newKv }) : template('step_token'),
  });
}

/**
 * kv_save.sql: block b's k and v of place `start` + t, head h, cut out of the rows a step returned
 * into the table `result`, appended to the cache of the session.
 */
export function kvSave(model: ModelShape, result: string): Sql {
  const HS = model.n_embd / model.n_head;
  const { k, v } = cachedHeads(kernel(model.kernel), HS);
  const head = (column: 'k' | 'v') => headOf(`result.${column}`, 'h', HS, `t * ${model.n_embd}`);
  return template('kv_save', {
    result: sql`${result}`, session: input('session'), start: input('start'),
    n_embd: model.n_embd, n_head: model.n_head, k: k.prepare(head('k')), v: v.prepare(head('v')),
  });
}

/** step_chosen.sql: the token a step chose, from the rows it returned into the table `result`. */
export function stepChosen(result: string): Sql {
  return template('step_chosen', { result: sql`${result}` });
}

/** The inputs of next.sql as the statement's own. */
const NEXT_INPUTS = { ...FORWARD_INPUTS, temperature: input('temperature'), top: input('top') };

/** next.sql: the `top` most probable next tokens with logits and probabilities at `temperature`. */
export function next(model: ModelShape, inputs: ForwardInputs & { temperature: Fill; top: Fill } = NEXT_INPUTS, shape: BlocksShape = 'recursive'): Sql {
  return template('next', {
    transformer: transformer(model, inputs, 'last', shape).ctes,
    logits: logits(model),
    probs: probs(inputs.temperature),
    temperature: inputs.temperature,
    top: inputs.top,
  });
}
