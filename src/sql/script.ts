/**
 * Self-contained SQL scripts for psql: what `gpt2sql sql …` prints. A script sets the model's
 * search_path and runs one statement whose values are inlined as literals, each quoted by
 * quoteLiteral, so it gives the CLI's answer with nothing else at hand.
 *
 * User text appears only as a quoted literal in the code of a statement, never in a comment, and
 * no text is indented or rescanned after a literal is put in (indenting would change a
 * multi-line prompt).
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import { nest, type ModelShape } from './forward.ts';
import { quoteIdent, quoteLiteral, render } from './render.ts';
import { inlineParameters } from './sql-text.ts';
import { INPUT_TYPES, nextSql, stepSql, type InputName, type Statement } from './statements.ts';

/** What a script needs from the model's catalog row. */
export type ScriptModel = ModelShape & Pick<ModelRow, 'name' | 'schema_name' | 'n_ctx' | 'vocab_size'>;

/** A value a statement input takes. */
export type ScriptValue = number | string | readonly number[];

/**
 * A value as an SQL literal, quoted by quoteLiteral: a number (in parentheses when negative, so
 * a cast after it applies to the whole number), text, or an int array as '{1,2}'.
 *
 * @example
 * literal("it's"); // "'it''s'"
 * literal([15496, 11]); // "'{15496,11}'"
 */
export function literal(value: ScriptValue): string {
  if (typeof value === 'number') return value < 0 ? `(${quoteLiteral(value)})` : quoteLiteral(value);
  if (typeof value === 'string') return quoteLiteral(value);
  if (!value.every(Number.isSafeInteger)) throw new Error(`not a list of integers: ${value.join(', ')}`);
  return quoteLiteral(`{${value.join(',')}}`);
}

/**
 * A value as a literal of the SQL type of input `name`, as the builders of statements.ts take it.
 *
 * @example
 * typedLiteral('seed', -5); // "(-5)::bigint"
 */
export function typedLiteral(name: InputName, value: ScriptValue): string {
  return `${literal(value)}::${INPUT_TYPES[name]}`;
}

/**
 * A statement with bind parameters, its values inlined (the `$n::type` casts stay).
 *
 * @example
 * inlineStatement(withParameters(['ids', 'start'], (inputs) => hiddenSql(model, inputs)), { ids: [15496], start: 0 });
 */
export function inlineStatement<N extends InputName>(statement: Statement<N>, values: Record<N, ScriptValue>): string {
  return inlineParameters(statement.text, statement.parameters.map((name) => literal(values[name])));
}

/**
 * The script around one statement: a header of comment lines (never user text); the client
 * encoding of the script's own text (UTF-8, whatever the terminal's locale); the model's
 * search_path; JIT off (a server would spend seconds compiling a forward pass that runs in
 * less); and the statement.
 *
 * @example
 * psqlScript(model, ['the token ids of "Hello"'], tokenizeStatement('Hello'));
 */
export function psqlScript(model: ScriptModel, header: readonly string[], statement: string): string {
  const lines = [
    ...header.map((line) => `-- ${line}`.trimEnd()),
    `-- Model ${model.name}: ${model.n_layer} layers, ${model.n_head} heads, ${model.n_embd} wide, context ${model.n_ctx}, kernel ${model.kernel}.`,
    '',
    "SET client_encoding TO 'UTF8';",
    `SET search_path TO ${quoteIdent(model.schema_name)}, public;`,
    'SET jit = off;',
    '',
  ];
  if (header.some((line) => /[\r\n]/.test(line))) throw new Error('a header line of a script must be one line');
  return `${lines.join('\n')}\n${withoutSemicolon(statement)};\n`;
}

/**
 * sql/tokenize.sql with the text inlined: rows (position, token). Indented by `spaces` before the
 * text goes in; put it into a template as a fragment, never through nest() again.
 *
 * @example
 * tokenizeStatement("it's"); // … string_to_table('it''s'::text, NULL) …
 */
export function tokenizeStatement(text: string, spaces = 0): string {
  return inlineParameters(nest(withoutSemicolon(render('tokenize')), spaces), [literal(text)]);
}

/**
 * sql/detokenize.sql over the int[] expression `ids` (never user text): one row, text.
 *
 * @example
 * detokenizeStatement('ARRAY[15496, 11]'); // … unnest((ARRAY[15496, 11])::int[]) …
 */
export function detokenizeStatement(ids: string, spaces = 0): string {
  return inlineParameters(nest(withoutSemicolon(render('detokenize')), spaces), [`(${ids})`]);
}

export interface CompleteScriptOptions {
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/**
 * sql/complete.sql: the prompt tokenized, a recursive CTE that adds one sampled token per row
 * with the full forward pass, the new tokens detokenized. One statement; it returns one row
 * (prompt_tokens, tokens, text, stop).
 *
 * @example
 * completeStatement(model, 'Hello', { maxTokens: 5, temperature: 0.8, topK: 40, topP: 1, seed: 42 });
 */
export function completeStatement(model: ScriptModel, prompt: string, options: CompleteScriptOptions): string {
  const step = stepSql(model, {
    ids: 'generation.ids',
    start: '0',
    temperature: typedLiteral('temperature', options.temperature),
    top_k: typedLiteral('top_k', Math.min(options.topK, model.vocab_size)), // any top_k >= V keeps every token
    top_p: typedLiteral('top_p', options.topP),
    seed: typedLiteral('seed', options.seed),
    step: 'generation.step',
  });
  return render('complete', {
    max_tokens: literal(options.maxTokens),
    n_ctx: literal(model.n_ctx),
    tokenize: tokenizeStatement(prompt, 4),
    step: nest(step, 4),
    detokenize: detokenizeStatement('completion.tokens', 9),
  });
}

/**
 * sql/next_prompt.sql: the `top` most probable next tokens after the prompt, at `temperature`:
 * rows (id, token, logit, probability), most probable first.
 *
 * @example
 * nextStatement(model, 'Happy New Year! I wish you', { top: 10, temperature: 1 });
 */
export function nextStatement(model: ScriptModel, prompt: string, options: { top: number; temperature: number }): string {
  const next = nextSql(model, {
    ids: 'prompt.ids',
    start: '0',
    temperature: typedLiteral('temperature', options.temperature),
    top: typedLiteral('top', Math.min(options.top, model.vocab_size)),
  });
  return render('next_prompt', {
    tokenize: tokenizeStatement(prompt, 4),
    next: nest(next, 2),
    detokenize: detokenizeStatement('ARRAY[candidate.token]', 9),
  });
}

function withoutSemicolon(sql: string): string {
  return sql.trimEnd().replace(/;$/, '');
}
