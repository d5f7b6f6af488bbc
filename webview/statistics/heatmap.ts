/**
 * Feature-reuse heat maps, one per dense block (Huang et al., DenseNet, Fig. 5): row ℓ is a target layer
 * (a layer of the block, then the transition after it when the engine includes one), column s a source
 * (0 = the block's input, then each layer in channel order); a cell's colour is the mean |w| of the
 * target's first convolution over the channels from that source (the engine's average, i.e. the L1 norm
 * normalised by the number of input feature maps, as in the paper), scaled to the largest in the block.
 * Hover or keyboard focus names the target and source with the value; click (or Enter) reveals the target.
 * Figures are built once per block structure and only recoloured on later updates.
 */
import type { ReuseHeatMap } from '../../src/train/stats';
import { svgElement } from '../shared/render';
import { formatValue, strokeColour } from './metrics';

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
}

const LABEL_WIDTH = 18;
const AXIS_HEIGHT = 12;

export class ReuseHeatMaps {
  readonly element: HTMLDivElement;
  private readonly figures = new Map<string, Figure>();

  constructor(private readonly reveal: (conv: string) => void) {
    this.element = document.createElement('div');
    this.element.className = 'stats-heatmaps';
  }

  update(maps: readonly ReuseHeatMap[]): void {
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
      this.recolour(figure, map);
    }
    for (const [block, figure] of this.figures) {
      if (seen.has(block)) continue;
      figure.element.remove();
      this.figures.delete(block);
    }
  }

  clear(): void {
    this.figures.clear();
    this.element.replaceChildren();
  }

  private build(map: ReuseHeatMap, signature: string): Figure {
    const rows = map.rows.length;
    const cols = map.sources.length;
    const cell = Math.max(6, Math.min(14, Math.floor(200 / Math.max(1, cols))));
    const element = document.createElement('figure');
    element.className = 'stats-heatmap';
    element.dataset.block = map.block;
    const caption = document.createElement('figcaption');
    caption.textContent = `${map.block}: feature reuse`;
    caption.title = 'Mean |w| of each target layer’s first convolution over the channels from each source (0 = block input), scaled to the block’s largest';
    const svg = svgElement('svg', { width: LABEL_WIDTH + cols * cell + 2, height: rows * cell + AXIS_HEIGHT + 2, tabindex: 0, role: 'img' });
    svg.setAttribute('aria-label', `${map.block} feature reuse heat map: ${rows} target layers by ${cols} sources. Arrow keys move between cells, Enter reveals the target layer.`);
    const hover = document.createElement('div');
    hover.className = 'heat-hover';
    hover.setAttribute('aria-live', 'polite');
    const cells: (SVGRectElement | undefined)[][] = map.rows.map((row, r) =>
      row.values.map((value, c) => {
        if (value === null) return undefined;
        return svgElement('rect', { class: 'heat-cell', x: LABEL_WIDTH + c * cell, y: r * cell, width: cell - 1, height: cell - 1, 'data-row': r, 'data-col': c }, svg);
      }),
    );
    const tick = (i: number, count: number): boolean => i === 0 || i === count - 1 || (i + 1) % 4 === 0;
    for (let r = 0; r < rows; r++) if (tick(r, rows)) svgElement('text', { class: 'heat-axis', x: LABEL_WIDTH - 3, y: r * cell + cell - 2, 'text-anchor': 'end' }, svg).textContent = String(r + 1);
    for (let c = 0; c < cols; c++) if (tick(c, cols)) svgElement('text', { class: 'heat-axis', x: LABEL_WIDTH + c * cell + cell / 2, y: rows * cell + AXIS_HEIGHT - 2, 'text-anchor': 'middle' }, svg).textContent = String(c);
    element.append(caption, svg, hover);
    const figure: Figure = { signature, element, svg, hover, cells, map, largest: 0, current: null };
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

  private recolour(figure: Figure, map: ReuseHeatMap): void {
    figure.map = map;
    let largest = 0;
    for (const row of map.rows) for (const v of row.values) if (v !== null && Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
    figure.largest = largest;
    map.rows.forEach((row, r) =>
      row.values.forEach((value, c) => {
        const rect = figure.cells[r][c];
        if (!rect || value === null) return;
        rect.style.setProperty('fill', strokeColour(largest > 0 ? Math.abs(value) / largest : 0));
        rect.dataset.value = String(value);
      }),
    );
    if (figure.current) this.describe(figure, figure.current);
  }

  /** The hover line: names set as text, never markup. */
  private describe(figure: Figure, at: { row: number; col: number }): void {
    const row = figure.map.rows[at.row];
    const value = row?.values[at.col];
    if (value === null || value === undefined) return;
    const share = figure.largest > 0 ? Math.round((100 * Math.abs(value)) / figure.largest) : 0;
    figure.hover.textContent = `${row.conv} ← ${figure.map.sources[at.col]}: mean |w| ${formatValue(value)} (${share}% of the block’s largest)`;
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
