/**
 * The statements the engine runs, as values (src/sql/sql.ts): step (prefill, step, recompute),
 * next and hidden, each a template of sql/ around the forward pass of forward.ts. Their inputs are
 * the statement's own (bound as parameters, or inlined for psql) unless a statement around them
 * gives SQL instead (complete.sql feeds a step its row's ids).
 */
import { cachedHeads, kernel } from './kernels/index.ts';
import { BATCH_INPUTS, FORWARD_INPUTS, headOf, lanesOf, logits, transformer, type BlocksShape, type ForwardInputs, type ModelShape } from './forward.ts';
import { ctes, EMPTY, input, sql, template, type Fill, type Sql } from './sql.ts';

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

/** The values of one sequence's sampling options (choosing.sql). */
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

/**
 * choosing.sql: the one sequence's options, at its last position. `logprobs` alternatives with
 * log-probabilities (-1: none).
 */
export function choosing(inputs: SamplingInputs, logprobs: Fill = -1): Sql {
  return template('choosing', { ...inputs, logprobs });
}

/**
 * choosing_batch.sql: each sequence's options of a batched step, from the statement's array
 * inputs (one value per sequence).
 */
export const BATCH_CHOOSING: Sql = template('choosing_batch', {
  temperatures: input('temperatures'), top_ks: input('top_ks'), top_ps: input('top_ps'),
  seeds: input('seeds'), steps: input('steps'), logprobs: input('logprobs_each'),
});

/** What a step is fed (the forward pass's inputs) and how it chooses (a CTE choosing). */
export interface StepInputs {
  forward: ForwardInputs;
  choosing: Sql;
}

/** The incremental engine's batched step: the sequences of BATCH_INPUTS with their caches, each with its options. */
export const BATCH_STEP_INPUTS: StepInputs = { forward: BATCH_INPUTS, choosing: BATCH_CHOOSING };
/** The article's engine: one sequence, no cache. */
export const RECOMPUTE_INPUTS: StepInputs = { forward: FORWARD_INPUTS, choosing: choosing(SAMPLING_INPUTS) };

/** tokenize.sql over `text`: rows (position, token), GPT-2's BPE in SQL (pretokenize.sql cuts the pieces). */
export function tokenize(text: Fill = input('text')): Sql {
  return template('tokenize', { pieces: template('pretokenize', { text }) });
}

/** detokenize.sql over the int[] `ids`: one row, text. */
export function detokenize(ids: Fill = input('ids')): Sql {
  return template('detokenize', { ids });
}

/** probs.sql: softmax(logits / temperature) over the CTE logits, at each position of the CTE choosing: the CTE softmax (t, temperature, z_max, total). */
export function probs(): Sql {
  return template('probs');
}

/** sample.sql: each position's token chosen from logits and softmax (probs.sql), with the options of the CTE choosing. */
export function sample(): Sql {
  return template('sample');
}

/**
 * step.sql: the forward pass over the ids fed and each sequence's next token chosen. Batched
 * (BATCH_STEP_INPUTS), each sequence's cache is read, and the chosen tokens come back with, when
 * asked, their log-probabilities (step_logprobs.sql). The new keys and values of each block are
 * appended to the caches by the statement itself (`writes`: the CTE saved, kv_save.sql), or, for a
 * statement whose scans have parallel workers (a statement that writes gets none), returned one
 * row per block for kvSave to append in a statement of its own. One statement.
 *
 * @example
 * renderBound(step(model, BATCH_STEP_INPUTS, 'recursive', true)); // parameters: ids, places, seqs, sessions, temperatures, …
 */
export function step(model: ModelShape, inputs: StepInputs, shape: BlocksShape = 'recursive', writes = false): Sql {
  const newKv = shape === 'unrolled'
    ? sql`${Array.from({ length: model.n_layer }, (_, b) => `SELECT ${b} AS block, k, v FROM block_${b}`).join('\nUNION ALL\n')}`
    : sql`SELECT block, k, v FROM forward WHERE block >= 0`;
  const tokens = template('step_logprobs', { log_softmax: template('log_softmax') });
  const batched = inputs.forward.sequences !== undefined;
  const saving = batched && writes;
  return template('step', {
    transformer: transformer(model, inputs.forward, 'last', shape).ctes,
    logits: logits(model, lanesOf(inputs.forward, 'outputs')),
    choosing: inputs.choosing,
    probs: probs(),
    save: saving ? ctes({ name: 'saved', note: 'the new keys and values, appended to the caches', body: kvSave(model, sql`(\n${newKv}\n)`) }) : EMPTY,
    sample: sample(),
    result: !batched ? template('step_token') : saving ? template('step_tokens', { tokens }) : template('step_tokens_kv', { tokens, new_kv: newKv }),
  });
}

/**
 * kv_save.sql: block b's k and v of each new position t, head h, cut out of the rows (block, k, v)
 * of `result` (the table a batched step returned them into, or the step's own CTEs), appended to
 * the cache of t's session at t's place.
 */
export function kvSave(model: ModelShape, result: string | Sql): Sql {
  const HS = model.n_embd / model.n_head;
  const { k, v } = cachedHeads(kernel(model.kernel), HS);
  const head = (column: 'k' | 'v') => headOf(`result.${column}`, 'h', HS, `t * ${model.n_embd}`);
  return template('kv_save', {
    result: typeof result === 'string' ? sql`${result}` : result, sessions: input('sessions'), seqs: input('seqs'), places: input('places'),
    n_embd: model.n_embd, n_head: model.n_head, k: k.prepare(head('k')), v: v.prepare(head('v')),
  });
}

/** step_chosen.sql: each sequence's token (and alternatives) a step chose, from the rows it returned into the table `result`. */
export function stepChosen(result: string): Sql {
  return template('step_chosen', { result: sql`${result}` });
}

/** The inputs of next.sql as the statement's own. */
const NEXT_INPUTS = { forward: FORWARD_INPUTS, temperature: input('temperature'), top: input('top') };

/** next.sql: the `top` most probable next tokens with logits and probabilities at `temperature`. */
export function next(model: ModelShape, inputs: { forward: ForwardInputs; temperature: Fill; top: Fill } = NEXT_INPUTS, shape: BlocksShape = 'recursive'): Sql {
  return template('next', {
    transformer: transformer(model, inputs.forward, 'last', shape).ctes,
    logits: logits(model, lanesOf(inputs.forward, 'outputs')),
    choosing: choosing({ temperature: inputs.temperature, top_k: 0, top_p: 1, seed: 0, step: 0 }),
    probs: probs(),
    top: inputs.top,
  });
}

/**
 * log_softmax.sql: each position's logsumexp over the CTE logits (t, logit float8[V]), as the CTE
 * logsumexp (t, logit, lse): a token's logprob is logit[token + 1] - lse. A CTE list for any
 * statement to fill in.
 *
 * @example
 * template('score', { …, log_softmax: logSoftmax() });
 */
export function logSoftmax(): Sql {
  return template('log_softmax');
}

/** What score.sql is fed (a forward pass from place 0) and how many alternatives it ranks at each position. */
export interface ScoreInputs {
  forward: ForwardInputs;
  top: Fill;
}

/** The inputs of score.sql as the statement's own: ids and start (0), and top. */
export const SCORE_INPUTS: ScoreInputs = { forward: FORWARD_INPUTS, top: input('top') };

/**
 * score.sql: the forward pass over every position of the ids fed, and for each position t the
 * token fed at t + 1 with its log-probability (NULL at the last position) and the `top` most
 * probable tokens at t with theirs: rows (t, token, logprob, top_tokens, top_logprobs, top_bytes).
 *
 * @example
 * renderBound(score(model, SCORE_INPUTS, 'unrolled')); // parameters: start, ids, top
 */
export function score(model: ModelShape, inputs: ScoreInputs = SCORE_INPUTS, shape: BlocksShape = 'recursive'): Sql {
  return template('score', {
    transformer: transformer(model, inputs.forward, 'all', shape).ctes,
    logits: logits(model, lanesOf(inputs.forward, 'outputs')),
    log_softmax: logSoftmax(),
    top: inputs.top,
  });
}
