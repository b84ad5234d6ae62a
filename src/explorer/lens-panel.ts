// The logit lens: what each block's output (residual3), put through ln_f and the output head,
// would predict after the prompt. One row a block, its top 5 tokens, each cell shaded by its
// probability on the attention heatmaps' scale.

import type { LensRow, TraceResponse } from './explorer-api.ts';
import { byId, el, fill, formatProb, visibleText } from './dom.ts';
import { isDark, weightCss } from './heatmap.ts';
import { showSql } from './sql-box.ts';

function lensCell(row: LensRow): HTMLTableCellElement {
  const cell = el('td', {
    className: `lens-cell${isDark(row.prob) ? ' dark' : ''}`,
    text: visibleText(row.text),
    title: `token ${row.token}: p = ${formatProb(row.prob)}, logit ${row.logit.toFixed(3)}`,
    attrs: { 'data-rank': String(row.rank), 'data-token': String(row.token), 'data-prob': String(row.prob), 'data-text': row.text },
  });
  cell.style.backgroundColor = weightCss(row.prob);
  return cell;
}

function lensRow(rows: LensRow[], block: number): HTMLTableRowElement {
  const sorted = [...rows].sort((a, b) => a.rank - b.rank);
  return el('tr', { attrs: { 'data-block': String(block) } }, [
    el('th', { text: `block ${block}`, attrs: { scope: 'row' } }),
    ...sorted.map(lensCell),
  ]);
}

export function drawLens(trace: TraceResponse): void {
  const rank = Math.max(0, ...trace.lens.map((rows) => rows.length));
  const head = el('tr', {}, [
    el('th', { text: 'output of' }),
    ...Array.from({ length: rank }, (_, i) => el('th', { text: `#${i + 1}` })),
  ]);
  const table = byId<HTMLTableElement>('lens');
  fill(table, [
    el('thead', {}, [head]),
    el('tbody', {}, trace.lens.map((rows, i) => lensRow(rows, rows[0]?.block ?? i))),
  ]);
  showSql(byId('lens-panel'), trace.sql.lens);
}
