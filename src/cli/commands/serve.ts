import type { Command } from 'commander';
import { DEFAULT_MODEL, open, serve, type Gpt2Sql } from '../../api/gpt2sql.ts';
import type { ApiServer, WireServer } from '../../api/api-types.ts';
import { HTTP_HOST, HTTP_PORT, SERVE_PORT, type ServeOptions } from '../../api/serve.ts';
import { GptSqlError } from '../../errors.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { addSchedulerFlags, addWorkersFlag, buffersNotice, portFlag, schedulerFlags, serveWorkersFlag, type OptionFlags } from '../option-flags.ts';
import { interruptedError, whenAborted, withStopSignals } from '../signals.ts';

export interface ServeCommandOptions extends GlobalOptions, Pick<OptionFlags, 'workers' | 'maxBatch' | 'maxQueue'> {
  /** The psql wire port of the embedded database. */
  port?: string;
  /** The HTTP API's port. */
  http?: string;
  host?: string;
  apiKey?: string;
}

/** Hosts only this machine reaches: the API needs no key there. */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

/**
 * `gpt2sql serve`: the OpenAI-compatible HTTP API (listening at once, 503 until the database is
 * open) and, on the embedded database, PostgreSQL's wire protocol for psql, from one process.
 * Runs until `signal` fires (the CLI's: Ctrl-C, SIGTERM or SIGHUP), then stops accepting requests,
 * ends every running generation (their cache rows removed), closes the database and rejects with
 * interruptedError.
 */
export async function serveCommand(options: ServeCommandOptions & { signal: AbortSignal }, io: Io): Promise<never> {
  const wirePort = portFlag('--port', options.port ?? String(SERVE_PORT));
  const httpPort = portFlag('--http', options.http ?? String(HTTP_PORT));
  const limits = schedulerFlags(options);
  const host = options.host ?? HTTP_HOST;
  const apiKey = options.apiKey ?? (process.env.GPT2SQL_API_KEY || undefined);
  if (!LOOPBACK.test(host) && apiKey === undefined) {
    io.err(`gpt2sql: the API on ${host} has no authentication: anyone who reaches this port can use it; give --api-key KEY (or set GPT2SQL_API_KEY)\n`);
  }
  const opening = open({ db: options.db });
  const scheduler = async () => ({ ...limits, workers: await serveWorkersFlag(options, await opening, io) });
  const api = await listenHttp(opening, { host, port: httpPort, apiKey, scheduler, log: (line) => io.err(`gpt2sql: ${line}\n`) })
    .catch(async (error: unknown) => {
      await opening.then((gpt2) => gpt2.close(), () => {});
      throw error;
    });
  let wire: WireServer | undefined;
  try {
    io.out(`explorer page on ${api.url}/ (attention, next token, logit lens, generation, and the SQL of each)\n`);
    io.out(`OpenAI-compatible API on ${api.url}/v1 (opening the database…)\n`);
    const gpt2 = await opening;
    for (const model of await gpt2.models()) await buffersNotice(gpt2, model, io);
    printCurlExample(api, await exampleModel(gpt2), apiKey !== undefined, io);
    wire = await serveWire(gpt2, wirePort, io);
    io.out('press Ctrl-C to stop\n');
    await whenAborted(options.signal);
  } finally {
    await api.close();
    await wire?.stop();
    await opening.then((gpt2) => gpt2.close(), () => {});
  }
  throw interruptedError(options.signal, `: stopped serving ${(await opening).db.location}; the database is closed`);
}

async function listenHttp(opening: Promise<Gpt2Sql>, options: ServeOptions & { host: string; port: number }): Promise<ApiServer> {
  try {
    return await serve(opening, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new GptSqlError(`port ${options.port} on ${options.host} is in use; choose another with --http N`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new GptSqlError(`cannot listen on ${options.host}: this machine has no such address; fix --host`);
    throw error;
  }
}

/**
 * psql's way in: the embedded database over the wire protocol. A server database has none to
 * give (it is a server already): one line says so and how to connect.
 */
async function serveWire(gpt2: Gpt2Sql, port: number, io: Io): Promise<WireServer | undefined> {
  let server: WireServer;
  try {
    server = await gpt2.listenPsql(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new GptSqlError(`port ${port} is in use; choose another with --port N`);
    if (!(error instanceof GptSqlError)) throw error;
    io.out(`no psql endpoint (--port): ${error.message}\n`);
    return undefined;
  }
  io.out(`serving ${gpt2.db.location} on ${server.host}:${server.port}\n`);
  io.out(`connect with:  ${server.psql}\n`);
  io.out('then e.g.:     SET search_path TO gpt2, public;  SELECT * FROM gpt2sql.models;\n');
  return server;
}

/** The model a first request would name: gpt2 if loaded (or none is), else the first loaded one. */
async function exampleModel(gpt2: Gpt2Sql): Promise<string> {
  const names = (await gpt2.models()).map((model) => model.name);
  return names.length === 0 || names.includes(DEFAULT_MODEL) ? DEFAULT_MODEL : names[0];
}

function printCurlExample(api: ApiServer, model: string, withKey: boolean, io: Io): void {
  const key = withKey ? ` -H "Authorization: Bearer $GPT2SQL_API_KEY"` : '';
  const body = JSON.stringify({ model, prompt: 'Happy New Year! I wish you', max_tokens: 16, stream: true });
  io.out(`try:           curl -N ${api.url}/v1/completions${key} -H 'Content-Type: application/json' -d '${body}'\n`);
}

export function registerServe(program: Command, io: Io): void {
  const serve = program
    .command('serve')
    .description('serve the explorer page and the OpenAI-compatible HTTP API, and the embedded database to psql over the PostgreSQL wire protocol')
    .option('--http <port>', 'the HTTP API\'s port (0 picks a free one)', String(HTTP_PORT))
    .option('--host <host>', 'where the HTTP API listens; another host than 127.0.0.1 exposes it to the network', HTTP_HOST)
    .option('--api-key <key>', 'require Authorization: Bearer KEY on every request (default: $GPT2SQL_API_KEY; none: no key needed)')
    .option('--port <n>', 'psql\'s port on 127.0.0.1, for the embedded database (0 picks a free one)', String(SERVE_PORT));
  addWorkersFlag(addSchedulerFlags(serve))
    .addHelpText('after', `
Examples:
  $ gpt2sql serve                      # then open http://127.0.0.1:8080/ in a browser
  $ open 'http://127.0.0.1:8080/?model=gpt2&prompt=Hello%20world&block=5&head=3'
  $ curl -N http://127.0.0.1:8080/v1/completions -H 'Content-Type: application/json' \\
      -d '{"model": "gpt2", "prompt": "Happy New Year! I wish you", "max_tokens": 16, "stream": true}'
  $ psql -h 127.0.0.1 -p 5433 -U postgres postgres -c 'SELECT * FROM gpt2sql.models'
  $ GPT2SQL_API_KEY=secret gpt2sql serve --host 0.0.0.0 --db postgres://postgres@127.0.0.1:5432/postgres

The explorer page at / traces a prompt (schemas trace_explore_…, the 8 newest kept) and shows
its tokens, every head's attention, the next-token distribution under sampling sliders, the
logit lens and generation, each with the SQL behind it. The API answers 503 until the database
is open. Runs until Ctrl-C (or SIGTERM, SIGHUP): running
generations end and their cache rows are removed, then it exits with 128 + the signal's number.
Only one program can use the embedded database at a time: stop serve before running other
gpt2sql commands on the same --db (or run them through psql meanwhile). A --db postgres://…
database is a server already: serve gives it the HTTP API only.`)
    .action(async (_options: unknown, command: Command) => {
      await withStopSignals(io, 'stopping the server', (signal) => serveCommand({ ...command.optsWithGlobals<ServeCommandOptions>(), signal }, io));
    });
}
