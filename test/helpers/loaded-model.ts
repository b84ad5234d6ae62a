/** A generated checkpoint loaded into a test database, with the reference's weights of the same files. */
import type { MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import type { Checkpoint } from '../../src/checkpoint/types.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { loadModel } from '../../src/load/load-model.ts';
import { loadReferenceWeights, type Gpt2Weights } from '../../src/reference/weights.ts';
import { tinyCheckpoint } from './checkpoints.ts';
import { uniqueModelName } from './databases.ts';

export interface LoadedModel {
  model: ModelRow;
  weights: Gpt2Weights;
  /** <|endoftext|>'s id in the checkpoint's own vocab.json: where the reference stops generating. */
  eotId: number;
}

/**
 * Loads a generated checkpoint (cached across tests) under a unique name with the prefix given.
 *
 * @example
 * const { model, weights } = await loadGeneratedModel(db, 'script', { n_layer: 2, n_ctx: 32 }, 'array');
 */
export async function loadGeneratedModel(db: Database, prefix: string, options: MakeCheckpointOptions, kernel = 'auto'): Promise<LoadedModel> {
  const dir = await tinyCheckpoint(options);
  const checkpoint = await openCheckpoint(dir);
  try {
    const model = await loadModel(db, checkpoint, { name: uniqueModelName(prefix), source: dir, kernel });
    return { model, weights: await loadReferenceWeights(checkpoint), eotId: checkpointEotId(checkpoint) };
  } finally {
    await checkpoint.close();
  }
}

/** <|endoftext|>'s id in a checkpoint's own vocabulary, independent of what the loader stored. */
export function checkpointEotId(checkpoint: Checkpoint): number {
  return checkpoint.tokenizer.encoder.get('<|endoftext|>')!;
}

/** Removes a model loaded by a test (the server is shared between test runs). */
export { dropModel } from '../../src/load/drop-model.ts';
