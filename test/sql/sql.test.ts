import { describe, expect, it } from 'vitest';
import { ctes, EMPTY, input, renderBound, renderInlined, sql, template } from '../../src/sql/sql.ts';
import { parseTemplate } from '../../src/sql/template-file.ts';
import { detokenize, probs, tokenize } from '../../src/sql/statements.ts';

describe('parseTemplate', () => {
  const file = parseTemplate([
    '-- demo: what it computes.',
    '-- [T] -> [T]',
    '--',
    '-- In psql: SELECT 1;',
    '--   (usage, never rendered)',
    'WITH',
    '{{list}},',
    'last AS (SELECT {{a}} + {{b}})',
    '  {{alone}}',
    'SELECT 1',
  ].join('\n'));

  it('keeps the header up to its usage, and reads placeholders alone on their line, with or without a comma', () => {
    expect(file.header).toEqual(['-- demo: what it computes.', '-- [T] -> [T]']);
    expect([...file.placeholders]).toEqual(['list', 'a', 'b', 'alone']);
    expect(file.body.map((line) => [line.alone, line.trailing, line.indent])).toEqual([
      [undefined, '', 0], ['list', ',', 0], [undefined, '', 0], ['alone', '', 2], [undefined, '', 0],
    ]);
  });

  it('refuses a placeholder in the header: a header describes every use', () => {
    expect(() => parseTemplate('-- demo of {{x}}\nSELECT 1')).toThrow(/header holds no placeholder/);
  });
});

describe('rendering', () => {
  it('binds inputs as typed parameters in the order of first use, the same input once', () => {
    const { text, parameters } = renderBound(template('next', {
      transformer: ctes({ name: 'lnf', body: sql`SELECT 0 AS t, ${input('ids')} AS x` }),
      logits: sql`SELECT 0 AS t, '{0.5}'::float8[] AS logit`,
      choosing: sql`SELECT 0 AS t, ${input('temperature')} AS temperature, ${input('temperature')} > 0 AS sampled`,
      probs: probs(),
      top: input('top'),
    }));
    expect(parameters).toEqual(['ids', 'temperature', 'top']);
    expect(text).toContain('SELECT 0 AS t, $1::int[] AS x');
    expect(text.match(/\$2::float8/g)!.length).toBeGreaterThan(1);
    expect(text).toContain('LIMIT $3::int');
  });

  it('inlines each input as a literal of its type, and never indents text inside a literal', () => {
    const prompt = "line one\n    it's indented\n";
    const text = renderInlined(template('complete', {
      tokenize: tokenize(), step: sql`SELECT 1 AS token`, max_tokens: input('max_tokens'), n_ctx: 24, detokenize: detokenize(sql`completion.tokens`),
    }), { text: prompt, max_tokens: 5 });
    expect(text).toContain(`string_to_table('line one\n    it''s indented\n'::text, NULL)`);
    expect(text).toContain('generation.step < 5::int');
    expect(() => renderInlined(tokenize(), {})).toThrow(/no value for the input text/);
  });

  it('indents what it nests: a part alone on its line at that line\'s indentation, code continuing a line from its indentation', () => {
    const text = renderInlined(ctes({ name: 'a', note: '[T] -> [T]', body: sql`SELECT (SELECT 1\n  FROM b) AS x` }), {});
    expect(text).toBe([
      'a AS (                          -- [T] -> [T]',
      '  SELECT (SELECT 1',
      '    FROM b) AS x',
      ')',
    ].join('\n'));
  });

  it('leaves no line for a part alone on its line filled with nothing, nor its comma', () => {
    const text = renderBound(template('step', {
      transformer: ctes({ name: 'lnf', body: sql`SELECT 1` }),
      logits: sql`SELECT 1`, choosing: sql`SELECT 1`, penalties: EMPTY, probs: EMPTY, save: EMPTY, sample: sql`chosen AS (SELECT 1 AS token)`, result: sql`SELECT token FROM chosen`,
    })).text;
    expect(text).not.toMatch(/^\s*$/m);
    expect(text).not.toMatch(/,\s*,/);
    expect(text).toMatch(/^choosing AS \( +-- \[T'\]: how each sequence chooses\n {2}SELECT 1\n\),\nchosen AS \(/m);
  });

  it('writes a template\'s header once per statement, and refuses a missing or an unknown placeholder', () => {
    const twice = renderInlined(ctes({ name: 'a', body: detokenize(sql`ARRAY[1]`) }, { name: 'b', body: detokenize(sql`ARRAY[2]`) }), {});
    expect(twice.match(/-- detokenize: GPT-2's decoder/g)).toHaveLength(1);
    expect(() => renderInlined(template('detokenize'), {})).toThrow(/sql\/detokenize.sql: no value for \{\{ids\}\}/);
    expect(() => renderInlined(template('detokenize', { ids: sql`x`, idz: 1 }), {})).toThrow(/has no placeholder \{\{idz\}\}/);
  });
});
