import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { nextSql, withParameters } from '../sql/statements.ts';
import { useModel } from './model.ts';
import { checkPrompt, integerOption, temperatureOption } from './options.ts';
import { runStatement } from './run-statement.ts';

/** One candidate for the next token. */
export interface Candidate {
  id: number;
  /** The token's text; U+FFFD where its bytes are part of a character. */
  token: string;
  /** The raw logit, before temperature. */
  logit: number;
  /** softmax(logits / temperature); at temperature 0 the greedy choice has 1, the rest 0. */
  probability: number;
}

export interface NextOptions {
  /** How many candidates, most probable first. Default 10. */
  top?: number | string;
  /** Default 1: the model's own distribution. */
  temperature?: number | string;
}

const NEXT_INPUTS = ['ids', 'start', 'temperature', 'top'] as const;
const TEXT = new TextDecoder('utf-8', { ignoreBOM: true });

/** The defaults and checks of `next`'s options: top 10, temperature 1. */
export function nextOptions(options: NextOptions = {}): { top: number; temperature: number } {
  const top = integerOption('--top', options.top ?? 10, 1, 'an integer >= 1');
  const temperature = temperatureOption(options.temperature ?? 1, 'gives the most probable token probability 1');
  return { top, temperature };
}

/**
 * The article's llm(): the most probable next tokens after `ids`, computed in the database.
 *
 * @example
 * const candidates = await nextTokens(db, model, [15496, 11], { top: 5 });
 * // [{ id: 995, token: ' world', logit: -31.2, probability: 0.12 }, …]
 */
export async function nextTokens(db: Database, model: ModelRow, ids: readonly number[], options: NextOptions = {}): Promise<Candidate[]> {
  const { top, temperature } = nextOptions(options);
  checkPrompt(model, ids);
  await useModel(db, model);
  const statement = withParameters(NEXT_INPUTS, (inputs) => nextSql(model, inputs));
  const rows = await runStatement<{ token: number; bytes: Uint8Array | null; logit: number; probability: number }, (typeof NEXT_INPUTS)[number]>(
    db, statement, { ids, start: 0, temperature, top: Math.min(top, model.vocab_size) },
  );
  return rows.map((row) => ({ id: row.token, token: TEXT.decode(Uint8Array.from(row.bytes ?? [])), logit: row.logit, probability: row.probability }));
}
