/**
 * The merge algebra of both Compare sides, side by side (the graph view's matrices, webview/statistics/algebra.ts,
 * once per side): A's matrices on the left, B's on the right, so DenseNet's f_ℓ = Σ_s H_ℓ^s * X_s (Huang et al.
 * 2017, section 3, eq. 2) reads against ResNet's f_ℓ = H_ℓ * (x_0 + F_0 + … + F_{ℓ-1}) (He et al. 2016, "Identity
 * Mappings", section 2, eq. 4).
 *
 * The figures are the training engine's own statistics from Train both, every `statsInterval` steps. Where a run's
 * statistics include step 1 (statsInterval 1), that step's are measured in the forward pass of the initial weights:
 * they stay drawn apart as the algebra at initialisation (ids `compare-algebra-a-init-…`) above the latest ones
 * (`compare-algebra-a-…`). Each side's column carries `data-step` (the latest step drawn), `data-initial` (present
 * once the initialisation is drawn) and `data-state` (`waiting`, `trained`, or `none` for a model with neither kind
 * of merge).
 */
import type { TrainingStatistics } from '../../src/train/stats';
import { AlgebraMatrices } from '../statistics/algebra';

type SideIndex = 0 | 1;

interface SideColumn {
  root: HTMLElement;
  title: HTMLElement;
  status: HTMLElement;
  initial: AlgebraMatrices;
  matrices: AlgebraMatrices;
}

const LETTERS = ['A', 'B'] as const;

/** The algebra section of the Compare page: hidden until Train both starts, then one column per side. */
export class CompareAlgebra {
  readonly element: HTMLElement;
  private readonly columns: [SideColumn, SideColumn];

  constructor(parent: HTMLElement) {
    this.element = document.createElement('section');
    this.element.id = 'compare-algebra';
    this.element.setAttribute('aria-label', 'Merge algebra of A and B');
    this.element.hidden = true;
    const heading = document.createElement('div');
    heading.className = 'algebra-heading';
    heading.textContent = 'Merge algebra: concatenation keeps each source as its own term with its own weights; an add sums them into one stream before any weight sees them.';
    const row = document.createElement('div');
    row.className = 'algebra-sides';
    this.columns = [this.column(0), this.column(1)];
    row.append(this.columns[0].root, this.columns[1].root);
    this.element.append(heading, row);
    parent.appendChild(this.element);
  }

  /** Names the two columns after the models ("A: resnet20", "B: densenet40 without skips"). */
  setLabels(labels: readonly [string, string]): void {
    this.columns.forEach((column, i) => (column.title.textContent = `${LETTERS[i]}: ${labels[i]}`));
  }

  /** Shows the section, empty, waiting for each side's first statistics (Train both started). */
  start(): void {
    this.element.hidden = false;
    for (const column of this.columns) {
      column.matrices.clear();
      column.initial.clear();
      column.root.dataset.state = 'waiting';
      delete column.root.dataset.step;
      delete column.root.dataset.initial;
      column.status.textContent = 'Waiting for the first statistics.';
    }
  }

  /** A side's statistics event: its matrices are redrawn (throttled) from the engine's reuse and residual maps. */
  update(side: SideIndex, statistics: Pick<TrainingStatistics, 'step' | 'reuse' | 'residual'>): void {
    const column = this.columns[side];
    if (statistics.step === 1 && column.root.dataset.initial === undefined) {
      column.initial.update(statistics);
      column.initial.flush();
      column.root.dataset.initial = '1';
    }
    column.matrices.update(statistics);
  }

  /** Draws what is pending now (the run ended). */
  flush(): void {
    for (const column of this.columns) column.matrices.flush();
  }

  private column(side: SideIndex): SideColumn {
    const root = document.createElement('div');
    root.className = 'algebra-side';
    root.dataset.side = String(side);
    root.dataset.state = 'waiting';
    const title = document.createElement('h3');
    title.className = 'algebra-side-title';
    title.textContent = LETTERS[side];
    const status = document.createElement('div');
    status.className = 'algebra-status';
    status.setAttribute('role', 'status');
    const prefix = `compare-algebra-${LETTERS[side].toLowerCase()}`;
    const column: SideColumn = { root, title, status, initial: new AlgebraMatrices(`${prefix}-init`), matrices: new AlgebraMatrices(prefix, (step) => this.drawn(column, step)) };
    column.initial.element.classList.add('algebra-initial');
    root.append(title, status, column.initial.element, column.matrices.element);
    return column;
  }

  private drawn(column: SideColumn, step: number | undefined): void {
    const figures = column.matrices.element.childElementCount;
    column.root.dataset.step = String(step ?? 0);
    if (figures === 0) {
      column.root.dataset.state = 'none';
      column.status.textContent = 'No dense-block concatenation feeding a convolution and no identity-shortcut add: there is no merge algebra to show.';
      return;
    }
    column.root.dataset.state = 'trained';
    const latest = `Latest: after ${step ?? 0} step${step === 1 ? '' : 's'} of Train both.`;
    column.status.textContent = column.root.dataset.initial === undefined ? latest : `At initialisation (step 1’s forward pass, the initial weights) above; ${latest}`;
  }
}
