import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiCall, Backend } from './api-call.ts';
import { ApiError, apiErrorOf } from './api-error.ts';
import { checkApiKey } from './api-key.ts';
import { explorerAsset } from './explorer-assets.ts';
import { BODY_LIMIT, readJsonBody } from './json-body.ts';
import { sendError, sendJson } from './respond.ts';
import { route } from './routes.ts';

/** The port the API listens on unless told otherwise (llama.cpp's server's too). */
export const HTTP_PORT = 8080;
export const HTTP_HOST = '127.0.0.1';

export interface ApiServerOptions {
  /**
   * The database once it is open, and the scheduler of its generations; until it resolves every
   * endpoint answers 503. The scheduler becomes the server's: close() closes it.
   */
  backend: Promise<Backend>;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** When set, every endpoint but /health needs `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** The largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Where an unexpected error's details go (a 500 tells the client only its first line). */
  log?(line: string): void;
}

export interface ApiServer {
  /** `http://HOST:PORT`: the base URL of the API is this + `/v1`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting requests, closes the scheduler (every running generation ends and its cache
   * rows go; a stream still open gets an error event), waits for the responses to end and closes
   * the connections. The database stays open: it is the caller's.
   */
  close(): Promise<void>;
}

type State = { kind: 'opening' } | { kind: 'ready'; backend: Backend } | { kind: 'failed'; message: string } | { kind: 'closing' };

/**
 * Starts the OpenAI-compatible API: it listens at once, and answers 503 until `backend` resolves.
 * Any error is answered as OpenAI shapes it, and the server keeps serving.
 *
 * @example
 * const api = await startApiServer({ backend: openDatabase({ db }).then((db) => ({ db, scheduler: new Scheduler(db) })), port: 0 });
 * const client = new OpenAI({ baseURL: `${api.url}/v1`, apiKey: 'none' });
 * await api.close();
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  let state: State = { kind: 'opening' };
  const opened = options.backend.then(
    (backend) => {
      if (state.kind === 'opening') state = { kind: 'ready', backend };
    },
    (error: unknown) => {
      state = { kind: 'failed', message: (error instanceof Error ? error.message : String(error)).split('\n')[0] };
    },
  );
  const running = new Set<Promise<void>>();
  const server = createServer((request, response) => {
    const handling = handle(request, response, () => state, options).finally(() => running.delete(handling));
    running.add(handling);
  });
  const { host, port } = await listen(server, options.host ?? HTTP_HOST, options.port ?? HTTP_PORT);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await opened;
      const previous = state;
      state = { kind: 'closing' };
      if (previous.kind === 'ready') await previous.backend.scheduler.close();
      await Promise.allSettled([...running]);
      server.closeAllConnections();
      await closed;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({ host, port: address.port });
    });
  });
}

/** Answers one request; never throws. */
async function handle(request: IncomingMessage, response: ServerResponse, state: () => State, options: ApiServerOptions): Promise<void> {
  const left = new AbortController();
  response.once('close', () => response.writableFinished || left.abort());
  const path = new URL(request.url ?? '/', 'http://host').pathname;
  const report = (error: unknown) => {
    const apiError = apiErrorOf(error);
    if (apiError.status === 500 && !(error instanceof ApiError)) options.log?.(`${request.method} ${path}: ${(error as Error)?.stack ?? String(error)}`);
    return apiError;
  };
  try {
    if (path === '/health') return health(response, state());
    if (request.method === 'GET' && (await sendAsset(response, path))) return; // the page holds no data: no key needed
    checkApiKey(request, options.apiKey);
    const { handler, params } = route(request.method, path);
    const call: ApiCall = {
      request, response, params, report, signal: left.signal, backend: backendOf(state()),
      body: () => readJsonBody(request, options.bodyLimit ?? BODY_LIMIT),
    };
    await handler(call);
  } catch (error) {
    if (left.signal.aborted) return; // the client is gone: nobody to answer
    if (!response.headersSent) sendError(response, report(error));
    else response.end();
  }
}

/**
 * The explorer page's files (src/http/explorer-assets.ts), if `path` is one: sent with a policy
 * that lets the page load nothing but its own files and talk to nothing but this server.
 */
async function sendAsset(response: ServerResponse, path: string): Promise<boolean> {
  const asset = await explorerAsset(path);
  if (!asset) return false;
  response.writeHead(200, {
    'Content-Type': asset.contentType,
    'Content-Length': asset.body.length,
    'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  response.end(asset.body);
  return true;
}

/** The backend, or the 503 that says why there is none yet. */
function backendOf(state: State): Backend {
  if (state.kind === 'ready') return state.backend;
  const retry = { 'Retry-After': '1' };
  if (state.kind === 'opening') {
    throw new ApiError(503, 'the database is still opening (migrations may be running); try again in a moment', { code: 'loading', headers: retry });
  }
  if (state.kind === 'closing') throw new ApiError(503, 'the server is shutting down; try again once it is back', { code: 'shutting_down' });
  throw new ApiError(503, `the database could not be opened: ${state.message}`, { code: 'database_unavailable' });
}

/** GET /health, as llama.cpp's server has it (no key needed): 200 once the database is open, 503 before. */
function health(response: ServerResponse, state: State): void {
  try {
    const { scheduler } = backendOf(state);
    sendJson(response, 200, { status: 'ok', generations: { ...scheduler.stats } });
  } catch (error) {
    sendError(response, error as ApiError);
  }
}
