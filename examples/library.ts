// gpt2sql as a library, imported by its package name as a user imports it. `npm run typecheck`
// checks this file against the package's types (tsconfig.json maps 'gpt2sql' to src/index.ts);
// from a checkout, run it with: npx tsx examples/library.ts [DB] [CHECKPOINT_DIR]
import { open, GptSqlError, type Candidate, type Completed, type Scoring } from 'gpt2sql';

const db = process.argv[2] ?? './gpt2sql-data'; // a PGlite directory, or postgres://user@host/db
const source = process.argv[3] ?? 'gpt2'; // a hub id (downloaded once) or a checkpoint directory

const gpt2 = await open({ db });
try {
  const model = await gpt2.load(source, { as: 'gpt2', onProgress: (done, total) => done === total && console.log(`copied ${total} weights`) });
  console.log(`\nloaded ${model.name}: ${model.n_layer} layers, kernel ${model.kernel}`);

  const ids: number[] = await gpt2.tokenize('Hello, world');
  console.log(ids, JSON.stringify(await gpt2.detokenize(ids)));

  const whole: Completed = await gpt2.complete('Happy New Year! I wish you', { maxTokens: 8 });
  console.log(whole.text, whole.stop);

  for await (const token of gpt2.stream('Once upon a time', { maxTokens: 8, temperature: 0.8, seed: 42, logprobs: 2 })) {
    console.log(token.id, JSON.stringify(token.text), token.logprob?.toFixed(3), token.top?.map((t) => t.id));
  }

  const candidates: Candidate[] = await gpt2.next('Happy New Year! I wish you', { top: 3 });
  for (const { token, probability } of candidates) console.log(JSON.stringify(token), probability.toFixed(3));

  const scoring: Scoring = await gpt2.score('The quick brown fox jumps over the lazy dog', { top: 1 });
  console.log('perplexity', scoring.perplexity);

  const { schema } = await gpt2.trace('The cat sat', { as: 'cat', logits: 'last' });
  console.log(await gpt2.db.query(`SELECT count(*)::int AS n FROM ${schema}.att`));

  console.log(await gpt2.psql('complete', 'Hello', { maxTokens: 5 })); // pipe into psql -X

  const server = await gpt2.serve({ port: 0 });
  const response = await fetch(`${server.url}/v1/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'gpt2', prompt: 'Hello', max_tokens: 4 }),
  });
  console.log(await response.json());
  await server.close();
} catch (error) {
  if (!(error instanceof GptSqlError)) throw error;
  console.error(`gpt2sql: ${error.message}`);
  process.exitCode = 1;
} finally {
  await gpt2.close();
}
