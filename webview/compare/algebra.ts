/**
 * The merge algebra of both Compare sides, side by side (the graph view's matrices, webview/statistics/algebra.ts,
 * once per side): A's matrices on the left, B's on the right, so DenseNet's f_ℓ = Σ_s H_ℓ^s * X_s (Huang et al.
 * 2017, section 3, eq. 2) reads against ResNet's f_ℓ = H_ℓ * (x_0 + F_0 + … + F_{ℓ-1}) (He et al. 2016, "Identity
 * Mappings", section 2, eq. 4).
 *
 * The figures are the training engine's own statistics. As soon as the pair is loaded, both sides are measured at
 * initialisation before any run (initial-algebra.ts: step 1's forward pass of the seeded initial weights over the first
 * batch, as `skipnet algebra` measures it) and drawn as the algebra at initialisation (ids `compare-algebra-a-init-…`).
 * Train both then draws its statistics, every `statsInterval` steps, as the latest ones (`compare-algebra-a-…`) below;
 * where its statistics include step 1 (statsInterval 1), that step's, measured on the same initial weights, replace the
 * initialisation. Each side's column carries `data-step` (the latest step drawn), `data-initial` (`measured` for the
 * measurement before any run, `run` for Train both's step 1; absent until one is drawn) and `data-state` (`measuring`,
 * `initial`, `waiting`, `trained`, `failed`, or `none` for a model with neither kind of merge).
 */
import type { CompareTrainingRun, SharedTrainingConfig } from '../../src/protocol/compare-messages';
import type { TrainingStatistics } from '../../src/train/stats';
import { AlgebraMatrices } from '../statistics/algebra';
import { InitialAlgebra } from './initial-algebra';

type SideIndex = 0 | 1;

interface SideColumn {
  root: HTMLElement;
  title: HTMLElement;
  status: HTMLElement;
  initial: AlgebraMatrices;
  matrices: AlgebraMatrices;
}

const LETTERS = ['A', 'B'] as const;
const NONE = 'No dense-block concatenation feeding a convolution and no identity-shortcut add: there is no merge algebra to show.';

/** The pair measured at initialisation: what Train both would train (see initial-algebra.ts). */
export interface InitialAlgebraRequest {
  runs: [CompareTrainingRun, CompareTrainingRun];
  config: SharedTrainingConfig;
}

/** The algebra section of the Compare page: hidden until the pair is measured at initialisation or Train both starts, then one column per side. */
export class CompareAlgebra {
  readonly element: HTMLElement;
  private readonly columns: [SideColumn, SideColumn];
  private measuring: InitialAlgebra | null = null;
  /** The runs and config last measured at initialisation (an identical request is not measured again). */
  private measuredKey = '';

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

  /**
   * Measures both sides at initialisation before any run and draws them (the section shows at once, saying it
   * measures), unless these very runs and config were measured last. A measurement in progress is cancelled.
   */
  measureInitial(request: InitialAlgebraRequest, runtimeUrl: string, wasmBase: string): void {
    const key = JSON.stringify([request.runs.map((r) => [r.run.model, r.run.text, r.run.backend, r.run.dataset, r.withoutSkips]), request.config]);
    if (key === this.measuredKey) return;
    this.measuring?.cancel();
    this.measuredKey = key;
    this.element.hidden = false;
    this.setLabels(request.runs.map((r) => `${r.run.model}${r.withoutSkips ? ' without skips' : ''}`) as [string, string]);
    for (const column of this.columns) {
      column.matrices.clear();
      column.initial.clear();
      column.root.dataset.state = 'measuring';
      delete column.root.dataset.step;
      delete column.root.dataset.initial;
      column.status.textContent = 'Measuring at initialisation (the initial weights’ forward pass over the first batch)…';
    }
    const measuring = new InitialAlgebra({
      ...request,
      runtimeUrl,
      wasmBase,
      onStatistics: (side, statistics, batch) => {
        if (this.measuring === measuring) this.showInitial(side, statistics, batch);
      },
      onFailed: (side, message) => {
        if (this.measuring !== measuring) return;
        this.columns[side].root.dataset.state = 'failed';
        this.columns[side].status.textContent = `Not measured at initialisation: ${message}`;
      },
    });
    this.measuring = measuring;
  }

  /**
   * Shows the section waiting for each side's first statistics (Train both started): the algebra at initialisation
   * measured before the run stays. Settles once a measurement still in progress has ended its run: Train both's runs
   * use the same workers, and one that Stop's grace ends (a long first step) must be gone before they start.
   */
  start(): Promise<void> {
    const cancelled = this.measuring;
    if (cancelled) {
      cancelled.cancel();
      // Cut short: the next pair the host sends is measured again.
      if (this.columns.some((c) => c.root.dataset.state === 'measuring')) this.measuredKey = '';
      this.measuring = null;
    }
    this.element.hidden = false;
    for (const column of this.columns) {
      column.matrices.clear();
      if (column.root.dataset.initial !== 'measured') {
        column.initial.clear();
        delete column.root.dataset.initial;
      }
      column.root.dataset.state = 'waiting';
      delete column.root.dataset.step;
      column.status.textContent = column.root.dataset.initial === 'measured' ? 'At initialisation above; waiting for Train both’s first statistics.' : 'Waiting for the first statistics.';
    }
    return cancelled ? cancelled.done : Promise.resolve();
  }

  /** A side's statistics event: its matrices are redrawn (throttled) from the engine's reuse and residual maps. */
  update(side: SideIndex, statistics: Pick<TrainingStatistics, 'step' | 'reuse' | 'residual'>): void {
    const column = this.columns[side];
    if (statistics.step === 1 && column.root.dataset.initial !== 'run') {
      column.initial.update(statistics);
      column.initial.flush();
      column.root.dataset.initial = 'run';
    }
    column.matrices.update(statistics);
  }

  private showInitial(side: SideIndex, statistics: Pick<TrainingStatistics, 'step' | 'reuse' | 'residual'>, batch: number): void {
    const column = this.columns[side];
    column.initial.update(statistics);
    column.initial.flush();
    if (column.initial.element.childElementCount === 0) {
      column.root.dataset.state = 'none';
      column.status.textContent = NONE;
      return;
    }
    column.root.dataset.initial = 'measured';
    column.root.dataset.state = 'initial';
    column.status.textContent = `At initialisation, before any run: the initial weights’ forward pass over the first batch of ${batch} image${batch === 1 ? '' : 's'}. Train both draws the trained values below.`;
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
      column.status.textContent = NONE;
      return;
    }
    column.root.dataset.state = 'trained';
    const latest = `Latest: after ${step ?? 0} step${step === 1 ? '' : 's'} of Train both.`;
    const initial = column.root.dataset.initial;
    column.status.textContent =
      initial === undefined ? latest : `At initialisation (${initial === 'run' ? 'step 1’s forward pass, the initial weights' : 'measured before the run, the initial weights'}) above; ${latest}`;
  }
}
