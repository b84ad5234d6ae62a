// `gpt2sql load` of a bad source fails with one line that says what is wrong and what to do, and
// the model loaded before under the same name stays as it was.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.ts';
import { runCli, runCliAsReader } from '../helpers/cli-process.ts';
import { closedPort } from './closed-port.ts';
import { brokenCheckpoint, DEFECTS, type Defect } from './broken-checkpoints.ts';
import { expectLoaded, expectOneLineError, modelState, type ModelState } from './model-state.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';

// The small vocabulary: the subject is the errors, and a load of it takes a fraction of the whole one's time.
const SIZE = { n_layer: 1, n_head: 1, n_embd: 4, n_ctx: 8, vocab_size: SMALL_VOCAB };

/** The one line each defect must produce (after `gpt2sql: `); `DIR` stands for the broken directory. */
const EXPECTED: Record<Defect, string> = {
  'config-missing': 'no config.json in DIR: a GPT-2 checkpoint directory needs config.json next to model.safetensors; pass the directory',
  'config-unparsable': 'DIR/config.json is not valid JSON; download it again',
  'config-not-gpt2': 'DIR/config.json has model_type "llama"; gpt2sql runs GPT-2 models only (model_type "gpt2"): load one such as gpt2',
  'weights-truncated': 'DIR/model.safetensors is truncated: it should hold at least',
  'weights-corrupted-header': 'DIR/model.safetensors is not a valid safetensors file: its header is not JSON; download or convert it again',
  'weights-tensor-missing': 'the weights in DIR do not match its config.json: h.0.mlp.c_proj.bias is missing; use the config.json that came',
  'weights-shape-disagrees': 'the weights in DIR do not match its config.json: wpe.weight has shape [8,4], config.json implies [16,4]; use',
  'weights-dtype-i8': 'the weights in DIR cannot be read: wte.weight has dtype I8 (only F32, F16 and BF16 are read); convert the checkpoint',
  'weights-dtype-f64': 'the weights in DIR cannot be read: ln_f.bias has dtype F64 (only F32, F16 and BF16 are read); convert the checkpoint',
  'weights-unreadable': 'cannot read DIR/model.safetensors: permission denied; make it readable',
  'tokenizer-missing': 'no tokenizer files in DIR: expected vocab.json + merges.txt (Hugging Face) or encoder.json + vocab.bpe (OpenAI); copy them',
  'tokenizer-merges-missing': "DIR has vocab.json but no merges.txt, and GPT-2's tokenizer needs both; download merges.txt again",
  'tokenizer-vocab-malformed': 'DIR/vocab.json is not valid JSON; download it again',
  'tokenizer-merges-malformed': 'DIR/merges.txt line 3: "Ġt he re" is not two tokens separated by one space; download it again',
  'directory-unreadable': 'cannot read DIR: permission denied; make it readable',
};

/** Defects that only permissions make: the CLI runs so that permissions apply to it, even for root. */
const PERMISSION_DEFECTS = new Set<Defect>(['weights-unreadable', 'directory-unreadable']);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(testDatabases())('load from a bad source on $driver', (target) => {
  const name = uniqueModelName('keep');
  let parent: string;
  let dirs: Record<Defect, string>;
  let hub: FakeHub;
  let hubCache: string;
  let before: ModelState;

  beforeAll(async () => {
    const [kept, good] = await Promise.all([tinyCheckpoint({ ...SIZE, seed: 71 }), tinyCheckpoint({ ...SIZE, seed: 72 })]);
    parent = await mkdtemp(join(tmpdir(), 'gpt2sql-errors-'));
    const defects = Object.keys(DEFECTS) as Defect[];
    dirs = Object.fromEntries(await Promise.all(defects.map(async (d) => [d, await brokenCheckpoint(good, parent, d)]))) as Record<Defect, string>;
    hub = await startFakeHub({ repos: { 'test-org/good': good } });
    hubCache = join(parent, 'hf-cache');
    const load = await runCli(['load', kept, '--as', name, '--db', target.db]);
    expect(load.code, load.stderr).toBe(0);
    before = await modelState(target.db, name);
    expectLoaded(before);
  });

  afterAll(async () => {
    await hub?.close();
    await chmod(join(parent, 'directory-unreadable'), 0o755).catch(() => {});
    await rm(parent, { recursive: true, force: true });
    if (target.driver === 'pglite') await rm(target.db, { recursive: true, force: true });
    else await runCli(['drop', name, '--db', target.db]);
  });

  for (const defect of Object.keys(EXPECTED) as Defect[]) {
    it.concurrent(`refuses ${defect}`, async ({ expect }) => {
      const dir = dirs[defect];
      const args = ['load', dir, '--as', name, '--db', target.db];
      const result = PERMISSION_DEFECTS.has(defect) ? await runCliAsReader(args) : await runCli(args);
      const line = expectOneLineError(result, new RegExp(`^gpt2sql: ${escape(EXPECTED[defect]).replace(/DIR/g, escape(dir))}`));
      expect(line).not.toContain('--verbose');
    });
  }

  it.concurrent('refuses a missing directory', async () => {
    const missing = join(parent, 'no-such-checkpoint');
    expectOneLineError(
      await runCli(['load', missing, '--as', name, '--db', target.db]),
      new RegExp(`^gpt2sql: ${escape(missing)} is neither a directory nor a hub model id \\(like gpt2 or openai-community/gpt2-medium\\); check the path$`),
    );
  });

  it.concurrent('refuses a hub id the hub does not have', async () => {
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: hubCache };
    expectOneLineError(
      await runCli(['load', 'test-org/no-such-model', '--as', name, '--db', target.db], { env }),
      new RegExp(`^gpt2sql: test-org/no-such-model is not a local directory, and the hub at ${escape(hub.url)} has no model test-org/no-such-model; check the name`),
    );
  });

  it.concurrent('says so when the hub cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const env = { HF_ENDPOINT: url, HF_HUB_CACHE: hubCache };
    expectOneLineError(
      await runCli(['load', 'test-org/good', '--as', name, '--db', target.db], { env }),
      new RegExp(`^gpt2sql: cannot reach the Hugging Face hub at ${escape(url)} \\(ECONNREFUSED\\); check your connection or HF_ENDPOINT`),
    );
  });

  it.concurrent('prints the stack trace after the line only with --verbose', async () => {
    const result = await runCli(['load', dirs['config-not-gpt2'], '--as', name, '--db', target.db, '--verbose']);
    expect(result.code).toBe(1);
    const [first, ...rest] = result.stderr.trim().split('\n');
    expect(first).toMatch(/^gpt2sql: .*has model_type "llama"/);
    expect(rest.join('\n')).toMatch(/^\s+at .*config\.ts/m);
  });

  // Every case above ran, and failed, against the model `name`. Any of them touching it would
  // show here: a reload changes loaded_at, a half load leaves tables or a staging schema.
  it('left the model loaded before exactly as it was', async () => {
    expect(await modelState(target.db, name)).toEqual(before);
    const models = JSON.parse((await runCli(['models', '--json', '--db', target.db])).stdout) as Array<Record<string, unknown>>;
    expect(models.find((m) => m.name === name)).toMatchObject({ source: before.row!.source, n_embd: SIZE.n_embd });
  });
});
