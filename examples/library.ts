// gpt2sql as a library, imported by its package name as a user imports it. `npm run typecheck`
// checks this file against the package's types (tsconfig.json maps 'gpt2sql' to src/index.ts);
// from a checkout, run it with: npx tsx examples/library.ts [DB] [CHECKPOINT_DIR]
import { download, open, serve, GptSqlError, ModelNotLoadedError, type Candidate, type Completed, type ModelEntry, type Scoring } from 'gpt2sql';

const db = process.argv[2] ?? './gpt2sql-data'; // a PGlite directory, or postgres://user@host/db
const source = process.argv[3] ?? 'gpt2'; // a hub id (downloaded once) or a checkpoint directory

// Downloading needs no database; then open, and load from the directory.
const stop = new AbortController(); // stop.abort() stops a download, rolls a load back, ends a generation
const directory = await download(source, { onProgress: ({ bytesDone, bytesTotal }) => console.log(`${bytesDone}/${bytesTotal} bytes`), signal: stop.signal });
const gpt2 = await open({ db });
try {
  const model = await gpt2.load(source, { as: 'gpt2', directory, signal: stop.signal, onProgress: (done, total) => done === total && console.log(`copied ${total} weights`) });
  console.log(`\nloaded ${model.name}: ${model.n_layer} layers, kernel ${model.kernel}`);
  const models: ModelEntry[] = await gpt2.catalog();
  console.log(models.map((m) => `${m.name} ${m.shard_locations.join(', ') || '–'}`), (await gpt2.parallelism()).summary, (await gpt2.workers()).count);

  const ids: number[] = await gpt2.tokenize('Hello, world');
  console.log(ids, JSON.stringify(await gpt2.detokenize(ids)), (await gpt2.tokenPieces(ids)).map((piece) => piece.bytes.length));

  const whole: Completed = await gpt2.complete('Happy New Year! I wish you', { maxTokens: 8 });
  console.log(whole.text, whole.stop);
  await gpt2.complete('Hello', { maxTokens: 8, signal: stop.signal, onPrompt: (ids) => console.log(ids), onToken: (token) => process.stdout.write(token.text) });

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

  const wire = await gpt2.listenPsql(0).catch(() => undefined); // embedded databases only
  console.log(wire?.psql);
  await wire?.stop();
} catch (error) {
  if (error instanceof ModelNotLoadedError) console.error(`no model ${error.model} in ${db}: load it first`);
  if (!(error instanceof GptSqlError)) throw error;
  console.error(`gpt2sql: ${error.message}`);
  process.exitCode = 1;
} finally {
  await gpt2.close();
}

// The HTTP server listening at once, answering 503 until the database is open.
const opening = open({ db });
const early = await serve(opening, { port: 0, scheduler: { maxBatch: 4 } });
await early.close();
await (await opening).close();
