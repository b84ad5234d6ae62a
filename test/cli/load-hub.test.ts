import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { runCli } from '../helpers/cli-process.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';

/**
 * The small vocabulary: the subject is the download and the cache; the loads of a checkpoint with
 * GPT-2's whole tokenizer (vocabulary and merges) are test/load's.
 */
describe.each(testDatabases())('gpt2sql load HUB_ID on $driver', (target) => {
  let hub: FakeHub;
  let env: NodeJS.ProcessEnv;
  const name = uniqueModelName('hub');
  beforeAll(async () => {
    hub = await startFakeHub({ repos: { 'test-org/tiny-gpt2': await tinyCheckpoint({ n_layer: 1, n_head: 1, n_embd: 4, n_ctx: 8, vocab_size: SMALL_VOCAB, seed: 21 }) } });
    env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(mkdtempSync(join(tmpdir(), 'gpt2sql-hf-home-')), 'hub') };
  });
  afterAll(async () => {
    await runCli(['drop', name, '--db', target.db]);
    await hub.close();
  });

  it('downloads into the Hugging Face cache, loads, and reuses the cache the second time', async () => {
    const first = await runCli(['load', 'test-org/tiny-gpt2', '--as', name, '--db', target.db], { env });
    expect(first.stderr).toContain(`loaded ${name}`);
    expect(first.code).toBe(0);
    const weightGets = () => hub.requests.filter((r) => r.method === 'GET' && r.url.endsWith('/model.safetensors'));
    const downloads = weightGets().length;
    expect(downloads).toBeGreaterThan(0);
    const second = await runCli(['load', 'test-org/tiny-gpt2', '--as', name, '--db', target.db], { env });
    expect(second.code).toBe(0);
    expect(weightGets()).toHaveLength(downloads);
    const models = JSON.parse((await runCli(['models', '--json', '--db', target.db])).stdout) as Array<{ name: string; source: string }>;
    expect(models.find((m) => m.name === name)?.source).toBe('test-org/tiny-gpt2');
  });

  it('says so when the hub has no such model', async () => {
    const missing = await runCli(['load', 'test-org/no-such-model', '--db', target.db], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-model/);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});
