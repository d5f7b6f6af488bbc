/**
 * Feature-reuse heat maps, one per dense block (Huang et al., DenseNet, Fig. 5): row ℓ is a target layer
 * (a layer of the block, then the transition after it when the engine includes one), column s a source
 * (0 = the block's input, then each layer in channel order); a cell's colour is the mean |w| of the
 * target's first convolution over the channels from that source (the engine's average, i.e. the L1 norm
 * normalised by the number of input feature maps, as in the paper), scaled to the largest in the block.
 * Hover or keyboard focus names the target and source with the value; click (or Enter) reveals the target.
 * Figures are built once per block structure and only recoloured on later updates.
 *
 * The maps have their own sequential scale (the theme's chart green over the background, `--reuse-low` →
 * `--reuse-high`, from 0 to the block's largest mean |w|) with a colour bar, never the gradient-norm ramp of
 * the graph. A map reads "at initialisation" until training has moved some cell by a visible step of that
 * bar (`MOVED`): before then the pattern is the initialiser's (He et al. 2015, fan-in scaling), not reuse.
 * Where the engine measures it, a toggle colours the cells by the contribution ‖H_ℓ^s * X_s‖ instead (what source s
 * adds to layer ℓ's convolution in the step's forward pass, f_ℓ = Σ_s H_ℓ^s * X_s; Huang et al. 2017, section 3,
 * eq. 2): the weights say what a layer could read, the contribution what it does read. The hover gives both.
 */
import type { ReuseHeatMap } from '../../src/train/stats';
import { svgElement } from '../shared/render';
import { formatValue } from './metrics';

interface Figure {
  signature: string;
  element: HTMLElement;
  svg: SVGSVGElement;
  hover: HTMLElement;
  /** cells[row][col], undefined where the target reads nothing from that source. */
  cells: (SVGRectElement | undefined)[][];
  map: ReuseHeatMap;
  largest: number;
  current: { row: number; col: number } | null;
  status: HTMLElement;
  scaleHigh: HTMLElement;
  scaleUnit: HTMLElement;
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

/** Every `step`-th tick is labelled, the smallest of 1, 2, 5, 10, … whose labels cannot touch at this cell size. */
export function tickStep(count: number, cell: number): number {
  const width = String(count).length * TICK_FONT * 0.62 + 3;
  for (let decade = 1; ; decade *= 10) for (const step of [1, 2, 5]) if (step * decade * cell >= width) return step * decade;
}

/** The fill of a cell at `position` (0–1) on the reuse scale. */
export function reuseColour(position: number): string {
  return `color-mix(in srgb, var(--reuse-high) ${Math.round(100 * Math.min(1, Math.max(0, position)))}%, var(--reuse-low))`;
}

/** What colours the cells: the paper's mean |w| (Fig. 5), or the contribution norm ‖H_ℓ^s * X_s‖. */
export type HeatMeasure = 'weights' | 'contribution';

const MEASURE_NAMES: Record<HeatMeasure, string> = { weights: 'mean |w|', contribution: '‖H^s * X_s‖' };

/** A cell's value in `measure`; null where the target reads nothing from the source or the engine did not measure it. */
export function cellValue(row: ReuseHeatMap['rows'][number], col: number, measure: HeatMeasure): number | null {
  return measure === 'weights' ? row.values[col] : row.values[col] === null ? null : (row.contributions?.[col] ?? null);
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
    for (const figure of this.figures.values()) this.recolour(figure, figure.map, this.step);
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
        if (figure) figure.element.replaceWith(next.element);
        else this.element.appendChild(next.element);
        figure = next;
        this.figures.set(map.block, figure);
      }
      this.recolour(figure, map, step);
    }
    for (const [block, figure] of this.figures) {
      if (seen.has(block)) continue;
      figure.element.remove();
      this.figures.delete(block);
    }
  }

  clear(): void {
    this.figures.clear();
    this.initial.clear();
    this.element.replaceChildren(this.measureSelect);
  }

  private build(map: ReuseHeatMap, signature: string): Figure {
    const rows = map.rows.length;
    const cols = map.sources.length;
    const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, Math.floor(GRID_WIDTH / Math.max(1, cols, rows))));
    const left = TITLE_SIZE + LABEL_WIDTH;
    const gridBottom = rows * cell;
    const element = document.createElement('figure');
    element.className = 'stats-heatmap';
    element.dataset.block = map.block;
    const caption = document.createElement('figcaption');
    const title = span('', `${map.block}: feature reuse`);
    title.title = 'Mean |w| of each target layer’s first convolution over the channels from each source (0 = block input), scaled to the block’s largest';
    const status = span('heat-status');
    caption.append(title, status);
    const width = left + cols * cell + 2;
    const height = gridBottom + TICK_FONT + 4 + TITLE_SIZE;
    const svg = svgElement('svg', { width, height, tabindex: 0, role: 'img' });
    svg.setAttribute('aria-label', `${map.block} feature reuse heat map: ${rows} target layers by ${cols} sources. Arrow keys move between cells, Enter reveals the target layer.`);
    const hover = document.createElement('div');
    hover.className = 'heat-hover';
    hover.setAttribute('aria-live', 'polite');
    const cells: (SVGRectElement | undefined)[][] = map.rows.map((row, r) =>
      row.values.map((value, c) => {
        if (value === null) return undefined;
        return svgElement('rect', { class: 'heat-cell', x: left + c * cell, y: r * cell, width: cell - 1, height: cell - 1, 'data-row': r, 'data-col': c }, svg);
      }),
    );
    const rowStep = tickStep(rows, cell);
    const colStep = tickStep(cols, cell);
    // Row ℓ is target layer ℓ (from 1); column 0 is the block input, column s the s-th layer.
    for (let r = 0; r < rows; r++) {
      if ((r + 1) % rowStep !== 0 && r !== 0) continue;
      svgElement('text', { class: 'heat-axis row-tick', x: left - 3, y: r * cell + cell / 2, 'dominant-baseline': 'central', 'text-anchor': 'end' }, svg).textContent = String(r + 1);
    }
    for (let c = 0; c < cols; c++) {
      if (c % colStep !== 0) continue;
      svgElement('text', { class: 'heat-axis col-tick', x: left + c * cell + (cell - 1) / 2, y: gridBottom + TICK_FONT + 1, 'text-anchor': 'middle' }, svg).textContent = String(c);
    }
    svgElement('text', { class: 'heat-title x-title', x: left + (cols * cell) / 2, y: height - 3, 'text-anchor': 'middle' }, svg).textContent = 'source layer (0 = block input)';
    const yTitle = svgElement('text', { class: 'heat-title y-title', x: 0, y: 0, 'text-anchor': 'middle', transform: `translate(${TITLE_SIZE - 4},${gridBottom / 2}) rotate(-90)` }, svg);
    yTitle.textContent = 'target layer';
    const scale = document.createElement('div');
    scale.className = 'heat-scale';
    const scaleHigh = span('heat-scale-high');
    const unit = span('heat-scale-unit', 'mean |w|');
    scale.append(span('heat-scale-low', '0'), span('heat-bar'), scaleHigh, unit);
    element.append(caption, svg, scale, hover);
    const figure: Figure = { signature, element, svg, hover, cells, map, largest: 0, current: null, status, scaleHigh, scaleUnit: unit };
    const cellOf = (target: EventTarget | null): { row: number; col: number } | null => {
      const rect = (target as Element | null)?.closest?.('.heat-cell');
      return rect ? { row: Number(rect.getAttribute('data-row')), col: Number(rect.getAttribute('data-col')) } : null;
    };
    svg.addEventListener('pointerover', (event) => {
      const at = cellOf(event.target);
      if (at) this.describe(figure, at);
    });
    svg.addEventListener('click', (event) => {
      const at = cellOf(event.target);
      if (!at) return;
      this.select(figure, at);
      this.reveal(figure.map.rows[at.row].conv);
    });
    svg.addEventListener('keydown', (event) => this.onKey(figure, event));
    return figure;
  }

  private recolour(figure: Figure, map: ReuseHeatMap, step: number): void {
    figure.map = map;
    let largest = 0;
    for (const row of map.rows)
      row.values.forEach((_, c) => {
        const v = cellValue(row, c, this.measure);
        if (v !== null && Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
      });
    figure.largest = largest;
    const positions = map.rows.map((row) => row.values.map((_, c) => {
      const v = cellValue(row, c, this.measure);
      return v === null || !Number.isFinite(v) ? null : largest > 0 ? Math.abs(v) / largest : 0;
    }));
    map.rows.forEach((row, r) =>
      row.values.forEach((weights, c) => {
        const rect = figure.cells[r][c];
        if (!rect || weights === null) return;
        const value = cellValue(row, c, this.measure);
        // A cell the engine did not measure in this measure is drawn empty, not as zero.
        rect.style.setProperty('fill', value === null ? 'transparent' : reuseColour(positions[r][c] ?? 0));
        rect.dataset.value = value === null ? '' : String(value);
      }),
    );
    figure.scaleHigh.textContent = formatValue(largest);
    figure.scaleUnit.textContent = MEASURE_NAMES[this.measure];
    // Whether training has moved the map is judged on the weights, whichever measure colours it.
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
    if (figure.current) this.describe(figure, figure.current);
  }

  /** The hover line: names set as text, never markup. */
  private describe(figure: Figure, at: { row: number; col: number }): void {
    const row = figure.map.rows[at.row];
    if (!row || row.values[at.col] === null || row.values[at.col] === undefined) return;
    const shown = this.measure;
    const other: HeatMeasure = shown === 'weights' ? 'contribution' : 'weights';
    const value = cellValue(row, at.col, shown);
    const otherValue = cellValue(row, at.col, other);
    const share = value !== null && figure.largest > 0 ? ` (${Math.round((100 * Math.abs(value)) / figure.largest)}% of the block’s largest)` : '';
    const main = `${MEASURE_NAMES[shown]} ${value === null ? 'not measured' : formatValue(value)}${share}`;
    figure.hover.textContent = `target ${row.conv} ← source ${figure.map.sources[at.col]}: ${main}${otherValue === null ? '' : ` · ${MEASURE_NAMES[other]} ${formatValue(otherValue)}`}`;
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
