import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceCommand } from '../../src/cli/commands/trace.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import { gpt2Trace } from '../../src/reference/trace.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { dropModel, loadGeneratedModel } from '../helpers/loaded-model.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { expectClose, TRACE_TOLERANCE as TOLERANCE } from '../helpers/numeric.ts';
import { connectPsql, psql } from '../helpers/psql.ts';
import { runCli } from '../helpers/cli-process.ts';

const PROMPT = 'The cat sat'; // 3 tokens: a trace keeps T * V logits and probabilities

describe.each(testDatabases())('gpt2sql trace, read by psql, on $driver', (target) => {
  let model: ModelRow;
  let weights: Gpt2Weights;
  const name = uniqueModelName('cli');

  beforeAll(async () => {
    const db = await target.open();
    try {
      ({ model, weights } = await loadGeneratedModel(db, 'trace_cli', { n_layer: 2, n_head: 2, n_embd: 16, n_ctx: 16, seed: 51 }));
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    const db = await target.open();
    await db.exec(`DROP SCHEMA IF EXISTS trace_${name} CASCADE`);
    await dropModel(db, model).finally(() => db.close());
  });

  it("keeps the forward pass in trace_NAME, whose attention weights psql reads as the reference's", async () => {
    const run = await runCli(['trace', PROMPT, '--as', name, '--model', model.name, '--db', target.db]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`into schema trace_${name}`);
    const reach = target.driver === 'postgres' ? `psql ${target.db}` : 'gpt2sql serve   # then, in another terminal: psql -h 127.0.0.1 -p 5433 -U postgres postgres';
    expect(run.stdout).toContain(`look inside with:  ${reach}\n`); // the database's own psqlHint
    const example = run.stdout.slice(run.stdout.indexOf('  SET search_path'));
    const [attRows, exampleRows] = await connectPsql(target).then(async (served) => {
      try {
        const att = await psql(served.connection, `SELECT block, head, t, s, weight FROM trace_${name}.att ORDER BY block, head, t, s`);
        return [att, await psql(served.connection, example)];
      } finally {
        await served.stop();
      }
    });
    const expected = gpt2Trace(weights, getEncoding('gpt2').encode(PROMPT));
    const att = (b: number, h: number) => expected.blocks[b].att[h].map((row, t) => Array.from(row, (weight, s) => [b, h, t, s, weight]));
    const all = [0, 1].flatMap((b) => [0, 1].flatMap((h) => att(b, h).flat()));
    expectClose(attRows.map((row) => row.map(Number)), all, TOLERANCE[model.kernel], 'att read by psql');

    // The printed example: for each position, the position its head attends to most.
    const [block, head] = [model.n_layer - 1, model.n_head - 1];
    const strongest = expected.blocks[block].att[head].map((row) => row.indexOf(Math.max(...row)));
    expect(exampleRows.map((row) => Number(row[2]))).toEqual(strongest);
  });

  it('refuses an empty prompt, an unusable name and unknown positions before touching the database', async () => {
    const options = { db: target.db, model: model.name };
    await expect(traceCommand('', options, memoryIo())).rejects.toThrow(/prompt is empty/);
    await expect(traceCommand('Hi', { ...options, as: 'no spaces' }, memoryIo())).rejects.toThrow(/not a usable trace name/);
    await expect(traceCommand('Hi', { ...options, lens: 'first' }, memoryIo())).rejects.toThrow('--lens must be last or all, got first');
    await expect(traceCommand('Hi', { ...options, logits: 'none' }, memoryIo())).rejects.toThrow('--logits must be last or all, got none');
  });
});
