// One head large: its T×T weights with the token labels on both axes (queries t down the left,
// keys s along the top) and the weight under the pointer in #head-readout. The canvas publishes
// its geometry (data-cell, data-origin-x/y) so a test can point at cell (t, s) exactly.

import type { HeadResponse } from './explorer-api.ts';
import { byId, visibleText } from './dom.ts';
import { drawHeatmap, heatmapImage, sizedContext } from './heatmap.ts';
import { showSql } from './sql-box.ts';

const FONT = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
/** The grid's side in CSS pixels, about; cells stay between these sizes whatever T is. */
const GRID_SIDE = 560;
const CELL_RANGE = { min: 3, max: 56 };
/** Labels never grow wider than this (longer ones end in …), and need this much room apart. */
const LABEL_MAX = 120;
const LABEL_PITCH = 14;

interface Layout {
  cell: number;
  originX: number;
  originY: number;
  /** Every `every`-th label is drawn: small cells cannot take one label each. */
  every: number;
  labels: string[];
}

let shown: { head: HeadResponse; layout: Layout; image: HTMLCanvasElement } | undefined;
/** The cell under the pointer as "t,s" ('' for none): the canvas is redrawn only when it changes. */
let hovered = '';

function layoutOf(head: HeadResponse, context: CanvasRenderingContext2D): Layout {
  const size = head.tokens.length;
  const cell = Math.max(CELL_RANGE.min, Math.min(CELL_RANGE.max, Math.floor(GRID_SIDE / Math.max(1, size))));
  context.font = FONT;
  const labels = head.tokens.map((text, t) => fitted(context, `${t} ${visibleText(text)}`));
  const margin = Math.ceil(Math.max(0, ...labels.map((label) => context.measureText(label).width))) + 10;
  return { cell, originX: margin, originY: margin, every: Math.ceil(LABEL_PITCH / cell), labels };
}

/** `label`, cut with … to at most LABEL_MAX pixels. */
function fitted(context: CanvasRenderingContext2D, label: string): string {
  if (context.measureText(label).width <= LABEL_MAX) return label;
  let chars = [...label];
  while (chars.length > 1 && context.measureText(`${chars.join('')}…`).width > LABEL_MAX) chars = chars.slice(0, -1);
  return `${chars.join('')}…`;
}

/** Opens the head view on `head` (the panel, the canvas, the readout, the SQL). */
export function drawHead(head: HeadResponse): void {
  const panel = byId('head-view');
  const canvas = byId<HTMLCanvasElement>('head-canvas');
  const layout = layoutOf(head, canvas.getContext('2d')!);
  shown = { head, layout, image: heatmapImage(head.weights) };
  canvas.dataset.block = String(head.block);
  canvas.dataset.head = String(head.head);
  canvas.dataset.cell = String(layout.cell);
  canvas.dataset.originX = String(layout.originX);
  canvas.dataset.originY = String(layout.originY);
  hovered = '';
  render(canvas);
  byId('head-title').textContent = `block ${head.block}, head ${head.head}`;
  setReadout(undefined);
  panel.hidden = false;
  showSql(panel, head.sql);
  performance.mark('explorer:head'); // scripts/bench-explorer.ts times a click on a head to here
}

export function closeHead(): void {
  shown = undefined;
  byId('head-view').hidden = true;
}

/** Draws the labels and weights; with `hover`, that cell outlined and its two labels in bold. */
function render(canvas: HTMLCanvasElement, hover?: { t: number; s: number }): void {
  if (!shown) return;
  const { layout: { cell, originX, originY }, head } = shown;
  const side = head.tokens.length * cell;
  const context = sizedContext(canvas, originX + side + 8, originY + side + 8);
  context.fillStyle = '#eef1f5'; // the masked cells (s > t): no weight there
  context.fillRect(originX, originY, side, side);
  drawHeatmap(context, shown.image, originX, originY, side);
  if (cell >= 8) gridLines(context, shown.layout, head.tokens.length);
  labels(context, shown.layout, hover);
  if (hover) {
    context.strokeStyle = '#f97316';
    context.lineWidth = 2;
    context.strokeRect(originX + hover.s * cell, originY + hover.t * cell, cell, cell);
  }
}

function gridLines(context: CanvasRenderingContext2D, { cell, originX, originY }: Layout, size: number): void {
  context.strokeStyle = 'rgba(255, 255, 255, 0.7)';
  context.lineWidth = 1;
  context.beginPath();
  for (let i = 1; i < size; i++) {
    context.moveTo(originX + i * cell, originY);
    context.lineTo(originX + i * cell, originY + size * cell);
    context.moveTo(originX, originY + i * cell);
    context.lineTo(originX + size * cell, originY + i * cell);
  }
  context.stroke();
}

/** Query labels right-aligned left of each row; key labels turned upright above each column. */
function labels(context: CanvasRenderingContext2D, layout: Layout, hover?: { t: number; s: number }): void {
  context.textBaseline = 'middle';
  layout.labels.forEach((label, i) => {
    const regular = i % layout.every === 0;
    if (regular || i === hover?.t) rowLabel(context, layout, i, i === hover?.t);
    if (regular || i === hover?.s) columnLabel(context, layout, i, i === hover?.s);
  });
}

function rowLabel(context: CanvasRenderingContext2D, { cell, originX, originY, labels }: Layout, t: number, strong: boolean): void {
  labelStyle(context, strong);
  context.textAlign = 'right';
  context.fillText(labels[t], originX - 6, originY + (t + 0.5) * cell);
}

function columnLabel(context: CanvasRenderingContext2D, { cell, originX, originY, labels }: Layout, s: number, strong: boolean): void {
  labelStyle(context, strong);
  context.save();
  context.translate(originX + (s + 0.5) * cell, originY - 6);
  context.rotate(-Math.PI / 2);
  context.textAlign = 'left';
  context.fillText(labels[s], 0, 0);
  context.restore();
}

function labelStyle(context: CanvasRenderingContext2D, strong: boolean): void {
  context.font = strong ? `bold ${FONT}` : FONT;
  context.fillStyle = strong ? '#c2410c' : '#334155';
}

/** The cell (t, s) under a pointer event, in the causal triangle; undefined elsewhere. */
function cellAt(canvas: HTMLCanvasElement, event: PointerEvent): { t: number; s: number } | undefined {
  if (!shown) return undefined;
  const rect = canvas.getBoundingClientRect();
  const scale = parseFloat(canvas.style.width) / rect.width; // the canvas may be shown scaled
  const { cell, originX, originY } = shown.layout;
  const s = Math.floor(((event.clientX - rect.left) * scale - originX) / cell);
  const t = Math.floor(((event.clientY - rect.top) * scale - originY) / cell);
  const size = shown.head.tokens.length;
  if (t < 0 || s < 0 || t >= size || s >= size || s > t) return undefined;
  return { t, s };
}

/** The readout of cell (t, s); no cell: empty, with no data attributes. */
function setReadout(at: { t: number; s: number } | undefined): void {
  const readout = byId('head-readout');
  if (!at || !shown) {
    readout.textContent = '';
    for (const name of ['t', 's', 'weight']) delete readout.dataset[name];
    return;
  }
  const { tokens, weights } = shown.head;
  const weight = weights[at.t][at.s];
  readout.textContent = `t=${at.t} "${visibleText(tokens[at.t])}" → s=${at.s} "${visibleText(tokens[at.s])}": ${weight.toFixed(4)}`;
  readout.dataset.t = String(at.t);
  readout.dataset.s = String(at.s);
  readout.dataset.weight = String(weight);
}

/** Wires the canvas's pointer and the close button once. */
export function setUpHeadView(onClose: () => void): void {
  const canvas = byId<HTMLCanvasElement>('head-canvas');
  const hover = (event: PointerEvent) => {
    const at = cellAt(canvas, event);
    const key = at ? `${at.t},${at.s}` : '';
    if (key === hovered) return;
    hovered = key;
    setReadout(at);
    render(canvas, at);
  };
  canvas.addEventListener('pointermove', hover);
  canvas.addEventListener('pointerdown', hover);
  canvas.addEventListener('pointerleave', () => {
    hovered = '';
    setReadout(undefined);
    render(canvas);
  });
  byId('head-close').addEventListener('click', onClose);
}
