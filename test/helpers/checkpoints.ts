import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCheckpoint, type MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import { sharedTempDir } from './shared-temp-dir.ts';

const CACHE = sharedTempDir('gpt2sql-test-checkpoints');

/** The generator's own source is part of the key, so editing it invalidates every cached checkpoint. */
const GENERATOR_HASH = createHash('sha256')
  .update(readFileSync(fileURLToPath(new URL('../../src/checkpoint/make-checkpoint.ts', import.meta.url))))
  .update(readFileSync(fileURLToPath(new URL('../../src/checkpoint/safetensors-writer.ts', import.meta.url))))
  .digest('hex');

const made = new Map<string, Promise<string>>();

/**
 * A random checkpoint (tiny preset unless told otherwise), generated once and shared by every test
 * and test process that asks for the same options. Treat the directory as read-only.
 *
 * @example
 * const dir = await tinyCheckpoint({ dtype: 'F16', prefix: true });
 */
export function tinyCheckpoint(options: MakeCheckpointOptions = {}): Promise<string> {
  const key = createHash('sha256')
    .update(GENERATOR_HASH)
    .update(JSON.stringify(Object.entries(options).filter(([, value]) => value !== undefined).sort()))
    .digest('hex')
    .slice(0, 16);
  if (!made.has(key)) made.set(key, makeOnce(join(CACHE, key), options));
  return made.get(key)!;
}

/** Writes into a private directory and renames it into place, so parallel test processes never see half a checkpoint. */
async function makeOnce(dir: string, options: MakeCheckpointOptions): Promise<string> {
  const exists = () => stat(dir).then(() => true, () => false);
  if (await exists()) return dir;
  const building = `${dir}.${randomUUID()}`;
  await mkdir(CACHE, { recursive: true });
  await makeCheckpoint(building, options);
  try {
    await rename(building, dir);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if (!(await exists())) throw error; // otherwise another process won the race
  }
  return dir;
}
