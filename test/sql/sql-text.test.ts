import { describe, expect, it } from 'vitest';
import { blockSql, transformerSql } from '../../src/sql/forward.ts';
import { render } from '../../src/sql/render.ts';
import { inlineParameters, maskSql, splitCtes } from '../../src/sql/sql-text.ts';

const MODEL = { n_layer: 2, n_head: 2, n_embd: 32, layer_norm_epsilon: 1e-5, kernel: 'array' };

describe('maskSql', () => {
  it('blanks comments, strings, quoted identifiers and dollar quotes, position for position', () => {
    const text = `SELECT 'a''$1' AS "x""$2", E'\\'$3' -- $4 (\n/* /* $5 */ ) */ $$ $6 ( $$ $tag$ $7 $tag$ a$8 $9`;
    const masked = maskSql(text);
    expect(masked).toHaveLength(text.length);
    expect(masked.match(/\$\d/g)).toEqual(['$8', '$9']);
    expect(masked).not.toMatch(/[()]/);
    expect(masked.split('\n')).toHaveLength(2);
  });

  it('leaves code as it is', () => {
    const code = 'SELECT x[1:2], $1::int[] FROM t WHERE a <> b';
    expect(maskSql(code)).toBe(code);
  });
});

describe('inlineParameters', () => {
  it('replaces $n in code only, once, without rescanning what it put in', () => {
    const text = "SELECT $1::text, $2::int -- $1\n, '$1', $10";
    const values = ["'$2 -- it''s'", '-3', '', '', '', '', '', '', '', "'ten'"];
    expect(inlineParameters(text, values)).toBe("SELECT '$2 -- it''s'::text, -3::int -- $1\n, '$1', 'ten'");
  });

  it('refuses a parameter without a value', () => {
    expect(() => inlineParameters('SELECT $2', ['1'])).toThrow(/no value for parameter \$2/);
  });

  it('fills the one parameter of sql/tokenize.sql and of sql/detokenize.sql', () => {
    for (const name of ['tokenize', 'detokenize']) {
      const filled = inlineParameters(render(name), ['VALUE']);
      expect(maskSql(filled)).not.toMatch(/\$\d/);
      expect(filled.match(/VALUE/g)).toHaveLength(1);
    }
  });
});

describe('splitCtes', () => {
  it('splits a WITH list into named bodies and the rest', () => {
    const { ctes, rest } = splitCtes(`-- header (with a parenthesis
      WITH RECURSIVE a AS (SELECT '(' AS p), b (x, y) AS MATERIALIZED ( -- it's (
        SELECT (1), 2
      ), c AS NOT MATERIALIZED (SELECT 3) SELECT * FROM a, b, c`);
    expect(ctes.map((cte) => cte.name)).toEqual(['a', 'b', 'c']);
    expect(ctes[0].body).toBe("SELECT '(' AS p");
    expect(ctes[1].body.trim()).toBe("-- it's (\n        SELECT (1), 2");
    expect(rest).toBe(' SELECT * FROM a, b, c');
  });

  it("finds llm.c's activations in block.sql and the stages of transformer.sql", () => {
    const block = splitCtes(blockSql(MODEL, { ids: 'ids', start: '0' }));
    expect(block.ctes.map((cte) => cte.name)).toEqual(expect.arrayContaining(
      ['ln1', 'qkv', 'preatt', 'att', 'atty', 'attproj', 'residual2', 'ln2', 'fch', 'fch_gelu', 'fcproj', 'residual3']));
    expect(block.rest).toMatch(/^\s*SELECT/);
    const transformer = splitCtes(transformerSql(MODEL, { ids: 'ids', start: '0' }, 'all'));
    expect(transformer.ctes.map((cte) => cte.name)).toEqual(['encoded', 'forward', 'final', 'lnf']);
  });
});
