/**
 * The psql scripts the explorer page shows besides its views: the completion its generate panel
 * streams, as `gpt2sql sql complete` writes it, with the tables it reads.
 */
import { GPT2_PARAMETERS, LM_HEAD } from '../checkpoint/gpt2-tensors.ts';
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Completion } from '../engine/options.ts';
import { samplingFlags } from '../sql/sampling-fields.ts';
import { completeStatement, completeValues, psqlScript } from '../sql/script.ts';
import type { ShownView } from './trace-views.ts';

/** What the completion reads: every weight table, the vocabulary and the merges. */
const GENERATE_TABLES = [...GPT2_PARAMETERS.map((parameter) => parameter.name), LM_HEAD.name, 'vocab', 'merges'];

/** The generate panel's completion of `prompt` with `options` (checked by the caller), for psql. */
export function generateScript(model: ModelRow, prompt: string, options: Completion): ShownView {
  const header = [
    `gpt2sql explorer: the completion the generate panel streams (gpt2sql complete --max-tokens ${options.maxTokens} ${samplingFlags(options)}),`,
    'one statement: the prompt tokenized, one forward pass per new token in a recursive CTE, the tokens detokenized.',
  ];
  return {
    sql: psqlScript(model, header, completeStatement(model), completeValues(prompt, model, options)),
    tables: GENERATE_TABLES.map((table) => `${model.schema_name}.${table}`),
  };
}
