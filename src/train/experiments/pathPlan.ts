import type { ModelGraph } from '../../core';
import { isWeighted } from '../../core/paths';

/**
 * What the gradient-by-path-length measurement (Veit, Wilber & Belongie 2016, "Residual Networks Behave Like
 * Ensembles of Relatively Shallow Networks", §4.2 and Fig. 6) needs of a graph, and its schedule, without
 * TensorFlow.js: the browser engine (pathGradients.ts) and the PyTorch runner's plan (src/train/pytorch/algebraPlan.ts,
 * python/skipnet_paths.py) share these, so both engines sample the same paths at the same steps.
 */

/** Steps between gradient-by-path-length measurements (and one after the first step): each costs up to (n + 1) × PATH_GRADIENT_SAMPLES backward passes. */
export const PATH_GRADIENT_INTERVAL = 50;
/** Images the path-gradient measurement runs on (the first of the training split): a small batch, so it costs about a step. */
export const PATH_GRADIENT_IMAGES = 2;
/** Paths sampled per length (all where there are fewer). */
export const PATH_GRADIENT_SAMPLES = 2;

/** Whether the run measures path gradients after step `step` (1-based): the first step, then every PATH_GRADIENT_INTERVAL. */
export function measuresPathsAt(step: number): boolean {
  return step === 1 || step % PATH_GRADIENT_INTERVAL === 0;
}

/** A residual add: the input index of its branch (weighted layers) and of its skip (identity, zeropad or projection). */
export interface ResidualAdd {
  id: string;
  branch: number;
  skip: number;
}

/** Total gradient magnitude of the paths of one length (Veit et al. 2016, Fig. 6 (b)). */
export interface PathLengthGradient {
  /** Residual branches the path enters, 0..n. */
  length: number;
  /** Paths of this length: C(n, length) (a float: exact below 2^53, which n ≤ 56 keeps). */
  paths: number;
  /** Paths whose backward pass was run (all of them when there are at most `samples`). */
  sampled: number;
  /** Mean over the sampled paths of ‖∂loss/∂input‖₂ over the batch, the loss being the batch's mean cross-entropy. */
  meanNorm: number;
  /** paths × meanNorm. */
  total: number;
}

/** C(n, k) as a float (exact while the result is below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) result = (result * (n - Math.min(k, n - k) + i)) / i;
  return Math.round(result);
}

/** Weighted layers (the kinds `isWeighted` names: conv, convtranspose, dense, patchify, attention) on the longest path from the input to each node. */
function weightedDepths(graph: ModelGraph): Map<string, number> {
  const depth = new Map<string, number>();
  for (const node of graph.nodes) {
    const from = node.inputs.length ? Math.max(...node.inputs.map((id) => depth.get(id) ?? 0)) : 0;
    depth.set(node.id, from + (isWeighted(node) ? 1 : 0));
  }
  return depth;
}

/**
 * The residual adds of a graph, in graph order: two-input adds whose inputs differ in weighted depth (the
 * deeper input is the branch). Adds of two equally deep inputs are not residual blocks in Veit's sense and
 * are left out (their gradient always flows through both).
 */
export function residualAdds(graph: ModelGraph): ResidualAdd[] {
  const depth = weightedDepths(graph);
  const adds: ResidualAdd[] = [];
  for (const node of graph.nodes) {
    if (node.kind !== 'add' || node.inputs.length !== 2) continue;
    const [a, b] = node.inputs.map((id) => depth.get(id) ?? 0);
    if (a !== b) adds.push({ id: node.id, branch: a > b ? 0 : 1, skip: a > b ? 1 : 0 });
  }
  return adds;
}
