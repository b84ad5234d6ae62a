/**
 * The small vocabulary of the tests whose subject is not the vocabulary: GPT-2's tokenizer cut to
 * its first merges (make-checkpoint's `vocab_size`, preset `small`), and its independent reference,
 * js-tiktoken's gpt2 data cut the same way.
 */
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';

/**
 * 1024 tokens: the 256 byte tokens, GPT-2's first 767 merges (" the", "ing", " and", "The", …),
 * <|endoftext|> = 1023. A test model's output head then computes 1024 logits a step, not 50,257.
 */
export const SMALL_VOCAB = 1024;

/**
 * tiktoken's "gpt2" encoding with only the tokens ranked below vocabSize - 1 and <|endoftext|> at
 * vocabSize - 1. GPT-2 numbers merge r's token 256 + r and tiktoken ranks tokens by id, so this is
 * GPT-2's BPE with its first vocabSize - 257 merges, computed by tiktoken's code, not ours.
 *
 * @example
 * cutTiktoken(1024).encode('The database', [], []); // [464, …]
 */
export function cutTiktoken(vocabSize = SMALL_VOCAB): Tiktoken {
  const [first, offset, ...tokens] = gpt2Ranks.bpe_ranks.split(' ');
  if (offset !== '0') throw new Error('unexpected js-tiktoken gpt2 rank data');
  return new Tiktoken({
    pat_str: gpt2Ranks.pat_str,
    special_tokens: { '<|endoftext|>': vocabSize - 1 },
    bpe_ranks: [first, offset, ...tokens.slice(0, vocabSize - 1)].join(' '),
  });
}
