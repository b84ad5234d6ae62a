/**
 * Self-contained SQL scripts for psql: what `gpt2sql sql …` prints. A script sets the model's
 * search_path and runs one statement whose inputs are inlined as literals, each quoted by
 * quoteLiteral, so it gives the CLI's answer with nothing else at hand. User text appears only as
 * a quoted literal in the code of the statement, never in a comment, and is never indented.
 */
import type { Gpt2Config } from '../checkpoint/types.ts';
import { oneSequence, type ModelShape } from './forward.ts';
import { quoteIdent } from './quote.ts';
import { partitionwiseSql } from './sharding.ts';
import { DEFAULT_SAMPLING } from './sampling-fields.ts';
import { input, renderInlined, sql, template, type InputName, type InputValue, type Sql } from './sql.ts';
import { choosing, CHOOSING_INPUTS, choosingValues, detokenize, next, score, step, tokenize, type Sampling } from './statements.ts';

/** What a script needs to know of a model (its catalog row has it): its name and schema besides its shape. */
export type ScriptModel = ModelShape & Pick<Gpt2Config, 'n_ctx' | 'vocab_size'> & { name: string; schema_name: string };

/**
 * The script around one statement: a header of comment lines (never user text); the client
 * encoding of the script's own text (UTF-8, whatever the terminal's locale); the model's
 * search_path; JIT off (a server would spend seconds compiling a forward pass that runs in
 * less); and the statement with its inputs inlined.
 *
 * @example
 * psqlScript(model, ['the token ids of "Hello"'], tokenize(), { text: 'Hello' });
 */
export function psqlScript(model: ScriptModel, header: readonly string[], statement: Sql, values: Partial<Record<InputName, InputValue>>): string {
  if (header.some((line) => /[\r\n]/.test(line))) throw new Error('a header line of a script must be one line');
  const lines = [
    ...header.map((line) => `-- ${line}`.trimEnd()),
    `-- Model ${model.name}: ${model.n_layer} layers, ${model.n_head} heads, ${model.n_embd} wide, context ${model.n_ctx}, kernel ${model.kernel}.`,
    '',
    "SET client_encoding TO 'UTF8';",
    `SET search_path TO ${quoteIdent(model.schema_name)}, public;`,
    'SET jit = off;',
    // A sharded model's sums per output column are computed on its shards only with this on.
    ...(model.shards > 0 ? [`${partitionwiseSql(false)}  -- the weights are on ${model.shards} shards: each computes its own sums`] : []),
    '',
  ];
  return `${lines.join('\n')}\n${renderInlined(statement, values)};\n`;
}

/** The options of `gpt2sql sql complete`, which become the script's inputs (those left out: their defaults). */
export type CompleteScriptOptions = Partial<Sampling> & { maxTokens: number };

/**
 * sql/complete.sql: the prompt tokenized, a recursive CTE that adds one sampled token per row
 * with the full forward pass, the new tokens detokenized. One statement; it returns one row
 * (prompt_tokens, tokens, text, stop). Inputs: text, max_tokens, temperature, top_k, top_p, seed.
 *
 * @example
 * psqlScript(model, [], completeStatement(model), completeValues('Hello', model, options));
 */
export function completeStatement(model: ScriptModel): Sql {
  const stepInputs = {
    forward: oneSequence(sql`generation.ids`, 0),
    choosing: choosing({ ...CHOOSING_INPUTS, draw: sql`ARRAY[generation.step]` }),
    generated: sql`SELECT 0 AS s, unnest(generation.ids[cardinality(generation.ids) - generation.step + 1 :]) AS token`,
  };
  return template('complete', {
    tokenize: tokenize(),
    step: step(model, stepInputs, 'recursive'),
    max_tokens: input('max_tokens'),
    n_ctx: model.n_ctx,
    detokenize: detokenize(sql`completion.tokens`),
  });
}

/** The values of completeStatement's inputs. */
export function completeValues(prompt: string, model: ScriptModel, options: CompleteScriptOptions): Partial<Record<InputName, InputValue>> {
  const { draw_each: _draw, generated: _generated, generated_seqs: _seqs, ...choosing } = choosingValues([{ sampling: { ...DEFAULT_SAMPLING, ...options }, draw: 0, generated: [] }], model.vocab_size);
  return { text: prompt, max_tokens: options.maxTokens, ...choosing };
}

/**
 * sql/next_prompt.sql: the `top` most probable next tokens after the prompt, at `temperature`:
 * rows (id, token, logit, probability), ranked by logit. Inputs: text, temperature, top.
 */
export function nextPromptStatement(model: ScriptModel): Sql {
  return template('next_prompt', {
    tokenize: tokenize(),
    next: next(model, { forward: oneSequence(sql`prompt.ids`, 0), temperature: input('temperature'), top: input('top') }, 'recursive'),
    detokenize: detokenize(sql`ARRAY[candidate.token]`),
  });
}

/**
 * sql/score_text.sql: the text tokenized, scored by score.sql in windows of at most n_ctx tokens
 * that start every `stride` tokens, as `gpt2sql score` scores it: rows (position, id, token,
 * logprob, top_ids, top_logprobs, perplexity), one per token. Inputs: text, stride, top.
 *
 * @example
 * psqlScript(model, [], scoreTextStatement(model), { text: 'Hello, world', stride: 512, top: 0 });
 */
export function scoreTextStatement(model: ScriptModel): Sql {
  const windowIds = sql`text_ids.ids[windows.start_place + 1 : windows.end_place]`;
  return template('score_text', {
    tokenize: tokenize(),
    stride: input('stride'),
    n_ctx: model.n_ctx,
    score: score(model, { forward: oneSequence(windowIds, 0), top: input('top') }, 'recursive'),
    detokenize: detokenize(sql`ARRAY[text_token.id]`),
  });
}
