import { pluralize, type ModelGraph } from '../core';
import type { PortableBackend } from '../train/backend';
import type { ImageDataset } from '../train/dataset';
import { TrainingEngine } from '../train/engine';
import { TrainError } from '../train/model';
import { runOnBackend } from '../train/commandFrame';
import { datasetFor } from '../train/nodeData';
import { useNodeBackend } from '../train/nodeBackend';
import type { ResidualShareMap, ReuseHeatMap, TrainingStatistics } from '../train/stats';
import { renderTable } from './table';

/**
 * `skipnet algebra`: the two merge rules as target × source matrices on a model at initialisation (seeded), in the
 * terminal. DenseNet (Huang et al. 2017, section 3, eq. 2): f_ℓ = Σ_s H_ℓ^s * X_s, one row per layer ℓ (its first
 * convolution), one column per source s, the cell ‖H_ℓ^s * X_s‖ (per-sample L2 norm, √(Σ y² / batch)), and beside it
 * the mean |w| of that kernel slice (the feature-reuse heat map's measure). ResNet with identity shortcuts (He et al.
 * 2016, "Identity Mappings", section 2, eq. 4): one row per block's add, the share ‖term‖ / Σ ‖terms‖ of x_0 and of
 * each residual output F_j in the stream after that add. The figures come from the engine's own statistics of one
 * forward pass over the first batch of the model's data set, with the seeded initial weights (learning rate 0, so
 * even the mean |w| is the initialisation's).
 */

export interface AlgebraCommandOptions {
  backend: PortableBackend;
  /** Initialisation seed (default: the train section's). */
  seed?: number;
  /** Images in the measured batch (default: the train section's batch). */
  batch?: number;
  json: boolean;
  dataDir?: string;
  out(line: string): void;
  err(line: string): void;
}

/** What the command prints with --json: the model, the seed and batch, and the two kinds of matrix. */
export interface AlgebraReport {
  model: string;
  seed: number;
  batch: number;
  dense: ReuseHeatMap[];
  residual: ResidualShareMap[];
}

/** Where the measured batch and weights come from besides the command's options. */
export interface AlgebraSource extends Pick<AlgebraCommandOptions, 'seed' | 'batch' | 'dataDir'> {
  /** The images (default: the train section's data set). */
  dataset?: ImageDataset;
  /** Parameter values by name measured instead of the seeded initialisation (as TrainingEngine's initialWeights). */
  initialWeights?: Readonly<Record<string, ArrayLike<number>>>;
}

/**
 * The statistics of step 1 at initialisation: one forward and backward pass over the first batch, no update
 * (learning rate 0), the run stopped right after. Throws TrainError where the model cannot train on its data.
 */
export async function algebraAtInitialisation(graph: ModelGraph, options: AlgebraSource): Promise<AlgebraReport> {
  const dataset = options.dataset ?? datasetFor(graph.training, options.dataDir);
  const seed = options.seed ?? graph.training.seed;
  const batch = options.batch ?? graph.training.batch;
  let statistics: TrainingStatistics | undefined;
  const engine = new TrainingEngine({
    graph,
    dataset,
    config: { seed, batch, lr: 0, weightDecay: 0 },
    initialWeights: options.initialWeights,
    maxSteps: 1,
    statsInterval: 1,
    nextFrame: () => Promise.resolve(),
    onEvent: (event) => {
      if (event.type !== 'statistics') return;
      statistics = event.statistics;
      engine.stop();
    },
  });
  const result = await engine.run();
  if (!statistics) throw new TrainError(result.message ?? `No statistics were measured for ${graph.name}.`, 'unsupported');
  return { model: graph.name, seed, batch, dense: statistics.reuse, residual: statistics.residual ?? [] };
}

const cell = (value: number | null | undefined, digits = 3): string => (value === null || value === undefined ? '—' : value.toPrecision(digits));
const percent = (value: number | null): string => (value === null ? '' : `${(value * 100).toFixed(1)}%`);

/** The report as text: one table per DenseNet block (‖H_ℓ^s * X_s‖ / mean |w|), one per ResNet stage (shares). */
export function algebraTables(report: AlgebraReport): string[] {
  const lines = [`${report.model} at initialisation (seed ${report.seed}, one batch of ${report.batch} ${pluralize(report.batch, 'image')})`];
  if (report.dense.length === 0 && report.residual.length === 0) {
    lines.push('The model has neither dense-block concatenations feeding a convolution nor identity-shortcut residual adds: there is no merge algebra to show.');
    return lines;
  }
  for (const map of report.dense) {
    lines.push('', `DenseNet ${map.block}: f_ℓ = Σ_s H_ℓ^s * X_s (Huang et al. 2017, eq. 2). Cell: ‖H_ℓ^s * X_s‖ per sample / mean |w| of the kernel slice.`);
    lines.push(
      renderTable(
        ['target \\ source', ...map.sources],
        map.rows.map((row) => [row.conv, ...row.values.map((w, s) => (w === null ? '' : `${cell(row.contributions?.[s])} / ${cell(w)}`))]),
        [false, ...map.sources.map(() => true)],
      ),
    );
  }
  for (const map of report.residual) {
    const labels = ['x_0', ...map.sources.slice(1).map((_, j) => `F_${j}`)];
    lines.push('', `ResNet ${map.block}: x_{i+1} = x_0 + Σ_{j≤i} F_j (He et al. 2016, "Identity Mappings", eq. 4). Cell: the term's share of the stream after add i.`);
    lines.push(renderTable(['after add', ...labels], map.shares.map((row, i) => [map.adds[i], ...row.map(percent)]), [false, ...labels.map(() => true)]));
    lines.push(`Norms per sample: ${labels.map((label, i) => `${label} (${map.sources[i]}) ${cell(map.norms[i])}`).join(', ')}`);
    if (map.approximate) lines.push('A ReLU follows each add here (x_{i+1} = relu(x_i + F_i)), so the sum is approximate.');
  }
  return lines;
}

/** Exit code: 0 printed, 1 the model or its data cannot be used (message printed), 2 backend failure. */
export async function algebraCommand(graph: ModelGraph, options: AlgebraCommandOptions): Promise<number> {
  return runOnBackend(() => useNodeBackend(options.backend), options.err, async () => {
    const report = await algebraAtInitialisation(graph, options);
    if (options.json) options.out(JSON.stringify(report));
    else for (const line of algebraTables(report)) options.out(line);
    return 0;
  });
}
