import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveSource, type DownloadProgress } from '../../src/checkpoint/hub-download.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.ts';
import { safetensorsBytes, tinyTensors, writeCheckpointDir } from './fixtures.ts';

const FILES = ['config.json', 'vocab.json', 'merges.txt', 'model.safetensors'];
let hub: FakeHub;
let gpt2: string;
let sharded: string;
let hfHome: string;
const saved = { HF_HOME: process.env.HF_HOME, HF_ENDPOINT: process.env.HF_ENDPOINT, HF_HUB_CACHE: process.env.HF_HUB_CACHE };

beforeAll(async () => {
  gpt2 = await tinyCheckpoint({ seed: 11 });
  sharded = await shardedCheckpoint();
  hub = await startFakeHub({ repos: { gpt2, 'org/tiny-sharded': sharded } });
});
afterAll(() => hub.close());

beforeEach(async () => {
  hfHome = await mkdtemp(join(tmpdir(), 'gpt2sql-hf-home-'));
  Object.assign(process.env, { HF_HOME: hfHome, HF_ENDPOINT: hub.url });
  delete process.env.HF_HUB_CACHE;
  hub.requests.length = 0;
});
afterEach(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(hfHome, { recursive: true, force: true });
});

/** A checkpoint split over two safetensors shards with an index, as larger models come. */
async function shardedCheckpoint(): Promise<string> {
  const tensors = Object.entries(tinyTensors());
  const shard = (part: number) => `model-0000${part}-of-00002.safetensors`;
  const weightMap = Object.fromEntries(tensors.map(([name], i) => [name, shard(i < 10 ? 1 : 2)]));
  return writeCheckpointDir(await mkdtemp(join(tmpdir(), 'gpt2sql-sharded-')), {
    [shard(1)]: safetensorsBytes(Object.fromEntries(tensors.slice(0, 10))),
    [shard(2)]: safetensorsBytes(Object.fromEntries(tensors.slice(10))),
    'model.safetensors.index.json': Buffer.from(JSON.stringify({ metadata: {}, weight_map: weightMap })),
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const bigFileGets = () => hub.requests.filter((request) => request.url.includes('/resolve/') && request.url.endsWith('model.safetensors'));

describe('resolveSource', () => {
  it('returns a local directory as it is, without the network', async () => {
    expect(await resolveSource(gpt2)).toBe(resolve(gpt2));
    expect(hub.requests).toEqual([]);
    await expect(resolveSource(join(gpt2, 'config.json'))).rejects.toThrow(/is a file; pass the directory/);
    await expect(resolveSource('./no/such/dir')).rejects.toThrow(/neither a directory nor a hub model id/);
  });

  it('downloads a hub model from HF_ENDPOINT into the Hugging Face cache under HF_HOME, reporting progress', async () => {
    const progress: DownloadProgress[] = [];
    const dir = await resolveSource('gpt2', { onProgress: (report) => progress.push(report) });
    const storage = join(hfHome, 'hub', 'models--gpt2');
    expect(dirname(dir)).toBe(join(storage, 'snapshots'));
    expect(await readFile(join(storage, 'refs', 'main'), 'utf8')).toBe(basename(dir));
    for (const file of FILES) expect((await readFile(join(dir, file))).equals(await readFile(join(gpt2, file))), file).toBe(true);
    const weights = await readFile(join(gpt2, 'model.safetensors'));
    expect(await readlink(join(dir, 'model.safetensors'))).toBe(join('..', '..', 'blobs', sha256(weights)));

    const sizes = await Promise.all(FILES.map(async (file) => (await readFile(join(gpt2, file))).length));
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(progress.every((report) => report.bytesTotal === total)).toBe(true);
    expect(progress.at(-1)!.bytesDone).toBe(total);
    expect(new Set(progress.map((report) => report.file))).toEqual(new Set(FILES));

    const checkpoint = await openCheckpoint(dir);
    expect(checkpoint.config.n_embd).toBe(32);
    await checkpoint.close();
  });

  it('reuses the cache: a complete snapshot needs no request, a lost link no download', async () => {
    const dir = await resolveSource('gpt2');
    hub.requests.length = 0;
    expect(await resolveSource('gpt2')).toBe(dir);
    expect(hub.requests).toEqual([]);

    await rm(join(dir, 'model.safetensors'));
    expect(await resolveSource('gpt2')).toBe(dir);
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(bigFileGets()).toEqual([]);
    expect((await readFile(join(dir, 'model.safetensors'))).equals(await readFile(join(gpt2, 'model.safetensors')))).toBe(true);
  });

  it('downloads a namespaced, sharded model into models--org--name', async () => {
    const cacheDir = join(hfHome, 'elsewhere');
    const dir = await resolveSource('org/tiny-sharded', { cacheDir, hubUrl: hub.url });
    expect(dir.startsWith(join(cacheDir, 'models--org--tiny-sharded', 'snapshots'))).toBe(true);
    const checkpoint = await openCheckpoint(dir);
    const expected = tinyTensors()['h.1.mlp.c_proj.weight'].data;
    const values = await checkpoint.read('h.1.mlp.c_proj.weight');
    expect(Buffer.from(values.buffer, values.byteOffset, values.byteLength).equals(expected)).toBe(true);
    await checkpoint.close();
  });

  it('explains an unknown model and an unreachable hub', async () => {
    await expect(resolveSource('openai-community/no-such-model')).rejects.toThrow(
      /no-such-model is not a local directory, and the hub at http:\/\/127.0.0.1:\d+ has no model openai-community\/no-such-model; check the name/,
    );
    const closed = await startFakeHub({ repos: {} });
    await closed.close();
    await expect(resolveSource('gpt2', { hubUrl: closed.url })).rejects.toThrow(
      /^cannot reach the Hugging Face hub at http:\/\/127.0.0.1:\d+ \(ECONNREFUSED\); check your connection or HF_ENDPOINT/,
    );
  });

  it('refuses a repo without the files gpt2sql reads', async () => {
    const noTokenizer = await writeCheckpointDir(await mkdtemp(join(tmpdir(), 'gpt2sql-bare-')), {});
    await rm(join(noTokenizer, 'merges.txt'));
    const bare = await startFakeHub({ repos: { bare: noTokenizer } });
    try {
      await expect(resolveSource('bare', { hubUrl: bare.url })).rejects.toThrow(/bare on the hub has no merges.txt/);
    } finally {
      await bare.close();
    }
  });
});
