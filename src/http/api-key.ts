import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from './api-error.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Refuses (401) a request without `Authorization: Bearer KEY` when the server has a key. The
 * comparison takes the same time whatever the key sent, so it tells an attacker nothing.
 *
 * @example
 * checkApiKey(request, process.env.GPT2SQL_API_KEY);
 */
export function checkApiKey(request: IncomingMessage, key: string | undefined): void {
  if (key === undefined) return;
  const header = request.headers.authorization;
  const sent = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  const how = 'send the header Authorization: Bearer KEY, with the key gpt2sql serve was given (--api-key or GPT2SQL_API_KEY)';
  const details = { code: 'invalid_api_key', headers: { 'WWW-Authenticate': 'Bearer' } };
  if (sent === undefined) throw new ApiError(401, `this server needs an API key; ${how}`, details);
  if (!timingSafeEqual(digest(sent), digest(key))) throw new ApiError(401, `the API key is wrong; ${how}`, details);
}
