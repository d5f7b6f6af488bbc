/**
 * Loss-landscape charts (Li et al. 2018, Fig. 1 and the 1-D plots of §4) drawn with Observable Plot: a line of
 * loss against α for a 1-D slice, and for a 2-D slice a heat map (Plot.raster) with contour lines (Plot.contour)
 * and a colour bar (a log scale: the far corners of a surface are orders of magnitude above its minimum). Plot's
 * own <style> elements are dropped (the webview's CSP admits no inline style) and their few rules live in
 * LANDSCAPE_CSS, an adopted sheet. Two results can share their scales so the Compare view's sides read alike.
 */
import * as Plot from '@observablehq/plot';
import type { LandscapeLine, LandscapeResult, LandscapeSurface } from '../../src/train/experiments/landscape';

const LANDSCAPE_CSS = `
.landscape-plot { display: block; height: auto; max-width: 100%; overflow: visible; background: transparent; color: var(--vscode-foreground); font: 10px var(--vscode-font-family, sans-serif); }
.landscape-plot text, .landscape-plot tspan { white-space: pre; fill: currentColor; }
.landscape-figure { margin: 0; display: inline-block; vertical-align: top; }
.landscape-figure figcaption { color: var(--vscode-descriptionForeground); font: 11px var(--vscode-font-family, sans-serif); margin: 2px 0 4px; }
.landscape-figure .landscape-plot-ramp { display: block; }
#training[data-state="idle"] .landscape-panel, #training[data-state="requested"] .landscape-panel { display: none; }
.landscape-panel { display: flex; flex-direction: column; gap: 6px; margin-top: 6px; }
.landscape-panel .landscape-row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.landscape-panel .landscape-charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.landscape-panel .landscape-status { color: var(--vscode-descriptionForeground); }
.landscape-panel .landscape-status.error { color: var(--vscode-errorForeground); }
`;

let sheet: CSSStyleSheet | null = null;

/** Adopts the charts' sheet into the document once. */
export function adoptLandscapeStyles(): void {
  if (sheet) return;
  sheet = new CSSStyleSheet();
  sheet.replaceSync(LANDSCAPE_CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

/** Scales two charts share so their colours and heights compare: the loss range over every given result. */
export interface SharedScale {
  loss: [number, number];
}

/** The loss range (min, max over finite values) of several results, for drawing them on one scale. */
export function sharedScale(results: readonly LandscapeResult[]): SharedScale {
  const values = results.flatMap((r) => r.loss.filter(Number.isFinite));
  return { loss: values.length ? [Math.min(...values), Math.max(...values)] : [0, 1] };
}

/** Plot's own <style> elements would break the CSP: our sheet carries their rules instead. */
function withoutInlineStyles<T extends Element>(element: T): T {
  for (const style of element.querySelectorAll('style')) style.remove();
  return element;
}

/** The plot's own svg: Plot returns it alone, or in a <figure> after its legend. */
function plotSvg(chart: Element): Element {
  return chart.tagName.toLowerCase() === 'svg' ? chart : (chart.querySelector(':scope > svg.landscape-plot') ?? chart);
}

function figure(title: string, chart: Element, kind: 'line' | 'surface'): HTMLElement {
  const wrapper = document.createElement('figure');
  wrapper.className = 'landscape-figure';
  wrapper.dataset.kind = kind;
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  wrapper.append(caption, chart);
  return wrapper;
}

/**
 * The 1-D slice: loss (nats per image) against α, a dot at α = 0 (the trained weights). The line's path has one
 * vertex per α (its `data-points`), accuracy at the centre in the caption.
 */
export function lineChart(result: LandscapeLine, title: string, scale: SharedScale = sharedScale([result])): HTMLElement {
  adoptLandscapeStyles();
  const points = result.alphas.map((alpha, i) => ({ alpha, loss: result.loss[i], accuracy: result.accuracy[i] })).filter((p) => Number.isFinite(p.loss));
  const centre = points.find((p) => p.alpha === 0);
  const [low, high] = scale.loss;
  const chart = Plot.plot({
    document,
    className: 'landscape-plot',
    width: 300,
    height: 180,
    marginLeft: 44,
    x: { label: 'α (filter-normalised direction δ)', domain: [-1, 1] },
    y: { label: 'loss', domain: [Math.min(low, high), high > low ? high : low + 1], grid: true },
    marks: [Plot.line(points, { x: 'alpha', y: 'loss', stroke: 'var(--vscode-charts-blue, currentColor)', strokeWidth: 1.5 }), ...(centre ? [Plot.dot([centre], { x: 'alpha', y: 'loss', fill: 'var(--vscode-charts-orange, currentColor)', r: 3 })] : [])],
  });
  withoutInlineStyles(chart);
  plotSvg(chart).classList.add('landscape-line');
  plotSvg(chart).setAttribute('data-points', String(points.length));
  const caption = centre ? `${title} · loss ${centre.loss.toFixed(3)}, accuracy ${(centre.accuracy * 100).toFixed(1)}% at α = 0` : title;
  return figure(caption, chart, 'line');
}

/** `count` contour levels spaced evenly in log(loss) between low and high. */
function logThresholds(low: number, high: number, count: number): number[] {
  if (!(low > 0) || !(high > low)) return [low];
  const [a, b] = [Math.log(low), Math.log(high)];
  return Array.from({ length: count }, (_, i) => Math.exp(a + ((i + 0.5) * (b - a)) / count));
}

/**
 * The 2-D slice: a heat map of loss over (α, β) ∈ [−1, 1]², β upwards, contour lines at 10 levels even in
 * log(loss), a dot at the trained weights, and the colour bar (log scale) above it.
 */
export function surfaceChart(result: LandscapeSurface, title: string, scale: SharedScale = sharedScale([result])): HTMLElement {
  adoptLandscapeStyles();
  const n = result.alphas.length;
  const half = n > 1 ? 1 / (n - 1) : 1;
  // Floor the loss for the log scale: cross-entropy is positive, but a perfect fit rounds to 0.
  const floor = Math.max(scale.loss[0], 1e-6);
  const ceiling = Math.max(scale.loss[1], floor * (1 + 1e-6));
  const values = result.loss.map((v) => (Number.isFinite(v) ? Math.min(Math.max(v, floor), ceiling) : ceiling));
  const extent = { width: n, height: result.betas.length, x1: -1 - half, x2: 1 + half, y1: -1 - half, y2: 1 + half };
  const chart = Plot.plot({
    document,
    className: 'landscape-plot',
    width: 260,
    height: 240,
    marginLeft: 36,
    x: { label: 'α (δ)', domain: [-1 - half, 1 + half] },
    y: { label: 'β (η)', domain: [-1 - half, 1 + half] },
    color: { type: 'log', scheme: 'viridis', domain: [floor, ceiling], legend: true, label: 'loss' },
    marks: [
      Plot.raster(values, { ...extent, fill: (v: number) => v, imageRendering: 'pixelated' }),
      Plot.contour(values, { ...extent, stroke: 'white', strokeOpacity: 0.55, strokeWidth: 0.8, fill: null, thresholds: logThresholds(floor, ceiling, 10) }),
      Plot.dot([{ alpha: 0, beta: 0 }], { x: 'alpha', y: 'beta', stroke: 'var(--vscode-charts-orange, orange)', r: 3 }),
    ],
  });
  withoutInlineStyles(chart);
  plotSvg(chart).classList.add('landscape-surface');
  plotSvg(chart).setAttribute('data-grid', `${n}x${result.betas.length}`);
  // Where the extremes are, as "α index,β index": what the picture must show darkest and brightest.
  const order = values.map((v, k) => [v, k] as const).sort((a, b) => a[0] - b[0]);
  const cell = (k: number): string => `${k % n},${Math.floor(k / n)}`;
  plotSvg(chart).setAttribute('data-lowest', cell(order[0][1]));
  plotSvg(chart).setAttribute('data-highest', cell(order[order.length - 1][1]));
  const centre = result.loss[Math.floor(result.betas.length / 2) * n + Math.floor(n / 2)];
  return figure(`${title} · ${n}×${result.betas.length}, loss ${centre.toFixed(3)} at the centre`, chart, 'surface');
}

/** A chart for either kind of result. */
export function landscapeChart(result: LandscapeResult, title: string, scale?: SharedScale): HTMLElement {
  return result.kind === 'line' ? lineChart(result, title, scale) : surfaceChart(result, title, scale);
}
