// Requests to gpt2sql serve: typed query parameters in, the JSON contract's types out, and every
// failure as an ApiFailure whose message is the server's own (it says what to do next).

const KEY_STORAGE = 'gpt2sql-api-key';

/** A request that failed: the HTTP status (0 when the server could not be reached) and the message to show. */
export class ApiFailure extends Error {
  override name = 'ApiFailure';

  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export type QueryValue = string | number;

/** The API key given on this tab, if any (sessionStorage: it goes when the tab closes). */
export function apiKey(): string | undefined {
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

export function setApiKey(key: string): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

function headers(extra: Record<string, string> = {}): Headers {
  const all = new Headers(extra);
  const key = apiKey();
  if (key) all.set('Authorization', `Bearer ${key}`);
  return all;
}

/**
 * GET `path` with `query`, its JSON body as T.
 *
 * @example
 * const { models } = await getJson<ModelsResponse>('/explorer/models');
 */
export async function getJson<T>(path: string, query: Record<string, QueryValue> = {}, signal?: AbortSignal): Promise<T> {
  const search = new URLSearchParams(Object.entries(query).map(([name, value]) => [name, String(value)]));
  const url = Object.keys(query).length ? `${path}?${search}` : path;
  const response = await send(url, { headers: headers(), signal });
  return (await response.json()) as T;
}

/**
 * POST `body` as JSON to an endpoint that answers with server-sent events, calling `onEvent` with
 * each event's JSON until `data: [DONE]`. An error event (the stream had started) is thrown.
 */
export async function postEvents(path: string, body: unknown, onEvent: (data: unknown) => void, signal?: AbortSignal): Promise<void> {
  const response = await send(path, {
    method: 'POST', body: JSON.stringify(body), signal,
    headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
  });
  if (!response.body) throw new ApiFailure(response.status, `${path} answered without a body`);
  for await (const data of eventData(response.body)) {
    if (data === '[DONE]') return;
    const event = JSON.parse(data) as { error?: { message?: string } };
    if (event.error) throw new ApiFailure(500, event.error.message ?? 'the generation failed');
    onEvent(event);
  }
}

/** The `data:` of each event in a server-sent event stream, as the chunks arrive. */
async function* eventData(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder(); // with stream: true, a character split between two chunks comes out whole
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const lines = event.split('\n').filter((line) => line.startsWith('data:'));
      if (lines.length) yield lines.map((line) => line.slice(5).replace(/^ /, '')).join('\n');
    }
  }
}

/** fetch, with a 4xx/5xx turned into an ApiFailure carrying the error body's message. */
async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiFailure(0, `could not reach the gpt2sql server (${(error as Error).message}); is gpt2sql serve still running?`);
  }
  if (!response.ok) throw new ApiFailure(response.status, await errorMessage(response));
  return response;
}

/** The message of an error body `{ error: { message } }`, or what the status says. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string' && message) return message;
  } catch {
    // not JSON: a proxy's page, say; the status line below says enough
  }
  return `the server answered ${response.status} ${response.statusText}`.trim();
}
