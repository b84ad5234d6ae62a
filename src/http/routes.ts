import type { Handler } from './api-call.ts';
import { ApiError } from './api-error.ts';
import { postCompletions } from './completions.ts';
import { getExplorerGenerateSql, getExplorerHead, getExplorerModels, getExplorerNext, getExplorerTrace } from './explorer-routes.ts';
import { getModel, getModels } from './models.ts';
import { postDetokenize, postTokenize } from './tokenize.ts';

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
}

/** Every endpoint behind the API key: OpenAI's under /v1, llama.cpp's tokenizer at the root, the explorer page's under /explorer. */
const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/v1\/models$/, handler: getModels },
  { method: 'GET', pattern: /^\/v1\/models\/([^/]+)$/, handler: getModel },
  { method: 'POST', pattern: /^\/v1\/completions$/, handler: postCompletions },
  { method: 'POST', pattern: /^\/tokenize$/, handler: postTokenize },
  { method: 'POST', pattern: /^\/detokenize$/, handler: postDetokenize },
  { method: 'GET', pattern: /^\/explorer\/models$/, handler: getExplorerModels },
  { method: 'GET', pattern: /^\/explorer\/trace$/, handler: getExplorerTrace },
  { method: 'GET', pattern: /^\/explorer\/head$/, handler: getExplorerHead },
  { method: 'GET', pattern: /^\/explorer\/next$/, handler: getExplorerNext },
  { method: 'GET', pattern: /^\/explorer\/generate-sql$/, handler: getExplorerGenerateSql },
];

/**
 * The handler of `method` `path` and what its pattern captured; 404 for a path no route has,
 * 405 (with Allow) for a path whose routes take other methods.
 *
 * @example
 * route('GET', '/v1/models/gpt2'); // { handler: getModel, params: ['gpt2'] }
 */
export function route(method: string | undefined, path: string): { handler: Handler; params: string[] } {
  const matching = ROUTES.filter((candidate) => candidate.pattern.test(path));
  if (matching.length === 0) {
    throw new ApiError(404, `no endpoint ${method} ${path}; gpt2sql serves the explorer page at GET /, GET /v1/models, POST /v1/completions, POST /tokenize, POST /detokenize, GET /explorer/… and GET /health`, { code: 'not_found' });
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
