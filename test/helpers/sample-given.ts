/** sql/sample_given.sql: the sample stage alone, over logits given as a float8[] (index = token id), to test sampling against the reference; by default with the whole ranking. */
import { input, template, type Sql } from '../../src/sql/sql.ts';
import { choosing, penalties, probs, sample } from '../../src/sql/statements.ts';

export function sampleGivenStatement(wholeRanking = true): Sql {
  return template('sample_given', { logits: input('logits'), choosing: choosing(), penalties: penalties(), probs: probs(), sample: sample(wholeRanking) });
}
