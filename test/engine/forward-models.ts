/** Generated checkpoints loaded into a test database, with the reference's weights of the same files. */
import type { MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { loadModel } from '../../src/load/load-model.ts';
import { loadReferenceWeights, type Gpt2Weights } from '../../src/reference/weights.ts';
import { quoteIdent } from '../../src/sql/render.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { uniqueModelName } from '../helpers/databases.ts';

export interface TestModel {
  model: ModelRow;
  /** The reference's float64 weights, read from the same checkpoint files. */
  weights: Gpt2Weights;
  dir: string;
}

/** The configs issue 4 names; n_ctx 128 leaves room for a 64-token prompt and 20 new tokens. */
export const CONFIGS = {
  '1 block, 1 head, 16 wide': { n_layer: 1, n_head: 1, n_embd: 16, seed: 11 },
  '2 blocks, 2 heads, 32 wide': { preset: 'tiny', seed: 1 },
  '3 blocks, 4 heads, 64 wide': { n_layer: 3, n_head: 4, n_embd: 64, seed: 3 },
  'F16 weights': { preset: 'tiny', dtype: 'F16', seed: 4 },
  'keys with the transformer. prefix': { preset: 'tiny', prefix: true, seed: 5 },
} satisfies Record<string, MakeCheckpointOptions>;

/**
 * Loads a generated checkpoint (cached across tests) under a name of its own.
 *
 * @example
 * const { model, weights } = await loadTestModel(db, CONFIGS['2 blocks, 2 heads, 32 wide'], 'array');
 */
export async function loadTestModel(db: Database, options: MakeCheckpointOptions, kernel = 'auto'): Promise<TestModel> {
  const dir = await tinyCheckpoint(options);
  const checkpoint = await openCheckpoint(dir);
  try {
    const model = await loadModel(db, checkpoint, { name: uniqueModelName('forward'), source: dir, kernel });
    return { model, weights: await loadReferenceWeights(checkpoint), dir };
  } finally {
    await checkpoint.close();
  }
}

/** Removes a test model (the server is shared between test runs). */
export async function dropTestModel(db: Database, model: ModelRow): Promise<void> {
  await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(model.schema_name)} CASCADE`);
  await db.query('DELETE FROM gpt2sql.models WHERE name = $1', [model.name]);
}

/** `length` token ids spread over the vocabulary, the same every run. */
export function someIds(length: number, vocabSize = 50257): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + 13) % vocabSize);
}
