/**
 * The "Train both" plots of the Compare view, drawn with Observable Plot (webview/shared/plot-theme.ts):
 * loss and accuracy of both models overlaid by step, accuracy against parameters, and gradient norm
 * against depth (log scale: the vanishing-gradient picture; Glorot & Bengio 2010, section 4). Side A
 * and side B keep one colour each across the charts; hovering a point names it. Hidden until the first
 * data arrives.
 */
import type { CompareTrainingPoint, DepthGradient, SideIndex } from '../../src/protocol/compare-messages';
import { chart, distinctTicks, Plot, seriesColours } from '../shared/plot-theme';
import { RedrawThrottle } from '../shared/throttle';

/** The shortest time between two drawings of the four charts (ms): events come per step from two workers. */
const REDRAW_MS = 250;

/**
 * Marks side `side`'s line path as `path.series.side-N` with data-points (the count drawn), so tests and
 * the e2e suite find a side's curve; the figure carries data-points0/1 as well (0 when nothing is drawn).
 */
function tagLine(figure: HTMLElement, side: number, points: number): void {
  figure.dataset[`points${side}`] = String(points);
  const path = figure.querySelector(`g.series.side-${side} path`);
  if (!path) return;
  path.classList.add('series', `side-${side}`);
  path.setAttribute('data-points', String(points));
}

/** Whole-number ticks over the depths drawn: each depth up to 12 of them, else every k-th with k a whole step. */
function depthTicks(depths: number[]): number[] {
  if (depths.length === 0) return [];
  const low = Math.min(...depths);
  const high = Math.max(...depths);
  const step = Math.max(1, Math.ceil((high - low) / 12));
  const ticks: number[] = [];
  for (let d = low; d <= high; d += step) ticks.push(d);
  return ticks;
}

export class TrainingCharts {
  private labels: [string, string] = ['A', 'B'];
  private params: [number, number] = [0, 0];
  private readonly curves: [CompareTrainingPoint[], CompareTrainingPoint[]] = [[], []];
  private readonly depth: [DepthGradient[], DepthGradient[]] = [[], []];
  /** Each side's latest held-out accuracy (null until its first evaluation). */
  private readonly heldOut: [number | null, number | null] = [null, null];

  private readonly redraw = new RedrawThrottle(() => this.draw(), REDRAW_MS);

  constructor(private readonly root: HTMLElement) {}

  setLabels(labels: [string, string], params: [number, number]): void {
    this.labels = labels;
    this.params = params;
    this.redraw.request();
  }

  addPoint(side: SideIndex, point: CompareTrainingPoint): void {
    this.curves[side].push(point);
    this.redraw.request();
  }

  setHeldOut(side: SideIndex, accuracy: number): void {
    this.heldOut[side] = accuracy;
    this.redraw.request();
  }

  /** Forgets every point (a new Train both run starts). */
  clear(): void {
    this.heldOut[0] = null;
    this.heldOut[1] = null;
    this.curves[0].length = 0;
    this.curves[1].length = 0;
    this.depth[0] = [];
    this.depth[1] = [];
    this.redraw.flush();
  }

  setDepthGradients(side: SideIndex, points: DepthGradient[]): void {
    this.depth[side] = points.slice().sort((a, b) => a.depth - b.depth);
    this.redraw.request();
  }

  /** Draws the latest data now (a run has ended: its last points show at once). */
  flush(): void {
    this.redraw.flush();
  }

  private draw(): void {
    const any = this.curves.some((c) => c.length > 0) || this.depth.some((d) => d.length > 0);
    this.root.classList.toggle('visible', any);
    if (!any) {
      this.root.replaceChildren();
      return;
    }
    const colours = seriesColours();
    const name = (side: number): string => `${side === 0 ? 'A' : 'B'}: ${this.labels[side]}`;
    const legend = [0, 1].map((side) => ({ name: name(side), colour: colours[side] }));
    const plots = document.createElement('div');
    plots.className = 'charts';
    const curve = (id: string, title: string, pick: (p: CompareTrainingPoint) => number, yLabel: string, top?: number): HTMLElement => {
      const values = this.curves.flatMap((c) => c.map(pick)).filter(Number.isFinite);
      const high = top ?? Math.max(1e-9, ...values);
      return chart(
        { id, title, legend },
        {
          x: { label: 'step', grid: true },
          // Loss and accuracy are never negative: the axis starts at 0 and ends at the largest value (1 for accuracy).
          y: { label: yLabel, domain: [0, high], nice: top === undefined, grid: true },
          marks: [0, 1].map((side) =>
            Plot.line(
              this.curves[side].filter((p) => Number.isFinite(pick(p))).map((p) => ({ step: p.step, value: pick(p) })),
              { x: 'step', y: 'value', stroke: colours[side], strokeWidth: 1.5, className: `series side-${side}` },
            ),
          ),
        },
      );
    };
    const loss = curve('chart-loss', 'Training loss', (p) => p.loss, 'cross-entropy');
    const accuracy = curve('chart-accuracy', 'Training accuracy', (p) => p.accuracy, 'accuracy', 1);
    for (const [figure, pick] of [[loss, (p: CompareTrainingPoint) => p.loss], [accuracy, (p: CompareTrainingPoint) => p.accuracy]] as const) {
      this.curves.forEach((c, side) => tagLine(figure, side, c.filter((p) => Number.isFinite(pick(p))).length));
    }
    plots.append(loss, accuracy, this.parameterChart(colours, name), this.depthChart(colours, legend));
    this.root.replaceChildren(plots);
  }

  /** Held-out accuracy where a side has been evaluated; otherwise its latest training accuracy, and the title says which. */
  private parameterChart(colours: [string, string], name: (side: number) => string): HTMLElement {
    const last = (side: 0 | 1): { params: number; accuracy: number; side: number } | null => {
      const held = this.heldOut[side];
      const accuracy = held ?? this.curves[side].at(-1)?.accuracy;
      return accuracy === undefined || !(this.params[side] > 0) ? null : { params: this.params[side], accuracy, side };
    };
    const points = [last(0), last(1)].filter((p) => p !== null);
    const evaluated = this.heldOut.filter((h) => h !== null).length;
    const source = evaluated === 2 ? 'held-out' : evaluated === 0 ? 'training' : 'mixed';
    const title = source === 'held-out' ? 'Held-out accuracy against parameters' : source === 'training' ? 'Training accuracy against parameters (no held-out evaluation yet)' : 'Accuracy against parameters (held-out where evaluated, else training)';
    const { ticks, format } = distinctTicks(points.map((p) => p.params));
    // A log axis padded by a factor of two each way keeps both dots inside the frame, even for equal counts.
    const low = Math.min(...ticks, Infinity);
    const high = Math.max(...ticks, -Infinity);
    const figure = chart(
      { id: 'chart-params', title, legend: points.map((p) => ({ name: name(p.side), colour: colours[p.side] })) },
      {
        x: { type: 'log', label: 'trainable parameters (log)', domain: ticks.length ? [low / 2, high * 2] : [1, 10], ticks, tickFormat: format },
        y: { label: 'accuracy', domain: [0, 1], grid: true },
        marks: [
          Plot.dot(points, { x: 'params', y: 'accuracy', fill: (p: { side: number }) => colours[p.side], r: 5, className: 'series', title: (p: { side: number; params: number; accuracy: number }) => `${name(p.side)}: ${(p.accuracy * 100).toFixed(1)}% with ${format(p.params)} parameters` }),
        ],
      },
    );
    for (const dot of figure.querySelectorAll('g.series circle')) dot.classList.add('series');
    figure.dataset.accuracy = source;
    figure.dataset.values = [last(0), last(1)].map((p) => (p ? String(p.accuracy) : '')).join(',');
    return figure;
  }

  /** Each weighted layer's gradient norm at its depth, log scale, both sides overlaid; a dot's tooltip names its layer. */
  private depthChart(colours: [string, string], legend: { name: string; colour: string }[]): HTMLElement {
    const data = [0, 1].flatMap((side) => this.depth[side].filter((d) => Number.isFinite(d.norm) && d.norm > 0).map((d) => ({ ...d, side })));
    const dropped = this.depth[0].length + this.depth[1].length - data.length;
    const figure = chart(
      {
        id: 'chart-depth',
        title: 'Gradient norm against depth',
        note: `Each dot a weighted layer (hover for its name), depth = weighted layers from the input; log scale.${dropped > 0 ? ` ${dropped} layer${dropped === 1 ? '' : 's'} with a zero gradient left out (no log).` : ''}`,
        legend,
      },
      {
        // Depths are whole layers: ticks at the depths drawn (every few when there are many), never 1.5.
        x: { label: 'depth (weighted layers from the input)', grid: true, ticks: depthTicks(data.map((d) => d.depth)), tickFormat: 'd' },
        y: { type: 'log', label: '‖∂L/∂W‖', grid: true, tickFormat: '.0e' },
        marks: [0, 1].flatMap((side) => {
          const points = data.filter((d) => d.side === side);
          return [
            Plot.line(points, { x: 'depth', y: 'norm', stroke: colours[side], strokeOpacity: 0.5, className: `series side-${side}` }),
            Plot.dot(points, { x: 'depth', y: 'norm', fill: colours[side], r: 2.5, className: `layers side-${side}`, title: (d: DepthGradient) => `${d.layer} (depth ${d.depth}): ${d.norm.toExponential(2)}` }),
          ];
        }),
      },
    );
    [0, 1].forEach((side) => tagLine(figure, side, data.filter((d) => d.side === side).length));
    return figure;
  }
}
