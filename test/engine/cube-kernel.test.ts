import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { generate } from '../../src/engine/generate.ts';
import { hiddenStates } from '../helpers/hidden-states.ts';
import { newKvCache, transformer } from '../../src/reference/gpt2.ts';
import { generate as referenceGenerate } from '../../src/reference/generate.ts';
import { testDatabases } from '../helpers/databases.ts';
import { expectClose } from '../helpers/numeric.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';
import { dropModel, loadTestModel, someIds, type LoadedModel } from './forward-models.ts';

/**
 * The cube kernel computes a·w as (|a|² + |w|² − Σ|a_c − w_c|²) / 2 in float8: the subtraction
 * loses about |a|²·1e-16 ≈ 1e-14 for these sizes, far below the 1e-9 tolerance, which still
 * catches any mistake in the chunking (that moves values by 1e-2 or more).
 */
const TOLERANCE = 1e-9;

// 128 wide (4*C = 512): stored rows of 128 and 512 values span 2 and 6 cubes, the last one partial.
// The small vocabulary: the subject is the chunking of rows into cubes, which wte's rows of 128
// have whatever their number; each generated token computed 50,257 logits through cubes.
const CONFIG = { n_layer: 2, n_head: 2, n_embd: 128, n_ctx: 64, vocab_size: SMALL_VOCAB, seed: 17 };

describe.each(testDatabases())('cube kernel on $driver', (target) => {
  let db: Database;
  let m: LoadedModel;
  beforeAll(async () => {
    db = await target.open();
    m = await loadTestModel(db, CONFIG, 'cube');
  });
  afterAll(async () => {
    await dropModel(db, m.model);
    await db.close();
  });

  it('is recorded in the catalog', () => {
    expect(m.model.kernel).toBe('cube');
  });

  it('gives the reference hidden states of every position', async () => {
    const ids = someIds(12);
    expectClose(await hiddenStates(db, m.model, ids), transformer(m.weights, ids, newKvCache(m.weights)), TOLERANCE, 'lnf (cube kernel)');
  });

  it('continues a prompt with the reference tokens', async () => {
    const ids = someIds(5);
    const { tokens } = await generate(db, m.model, ids, { maxTokens: 6, temperature: 0 });
    expect(tokens).toEqual(referenceGenerate(m.weights, ids, { maxTokens: 6, temperature: 0, eotId: m.eotId }));
  });
});
