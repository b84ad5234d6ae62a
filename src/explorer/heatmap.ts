// Attention weights as pixels. A head's weights are a lower-triangular T×T matrix (row t: query
// position t, column s: key position s <= t); each weight becomes one pixel of an offscreen canvas,
// which the grid's thumbnails and the large head view then scale up without smoothing.

type Rgb = readonly [number, number, number];

/** A white-to-navy ramp: 0 is white like the page, so a head that looks nowhere shows as blank. */
const STOPS: ReadonlyArray<readonly [number, Rgb]> = [
  [0, [255, 255, 255]],
  [0.25, [191, 219, 254]],
  [0.5, [96, 165, 250]],
  [0.75, [37, 99, 235]],
  [1, [30, 58, 138]],
];

/**
 * The colour of a weight or probability in [0, 1] (clamped), linear in the value so that the
 * picture's shades compare as the numbers do.
 *
 * @example
 * weightRgb(0); // [255, 255, 255]
 */
export function weightRgb(value: number): Rgb {
  const w = Math.min(1, Math.max(0, value));
  const upper = STOPS.findIndex(([at]) => at >= w);
  if (upper <= 0) return STOPS[0][1];
  const [a, from] = STOPS[upper - 1];
  const [b, to] = STOPS[upper];
  const f = (w - a) / (b - a);
  const mix = (i: number) => Math.round(from[i] + (to[i] - from[i]) * f);
  return [mix(0), mix(1), mix(2)];
}

export function weightCss(value: number): string {
  const [r, g, b] = weightRgb(value);
  return `rgb(${r} ${g} ${b})`;
}

/** Whether text on `weightCss(value)` should be white to stay readable. */
export function isDark(value: number): boolean {
  return value > 0.55;
}

/**
 * One head's weights as an image: pixel (s, t) is weights[t][s]; pixels with s > t (the causal
 * mask) stay transparent, so the canvas's background shows there. With `maxSide` below T, several
 * positions share a pixel, which shows the largest of their weights: a sharp peak stays visible
 * in a thumbnail (and a thumbnail of a long prompt does not cost T×T pixels).
 */
export function heatmapImage(weights: number[][], maxSide = Infinity): HTMLCanvasElement {
  const size = weights.length;
  const side = Math.max(1, Math.min(size, Math.floor(maxSide)));
  const pooled = new Float64Array(side * side).fill(-1); // -1: no weight (masked)
  weights.forEach((row, t) => row.forEach((weight, s) => {
    const pixel = Math.floor((t * side) / size) * side + Math.floor((s * side) / size);
    pooled[pixel] = Math.max(pooled[pixel], weight);
  }));
  const image = new ImageData(side, side);
  pooled.forEach((weight, pixel) => {
    if (weight >= 0) image.data.set([...weightRgb(weight), 255], pixel * 4);
  });
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return canvas;
}

/**
 * Sizes `canvas` to `width`×`height` CSS pixels with a backing store of the screen's density, and
 * returns a context that draws in CSS pixels: sharp on a high-density screen too.
 */
export function sizedContext(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const context = canvas.getContext('2d')!;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.imageSmoothingEnabled = false; // one weight, one flat square
  return context;
}

/** Draws `image` (from heatmapImage) as a square of `size` CSS pixels at (x, y). */
export function drawHeatmap(context: CanvasRenderingContext2D, image: HTMLCanvasElement, x: number, y: number, size: number): void {
  context.imageSmoothingEnabled = false;
  context.drawImage(image, x, y, size, size);
}
