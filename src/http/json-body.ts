import type { IncomingMessage } from 'node:http';
import { ApiError } from './api-error.ts';

/** The largest request body taken by default: 1 MiB holds a full context of token ids many times over. */
export const BODY_LIMIT = 1024 * 1024;

/**
 * The request's body read as a JSON object. Refuses a body over `limit` bytes (413, read no
 * further), one that is not JSON, and JSON that is not an object (400).
 *
 * @example
 * const body = await readJsonBody(request, BODY_LIMIT); // { model: 'gpt2', prompt: 'Hello' }
 */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const text = await readText(request, limit);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `the request body is not valid JSON (${(error as Error).message}); send a JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, `the request body must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

async function readText(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, `the request body is larger than ${limit} bytes; send a shorter prompt or fewer prompts per request`, {
    code: 'body_too_large', headers: { Connection: 'close' }, // the rest of the body is not read: the connection cannot carry another request
  });
}
