import { randomBytes } from 'node:crypto';
import type { ModelRow } from '../db/catalog-tables.ts';
import type { CheckedCompletion } from '../engine/options.ts';
import { SchedulerClosedError, type Scheduler } from '../engine/scheduler.ts';
import type { ApiCall } from './api-call.ts';
import { ChoiceText } from './choice-text.ts';
import {
  CompletionCollector, CompletionStream, type CompletionHead, type CompletionOutput, type Usage,
} from './completion-output.ts';
import { completionRequest, type CompletionRequest } from './completion-request.ts';
import { findApiModel } from './models.ts';
import { resolvePrompts, type ResolvedPrompt } from './prompts.ts';

/** One choice to generate: its place in `choices`, its prompt, and its seed. */
interface ChoiceSpec {
  index: number;
  prompt: ResolvedPrompt;
  seed: number;
}

/**
 * POST /v1/completions. Choice k of prompt p is `choices[p * n + k]`, sampled with seed + k: the
 * first choice of every prompt gives what `gpt2sql complete --seed SEED` gives. Every choice of
 * every prompt is a generation of the scheduler, all running together; a client that leaves ends
 * them, and so does an error in any one of them.
 *
 * @example
 * // POST /v1/completions {"model": "gpt2", "prompt": "Hello", "max_tokens": 5, "n": 2, "seed": 42}
 * // → {"object": "text_completion", "choices": [{"index": 0, …}, {"index": 1, …}], "usage": {…}}
 */
export async function postCompletions(call: ApiCall): Promise<void> {
  const request = completionRequest(await call.body());
  const { db, scheduler } = call.backend;
  const model = await findApiModel(db, request.model);
  // The output is ready before the engine runs: it sends nothing until the first piece.
  const head: CompletionHead = { id: `cmpl-${randomBytes(12).toString('hex')}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: model.name };
  const output: CompletionOutput = request.stream
    ? new CompletionStream(call.response, head, { withLogprobs: request.logprobs !== undefined, includeUsage: request.includeUsage })
    : new CompletionCollector(call.response, head, request.prompts.length * request.n, request.logprobs !== undefined);
  const prompts = await resolvePrompts(db, model, request);
  const specs = prompts.flatMap((prompt, p) =>
    Array.from({ length: request.n }, (_, k) => ({ index: p * request.n + k, prompt, seed: request.sampling.seed + k })));
  let completionTokens: number;
  try {
    completionTokens = await runChoices(scheduler, model, specs, request, output, call.signal);
  } catch (error) {
    if (output.canReplyWithStatus) throw error;
    return output.fail(call.report(error));
  }
  const promptTokens = prompts.reduce((sum, prompt) => sum + prompt.ids.length, 0);
  output.end(usageOf(promptTokens, completionTokens));
}

function usageOf(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** Runs every choice at once; when one fails the others are ended, and its error is thrown once all have ended. */
async function runChoices(scheduler: Scheduler, model: ModelRow, specs: ChoiceSpec[], request: CompletionRequest, output: CompletionOutput, signal: AbortSignal): Promise<number> {
  const failed = new AbortController();
  const all = AbortSignal.any([signal, failed.signal]);
  const counts = await Promise.all(specs.map((spec) => runChoice(scheduler, model, spec, request, output, all).catch((error: unknown) => {
    if (!failed.signal.aborted) failed.abort(error);
    return 0;
  })));
  if (failed.signal.aborted) throw failed.signal.reason;
  return counts.reduce((sum, count) => sum + count, 0);
}

/** One choice: its echo, its tokens as they come, cut at a stop string (which ends its generation); the tokens generated. */
async function runChoice(scheduler: Scheduler, model: ModelRow, spec: ChoiceSpec, request: CompletionRequest, output: CompletionOutput, signal: AbortSignal): Promise<number> {
  const text = new ChoiceText(request.stop);
  output.piece(spec.index, text.echo(spec.prompt.echoed));
  if (spec.prompt.maxTokens === 0) {
    output.piece(spec.index, text.end());
    output.finish(spec.index, 'length');
    return 0;
  }
  const stopString = new AbortController();
  // Still checked: seed + k is an integer as seed is, and resolvePrompts fitted max_tokens to the context.
  const options = { ...request.sampling, seed: spec.seed, maxTokens: spec.prompt.maxTokens } as CheckedCompletion;
  const generation = await scheduler.generate({
    model, prompt: spec.prompt.ids, options,
    logprobs: request.logprobs, signal: AbortSignal.any([signal, stopString.signal]),
    onToken: (token) => {
      output.tokenChosen();
      output.piece(spec.index, text.push(token));
      if (text.stopped) stopString.abort();
    },
  });
  if (generation.stop === 'aborted' && !text.stopped && !signal.aborted) {
    throw new SchedulerClosedError('the server shut down before this completion ended; send the request again once it is back');
  }
  output.piece(spec.index, text.end());
  output.finish(spec.index, text.stopped || generation.stop === 'eot' ? 'stop' : 'length');
  return generation.tokens.length;
}
