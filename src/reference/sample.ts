/**
 * Sampling: how the next token is chosen from the logits [V] of the last position. This is the contract
 * sql/sample.sql implements; tests compare the two token for token. All arithmetic is float64.
 *
 * Order: "by probability" always means logit descending, ties broken by lower token id first. That is
 * the order of probability (softmax is monotonic), also among tokens whose probabilities are equal
 * because they are all 0 far below the top at a low temperature.
 *
 *  0. Penalties, OpenAI's: each token the generation has generated so far (`generated`; the
 *     prompt's tokens do not count, as "the text so far" of OpenAI's definition is read here: the
 *     completion's) has its logit lowered to logit - presencePenalty - frequencyPenalty * count,
 *     count being how many times it was generated. Every later rule reads these logits.
 *  1. temperature = 0: greedy. The token with the highest logit; ties go to the lowest id. topK, topP,
 *     minP and seed are ignored. Otherwise:
 *  2. probs = softmax(logits / temperature): divide each logit by the temperature, subtract the maximum
 *     of the results, exp, divide by the sum.
 *  3. top-k (topK > 0): keep the first topK tokens by probability (all of them when topK >= V), then
 *     renormalize: divide each kept probability by the sum of the kept ones. topK = 0 is off.
 *  4. top-p (topP < 1): going through the kept tokens by probability with a running sum, keep each token
 *     whose running sum BEFORE it is < topP: the smallest prefix whose cumulative probability reaches
 *     topP, so never fewer than one token. topP = 1 is off.
 *     min-p (minP > 0): of those, keep each token whose probability (rule 2's) is >= minP times the
 *     most probable token's, so never fewer than one token. Renormalize as in 3, once for top-p
 *     and min-p together (when either is on). minP = 0 is off.
 *  5. u = uniform(seed, draw) in [0, 1), where draw is the 0-based index of the generated token
 *     (the first new token has draw 0): the first 8 hex digits of md5(`${seed}:${draw}`) (seed and draw
 *     in decimal, e.g. md5('42:0')) read as an unsigned 32-bit integer, divided by 2^32. In PostgreSQL:
 *       ('x' || substr(md5(seed::text || ':' || draw::text), 1, 8))::bit(32)::bigint / 4294967296.0::float8
 *  6. Inverse CDF: going through the kept tokens by probability with a running sum of their (renormalized)
 *     probabilities, pick the first token whose running sum is > u. If rounding leaves every running sum
 *     <= u, pick the last kept token.
 *
 * Options are checked before sampling: temperature >= 0, topK an integer >= 0, 0 < topP <= 1,
 * 0 <= minP <= 1, finite penalties, seed a safe integer, draw an integer >= 0. Defaults: greedy
 * (temperature 0), topK 0, topP 1, minP 0, no penalties, seed 0.
 */
import { createHash } from 'node:crypto';
import { softmax } from './gpt2.ts';

export interface SamplingOptions {
  /** 0 (the default) is greedy; 1 samples from the model's distribution; higher is flatter. */
  temperature?: number;
  /** Keep only the k most probable tokens; 0 (the default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most probable tokens whose probability reaches p; 1 (the default) keeps all. */
  topP?: number;
  /** Keep only the tokens at least minP times as probable as the most probable one; 0 (the default) keeps all. */
  minP?: number;
  /** Subtracted from the logit of each token already generated; 0 (the default) is off. */
  presencePenalty?: number;
  /** Subtracted from the logit of each token once per time it was generated; 0 (the default) is off. */
  frequencyPenalty?: number;
  /** Any safe integer; the same seed gives the same tokens. Default 0. */
  seed?: number;
}

/** A token that survived top-k/top-p, with its renormalized probability. */
export interface Candidate {
  id: number;
  prob: number;
}

/**
 * Chooses the next token from the logits of the last position (rules in the file header).
 *
 * @example
 * sample(logits, { draw: 0 }); // greedy
 * sample(logits, { temperature: 0.8, topK: 40, topP: 0.95, seed: 42, draw: 0 });
 */
export function sample(logits: ArrayLike<number>, options: SamplingOptions & { draw: number; generated?: readonly number[] }): number {
  const { temperature, seed } = checkSamplingOptions(options);
  if (!Number.isInteger(options.draw) || options.draw < 0) throw new RangeError(`draw must be an integer >= 0, got ${options.draw}`);
  const scores = penalize(logits, options.generated ?? [], options); // [V]
  if (temperature === 0) return argmax(scores);
  const kept = candidates(scores, options);
  const u = uniform(seed, options.draw);
  let cumulative = 0;
  for (const { id, prob } of kept) {
    cumulative += prob;
    if (cumulative > u) return id;
  }
  return kept[kept.length - 1].id; // rounding kept the total just under u
}

/**
 * The tokens sampling chooses from, by probability, with renormalized probabilities (rules 2-4).
 * Needs temperature > 0.
 *
 * @example
 * candidates([2, 1, 0], { temperature: 1, topK: 2 }); // [{ id: 0, prob: 0.731… }, { id: 1, prob: 0.268… }]
 */
export function candidates(logits: ArrayLike<number>, options: SamplingOptions): Candidate[] {
  const { temperature, topK, topP, minP } = checkSamplingOptions(options);
  if (temperature === 0) throw new RangeError('candidates needs temperature > 0; temperature 0 is greedy argmax');
  const probs = softmax(Float64Array.from(logits, (l) => l / temperature)); // [V]
  let kept = Array.from(probs, (prob, id) => ({ id, prob })).sort((a, b) => logits[b.id] - logits[a.id] || a.id - b.id);
  if (topK > 0) kept = renormalize(kept.slice(0, topK));
  const least = minP * probs[kept[0].id]; // the most probable token's probability, before any renormalizing
  if (topP < 1 || minP > 0) kept = renormalize((topP < 1 ? nucleus(kept, topP) : kept).filter(({ id }) => minP === 0 || probs[id] >= least));
  return kept;
}

/**
 * The logits less the penalties of rule 0 for the tokens `generated` so far (one entry per time).
 *
 * @example
 * penalize([2, 1, 0], [0, 0], { presencePenalty: 0.5, frequencyPenalty: 1 }); // [-0.5, 1, 0]
 */
export function penalize(logits: ArrayLike<number>, generated: readonly number[], options: SamplingOptions): ArrayLike<number> {
  const { presencePenalty, frequencyPenalty } = checkSamplingOptions(options);
  if ((presencePenalty === 0 && frequencyPenalty === 0) || generated.length === 0) return logits;
  const counts = new Map<number, number>();
  for (const id of generated) counts.set(id, (counts.get(id) ?? 0) + 1);
  const penalized = Float64Array.from(logits); // [V]
  for (const [id, count] of counts) penalized[id] = logits[id] - presencePenalty - frequencyPenalty * count;
  return penalized;
}

/**
 * The uniform number in [0, 1) that picks the token at a given draw: md5(`${seed}:${draw}`), first 32 bits / 2^32.
 *
 * @example
 * uniform(42, 0); // 0.66052864654921, as PostgreSQL computes it from md5('42:0')
 */
export function uniform(seed: number, draw: number): number {
  const hex = createHash('md5').update(`${seed}:${draw}`).digest('hex');
  return parseInt(hex.slice(0, 8), 16) / 2 ** 32;
}

/** The index of the largest value; the lowest index among equals. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Fills in the defaults and rejects out-of-range options with a message that says what is allowed. */
export function checkSamplingOptions(options: SamplingOptions): Required<SamplingOptions> {
  const { temperature = 0, topK = 0, topP = 1, minP = 0, presencePenalty = 0, frequencyPenalty = 0, seed = 0 } = options;
  if (!(temperature >= 0 && Number.isFinite(temperature))) throw new RangeError(`temperature must be a finite number >= 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be an integer >= 0 (0 turns it off), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1] (1 turns it off), got ${topP}`);
  if (!(minP >= 0 && minP <= 1)) throw new RangeError(`minP must be in [0, 1] (0 turns it off), got ${minP}`);
  if (!Number.isFinite(presencePenalty) || !Number.isFinite(frequencyPenalty)) throw new RangeError('the penalties must be finite numbers');
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return { temperature, topK, topP, minP, presencePenalty, frequencyPenalty, seed };
}

function nucleus(sorted: Candidate[], topP: number): Candidate[] {
  let before = 0; // running sum of the probabilities before the current token
  return sorted.filter(({ prob }) => {
    const keep = before < topP;
    before += prob;
    return keep;
  });
}

function renormalize(kept: Candidate[]): Candidate[] {
  const total = kept.reduce((s, c) => s + c.prob, 0);
  return kept.map(({ id, prob }) => ({ id, prob: prob / total }));
}
