import { residualStages } from '../../core/algebra';
import type { ModelGraph } from '../../core/graph';
import { PATH_GRADIENT_IMAGES, PATH_GRADIENT_INTERVAL, PATH_GRADIENT_SAMPLES, residualAdds } from '../experiments/pathPlan';
import { topGroup } from '../statsPlan';
import { modulePath } from './weights';

/**
 * What the PyTorch runner needs to send the answer views' numbers the TensorFlow.js engine sends, planned here from
 * the core's graph with the browser engine's own rules:
 *
 * - the algebra view's ResNet shares (src/core/algebra.ts residualStages; He et al. 2016, "Identity Mappings", eq. 4):
 *   per identity-shortcut stage, where the runner sees the value of x_0 and of each F_i(x_i) (python/skipnet_algebra.py
 *   takes their per-sample L2 norms there). DenseNet's contributions ‖H_ℓ^s * X_s‖ (Huang et al. 2017, §3) need no
 *   more than the statistics plan's reuse rows (mergePlan.ts), which name each conv's module and its input channels;
 * - the gradient by path length (Veit, Wilber & Belongie 2016, §4.2; src/train/experiments/pathPlan.ts): every add of
 *   the graph in the order the exported forward() computes them, so the runner (python/skipnet_paths.py) can find each
 *   residual add among the additions of its traced forward (torch.fx) and stop the gradient on one of its inputs.
 */

/** Where the runner sees a node's value: a module's output, the input of a module that reads it, or the model's output. */
export type TorchValueSource = { module: string; at: 'output' | 'input' } | { output: true };

/** One identity-shortcut stage: the ResidualShareMap's fields, and where each source's value is seen (x_0 first, then each F_i). */
export interface TorchResidualStage {
  block: string;
  adds: string[];
  sources: string[];
  approximate: boolean;
  values: TorchValueSource[];
}

/**
 * One add of the graph as the exported forward() writes it: `a + b + …`, so an add of k inputs is k − 1 additions
 * (torch.fx records each). `branch`/`skip`: the input indices of a residual add (pathPlan.ts residualAdds), absent
 * for the others. `shape`: the output's shape without the batch, NCHW for maps (to check the match), null if unknown.
 */
export interface TorchPlannedAdd {
  node: string;
  inputs: number;
  shape: number[] | null;
  branch?: number;
  skip?: number;
}

/** The path-gradient measurement: its adds, the number n of residual adds, and the browser engine's schedule and sample sizes. */
export interface TorchPathPlan {
  adds: TorchPlannedAdd[];
  residualAdds: number;
  interval: number;
  images: number;
  samples: number;
}

export interface TorchAlgebraPlan {
  /** Stages whose every value the runner can see (a stage needing a tied layer's value is left out). */
  residual: TorchResidualStage[];
}

const MODULELESS = new Set(['input', 'add', 'concat', 'mul', 'gate']);

/** NHWC (SkipNet's) to NCHW (PyTorch's) for a shape without the batch: [H, W, C] → [C, H, W]; other ranks unchanged. */
function torchShape(shape: readonly number[] | null | undefined): number[] | null {
  if (!shape) return null;
  return shape.length === 3 ? [shape[2], shape[0], shape[1]] : [...shape];
}

/** The runner's plan for the algebra view's ResNet shares (see the file's comment). */
export function torchAlgebraPlan(graph: ModelGraph): TorchAlgebraPlan {
  const tied = new Set(graph.nodes.flatMap((n) => (n.sharedWith !== null ? [n.id, n.sharedWith] : [])));
  const readers = new Map<string, string[]>();
  for (const node of graph.nodes) node.inputs.forEach((input, index) => index === 0 && readers.set(input, [...(readers.get(input) ?? []), node.id]));
  const hasModule = (id: string): boolean => {
    const node = graph.nodeById.get(id);
    return !!node && !MODULELESS.has(node.kind) && !tied.has(id);
  };
  const valueOf = (id: string): TorchValueSource | null => {
    if (hasModule(id)) return { module: modulePath(id), at: 'output' };
    // A module whose first input is this value sees it before any change (a merge has no module, nor the input).
    const reader = (readers.get(id) ?? []).find(hasModule);
    if (reader) return { module: modulePath(reader), at: 'input' };
    return id === graph.output ? { output: true } : null;
  };
  const residual: TorchResidualStage[] = [];
  for (const stage of residualStages(graph)) {
    const sources = [stage.input, ...stage.residuals];
    const values = sources.map(valueOf);
    if (values.some((v) => v === null)) continue;
    const block = topGroup(graph, graph.nodeById.get(stage.adds[0])?.group ?? null) ?? stage.adds[0];
    residual.push({ block, adds: stage.adds, sources, approximate: stage.approximate, values: values as TorchValueSource[] });
  }
  return { residual };
}

/**
 * A schedule and sample sizes for the path-gradient measurement other than the graph view's (pathPlan.ts):
 * `interval` steps between measurements (one after the first step too), `images` of the training split (the first
 * ones), `samples` paths per length. Each is a whole number ≥ 1 (PyTorchTraining.start rejects others).
 */
export interface PathGradientSettings {
  interval?: number;
  images?: number;
  samples?: number;
}

/** The runner's plan for the gradient by path length (see the file's comment), with the graph view's schedule unless `settings` say otherwise. */
export function torchPathPlan(graph: ModelGraph, settings: PathGradientSettings = {}): TorchPathPlan {
  const residual = new Map(residualAdds(graph).map((add) => [add.id, add]));
  const adds = graph.nodes
    .filter((node) => node.kind === 'add')
    .map((node): TorchPlannedAdd => {
      const found = residual.get(node.id);
      const planned: TorchPlannedAdd = { node: node.id, inputs: node.inputs.length, shape: torchShape(node.shape) };
      return found ? { ...planned, branch: found.branch, skip: found.skip } : planned;
    });
  return {
    adds,
    residualAdds: residual.size,
    interval: settings.interval ?? PATH_GRADIENT_INTERVAL,
    images: settings.images ?? PATH_GRADIENT_IMAGES,
    samples: settings.samples ?? PATH_GRADIENT_SAMPLES,
  };
}
