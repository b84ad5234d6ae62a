import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelShape } from '../../src/sql/forward.ts';
import { hiddenSql, nextSql, sampleGivenSql, stepSql, withParameters } from '../../src/sql/statements.ts';

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
/** The templates of the forward pass and sampling (tokenize/detokenize and scripts have their own tests). */
const TEMPLATES = ['embed', 'layer_norm', 'linear', 'attention', 'atty', 'atty_sum', 'kv_read', 'kv_save', 'block', 'forward', 'transformer',
  'logits', 'probs', 'sample', 'step', 'next', 'hidden', 'sample_given'];

/** Odd sizes, so any number the SQL takes from anywhere but the catalog shows up. */
const SHAPE: ModelShape = { n_layer: 3, n_head: 5, n_embd: 40, layer_norm_epsilon: 1e-5, kernel: 'array' };
const STEP_INPUTS = ['ids', 'start', 'session', 'temperature', 'top_k', 'top_p', 'seed', 'step'] as const;

describe('sql/ templates', () => {
  it.each(TEMPLATES)('%s.sql opens with what it computes and a shape line, and stays under 100 lines', (name) => {
    const text = readFileSync(`${SQL_DIR}${name}.sql`, 'utf8');
    expect(text.startsWith(`-- ${name}`) || text.startsWith(`-- ${name.replace(/_/g, ' ')}`)).toBe(true);
    expect(text).toMatch(/^-- \[[^\n]*\] ->/m);
    expect(text.split('\n').length).toBeLessThan(100);
  });
});

describe('statements', () => {
  const step = withParameters(STEP_INPUTS, (inputs) => stepSql(SHAPE, inputs));

  it('take every hyperparameter from the model: nothing of GPT-2 124M is written in', () => {
    for (const text of [step.text, nextSql(SHAPE, { ids: '$1::int[]', start: '0', temperature: '1', top: '5' })]) {
      expect(text).not.toMatch(/\{\{/);
      expect(text).not.toMatch(/\b(768|2304|3072|1024|50257|64|12)\b/);
      expect(text).toContain('forward.block + 1 < 3');
      expect(text).toContain('generate_series(0, 5 - 1)');
      expect(text).toContain('sqrt(8)');
    }
  });

  it('bind user values as parameters, in a fixed order', () => {
    expect(step.parameters).toEqual([...STEP_INPUTS]);
    expect(step.text).toContain('unnest($1::int[])');
    expect(step.text).toContain('md5($7::bigint::text');
  });

  it('read and write the keys/values cache only with a session', () => {
    expect(step.text).toContain('FROM kv_cache');
    expect(step.text).toContain('INSERT INTO kv_cache');
    const recompute = stepSql(SHAPE, { ids: '$1::int[]', start: '0', temperature: '0', top_k: '0', top_p: '1', seed: '0', step: '0' });
    expect(recompute).not.toContain('kv_cache');
  });

  it('are rendered as reviewed (snapshots: a change to the SQL shows up in the diff)', async () => {
    await expect(`${step.text}\n`).toMatchFileSnapshot('__snapshots__/step.array.sql');
    const vector = withParameters(['ids', 'start'] as const, (inputs) => hiddenSql({ ...SHAPE, kernel: 'vector' }, inputs));
    await expect(`${vector.text}\n`).toMatchFileSnapshot('__snapshots__/hidden.vector.sql');
    // 256 wide: mlp c_proj's rows of 1024 values are stored in two parts (linear_parts.sql).
    const cube = withParameters(['ids', 'start'] as const, (inputs) => hiddenSql({ ...SHAPE, n_embd: 256, n_head: 4, kernel: 'cube' }, inputs));
    await expect(`${cube.text}\n`).toMatchFileSnapshot('__snapshots__/hidden.cube.sql');
    const sample = withParameters(['logits', 'temperature', 'top_k', 'top_p', 'seed', 'step'] as const, (inputs) => sampleGivenSql(inputs));
    await expect(`${sample.text}\n`).toMatchFileSnapshot('__snapshots__/sample_given.sql');
  });
});
