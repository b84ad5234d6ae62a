/** A trace schema read back into the reference's shape (src/reference/trace.ts), to compare them. */
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import type { BlockTrace, Gpt2Trace } from '../../src/reference/trace.ts';
import { quoteIdent } from '../../src/sql/quote.ts';

type Matrix = number[][];

/**
 * Reads every table of the trace in `schema`: vectors by (block, head, t), attention rows by s,
 * logits and probabilities by token. `text` is each token's text from the tokens table.
 */
export async function readTrace(db: Database, schema: string, model: ModelRow): Promise<Gpt2Trace & { text: string[] }> {
  const table = (name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
  const tokens = await db.query<{ token: number; text: string }>(`SELECT token, text FROM ${table('tokens')} ORDER BY t`);
  const vectors = async (name: string): Promise<Matrix> =>
    (await db.query<{ x: number[] }>(`SELECT x FROM ${table(name)} ORDER BY t`)).map((row) => row.x);
  const perBlock = async (name: string, where: string): Promise<Matrix> =>
    (await db.query<{ x: number[] }>(`SELECT x FROM ${table(name)} WHERE ${where} ORDER BY t`)).map((row) => row.x);
  const rowsOf = async (name: string, value: string, where: string, by: string): Promise<Matrix> =>
    (await db.query<{ row: number[] }>(
      `SELECT array_agg(${value} ORDER BY ${by}) AS row FROM ${table(name)} WHERE ${where} GROUP BY t ORDER BY t`,
    )).map((row) => row.row);
  const heads = Array.from({ length: model.n_head }, (_, h) => h);
  const blocks: BlockTrace[] = [];
  for (let b = 0; b < model.n_layer; b++) {
    const block = {} as Record<string, Matrix | Matrix[]>;
    for (const name of ['ln1', 'atty', 'attproj', 'residual2', 'ln2', 'fch', 'fch_gelu', 'fcproj', 'residual3']) {
      block[name] = await perBlock(name, `block = ${b}`);
    }
    for (const name of ['q', 'k', 'v']) block[name] = await Promise.all(heads.map((h) => perBlock(name, `block = ${b} AND head = ${h}`)));
    block.preatt = await Promise.all(heads.map((h) => rowsOf('preatt', 'score', `block = ${b} AND head = ${h}`, 's')));
    block.att = await Promise.all(heads.map((h) => rowsOf('att', 'weight', `block = ${b} AND head = ${h}`, 's')));
    blocks.push(block as unknown as BlockTrace);
  }
  return {
    tokens: tokens.map((row) => row.token),
    text: tokens.map((row) => row.text),
    encoded: await vectors('encoded'),
    blocks,
    lnf: await vectors('lnf'),
    logits: await rowsOf('logits', 'logit', 'TRUE', 'token'),
    probs: await rowsOf('probs', 'prob', 'TRUE', 'token'),
  } as unknown as Gpt2Trace & { text: string[] };
}
