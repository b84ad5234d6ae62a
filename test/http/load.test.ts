import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../../src/engine/tokenizer.ts';
import { testDatabases } from '../helpers/databases.ts';
import { someIds } from '../engine/forward-models.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';
import { generationRows, referenceCompletion, startTestApi, type Sampled, type TestApi } from './api-fixture.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const REQUESTS = 32;
const ROUNDS = 3;
/** How much the server's heap (after gc) may grow from the first round to the last: far less than one round's garbage. */
const HEAP_GROWTH = 16 * 1024 ** 2;
/** How much the process may grow in all (PGlite's WebAssembly memory is in it): no round's worth of leaks. */
const RSS_GROWTH = 64 * 1024 ** 2;
/** The seconds a round of 32 requests of 1 to 3 tokens may take on the 2-core test machines. */
const ROUND_SECONDS = 300;

interface Case {
  prompt: number[];
  sampled: Sampled;
  logprobs?: number;
  echo: boolean;
}

/** Request i: prompts of 3 to 9 tokens, 1 to 3 new ones, greedy or sampled four ways, some with logprobs or echo. */
function loadCase(i: number): Case {
  const sampling: Array<Omit<Sampled, 'maxTokens'>> = [
    { temperature: 0 }, { temperature: 0.8, topK: 40, seed: i }, { topP: 0.9, seed: i }, { temperature: 1.3, topK: 5, topP: 0.8, seed: 100 + i },
  ];
  return {
    prompt: someIds(3 + (i % 7)).map((id) => (id + i * 101) % (SMALL_VOCAB - 1)),
    sampled: { maxTokens: 1 + (i % 3), ...sampling[i % 4] },
    logprobs: i % 5 === 0 ? 2 : undefined,
    echo: i % 6 === 0,
  };
}

async function streamed(t: TestApi, c: Case): Promise<string> {
  const stream = await t.client.completions.create({
    model: t.model.name, prompt: c.prompt, stream: true, max_tokens: c.sampled.maxTokens, temperature: c.sampled.temperature,
    top_p: c.sampled.topP, seed: c.sampled.seed, logprobs: c.logprobs, echo: c.echo, ...(c.sampled.topK === undefined ? {} : { top_k: c.sampled.topK } as object),
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  return text;
}

describe.each(testDatabases())('32 concurrent streams on $driver', (target) => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi(target, { maxBatch: 8, maxQueue: REQUESTS });
  });
  afterAll(async () => {
    await t.close();
  });

  it('each gives its solo answer (the reference\'s), no session rows stay, and the server\'s heap stays flat over three rounds', async () => {
    const cases = Array.from({ length: REQUESTS }, (_, i) => loadCase(i));
    const expected = await Promise.all(cases.map(async (c) =>
      (c.echo ? await decode(t.db, t.model, c.prompt) : '') + (await referenceCompletion(t, c.prompt, c.sampled)).text));
    const heaps: number[] = [];
    const rss: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      expect(await Promise.all(cases.map((c) => streamed(t, c)))).toEqual(expected);
      expect((performance.now() - started) / 1000).toBeLessThan(ROUND_SECONDS);
      expect(await generationRows(t.db, t.model)).toBe(0);
      gc();
      heaps.push(process.memoryUsage().heapUsed);
      rss.push(process.memoryUsage().rss);
    }
    const mb = (bytes: number[]) => bytes.map((n) => (n / 1024 ** 2).toFixed(1)).join(', ');
    console.log(`after each round: heap ${mb(heaps)} MB, rss ${mb(rss)} MB`);
    expect(heaps.at(-1)! - heaps[0]).toBeLessThan(HEAP_GROWTH);
    expect(rss.at(-1)! - rss[0]).toBeLessThan(RSS_GROWTH);
  }, ROUNDS * ROUND_SECONDS * 1000);
});
