/**
 * The training curves of the graph view (loss, accuracy), drawn with Observable Plot through the shared
 * theme (webview/shared/plot-theme.ts). Points are appended as steps arrive and the chart is redrawn at
 * most a few times a second, so long runs cost little. Values are never negative here: the y axis starts
 * at 0 (accuracy spans [0, 1]).
 */
import { chart, Plot, themeColour } from '../shared/plot-theme';
import { RedrawThrottle } from '../shared/throttle';

export interface SeriesStyle {
  name: string;
  /** CSS class of the series' marks (tests find a series by it). */
  className: string;
  /** Draw a dot at every point (sparse series such as held-out evaluations), and a dashed line. */
  dots?: boolean;
}

const REFRESH_MS = 200;
const MAX_POINTS = 600;
/** The plot's size at the panel's default height, in CSS px; a taller panel draws a taller plot, not a bigger one. */
const BASE_WIDTH = 280;
const BASE_HEIGHT = 120;
/** Sent (bubbling) by the panel to its charts when it sets `--train-chart-height`. */
export const CHART_RESIZE_EVENT = 'skipnet-chart-resize';

export class LineChart {
  /** The chart's container: it stays while each redraw replaces the Plot figure inside it. */
  readonly element: HTMLDivElement;
  private readonly points: [number, number][][];
  private readonly redraw = new RedrawThrottle(() => this.render(), REFRESH_MS);
  private readonly onResize = (): void => this.draw();

  constructor(
    parent: HTMLElement,
    private title: string,
    private readonly series: SeriesStyle[],
    private readonly fixedRange?: [number, number],
  ) {
    this.element = document.createElement('div');
    this.element.className = 'train-chart';
    this.element.setAttribute('role', 'img');
    this.element.setAttribute('aria-label', title);
    parent.appendChild(this.element);
    this.points = series.map(() => []);
    // The panel's resize handle changes the height the plot may take; the plot is drawn again at that height (text
    // and strokes stay their size) instead of the old drawing being scaled up.
    parent.addEventListener(CHART_RESIZE_EVENT, this.onResize);
    this.draw();
  }

  /** The plot's height: the panel's `--train-chart-height` (px) when set, else the default. */
  private plotHeight(): number {
    const value = parseFloat(getComputedStyle(this.element).getPropertyValue('--train-chart-height'));
    return Number.isFinite(value) && value > 0 ? Math.round(value) : BASE_HEIGHT;
  }

  /** Renames the chart (e.g. accuracy → pixel accuracy once a run says what it measures). */
  retitle(title: string): void {
    if (title === this.title) return;
    this.title = title;
    this.element.setAttribute('aria-label', title);
    this.draw();
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
    this.redraw.request();
  }

  clear(): void {
    this.points.forEach((_, i) => (this.points[i] = []));
    this.series.forEach((_, i) => delete this.element.dataset[`points${i}`]);
    this.draw();
  }

  /** Draws now (the end of a run shows its last points at once). */
  draw(): void {
    this.redraw.flush();
  }

  private render(): void {
    const colours = [themeColour('--vscode-charts-blue', '#3794ff'), themeColour('--vscode-charts-orange', '#d18616')];
    const all = this.points.flat();
    const high = this.fixedRange?.[1] ?? Math.max(1e-9, ...all.map((p) => p[1]));
    const low = this.fixedRange?.[0] ?? Math.min(0, ...all.map((p) => p[1]));
    const marks = this.series.flatMap((style, i) => {
      const data = this.points[i].map(([step, value]) => ({ step, value }));
      const colour = colours[i % colours.length];
      const line = Plot.line(data, { x: 'step', y: 'value', stroke: colour, strokeWidth: 1.5, strokeDasharray: style.dots ? '3 2' : undefined, className: `line ${style.className}` });
      return style.dots ? [line, Plot.dot(data, { x: 'step', y: 'value', fill: colour, r: 2.5, className: `dots ${style.className}`, title: (d: { step: number; value: number }) => `${style.name}, step ${d.step}: ${d.value.toPrecision(3)}` })] : [line];
    });
    const height = this.plotHeight();
    const figure = chart(
      { id: '', title: this.title, legend: this.series.map((s, i) => ({ name: s.name, colour: colours[i % colours.length] })) },
      {
        width: Math.round((BASE_WIDTH * Math.max(height, BASE_HEIGHT)) / BASE_HEIGHT),
        height,
        marginLeft: 40,
        marginBottom: 28,
        x: { label: 'step', domain: all.length ? undefined : [0, 1], ticks: 4 },
        y: { domain: [low, high], nice: this.fixedRange === undefined, ticks: 4, grid: true, label: null },
        marks,
      },
    );
    this.element.replaceChildren(figure);
  }

  dispose(): void {
    this.redraw.cancel();
    this.element.parentElement?.removeEventListener(CHART_RESIZE_EVENT, this.onResize);
    this.element.remove();
  }
}
