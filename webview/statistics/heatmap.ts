/**
 * Feature-reuse heat maps, one per dense block (Huang et al., DenseNet, Fig. 5): row ℓ is a target layer
 * (a layer of the block, then the transition after it when the engine includes one), column s a source
 * (0 = the block's input, then each layer in channel order); a cell's colour is the mean |w| of the
 * target's first convolution over the channels from that source (the engine's average, i.e. the L1 norm
 * normalised by the number of input feature maps, as in the paper), scaled to the largest in the block.
 * Hover or keyboard focus names the target and source with the value; click (or Enter) reveals the target.
 * Each map is an Observable Plot cell chart (the webviews' one charting library, webview/shared/plot-theme.ts),
 * redrawn on every update and whenever the theme changes; the figure around it, with its hover line and
 * keyboard focus, is built once per block structure.
 *
 * The maps have their own sequential colour scale (the theme's chart green over the background, `--reuse-low` →
 * `--reuse-high`, from 0 to the block's largest mean |w|) with Plot's colour legend as the bar, never the
 * gradient-norm ramp of the graph. A map reads "at initialisation" until training has moved some cell by a visible step of that
 * bar (`MOVED`): before then the pattern is the initialiser's (He et al. 2015, fan-in scaling), not reuse.
 * Where the engine measures it, a toggle colours the cells by the contribution ‖H_ℓ^s * X_s‖ instead (what source s
 * adds to layer ℓ's convolution in the step's forward pass, f_ℓ = Σ_s H_ℓ^s * X_s; Huang et al. 2017, section 3,
 * eq. 2): the weights say what a layer could read, the contribution what it does read. The hover gives both.
 */
import type { ReuseHeatMap } from '../../src/train/stats';
import { Plot } from '../shared/plot-theme';
import { formatValue } from './metrics';

interface Figure {
  signature: string;
  element: HTMLElement;
  /** The Plot chart now drawn (replaced on each redraw). */
  svg: SVGSVGElement;
  /** Holds the Plot colour legend (the bar from 0 to the block's largest). */
  scale: HTMLElement;
  hover: HTMLElement;
  /** What the chart now drawn was drawn for (measure, which cells are empty): an update that keeps it only recolours. */
  layout: string;
  /** What the legend as drawn shows apart from its top tick's text (measure, colours, whether it has a range): redrawn when it changes. */
  legendKey: string;
  /** The legend's top tick label (the block's largest), rewritten in place while the rest of the legend stays. */
  legendTop: SVGTextElement | null;
  /** cells[row][col], undefined where the target reads nothing from that source. */
  cells: (SVGRectElement | undefined)[][];
  /** Each cell's Plot title (its native tooltip), found once per drawing instead of on every recolour. */
  titles: (SVGTitleElement | undefined)[][];
  map: ReuseHeatMap;
  /** The cells and legend show an earlier update than `map`: the figure was out of view when `map` came. */
  stale: boolean;
  largest: number;
  current: { row: number; col: number } | null;
  status: HTMLElement;
}

/** Room for the rotated "target layer" title, then for the row numbers. */
const TITLE_SIZE = 14;
const LABEL_WIDTH = 22;
/** Tick labels are 10 px: a cell is never smaller than 12 px, so it stays a hover target. */
const TICK_FONT = 10;
const MIN_CELL = 12;
const MAX_CELL = 18;
/** A map wider than this many pixels of cells takes MIN_CELL cells (DenseNet-121's block 3: 25 sources). */
const GRID_WIDTH = 360;
/** One twentieth of the colour bar: a change any cell must exceed before the map counts as trained. */
const MOVED = 0.05;
/** Width of the colour legend's bar, CSS pixels. */
const LEGEND_WIDTH = 120;

/** Every `step`-th tick is labelled, the smallest of 1, 2, 5, 10, … whose labels cannot touch at this cell size. */
export function tickStep(count: number, cell: number): number {
  const width = String(count).length * TICK_FONT * 0.62 + 3;
  for (let decade = 1; ; decade *= 10) for (const step of [1, 2, 5]) if (step * decade * cell >= width) return step * decade;
}

/**
 * A CSS colour expression (`var(--reuse-high)`, a `color-mix(…)`) as the `rgb(…)` it computes to on this page:
 * Plot's colour scale interpolates colour values, so the theme's variables are resolved before each drawing.
 * Chromium computes `color-mix(in srgb, …)` to `color(srgb r g b)` (channels 0–1), which is converted here.
 */
export function resolveColour(expression: string, within: Element = document.body): string {
  const probe = document.createElement('span');
  probe.style.color = expression;
  within.appendChild(probe);
  const value = getComputedStyle(probe).color;
  probe.remove();
  const srgb = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)/.exec(value);
  if (!srgb) return value;
  const [r, g, b] = srgb.slice(1, 4).map((v) => Math.round(255 * Math.min(1, Math.max(0, Number(v)))));
  return `rgb(${r}, ${g}, ${b})`;
}

/** What colours the cells: the paper's mean |w| (Fig. 5), or the contribution norm ‖H_ℓ^s * X_s‖. */
export type HeatMeasure = 'weights' | 'contribution';

const MEASURE_NAMES: Record<HeatMeasure, string> = { weights: 'mean |w|', contribution: '‖H^s * X_s‖' };

/** A cell's value in `measure`; null where the target reads nothing from the source or the engine did not measure it. */
export function cellValue(row: ReuseHeatMap['rows'][number], col: number, measure: HeatMeasure): number | null {
  return measure === 'weights' ? row.values[col] : row.values[col] === null ? null : (row.contributions?.[col] ?? null);
}

/** One drawn cell of a map: its place, and its value in the shown measure (null: not measured, drawn empty). */
interface Datum {
  row: number;
  col: number;
  value: number | null;
}

export class ReuseHeatMaps {
  readonly element: HTMLDivElement;
  private readonly figures = new Map<string, Figure>();
  /** Each block's cell positions on the scale when first seen in this run, and whether training has moved them since. */
  private readonly initial = new Map<string, { positions: (number | null)[][]; moved: boolean }>();
  private measure: HeatMeasure = 'weights';
  /** The training step of the maps shown (for the "after N steps" mark when the measure is switched). */
  private step = 0;
  private readonly measureSelect: HTMLSelectElement;
  /**
   * VS Code changes a webview's theme by the body's class and the root's style (its colour variables); Plot's
   * fills are resolved colours, so the maps are redrawn then. Observed only while maps are shown.
   */
  private readonly theme = new MutationObserver(() => {
    this.colours = null;
    for (const figure of this.figures.values()) this.draw(figure, figure.map, this.step, true);
  });
  /**
   * Figures out of view (scrolled away in the panel, or the panel hidden) are not recoloured on each update, only
   * when they come into view: with three maps in a panel that shows about one, recolouring all was most of the
   * heat maps' share of an update. Until the observer first reports a figure, it counts as in view.
   */
  private readonly offscreen = new WeakSet<Element>();
  private readonly visibility = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      // Tests wait on this for the observer's report.
      (entry.target as HTMLElement).dataset.inView = String(entry.isIntersecting);
      if (!entry.isIntersecting) {
        this.offscreen.add(entry.target);
        continue;
      }
      this.offscreen.delete(entry.target);
      for (const figure of this.figures.values()) if (figure.element === entry.target && figure.stale) this.draw(figure, figure.map, this.step);
    }
  });
  /** The scale's low and high colours, resolved once per theme (resolving forces a style recalculation). */
  private colours: [string, string] | null = null;
  private observing = false;

  constructor(private readonly reveal: (conv: string) => void) {
    this.element = document.createElement('div');
    this.element.className = 'stats-heatmaps';
    this.element.dataset.measure = this.measure;
    const select = (this.measureSelect = document.createElement('select'));
    select.className = 'heat-measure';
    select.setAttribute('aria-label', 'Feature-reuse heat map measure');
    select.title = 'Colour the cells by the mean |w| of the kernel slice (Huang et al. 2017, Fig. 5) or by the contribution ‖H_ℓ^s * X_s‖ that source s adds to layer ℓ (eq. 2)';
    for (const measure of ['weights', 'contribution'] as const) {
      const option = document.createElement('option');
      option.value = measure;
      option.textContent = measure === 'weights' ? 'Colour by mean |w|' : 'Colour by contribution ‖H^s * X_s‖';
      select.appendChild(option);
    }
    select.hidden = true;
    select.addEventListener('change', () => this.setMeasure(select.value === 'contribution' ? 'contribution' : 'weights'));
    this.element.appendChild(select);
  }

  /** Recolours every map by `measure` (the toggle calls this). */
  setMeasure(measure: HeatMeasure): void {
    this.measure = measure;
    this.measureSelect.value = measure;
    this.element.dataset.measure = measure;
    for (const figure of this.figures.values()) this.draw(figure, figure.map, this.step);
  }

  /** Shows the maps of training step `step` (updates done so far). */
  update(maps: readonly ReuseHeatMap[], step: number): void {
    this.step = step;
    // The toggle is offered where the engine measured contributions (the PyTorch runner does not).
    const measured = maps.some((m) => m.rows.some((r) => r.contributions !== undefined));
    this.measureSelect.hidden = !measured;
    if (!measured && this.measure !== 'weights') this.setMeasure('weights');
    const seen = new Set<string>();
    for (const map of maps) {
      seen.add(map.block);
      const signature = JSON.stringify([map.sources, map.rows.map((r) => [r.conv, r.values.map((v) => v === null)])]);
      let figure = this.figures.get(map.block);
      if (!figure || figure.signature !== signature) {
        const next = this.build(map, signature);
        if (figure) {
          this.visibility.unobserve(figure.element);
          figure.element.replaceWith(next.element);
        } else this.element.appendChild(next.element);
        this.visibility.observe(next.element);
        figure = next;
        this.figures.set(map.block, figure);
      }
      this.draw(figure, map, step);
    }
    for (const [block, figure] of this.figures) {
      if (seen.has(block)) continue;
      this.visibility.unobserve(figure.element);
      figure.element.remove();
      this.figures.delete(block);
    }
    if (this.figures.size > 0 && !this.observing) {
      this.theme.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
      this.theme.observe(document.body, { attributes: true, attributeFilter: ['class'] });
      this.observing = true;
    }
  }

  clear(): void {
    this.theme.disconnect();
    this.visibility.disconnect();
    this.colours = null;
    this.observing = false;
    this.figures.clear();
    this.initial.clear();
    this.element.replaceChildren(this.measureSelect);
  }

  /** The figure around a block's chart: caption, the focusable holder the chart is drawn into, legend, hover line. */
  private build(map: ReuseHeatMap, signature: string): Figure {
    const rows = map.rows.length;
    const cols = map.sources.length;
    const element = document.createElement('figure');
    element.className = 'stats-heatmap';
    element.dataset.block = map.block;
    const caption = document.createElement('figcaption');
    const title = span('', `${map.block}: feature reuse`);
    title.title = 'Mean |w| of each target layer’s first convolution over the channels from each source (0 = block input), scaled to the block’s largest';
    const status = span('heat-status');
    caption.append(title, status);
    // The holder, not Plot's SVG, takes focus and events: the SVG is replaced on every redraw.
    const holder = document.createElement('div');
    holder.className = 'heat-plot';
    holder.tabIndex = 0;
    holder.setAttribute('role', 'img');
    holder.setAttribute('aria-label', `${map.block} feature reuse heat map: ${rows} target layers by ${cols} sources. Arrow keys move between cells, Enter reveals the target layer.`);
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    holder.appendChild(svg);
    const scale = document.createElement('div');
    scale.className = 'heat-scale';
    const hover = document.createElement('div');
    hover.className = 'heat-hover';
    hover.setAttribute('aria-live', 'polite');
    element.append(caption, holder, scale, hover);
    const figure: Figure = { signature, element, svg, scale, hover, cells: map.rows.map((row) => row.values.map(() => undefined)), titles: [], map, stale: false, largest: 0, current: null, status, layout: '', legendKey: '', legendTop: null };
    const cellOf = (target: EventTarget | null): { row: number; col: number } | null => {
      const rect = (target as Element | null)?.closest?.('.heat-cell');
      return rect ? { row: Number(rect.getAttribute('data-row')), col: Number(rect.getAttribute('data-col')) } : null;
    };
    holder.addEventListener('pointerover', (event) => {
      const at = cellOf(event.target);
      if (at) this.describe(figure, at);
    });
    holder.addEventListener('click', (event) => {
      const at = cellOf(event.target);
      if (!at) return;
      this.select(figure, at);
      this.reveal(figure.map.rows[at.row].conv);
    });
    holder.addEventListener('keydown', (event) => this.onKey(figure, event));
    return figure;
  }

  /**
   * Draws `map` into the figure with Plot: cells coloured on the block's scale, the legend, the trained mark.
   * Plot draws the chart when the measure, the empty cells or (`redraw`) the theme change; other updates (every
   * statistics step) only recolour its cells through the same Plot colour scale: drawing densenet40's three maps
   * anew made each statistics update about 100 ms (bench/statistics.bench.ts). A figure out of view skips
   * the recolouring (its scale, hover text and trained mark still follow `map`) until it comes into view.
   */
  private draw(figure: Figure, map: ReuseHeatMap, step: number, redraw = false): void {
    figure.map = map;
    const measure = this.measure;
    const measured: Datum[] = [];
    const empty: Datum[] = [];
    let largest = 0;
    map.rows.forEach((row, r) =>
      row.values.forEach((weights, c) => {
        if (weights === null) return;
        const v = cellValue(row, c, measure);
        // A cell the engine did not measure in this measure is drawn empty, not as zero.
        if (v === null || !Number.isFinite(v)) empty.push({ row: r, col: c, value: null });
        else {
          measured.push({ row: r, col: c, value: v });
          largest = Math.max(largest, Math.abs(v));
        }
      }),
    );
    figure.largest = largest;
    const color: Plot.ScaleOptions = {
      type: 'linear',
      domain: [0, largest > 0 ? largest : 1],
      range: (this.colours ??= [resolveColour('var(--reuse-low)'), resolveColour('var(--reuse-high)')]),
      interpolate: 'rgb',
    };
    const layout = JSON.stringify([measure, empty.map((d) => [d.row, d.col])]);
    figure.stale = !redraw && figure.layout === layout && this.offscreen.has(figure.element);
    if (!figure.stale) this.paint(figure, measured, empty, color, layout, redraw);
    this.markTrained(figure, map, step);
    if (figure.current) {
      figure.cells[figure.current.row]?.[figure.current.col]?.classList.add('current');
      this.describe(figure, figure.current);
    }
  }

  /** The cells (recoloured, or the whole chart when `layout` changed or `redraw`) and the colour legend. */
  private paint(figure: Figure, measured: Datum[], empty: Datum[], color: Plot.ScaleOptions, layout: string, redraw: boolean): void {
    const measure = this.measure;
    const largest = figure.largest;
    if (!redraw && figure.layout === layout) this.recolour(figure, measured, color);
    else this.plot(figure, measured, empty, color);
    figure.layout = layout;
    // The bar runs from 0 to the largest, so its ramp and tick positions stay while the largest is positive and the
    // measure and theme stay: then only the top tick's text changes (drawing the ramp, a canvas image, was a
    // quarter of each statistics update).
    const legendKey = JSON.stringify([measure, largest > 0, color.range]);
    const top = formatValue(largest);
    if (legendKey !== figure.legendKey || !figure.legendTop) {
      const legend = Plot.legend({ color, ticks: [0, largest], tickFormat: formatValue, label: MEASURE_NAMES[measure], width: LEGEND_WIDTH, height: 42, marginTop: 14, marginBottom: 18, tickSize: 4, marginLeft: 6, marginRight: 14, className: 'heat-legend' });
      for (const style of legend.querySelectorAll('style')) style.remove();
      figure.scale.replaceChildren(legend);
      figure.legendKey = legendKey;
      figure.legendTop = [...legend.querySelectorAll<SVGTextElement>('.tick text')].at(-1) ?? null;
    } else if (figure.legendTop.textContent !== top) figure.legendTop.textContent = top;
  }

  /** New fills, values and tooltips for the cells already drawn, from the same Plot colour scale. */
  private recolour(figure: Figure, measured: Datum[], color: Plot.ScaleOptions): void {
    const scale = Plot.scale({ color });
    for (const d of measured) {
      const rect = figure.cells[d.row][d.col];
      if (!rect) continue;
      rect.setAttribute('fill', String(scale.apply(Math.abs(d.value ?? 0))));
      rect.setAttribute('data-value', String(d.value));
      const title = figure.titles[d.row][d.col];
      if (title) title.textContent = this.text(figure, d);
    }
  }

  /** The whole chart with Plot: the cells on the block's colour scale, the axes with their titles. */
  private plot(figure: Figure, measured: Datum[], empty: Datum[], color: Plot.ScaleOptions): void {
    const map = figure.map;
    const rows = map.rows.length;
    const cols = map.sources.length;
    const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, Math.floor(GRID_WIDTH / Math.max(1, cols, rows))));
    const left = TITLE_SIZE + LABEL_WIDTH;
    const bottom = TICK_FONT + 4 + TITLE_SIZE;
    const rowStep = tickStep(rows, cell);
    const colStep = tickStep(cols, cell);
    // Row ℓ is target layer ℓ (from 1); column 0 is the block input, column s the s-th layer.
    const rowIndex = Array.from({ length: rows }, (_, r) => r);
    const colIndex = Array.from({ length: cols }, (_, c) => c);
    const describeDatum = (d: Datum): string => this.text(figure, d);
    const svg = Plot.plot({
      width: left + cols * cell + 2,
      height: rows * cell + bottom,
      marginLeft: left,
      marginRight: 2,
      marginTop: 0,
      marginBottom: bottom,
      className: 'heat-chart',
      x: { type: 'band', domain: colIndex, padding: 0, axis: null },
      y: { type: 'band', domain: rowIndex, padding: 0, axis: null },
      color,
      marks: [
        Plot.cell(measured, { x: 'col', y: 'row', fill: (d: Datum) => Math.abs(d.value ?? 0), title: describeDatum, className: 'heat-cells' }),
        Plot.cell(empty, { x: 'col', y: 'row', fill: 'transparent', title: describeDatum, className: 'heat-cells-empty' }),
        Plot.axisX({ ticks: colIndex.filter((c) => c % colStep === 0), tickFormat: String, tickSize: 0, tickPadding: 2, fontSize: TICK_FONT, label: 'source layer (0 = block input)', labelAnchor: 'center', labelArrow: 'none', labelOffset: bottom - 2, ariaLabel: 'source' }),
        Plot.axisY({ ticks: rowIndex.filter((r) => (r + 1) % rowStep === 0 || r === 0), tickFormat: (r: number) => String(r + 1), tickSize: 0, tickPadding: 3, fontSize: TICK_FONT, label: 'target layer', labelAnchor: 'center', labelArrow: 'none', labelOffset: left - 4, ariaLabel: 'target' }),
      ],
    });
    for (const style of svg.querySelectorAll('style')) style.remove();
    // Plot draws each mark's cells in data order: tag them with their place and value for the hover, keys and tests.
    figure.cells = map.rows.map((row) => row.values.map(() => undefined));
    figure.titles = map.rows.map((row) => row.values.map(() => undefined));
    const tag = (selector: string, data: Datum[]): void =>
      svg.querySelectorAll(selector).forEach((rect, i) => {
        const d = data[i];
        if (!d || !(rect instanceof SVGRectElement)) return;
        rect.classList.add('heat-cell');
        rect.setAttribute('data-row', String(d.row));
        rect.setAttribute('data-col', String(d.col));
        rect.setAttribute('data-value', d.value === null ? '' : String(d.value));
        figure.cells[d.row][d.col] = rect;
        figure.titles[d.row][d.col] = rect.querySelector<SVGTitleElement>('title') ?? undefined;
      });
    tag('.heat-cells rect', measured);
    tag('.heat-cells-empty rect', empty);
    figure.svg.replaceWith(svg);
    figure.svg = svg as SVGSVGElement;
  }

  /** "at initialisation" until some cell's mean |w| has moved by MOVED of the bar, whichever measure colours it. */
  private markTrained(figure: Figure, map: ReuseHeatMap, step: number): void {
    let largestWeight = 0;
    for (const row of map.rows) for (const v of row.values) if (v !== null && Number.isFinite(v)) largestWeight = Math.max(largestWeight, Math.abs(v));
    const weightPositions = map.rows.map((row) => row.values.map((v) => (v === null || !Number.isFinite(v) ? null : largestWeight > 0 ? Math.abs(v) / largestWeight : 0)));
    const initial = this.initial.get(map.block);
    if (!initial || initial.positions.length !== weightPositions.length) this.initial.set(map.block, { positions: weightPositions, moved: false });
    else if (!initial.moved) initial.moved = weightPositions.some((row, r) => row.some((p, c) => p !== null && Math.abs(p - (initial.positions[r]?.[c] ?? p)) >= MOVED));
    const moved = this.initial.get(map.block)!.moved;
    figure.element.dataset.state = moved ? 'trained' : 'initial';
    figure.status.textContent = moved ? `after ${step} step${step === 1 ? '' : 's'}` : 'at initialisation';
    figure.status.title = moved
      ? 'Training has moved the weights: the pattern shows which earlier layers each layer relies on'
      : 'No cell has moved by a twentieth of the colour bar since the first step: the pattern is the initialiser’s, not learned reuse';
  }

  /** The hover line: names set as text, never markup. */
  private describe(figure: Figure, at: { row: number; col: number }): void {
    const row = figure.map.rows[at.row];
    if (!row || row.values[at.col] === null || row.values[at.col] === undefined) return;
    figure.hover.textContent = this.text(figure, at);
  }

  /** What a cell is: target ← source, the shown measure with its share of the block's largest, then the other measure. */
  private text(figure: Figure, at: { row: number; col: number }): string {
    const row = figure.map.rows[at.row];
    const shown = this.measure;
    const other: HeatMeasure = shown === 'weights' ? 'contribution' : 'weights';
    const value = cellValue(row, at.col, shown);
    const otherValue = cellValue(row, at.col, other);
    const share = value !== null && figure.largest > 0 ? ` (${Math.round((100 * Math.abs(value)) / figure.largest)}% of the block’s largest)` : '';
    const main = `${MEASURE_NAMES[shown]} ${value === null ? 'not measured' : formatValue(value)}${share}`;
    return `target ${row.conv} ← source ${figure.map.sources[at.col]}: ${main}${otherValue === null ? '' : ` · ${MEASURE_NAMES[other]} ${formatValue(otherValue)}`}`;
  }

  private select(figure: Figure, at: { row: number; col: number }): void {
    if (figure.current) figure.cells[figure.current.row]?.[figure.current.col]?.classList.remove('current');
    figure.current = at;
    figure.cells[at.row]?.[at.col]?.classList.add('current');
    this.describe(figure, at);
  }

  private onKey(figure: Figure, event: KeyboardEvent): void {
    const present = (row: number): number[] => figure.cells[row].flatMap((c, i) => (c ? [i] : []));
    const rows = figure.cells.length;
    if (rows === 0) return;
    const at = figure.current ?? { row: 0, col: present(0)[0] ?? 0 };
    let next = at;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.select(figure, at);
      this.reveal(figure.map.rows[at.row].conv);
      return;
    }
    if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      const row = Math.min(rows - 1, Math.max(0, at.row + (event.key === 'ArrowUp' ? -1 : 1)));
      const columns = present(row);
      next = { row, col: columns.includes(at.col) ? at.col : (columns.filter((c) => c <= at.col).at(-1) ?? columns[0] ?? 0) };
    } else if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      const columns = present(at.row);
      const index = columns.indexOf(at.col) + (event.key === 'ArrowLeft' ? -1 : 1);
      next = { row: at.row, col: columns[Math.min(columns.length - 1, Math.max(0, index))] ?? at.col };
    } else return;
    event.preventDefault();
    this.select(figure, next);
  }
}

/** A `<span>` of this class, with this text. */
function span(className: string, text = ''): HTMLSpanElement {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}
