/**
 * The "Train both" plots of the Compare view: loss and accuracy of both models overlaid by step, final
 * accuracy against parameters, and gradient norm against depth (log scale: the vanishing-gradient
 * picture). Plain SVG built with createElementNS/textContent; hidden until the first data arrives.
 */
import type { CompareTrainingPoint, DepthGradient, SideIndex } from '../../src/protocol/compare-messages';
import { svgElement } from '../shared/render';

interface Series {
  points: { x: number; y: number }[];
}

const WIDTH = 320;
const HEIGHT = 170;
const PAD = { left: 44, right: 10, top: 20, bottom: 28 };

function niceNumber(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-2 || magnitude >= 1e4)) return value.toExponential(0);
  return Number(value.toPrecision(2)).toString();
}

/** One small line (or dot) chart with two series, A and B. */
function drawChart(parent: Element, id: string, title: string, series: [Series, Series], options: { logX?: boolean; logY?: boolean; dots?: boolean; xLabel: string }): void {
  const svg = svgElement('svg', { id, class: 'chart', width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': title }, parent);
  const label = svgElement('text', { x: PAD.left, y: 13, class: 'chart-title' }, svg);
  label.textContent = title;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!options.logX || p.x > 0) && (!options.logY || p.y > 0));
  if (all.length === 0) return;
  const tx = (v: number): number => (options.logX ? Math.log10(v) : v);
  const ty = (v: number): number => (options.logY ? Math.log10(v) : v);
  let [x0, x1] = [Math.min(...all.map((p) => tx(p.x))), Math.max(...all.map((p) => tx(p.x)))];
  let [y0, y1] = [Math.min(...all.map((p) => ty(p.y))), Math.max(...all.map((p) => ty(p.y)))];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (v: number): number => PAD.left + ((tx(v) - x0) / (x1 - x0)) * (WIDTH - PAD.left - PAD.right);
  const sy = (v: number): number => HEIGHT - PAD.bottom - ((ty(v) - y0) / (y1 - y0)) * (HEIGHT - PAD.top - PAD.bottom);
  svgElement('path', { class: 'axis', d: `M${PAD.left},${PAD.top} V${HEIGHT - PAD.bottom} H${WIDTH - PAD.right}` }, svg);
  const tick = (x: number, y: number, text: string, anchor: string): void => {
    const t = svgElement('text', { x, y, class: 'tick', 'text-anchor': anchor }, svg);
    t.textContent = text;
  };
  const back = (v: number, log?: boolean): number => (log ? 10 ** v : v);
  tick(PAD.left - 4, HEIGHT - PAD.bottom, niceNumber(back(y0, options.logY)), 'end');
  tick(PAD.left - 4, PAD.top + 8, niceNumber(back(y1, options.logY)), 'end');
  tick(PAD.left, HEIGHT - PAD.bottom + 12, niceNumber(back(x0, options.logX)), 'start');
  tick(WIDTH - PAD.right, HEIGHT - PAD.bottom + 12, niceNumber(back(x1, options.logX)), 'end');
  tick((PAD.left + WIDTH - PAD.right) / 2, HEIGHT - 4, options.xLabel, 'middle');
  series.forEach((s, side) => {
    const points = s.points.filter((p) => all.includes(p));
    if (points.length === 0) return;
    if (options.dots || points.length === 1) for (const p of points) svgElement('circle', { class: `series side-${side}`, cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 4 }, svg);
    else svgElement('path', { class: `series side-${side}`, 'data-points': points.length, d: points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ') }, svg);
  });
}

export class TrainingCharts {
  private labels: [string, string] = ['A', 'B'];
  private params: [number, number] = [0, 0];
  private readonly curves: [CompareTrainingPoint[], CompareTrainingPoint[]] = [[], []];
  private readonly depth: [DepthGradient[], DepthGradient[]] = [[], []];
  /** Each side's latest held-out accuracy (null until its first evaluation). */
  private readonly heldOut: [number | null, number | null] = [null, null];

  constructor(private readonly root: HTMLElement) {}

  setLabels(labels: [string, string], params: [number, number]): void {
    this.labels = labels;
    this.params = params;
    this.draw();
  }

  addPoint(side: SideIndex, point: CompareTrainingPoint): void {
    this.curves[side].push(point);
    this.draw();
  }

  setHeldOut(side: SideIndex, accuracy: number): void {
    this.heldOut[side] = accuracy;
    this.draw();
  }

  /** Forgets every point (a new Train both run starts). */
  clear(): void {
    this.heldOut[0] = null;
    this.heldOut[1] = null;
    this.curves[0].length = 0;
    this.curves[1].length = 0;
    this.depth[0] = [];
    this.depth[1] = [];
    this.draw();
  }

  setDepthGradients(side: SideIndex, points: DepthGradient[]): void {
    this.depth[side] = points.slice().sort((a, b) => a.depth - b.depth);
    this.draw();
  }

  private draw(): void {
    const any = this.curves.some((c) => c.length > 0) || this.depth.some((d) => d.length > 0);
    this.root.classList.toggle('visible', any);
    if (!any) {
      this.root.replaceChildren();
      return;
    }
    const legend = document.createElement('div');
    legend.className = 'chart-legend';
    this.labels.forEach((label, side) => {
      const entry = document.createElement('span');
      entry.className = `legend-${side}`;
      entry.textContent = `${side === 0 ? 'A' : 'B'}: ${label}`;
      legend.appendChild(entry);
    });
    const plots = document.createElement('div');
    plots.className = 'charts';
    const series = (pick: (p: CompareTrainingPoint) => { x: number; y: number }): [Series, Series] => [{ points: this.curves[0].map(pick) }, { points: this.curves[1].map(pick) }];
    drawChart(plots, 'chart-loss', 'Training loss', series((p) => ({ x: p.step, y: p.loss })), { xLabel: 'step' });
    drawChart(plots, 'chart-accuracy', 'Accuracy', series((p) => ({ x: p.step, y: p.accuracy })), { xLabel: 'step' });
    // Held-out accuracy where a side has been evaluated; otherwise its (smoothed) training accuracy, and the title says which.
    const last = (side: 0 | 1): { x: number; y: number }[] => {
      const held = this.heldOut[side];
      if (held !== null) return [{ x: this.params[side], y: held }];
      return this.curves[side].length ? [{ x: this.params[side], y: this.curves[side][this.curves[side].length - 1].accuracy }] : [];
    };
    const evaluated = this.heldOut.filter((h) => h !== null).length;
    const source = evaluated === 2 ? 'held-out' : evaluated === 0 ? 'training' : 'mixed';
    const title = source === 'held-out' ? 'Held-out accuracy against parameters' : source === 'training' ? 'Training accuracy against parameters (no held-out evaluation yet)' : 'Accuracy against parameters (held-out where evaluated, else training)';
    drawChart(plots, 'chart-params', title, [{ points: last(0) }, { points: last(1) }], { logX: true, dots: true, xLabel: 'parameters (log)' });
    const chart = plots.querySelector('#chart-params');
    chart?.setAttribute('data-accuracy', source);
    chart?.setAttribute('data-values', [last(0), last(1)].map((p) => (p.length ? String(p[0].y) : '')).join(','));
    drawChart(plots, 'chart-depth', 'Gradient norm against depth', [{ points: this.depth[0].map((d) => ({ x: d.depth, y: d.norm })) }, { points: this.depth[1].map((d) => ({ x: d.depth, y: d.norm })) }], { logY: true, xLabel: 'depth (layers from the input)' });
    this.root.replaceChildren(legend, plots);
  }
}
