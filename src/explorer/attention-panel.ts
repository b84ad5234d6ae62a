// The attention grid: every block × head as a small heatmap, blocks as rows and heads as columns,
// as GPT-2's trace has them (attention[block][head][t][s]). A click opens that head large.

import type { TraceResponse } from './explorer-api.ts';
import { byId, el, fill } from './dom.ts';
import { drawHeatmap, heatmapImage, sizedContext } from './heatmap.ts';
import { showSql } from './sql-box.ts';

/** Thumbnails share about this many CSS pixels of width, so 12 heads fit a laptop's card. */
const GRID_WIDTH = 720;

function thumbSize(nHead: number): number {
  return Math.max(28, Math.min(64, Math.floor(GRID_WIDTH / nHead) - 6));
}

function thumb(weights: number[][], block: number, head: number, size: number): HTMLCanvasElement {
  const canvas = el('canvas', {
    className: 'head-thumb',
    title: `block ${block}, head ${head}: click to open`,
    attrs: { 'data-block': String(block), 'data-head': String(head), tabindex: '0', role: 'button', 'aria-label': `open block ${block} head ${head}` },
  });
  drawHeatmap(sizedContext(canvas, size, size), heatmapImage(weights, size * (window.devicePixelRatio || 1)), 0, 0, size);
  return canvas;
}

/** Draws the grid; `open(block, head)` is called when a thumbnail is clicked (or Enter on it). */
export function drawAttentionGrid(trace: TraceResponse, open: (block: number, head: number) => void): void {
  const grid = byId('attention-grid');
  const nHead = trace.model.n_head;
  const size = thumbSize(nHead);
  grid.style.gridTemplateColumns = `auto repeat(${nHead}, ${size}px)`;
  const headLabels = Array.from({ length: nHead }, (_, head) => el('span', { className: 'grid-label head-label', text: `h${head}` }));
  const cells: HTMLElement[] = [el('span', { className: 'grid-corner' }), ...headLabels];
  trace.attention.forEach((heads, block) => {
    cells.push(el('span', { className: 'grid-label block-label', text: `block ${block}` }));
    heads.forEach((weights, head) => cells.push(thumb(weights, block, head, size)));
  });
  fill(grid, cells);
  grid.onclick = (event) => openFrom(event.target, open);
  grid.onkeydown = (event) => {
    if (event.key === 'Enter' || event.key === ' ') openFrom(event.target, open);
  };
  showSql(byId('attention-panel'), trace.sql.attention);
}

function openFrom(target: EventTarget | null, open: (block: number, head: number) => void): void {
  if (!(target instanceof HTMLCanvasElement) || !target.classList.contains('head-thumb')) return;
  open(Number(target.dataset.block), Number(target.dataset.head));
}

/** Outlines the thumbnail of the open head (none when no head is open). */
export function markOpenHead(block?: number, head?: number): void {
  for (const canvas of byId('attention-grid').querySelectorAll<HTMLCanvasElement>('canvas.head-thumb')) {
    canvas.classList.toggle('open', Number(canvas.dataset.block) === block && Number(canvas.dataset.head) === head);
  }
}
