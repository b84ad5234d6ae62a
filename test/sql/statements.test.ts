import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelShape } from '../../src/sql/forward.ts';
import { renderBound } from '../../src/sql/sql.ts';
import { BATCH_STEP_INPUTS, kvSave, next, RECOMPUTE_INPUTS, score, step } from '../../src/sql/statements.ts';
import { hiddenStatement } from '../helpers/hidden-states.ts';
import { sampleGivenStatement } from '../helpers/sample-given.ts';

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
const TEMPLATES = readdirSync(SQL_DIR).filter((file) => file.endsWith('.sql')).map((file) => file.slice(0, -4));

/** Odd sizes, so any number the SQL takes from anywhere but the catalog shows up. */
const SHAPE: ModelShape = { n_layer: 3, n_head: 5, n_embd: 40, layer_norm_epsilon: 1e-5, kernel: 'array', shards: 0 };

describe('sql/ templates', () => {
  it.each(TEMPLATES)('%s.sql says what it computes, its shape and how to run it in psql, and stays under 100 lines', (name) => {
    const text = readFileSync(`${SQL_DIR}${name}.sql`, 'utf8');
    const header = text.split('\n').filter((line, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith('--')));
    expect(header[0]).toMatch(new RegExp(`^-- ${name}\\b`));
    expect(header.join('\n'), 'a shape line').toMatch(/^-- (Shape: +)?(\[[^\n]*\]|text|\[\]) ->/m);
    expect(header.join('\n'), 'how it runs in psql').toMatch(/^-- In psql\b/m);
    expect(text.split('\n').length).toBeLessThan(100);
  });

  it.each(TEMPLATES)('%s.sql takes inputs only through named placeholders', (name) => {
    const code = readFileSync(`${SQL_DIR}${name}.sql`, 'utf8').split('\n').filter((line) => !line.startsWith('--')).join('\n');
    expect(code).not.toMatch(/\$\d/);
  });
});

describe('statements', () => {
  const stepText = renderBound(step(SHAPE, BATCH_STEP_INPUTS));

  it('take every hyperparameter from the model: nothing of GPT-2 124M is written in', () => {
    const unrolled = renderBound(step(SHAPE, BATCH_STEP_INPUTS, 'unrolled')).text;
    expect(unrolled).toContain('block_2 AS MATERIALIZED (');
    expect(unrolled).not.toContain('block_3');
    for (const { text } of [stepText, renderBound(next(SHAPE)), { text: unrolled }]) {
      expect(text).not.toMatch(/\{\{/);
      expect(text).not.toMatch(/(?<!\$)\b(768|2304|3072|1024|50257|64|12)\b/); // ($12 is a bind parameter's number)
      if (text !== unrolled) expect(text).toContain('forward.block + 1 < 3');
      expect(text).toContain('generate_series(0, 5 - 1)');
      expect(text).toContain('sqrt(8)');
    }
  });

  it('bind user values as parameters, numbered in the order they first appear', () => {
    expect(stepText.parameters).toEqual([
      'ids', 'places', 'seqs', 'sessions', 'temperature_each', 'top_k_each', 'top_p_each', 'min_p_each', 'presence_penalty_each',
      'frequency_penalty_each', 'seed_each', 'draw_each', 'logprobs_each', 'generated_seqs', 'generated',
    ]);
    expect(stepText.text).toContain('unnest($1::int[], $2::int[], $3::int[])');
    const recompute = renderBound(step(SHAPE, RECOMPUTE_INPUTS));
    expect(recompute.parameters).toEqual([
      'start', 'ids', 'temperature_each', 'top_k_each', 'top_p_each', 'min_p_each', 'presence_penalty_each',
      'frequency_penalty_each', 'seed_each', 'draw_each', 'logprobs_each', 'generated_seqs', 'generated',
    ]);
    expect(recompute.text).toContain('unnest($2::int[])');
  });

  it('read the keys/values cache only with a session, and write it in a statement of its own', () => {
    expect(stepText.text).toContain('JOIN kv_cache ON kv_cache.session = sequences.session');
    expect(stepText.text).not.toMatch(/\b(INSERT|UPDATE|DELETE)\b/); // a statement that writes gets no parallel workers
    expect(renderBound(kvSave(SHAPE, 'step_result')).text).toMatch(/^INSERT INTO kv_cache \(session, block, place, head, k, v\)$/m);
    const recompute = renderBound(step(SHAPE, RECOMPUTE_INPUTS));
    expect(recompute.text).not.toContain('kv_cache');
    expect(recompute.parameters).not.toContain('sessions');
  });

  it('keep each template\'s explanatory header once, however often the template is used', () => {
    const count = (text: string, line: string) => text.split('\n').filter((l) => l.trim() === line).length;
    expect(count(stepText.text, '-- linear: x @ w + b for every position. w is stored one output column per row (w.col), so each')).toBe(1);
    expect(count(stepText.text, '-- layer_norm (stages ln_1, ln_2, ln_f): each position\'s vector minus its mean, divided by its')).toBe(1);
    expect(stepText.text).not.toMatch(/-- In psql/);
  });

  it('are rendered as reviewed (snapshots: a change to the SQL shows up in the diff)', async () => {
    await expect(`${stepText.text}\n`).toMatchFileSnapshot('__snapshots__/step.array.sql');
    await expect(`${renderBound(kvSave(SHAPE, 'step_result')).text}\n`).toMatchFileSnapshot('__snapshots__/kv_save.sql');
    const vector = renderBound(hiddenStatement({ ...SHAPE, kernel: 'vector' }));
    await expect(`${vector.text}\n`).toMatchFileSnapshot('__snapshots__/hidden.vector.sql');
    // 256 wide: mlp c_proj's rows of 1024 values are stored in two parts (linear_parts.sql).
    const cube = renderBound(hiddenStatement({ ...SHAPE, n_embd: 256, n_head: 4, kernel: 'cube' }));
    await expect(`${cube.text}\n`).toMatchFileSnapshot('__snapshots__/hidden.cube.sql');
    await expect(`${renderBound(sampleGivenStatement()).text}\n`).toMatchFileSnapshot('__snapshots__/sample_given.sql');
    await expect(`${renderBound(score(SHAPE)).text}\n`).toMatchFileSnapshot('__snapshots__/score.array.sql');
    // A sharded model (load --shards): linear_sharded.sql and logits_sharded.sql, each kernel's arithmetic for shards.
    const shardedCube = renderBound(step({ ...SHAPE, n_embd: 256, n_head: 4, kernel: 'cube', shards: 2 }, BATCH_STEP_INPUTS));
    await expect(`${shardedCube.text}\n`).toMatchFileSnapshot('__snapshots__/step.cube-sharded.sql');
    const shardedArray = renderBound(next({ ...SHAPE, n_embd: 8, n_head: 2, shards: 2 }));
    await expect(`${shardedArray.text}\n`).toMatchFileSnapshot('__snapshots__/next.array-sharded.sql');
  });
});
