import { OptionError } from '../engine/options.ts';
import { QueueFullError, SchedulerClosedError } from '../engine/scheduler.ts';
import { GptSqlError } from '../errors.ts';

/** The `type` of an error body, as OpenAI names them (and, beyond them, one per status). */
export type ApiErrorType = 'invalid_request_error' | 'authentication_error' | 'rate_limit_error' | 'unavailable_error' | 'server_error';

/** What an error body says besides its message. */
export interface ApiErrorDetails {
  type?: ApiErrorType;
  /** The request field at fault, by its name in the request (`top_p`, `prompt`). */
  param?: string | null;
  code?: string | null;
  /** Extra response headers (Allow, Retry-After). */
  headers?: Record<string, string>;
}

/**
 * An error the API answers with: an HTTP status and OpenAI's body
 * `{"error": {"message", "type", "param", "code"}}`. The message is one line that says what to do.
 *
 * @example
 * throw new ApiError(404, 'model "gpt3" is not loaded; GET /v1/models lists the loaded ones', { param: 'model', code: 'model_not_found' });
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(readonly status: number, message: string, details: ApiErrorDetails = {}) {
    super(message);
    this.type = details.type ?? typeFor(status);
    this.param = details.param ?? null;
    this.code = details.code ?? null;
    this.headers = details.headers ?? {};
  }

  /** The JSON body of the response. */
  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

function typeFor(status: number): ApiErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503) return 'unavailable_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/**
 * A bad value of the request field `param`: 400.
 *
 * @example
 * throw invalidField('stop', 'stop takes at most 4 strings, got 5');
 */
export function invalidField(param: string, message: string, code: string | null = null): ApiError {
  return new ApiError(400, message, { param, code });
}

/**
 * Any error as the API answers it: an engine option's OptionError is a 400 about that field (its
 * name is OpenAI's), a full queue 429, a closing server 503, another message meant for users
 * (GptSqlError) 500 with that message, anything else 500 with its first line. Never a stack trace.
 *
 * @example
 * apiErrorOf(new OptionError('top_p', 'a number in (0, 1]', 2)).status; // 400, param 'top_p'
 */
export function apiErrorOf(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof OptionError) return invalidField(error.option, error.message);
  if (error instanceof QueueFullError) return new ApiError(429, error.message, { code: 'queue_full', headers: { 'Retry-After': '1' } });
  if (error instanceof SchedulerClosedError) return new ApiError(503, error.message, { code: 'shutting_down' });
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.trim().split('\n')[0] || 'unknown error';
  if (error instanceof GptSqlError) return new ApiError(500, firstLine);
  return new ApiError(500, `internal error: ${firstLine}; the server keeps serving, and its log has the details`);
}

/**
 * Runs `fn`; a GptSqlError from it (a prompt the engine refuses) becomes a 400 about `param`.
 *
 * @example
 * await asFieldError('prompt', () => checkPrompt(model, ids)); // 400, param 'prompt': the prompt is empty; …
 */
export async function asFieldError<T>(param: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof GptSqlError && !(error instanceof OptionError)) throw invalidField(param, error.message);
    throw error;
  }
}
