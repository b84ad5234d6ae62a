/**
 * The scheduler: generations that run at the same time on one model advance together, one
 * statement per step for every active generation (batch-step.ts: each with its own cache rows and
 * sampling options), so each weight row is read once per step for all of them: what inference
 * servers call continuous batching. Generations join and leave between steps; a new prompt's
 * prefill is more rows of the same statement. The recompute engine (recompute-step.ts) is another
 * way of computing a step: each generation's whole text again, without a cache. The stop rules
 * are generation.ts's stopReason, src/reference/generate.ts's.
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { batchStatements, batchStatementsKey, batchStep, type BatchStatements, type SequenceStep } from './batch-step.ts';
import type { SequenceChoice } from '../sql/statements.ts';
import { stopReason, type Generation, type GeneratedToken } from './generation.ts';
import { endOfTextId } from './model.ts';
import { schedulerLimits, type Checked, type CheckedCompletion, type CheckedPrompt, type EngineName, type Sampling } from './options.ts';
import { RecomputeStep } from './recompute-step.ts';
import { openSession, type Session } from './session.ts';
import { workersOption, type WorkerCosts, type Workers } from './workers.ts';

/** One generation asked of the scheduler. */
export interface GenerationRequest {
  model: ModelRow;
  /** The prompt's token ids, checked by checkPrompt (not empty, within n_ctx, in the vocabulary). */
  prompt: CheckedPrompt;
  /** Sampling and max_tokens, checked by completionOptions. */
  options: CheckedCompletion;
  /**
   * With each new token, its log-probability under the model's own distribution (softmax of the
   * logits at temperature 1, before top-k and top-p) and the `logprobs` most probable tokens with
   * theirs (0 to 20, checked by logprobsOption). Undefined: none computed.
   */
  logprobs?: Checked<number>;
  /** Ends the generation between two steps; its cache rows are removed. */
  signal?: AbortSignal;
  /** Called with each new token the moment its step ends. */
  onToken?(token: GeneratedToken): void;
}

export interface SchedulerOptions {
  /** The most generations one step advances (default 8). */
  maxBatch?: number;
  /** The most generations waiting for a place in a step (default 64); beyond: QueueFullError. */
  maxQueue?: number;
  /** Parallel workers per scan of weights: a count to check, or workersOption's answer; the server's default when absent. */
  workers?: number | Workers;
  /** How a step is computed: incremental (default; batched, with each generation's cache) or recompute (the article's). */
  engine?: EngineName;
}

/** A generation refused because `maxBatch` generations run and `maxQueue` wait. */
export class QueueFullError extends GptSqlError {
  override name = 'QueueFullError';
}

/** A generation refused because the scheduler is closing. */
export class SchedulerClosedError extends GptSqlError {
  override name = 'SchedulerClosedError';
}

/** A generation the scheduler holds: waiting for a place, then running. */
interface Entry {
  request: GenerationRequest;
  sampling: Sampling;
  maxTokens: number;
  eot: number | null;
  session?: Session;
  tokens: number[];
  resolve(generation: Generation): void;
  reject(error: unknown): void;
}

/**
 * Runs generations of every model of one database, batched per model. A step advances at most
 * `maxBatch` generations of one model; others wait in a queue of at most `maxQueue`.
 *
 * @example
 * const scheduler = new Scheduler(db, { maxBatch: 8 });
 * const [a, b] = await Promise.all([
 *   scheduler.generate({ model, prompt: checkPrompt(model, [15496, 11]), options: completionOptions({ maxTokens: 20 }) }),
 *   scheduler.generate({ model, prompt: checkPrompt(model, [464]), options: completionOptions({ maxTokens: 5, temperature: 0.8, seed: 1 }) }),
 * ]);
 * await scheduler.close();
 */
export class Scheduler {
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly waiting: Entry[] = [];
  private readonly running = new Map<string, Entry[]>();
  private readonly loops = new Map<string, Promise<void>>();
  private readonly statements = new Map<string, BatchStatements>();
  private readonly recomputes = new Map<string, RecomputeStep>();
  private readonly eots = new Map<string, Promise<number | null>>();
  private workers?: Promise<WorkerCosts>;
  private closed = false;

  constructor(private readonly db: Database, private readonly options: SchedulerOptions = {}) {
    ({ maxBatch: this.maxBatch, maxQueue: this.maxQueue } = schedulerLimits(options));
  }

  /** Generations running in a step, and waiting for one. */
  get stats(): { active: number; waiting: number } {
    const active = [...this.running.values()].reduce((sum, entries) => sum + entries.length, 0);
    return { active, waiting: this.waiting.length };
  }

  /**
   * Generates up to max_tokens new tokens after the prompt, in steps shared with the other
   * generations of the model. Its options were checked where they came in; resolves with the tokens and
   * why it stopped ('aborted' when its signal fired or the scheduler closed).
   */
  generate(request: GenerationRequest): Promise<Generation> {
    try {
      return this.enqueue(request);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Puts the request (checked where it came in) in the queue at once: a burst of requests counts every one of them. */
  private enqueue(request: GenerationRequest): Promise<Generation> {
    const { maxTokens, ...sampling } = request.options;
    if (this.closed) throw new SchedulerClosedError('the server is shutting down; no new generation starts');
    const { active, waiting } = this.stats;
    if (active + waiting >= this.maxBatch + this.maxQueue) {
      throw new QueueFullError(`${active} generations are running and ${waiting} waiting (max_batch ${this.maxBatch}, max_queue ${this.maxQueue}); try again later`);
    }
    return new Promise<Generation>((resolve, reject) => {
      const entry: Entry = { request, sampling, maxTokens, eot: null, tokens: [], resolve, reject };
      this.waiting.push(entry);
      // Aborted while waiting: it leaves the queue at once (running, it leaves after its step).
      request.signal?.addEventListener('abort', () => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) {
          this.waiting.splice(at, 1);
          resolve({ tokens: [], stop: 'aborted' });
        }
      }, { once: true });
      this.wake(request.model);
    });
  }

  /** Ends every generation (stop 'aborted') after the step running, removes their sessions, refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.loops.values()]);
    for (const entry of this.waiting.splice(0)) entry.resolve({ tokens: [], stop: 'aborted' });
  }

  /** The model's <|endoftext|> id, looked up once. */
  private endOfText(model: ModelRow): Promise<number | null> {
    let eot = this.eots.get(model.name);
    if (!eot) this.eots.set(model.name, eot = endOfTextId(this.db, model));
    return eot;
  }

  /** Starts the model's loop unless it runs. */
  private wake(model: ModelRow): void {
    if (this.loops.has(model.name)) return;
    const loop = this.loop(model).finally(() => {
      this.loops.delete(model.name);
      if (this.waiting.some((entry) => entry.request.model.name === model.name)) this.wake(model);
    });
    this.loops.set(model.name, loop);
  }

  /** Steps while the model has generations: admit, step, let the finished ones go. */
  private async loop(model: ModelRow): Promise<void> {
    const running = this.running.get(model.name) ?? [];
    this.running.set(model.name, running);
    try {
      for (;;) {
        await this.admit(model, running);
        if (running.length === 0) return;
        await this.advance(model, running);
      }
    } finally {
      if (running.length === 0) this.running.delete(model.name);
    }
  }

  /** Moves waiting generations of `model` into the batch while it has room; ends those that need no step. */
  private async admit(model: ModelRow, running: Entry[]): Promise<void> {
    for (let i = 0; i < this.waiting.length && running.length < this.maxBatch;) {
      const entry = this.waiting[i];
      if (entry.request.model.name !== model.name) { i++; continue; }
      this.waiting.splice(i, 1);
      running.push(entry); // counted as running from here: the queue's bound holds while its session opens
      if (this.stopReason(entry) !== null) { await this.finish(entry, running); continue; }
      try {
        entry.eot = await this.endOfText(model);
        if (this.options.engine !== 'recompute') entry.session = await openSession(this.db, model.name);
      } catch (error) {
        await this.finish(entry, running, error);
      }
    }
  }

  /** One step of every running generation; each gets its token, or leaves. */
  private async advance(model: ModelRow, running: Entry[]): Promise<void> {
    const batch = [...running];
    let tokens: GeneratedToken[];
    try {
      tokens = await this.computeStep(model, batch);
    } catch (error) {
      for (const entry of batch) await this.finish(entry, running, error);
      return;
    }
    for (const [i, entry] of batch.entries()) {
      const token = tokens[i];
      if (this.stopReason(entry, token.id) === 'eot') { await this.finish(entry, running, undefined, 'eot'); continue; }
      entry.tokens.push(token.id);
      try {
        entry.request.onToken?.(token);
      } catch (error) {
        await this.finish(entry, running, error); // the caller's own failure ends its generation only
        continue;
      }
      if (this.stopReason(entry) !== null) await this.finish(entry, running);
    }
  }

  /** The tokens of a step of `batch`: one batched statement (incremental), or one full pass each (recompute). */
  private async computeStep(model: ModelRow, batch: readonly Entry[]): Promise<GeneratedToken[]> {
    const workers = await (this.workers ??= workersFor(this.db, this.options.workers));
    if (this.options.engine === 'recompute') {
      let recompute = this.recomputes.get(model.name);
      if (!recompute) this.recomputes.set(model.name, recompute = new RecomputeStep(this.db, model, workers));
      return recompute.run(batch.map((entry) => ({ ...choiceOf(entry), prompt: entry.request.prompt })));
    }
    const sequences = batch.map((entry) => sequenceOf(entry));
    const key = batchStatementsKey(model, workers, sequences);
    if (!this.statements.has(key)) this.statements.set(key, batchStatements(model, workers, sequences));
    return batchStep(this.db, model, this.statements.get(key)!, sequences);
  }

  /** Why `entry` takes no more steps (stopReason), checked before each and with the token a step `chosen`. */
  private stopReason(entry: Entry, chosen?: number): Generation['stop'] | null {
    return stopReason({
      promptLength: entry.request.prompt.length, generated: entry.tokens.length, maxTokens: entry.maxTokens,
      nCtx: entry.request.model.n_ctx, aborted: Boolean(entry.request.signal?.aborted) || this.closed, chosen, eot: entry.eot,
    });
  }

  /** Takes `entry` out of the batch, removes its session, and settles it. */
  private async finish(entry: Entry, running: Entry[], error?: unknown, stop = this.stopReason(entry)): Promise<void> {
    const at = running.indexOf(entry);
    if (at >= 0) running.splice(at, 1);
    const closed = await entry.session?.close().then(() => null, (failure: unknown) => failure);
    if (error !== undefined || closed) entry.reject(error ?? closed);
    else entry.resolve({ tokens: entry.tokens, stop: stop ?? 'aborted' });
  }
}

/** How `entry` chooses its next token: its options, the draw's index, the tokens it generated. */
function choiceOf(entry: Entry): SequenceChoice {
  return { sampling: entry.sampling, draw: entry.tokens.length, logprobs: entry.request.logprobs, generated: entry.tokens };
}

/** What `entry` feeds its next step: the prompt first, then the token chosen last. */
function sequenceOf(entry: Entry): SequenceStep {
  const draw = entry.tokens.length;
  const prompt = entry.request.prompt;
  return {
    session: entry.session!.id,
    ids: draw === 0 ? prompt : [entry.tokens[draw - 1]],
    start: draw === 0 ? 0 : prompt.length + draw - 1,
    ...choiceOf(entry),
  };
}

/** The scheduler's workers: checked and measured here unless the caller already has (generate). */
function workersFor(db: Database, workers: number | Workers | undefined): Promise<WorkerCosts> {
  return typeof workers === 'object' ? Promise.resolve(workers) : workersOption(db, workers);
}
