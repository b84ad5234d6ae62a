import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { checkPrompt, type CheckedPrompt } from '../engine/options.ts';
import { echoTokens } from '../engine/score.ts';
import { decodeEach, encode } from '../engine/tokenizer.ts';
import { ApiError, asFieldError } from './api-error.ts';
import type { ShownToken } from './choice-text.ts';
import { API_DEFAULTS, type CompletionRequest, type PromptInput } from './completion-request.ts';

/** A prompt ready to continue. */
export interface ResolvedPrompt {
  ids: CheckedPrompt;
  /** The prompt's tokens as echo shows them (with their log-probabilities when asked); none without echo. */
  echoed: ShownToken[];
  /** The most new tokens for it: max_tokens, or up to 16 as far as the context allows. */
  maxTokens: number;
}

/**
 * Each prompt's token ids (text tokenized in the database), checked: the prompt and max_tokens
 * fit the model's context, as OpenAI requires (context_length_exceeded); the engine's own checks
 * (empty, unknown ids) are 400s about `prompt`. With echo, the prompt's tokens, scored when
 * logprobs are asked.
 *
 * @example
 * const [prompt] = await resolvePrompts(db, model, completionRequest({ model: 'gpt2', prompt: 'Hello', max_tokens: 5 }));
 * prompt.ids; // [15496]
 */
export async function resolvePrompts(db: Database, model: ModelRow, request: CompletionRequest): Promise<ResolvedPrompt[]> {
  const prompts: ResolvedPrompt[] = [];
  for (const input of request.prompts) {
    const ids = await promptIds(db, model, input);
    const maxTokens = request.maxTokens ?? Math.max(0, Math.min(API_DEFAULTS.maxTokens, model.n_ctx - ids.length));
    checkContext(model, ids.length, maxTokens);
    const checked = await asFieldError('prompt', () => checkPrompt(model, ids));
    prompts.push({ ids: checked, maxTokens, echoed: request.echo ? await echoTokens(db, model, checked, request.logprobs) : [] });
  }
  return prompts;
}

async function promptIds(db: Database, model: ModelRow, input: PromptInput): Promise<number[]> {
  if (typeof input !== 'string') return input;
  // encode refuses text PostgreSQL cannot hold before it is sent; an empty one gives no ids, which checkPrompt refuses.
  return asFieldError('prompt', () => encode(db, model, input));
}

/**
 * OpenAI's rule: the prompt and max_tokens together must fit the context, or the request is
 * refused (a completion is never cut short by the context).
 */
function checkContext(model: ModelRow, promptLength: number, maxTokens: number): void {
  if (promptLength + maxTokens <= model.n_ctx) return;
  const message = `model ${model.name} reads at most n_ctx = ${model.n_ctx} tokens, but this request needs ${promptLength + maxTokens} ` +
    `(${promptLength} in the prompt, ${maxTokens} for the completion); shorten the prompt or lower max_tokens`;
  throw new ApiError(400, message, { param: promptLength > model.n_ctx ? 'prompt' : 'max_tokens', code: 'context_length_exceeded' });
}
