import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/database.ts';
import type { Scheduler } from '../engine/scheduler.ts';
import type { ApiError } from './api-error.ts';
import type { Body } from './request-fields.ts';

/** What the API computes with once the database is open. */
export interface Backend {
  db: Database;
  scheduler: Scheduler;
}

/** One request as a route handler sees it: authenticated, the database open. */
export interface ApiCall {
  request: IncomingMessage;
  response: ServerResponse;
  /** The request's body as a JSON object (413 when too large, 400 when not JSON). */
  body(): Promise<Body>;
  backend: Backend;
  /** Aborted when the client goes away before its response is complete. */
  signal: AbortSignal;
  /** What the route's pattern captured from the path (the model of /v1/models/{model}). */
  params: string[];
  /** An error as the API answers it; an unexpected one is written to the server's log first. */
  report(error: unknown): ApiError;
}

/** A route's handler: it sends the response itself, or throws (the server answers with the error). */
export type Handler = (call: ApiCall) => Promise<void>;
