import { SERVE_PORT, type Database } from '../db/database.ts';
import { Scheduler, type SchedulerOptions } from '../engine/scheduler.ts';
import { HTTP_HOST, HTTP_PORT, startApiServer, type ApiServer } from '../http/api-server.ts';

export { HTTP_HOST, HTTP_PORT, SERVE_PORT };

export interface ServeOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, requests need `Authorization: Bearer KEY`. */
  apiKey?: string;
  /**
   * How many generations a step computes together (maxBatch), how many may wait (maxQueue),
   * parallel workers; or a function that gives them once the database is open (to check
   * workers against its limits, say).
   */
  scheduler?: SchedulerOptions | ((db: Database) => Promise<SchedulerOptions>);
  /** Where unexpected errors' details go. */
  log?(line: string): void;
}

/** The HTTP server over a database that may still be opening: it listens at once and answers 503 until then. */
export function serveDatabase(opening: Promise<Database>, options: ServeOptions = {}): Promise<ApiServer> {
  const { port = HTTP_PORT, host = HTTP_HOST, apiKey, log, scheduler } = options;
  const backend = opening.then(async (db) => ({
    db, scheduler: new Scheduler(db, typeof scheduler === 'function' ? await scheduler(db) : scheduler),
  }));
  return startApiServer({ backend, port, host, apiKey, log });
}
