/**
 * The merge algebra drawn on the model being trained, one target × source matrix per block so DenseNet's
 * and ResNet's rules read side by side (src/core/algebra.ts):
 *
 * - DenseNet, f_ℓ = Σ_s H_ℓ^s * X_s (Huang et al. 2017, section 3): cell (ℓ, s) is ‖H_ℓ^s * X_s‖, the
 *   per-sample L2 norm of what source s adds to target ℓ's convolution, with the mean |w| of that kernel
 *   slice (the feature-reuse heat map's value) beside it in the cell's tooltip.
 * - ResNet, f_ℓ = H_ℓ * (x_0 + F_0 + … + F_{ℓ-1}) (He et al. 2016, "Identity Mappings", eq. 4): cell
 *   (i, s) is the share of x_0 or F_j(x_j) in the stream after block i's add; with a ReLU after each add
 *   the sum is approximate, and the caption says so.
 *
 * Each matrix is an Observable Plot cell chart; cells carry data-row/data-col/data-value for tests.
 */
import { formatCompact } from '../../src/core/format';
import type { ResidualShareMap, ReuseHeatMap, TrainingStatistics } from '../../src/train/stats';
import { chart, Plot, themeColour } from '../shared/plot-theme';
import { RedrawThrottle } from '../shared/throttle';

interface Cell {
  row: string;
  col: string;
  value: number;
  label: string;
  title: string;
}

/** Short label of a node id: its last two path parts ("denselayer3/conv1"). */
function short(id: string): string {
  return id.split('/').slice(-2).join('/');
}

function matrix(id: string, title: string, note: string, cells: Cell[], rows: string[], cols: string[], colour: string): HTMLElement {
  const size = 22;
  const figure = chart(
    { id, title, note },
    {
      width: Math.min(720, 150 + size * cols.length),
      height: Math.min(720, 90 + size * rows.length),
      marginLeft: 140,
      marginBottom: 80,
      padding: 0.05,
      x: { domain: cols, label: 'source', tickRotate: -45, tickFormat: short },
      y: { domain: rows, label: 'target', tickFormat: short },
      color: { type: 'linear', domain: [0, Math.max(1e-12, ...cells.map((c) => c.value))], range: ['transparent', colour] },
      marks: [
        Plot.cell(cells, { x: 'col', y: 'row', fill: 'value', stroke: themeColour('--vscode-panel-border', '#5a5a5a'), strokeOpacity: 0.4, title: 'title', className: 'algebra-cells' }),
        Plot.text(cells, { x: 'col', y: 'row', text: 'label', fontSize: 8, className: 'algebra-labels' }),
      ],
    },
  );
  // Plot draws cells in data order: tag each with its coordinates and value, as the data gave them.
  figure.querySelectorAll('.algebra-cells rect').forEach((rect, i) => {
    const cell = cells[i];
    if (!cell) return;
    rect.setAttribute('data-row', cell.row);
    rect.setAttribute('data-col', cell.col);
    rect.setAttribute('data-value', String(cell.value));
  });
  figure.dataset.rows = String(rows.length);
  figure.dataset.cols = String(cols.length);
  return figure;
}

function denseMatrix(prefix: string, map: ReuseHeatMap, index: number): HTMLElement | null {
  const cells: Cell[] = [];
  for (const row of map.rows) {
    row.contributions?.forEach((value, s) => {
      if (value === null || !Number.isFinite(value)) return;
      const weight = row.values[s];
      cells.push({ row: row.conv, col: map.sources[s], value, label: formatCompact(value), title: `‖H^s * X_s‖ of ${row.conv} from ${map.sources[s]}: ${value.toPrecision(3)}; mean |w| ${weight === null ? 'n/a' : weight.toPrecision(3)}` });
    });
  }
  if (cells.length === 0) return null;
  return matrix(
    `${prefix}-dense-${index}`,
    `${map.block}: f_ℓ = Σ_s H_ℓ^s * X_s`,
    'Cell: ‖H_ℓ^s * X_s‖, the per-sample L2 norm of what source s adds to layer ℓ (Huang et al. 2017, §3); the tooltip adds the mean |w|.',
    cells,
    map.rows.map((r) => r.conv),
    map.sources,
    themeColour('--vscode-charts-blue', '#3794ff'),
  );
}

function residualMatrix(prefix: string, map: ResidualShareMap, index: number): HTMLElement {
  const cols = map.sources.map((source, s) => (s === 0 ? `x0 ${source}` : `F${s - 1} ${source}`));
  const cells: Cell[] = [];
  map.shares.forEach((row, i) =>
    row.forEach((share, s) => {
      if (share === null) return;
      cells.push({ row: map.adds[i], col: cols[s], value: share, label: `${Math.round(share * 100)}%`, title: `${s === 0 ? 'x_0' : `F_${s - 1}`} (${map.sources[s]}) is ${(share * 100).toFixed(1)}% of the stream after ${map.adds[i]}; its norm ${map.norms[s].toPrecision(3)}` });
    }),
  );
  const caveat = map.approximate ? ' A ReLU follows each add, so x_0 + Σ F_i is the stream only approximately.' : ' No layer follows the adds: the sum is exact.';
  return matrix(
    `${prefix}-residual-${index}`,
    `${map.block}: f_ℓ = H_ℓ * (x_0 + F_0 + … + F_{ℓ-1})`,
    `Cell: the share ‖term‖ / Σ‖terms‖ of x_0 or F_j(x_j) in the stream after each add (He et al. 2016, eq. 4).${caveat}`,
    cells,
    map.adds,
    cols,
    themeColour('--vscode-charts-orange', '#d18616'),
  );
}

/** Plot redraws a whole matrix: at most one redraw per this many ms, the latest statistics winning. */
const REDRAW_MS = 250;

/** The algebra matrices of the latest statistics update, DenseNet blocks first, then ResNet stages. */
export class AlgebraMatrices {
  readonly element: HTMLDivElement;
  private latest: Pick<TrainingStatistics, 'reuse' | 'residual'> & { step?: number } | null = null;
  private readonly redraw = new RedrawThrottle(() => this.draw(), REDRAW_MS);

  /**
   * @param idPrefix the figures' ids are `${idPrefix}-dense-N` and `${idPrefix}-residual-N` (Compare has two sets on one page).
   * @param drawn called after each drawing with the step of the statistics drawn.
   */
  constructor(
    private readonly idPrefix = 'algebra',
    private readonly drawn?: (step: number | undefined) => void,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'stats-algebra';
  }

  /** Draws now when the last drawing is older than REDRAW_MS, else once that much time has passed. */
  update(statistics: Pick<TrainingStatistics, 'reuse' | 'residual'> & { step?: number }): void {
    this.latest = statistics;
    this.redraw.request();
  }

  /** Draws a pending update now (a run that ended shows its last statistics at once). */
  flush(): void {
    if (this.redraw.pending) this.redraw.flush();
  }

  clear(): void {
    this.redraw.cancel();
    this.latest = null;
    this.element.replaceChildren();
  }

  private draw(): void {
    const statistics = this.latest;
    if (!statistics) return;
    const prefix = this.idPrefix;
    const figures = [...statistics.reuse.map((m, i) => denseMatrix(prefix, m, i)), ...(statistics.residual ?? []).map((m, i) => residualMatrix(prefix, m, i))].filter((f) => f !== null);
    this.element.replaceChildren(...figures);
    this.drawn?.(statistics.step);
  }
}
