import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { input, renderBound } from '../sql/sql.ts';
import { FORWARD_INPUTS } from '../sql/forward.ts';
import { next } from '../sql/statements.ts';
import { checkPrompt, nextOptions, type NextOptions } from './options.ts';
import { runStatement } from './run-statement.ts';
import { tokenText } from './token-text.ts';
import { parallelPlan, workersOption } from './workers.ts';

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

/** next.sql's inputs, the statement written for `positions` positions and the logits of the last. */
function nextInputs(positions: number) {
  return { forward: { ...FORWARD_INPUTS, counts: { positions, outputs: 1 } }, temperature: input('temperature'), top: input('top') };
}

/**
 * The article's llm(): the most probable next tokens after `ids`, computed in the database.
 *
 * @example
 * const candidates = await nextTokens(db, model, [15496, 11], { top: 5 });
 * // [{ id: 995, token: ' world', logit: -31.2, probability: 0.12 }, …]
 */
export async function nextTokens(db: Database, model: ModelRow, ids: readonly number[], options: Partial<NextOptions> & { workers?: number } = {}): Promise<Candidate[]> {
  const { top, temperature } = nextOptions(options);
  checkPrompt(model, ids);
  const parallel = parallelPlan(model, await workersOption(db, options.workers), ids.length, 1);
  const rows = await runStatement<{ token: number; bytes: Uint8Array | null; logit: number; probability: number }>(
    db, model.schema_name, renderBound(next(model, nextInputs(ids.length), parallel.shape)), { ids, start: 0, temperature, top: Math.min(top, model.vocab_size) }, { parallel },
  );
  return rows.map((row) => ({ id: row.token, token: tokenText(Uint8Array.from(row.bytes ?? [])), logit: row.logit, probability: row.probability }));
}
