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

/** A contiguous range of path lengths (residual branches entered), both ends included, and its share of the total. */
export interface PathLengthWindow {
  from: number;
  to: number;
  /** The window's summed `total` over the sum of every length's `total`, in [0, 1]. */
  share: number;
}

/**
 * The narrowest contiguous range of lengths whose totals hold at least `share` (in (0, 1]) of the summed total
 * gradient magnitude: Veit et al. 2016 (§4.2, Fig. 6) read their "effective paths" off this curve. Among equally
 * narrow ranges, the one holding most. `lengths` in order of length, as a measurement lists them.
 * Throws a RangeError when `share` is outside (0, 1], `lengths` is empty or its totals are not finite and ≥ 0 with a
 * positive sum.
 */
export function gradientWindow(lengths: readonly PathLengthGradient[], share: number): PathLengthWindow {
  if (!(share > 0 && share <= 1)) throw new RangeError(`share must be in (0, 1], not ${share}.`);
  const totals = lengths.map((l) => l.total);
  const sum = totals.reduce((a, b) => a + b, 0);
  if (totals.some((t) => !(Number.isFinite(t) && t >= 0)) || !(sum > 0)) throw new RangeError('Path-length totals must be finite, ≥ 0 and not all 0.');
  // A relative tolerance, so a window that holds the share up to float rounding of the sums counts.
  const needed = share * sum * (1 - 1e-12);
  let best: PathLengthWindow | null = null;
  for (let from = 0; from < totals.length; from++) {
    let held = 0;
    for (let to = from; to < totals.length; to++) {
      held += totals[to];
      if (held < needed) continue;
      const width = to - from;
      const bestWidth = best ? best.to - best.from : Infinity;
      if (width < bestWidth || (width === bestWidth && held / sum > best!.share)) best = { from: lengths[from].length, to: lengths[to].length, share: held / sum };
      break;
    }
  }
  return best!;
}

/** The length whose paths carry the largest total gradient magnitude (the first on a tie); throws a RangeError on an empty list. */
export function peakLength(lengths: readonly PathLengthGradient[]): number {
  if (lengths.length === 0) throw new RangeError('No path lengths measured.');
  return lengths.reduce((best, l) => (l.total > best.total ? l : best)).length;
}
