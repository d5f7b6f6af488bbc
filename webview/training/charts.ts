/**
 * Small SVG line charts for the training curves (loss, accuracy): points are appended as steps arrive and
 * the drawing is refreshed at most a few times a second, so long runs cost little. Values only ever become
 * attributes and text, never markup.
 */
import { svgElement } from '../shared/render';

export interface SeriesStyle {
  name: string;
  /** CSS class of the line (colour comes from the stylesheet). */
  className: string;
  /** Draw a dot at every point (sparse series such as held-out evaluations). */
  dots?: boolean;
}

const WIDTH = 260;
const HEIGHT = 90;
const PAD = { left: 38, right: 6, top: 14, bottom: 14 };
const REFRESH_MS = 200;
const MAX_POINTS = 600;

export class LineChart {
  readonly element: SVGSVGElement;
  private readonly points: [number, number][][];
  private readonly paths: SVGPolylineElement[];
  private readonly dotGroups: SVGGElement[];
  private readonly labels: { top: SVGTextElement; bottom: SVGTextElement; right: SVGTextElement };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    parent: HTMLElement,
    title: string,
    private readonly series: SeriesStyle[],
    private readonly fixedRange?: [number, number],
  ) {
    this.element = svgElement('svg', { class: 'train-chart', width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': title });
    parent.appendChild(this.element);
    svgElement('rect', { class: 'frame', x: PAD.left, y: PAD.top, width: WIDTH - PAD.left - PAD.right, height: HEIGHT - PAD.top - PAD.bottom }, this.element);
    const heading = svgElement('text', { class: 'title', x: PAD.left, y: 10 }, this.element);
    heading.textContent = title;
    let legendX = WIDTH - PAD.right;
    for (const style of [...series].reverse()) {
      const label = svgElement('text', { class: `legend ${style.className}`, x: legendX, y: 10, 'text-anchor': 'end' }, this.element);
      label.textContent = style.name;
      legendX -= style.name.length * 6 + 10;
    }
    this.labels = {
      top: svgElement('text', { class: 'axis', x: PAD.left - 3, y: PAD.top + 8, 'text-anchor': 'end' }, this.element),
      bottom: svgElement('text', { class: 'axis', x: PAD.left - 3, y: HEIGHT - PAD.bottom, 'text-anchor': 'end' }, this.element),
      right: svgElement('text', { class: 'axis', x: WIDTH - PAD.right, y: HEIGHT - 2, 'text-anchor': 'end' }, this.element),
    };
    this.points = series.map(() => []);
    this.paths = series.map((s) => svgElement('polyline', { class: `line ${s.className}`, points: '' }, this.element));
    this.dotGroups = series.map((s) => svgElement('g', { class: `dots ${s.className}` }, this.element));
  }

  /** Number of points of one series (tests read it as data-points too). */
  count(seriesIndex: number): number {
    return this.points[seriesIndex].length;
  }

  append(seriesIndex: number, x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const list = this.points[seriesIndex];
    list.push([x, y]);
    // Long runs: keep every other point of the older half, so the curve keeps its shape at bounded cost.
    if (list.length > MAX_POINTS) this.points[seriesIndex] = [...list.slice(0, MAX_POINTS / 2).filter((_, i) => i % 2 === 0), ...list.slice(MAX_POINTS / 2)];
    this.element.dataset[`points${seriesIndex}`] = String(this.points[seriesIndex].length);
    this.timer ??= setTimeout(() => this.draw(), REFRESH_MS);
  }

  clear(): void {
    this.points.forEach((_, i) => (this.points[i] = []));
    this.series.forEach((_, i) => delete this.element.dataset[`points${i}`]);
    this.draw();
  }

  /** Draws now (the end of a run shows its last points at once). */
  draw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = this.points.flat();
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    const [x0, x1] = all.length ? [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)] : [0, 1];
    let [y0, y1] = this.fixedRange ?? (all.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1]);
    if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
    const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (WIDTH - PAD.left - PAD.right);
    const sy = (y: number) => HEIGHT - PAD.bottom - ((y - y0) / (y1 - y0)) * (HEIGHT - PAD.top - PAD.bottom);
    this.points.forEach((list, i) => {
      this.paths[i].setAttribute('points', list.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' '));
      if (this.series[i].dots) {
        this.dotGroups[i].replaceChildren(...list.map(([x, y]) => svgElement('circle', { cx: sx(x).toFixed(1), cy: sy(y).toFixed(1), r: 2.5 })));
      }
    });
    this.labels.top.textContent = all.length ? formatAxis(y1) : '';
    this.labels.bottom.textContent = all.length ? formatAxis(y0) : '';
    this.labels.right.textContent = all.length ? `step ${Math.round(x1)}` : '';
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.element.remove();
  }
}

function formatAxis(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 0.01 || magnitude >= 1000)) return value.toExponential(0);
  return value.toFixed(magnitude < 1 ? 2 : 1);
}
