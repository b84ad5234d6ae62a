import type { Handler } from './api-call.ts';
import { ApiError } from './api-error.ts';
import { postCompletions } from './completions.ts';
import { getExplorerGenerateSql, getExplorerHead, getExplorerModels, getExplorerNext, getExplorerTrace } from './explorer-routes.ts';
import { getModel, getModels } from './models.ts';
import { postDetokenize, postTokenize } from './tokenize.ts';

interface Route {
  method: 'GET' | 'POST';
  /** The path, with `{name}` for a part the handler receives (in order) as a parameter. */
  path: string;
  handler: Handler;
}

/** Every endpoint behind the API key: OpenAI's under /v1, llama.cpp's tokenizer at the root, the explorer page's under /explorer. */
const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1/models', handler: getModels },
  { method: 'GET', path: '/v1/models/{model}', handler: getModel },
  { method: 'POST', path: '/v1/completions', handler: postCompletions },
  { method: 'POST', path: '/tokenize', handler: postTokenize },
  { method: 'POST', path: '/detokenize', handler: postDetokenize },
  { method: 'GET', path: '/explorer/models', handler: getExplorerModels },
  { method: 'GET', path: '/explorer/trace', handler: getExplorerTrace },
  { method: 'GET', path: '/explorer/head', handler: getExplorerHead },
  { method: 'GET', path: '/explorer/next', handler: getExplorerNext },
  { method: 'GET', path: '/explorer/generate-sql', handler: getExplorerGenerateSql },
];

/** A route's path as a pattern: `{name}` matches one path segment, captured. */
function patternOf(path: string): RegExp {
  const parts = path.split(/\{[a-z_]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('([^/]+)')}$`);
}

const MATCHED = ROUTES.map((candidate) => ({ ...candidate, pattern: patternOf(candidate.path) }));

/** What the 404 lists: every route, then what the server answers outside the table (api-server.ts). */
const SERVED = `${ROUTES.map((candidate) => `${candidate.method} ${candidate.path}`).join(', ')}; without the key: the explorer page at GET / and GET /health`;

/**
 * The handler of `method` `path` and what its pattern captured; 404 for a path no route has,
 * 405 (with Allow) for a path whose routes take other methods.
 *
 * @example
 * route('GET', '/v1/models/gpt2'); // { handler: getModel, params: ['gpt2'] }
 */
export function route(method: string | undefined, path: string): { handler: Handler; params: string[] } {
  const matching = MATCHED.filter((candidate) => candidate.pattern.test(path));
  if (matching.length === 0) {
    throw new ApiError(404, `no endpoint ${method} ${path}; gpt2sql serves ${SERVED}`, { code: 'not_found' });
  }
  const found = matching.find((candidate) => candidate.method === method);
  if (!found) {
    const allowed = matching.map((candidate) => candidate.method).join(', ');
    throw new ApiError(405, `${path} takes ${allowed}, not ${method}`, { code: 'method_not_allowed', headers: { Allow: allowed } });
  }
  return { handler: found.handler, params: found.pattern.exec(path)!.slice(1).map(decodePart) };
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ApiError(400, `the path has a malformed escape in "${part}"; encode it with encodeURIComponent`);
  }
}
