import type { ServerResponse } from 'node:http';
import type { ApiError } from './api-error.ts';

/**
 * Sends `body` as JSON with `status`, unless the response has already gone (the client left).
 *
 * @example
 * sendJson(response, 200, { object: 'list', data: [] });
 */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' });
  response.end(text);
}

/**
 * Sends an error as OpenAI shapes it, with its status and headers.
 *
 * @example
 * sendError(response, new ApiError(404, 'model "x" is not loaded', { code: 'model_not_found' }));
 */
export function sendError(response: ServerResponse, error: ApiError): void {
  sendJson(response, error.status, error.body(), error.headers);
}
