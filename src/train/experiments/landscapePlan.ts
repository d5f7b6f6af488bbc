import type { ParamRole } from '../init';
import { TrainError } from '../errors';

/**
 * The plan of a loss landscape (Li, Xu, Taylor, Studer & Goldstein 2018, "Visualizing the Loss Landscape of Neural
 * Nets", NeurIPS, §4): the requests and results, the grid, and which parameters move and how each splits into
 * filters for filter-wise normalisation. No TensorFlow.js, so the PyTorch engine's planner (pytorch/mergePlan.ts)
 * takes the same set; landscape.ts computes it on a TfModel.
 */

/** Which slice: a line of `points` values of α, or a `grid` × `grid` square of (α, β). */
export type LandscapeRequest =
  | { kind: 'line'; points: number; seed: number; samples: number }
  | { kind: 'surface'; grid: number; seed: number; samples: number };

/** The paper's figures: 41 points on α ∈ [−1, 1] for a line, 21 × 21 on [−1, 1]² for a surface. */
export const DEFAULT_LINE_POINTS = 41;
export const DEFAULT_GRID = 21;
/** Held-out images every point is evaluated on (the same fixed subset for all points). */
export const DEFAULT_LANDSCAPE_SAMPLES = 256;
/** The largest accepted `points` and `grid`, so a typo cannot ask for a day of evaluations. */
export const MAX_LINE_POINTS = 401;
export const MAX_GRID = 101;

export interface LandscapeLine {
  kind: 'line';
  /** The α of each point, evenly spaced from −1 to 1. */
  alphas: number[];
  /** Mean softmax cross-entropy (nats per image) at θ + αδ, one per alpha. */
  loss: number[];
  /** Share of the subset classified right (0..1), one per alpha. */
  accuracy: number[];
  samples: number;
  seed: number;
}

export interface LandscapeSurface {
  kind: 'surface';
  /** Coordinates of the grid's columns (α, along δ) and rows (β, along η), each from −1 to 1. */
  alphas: number[];
  betas: number[];
  /** Loss at θ + α_i δ + β_j η at index j · alphas.length + i (rows are β). Nats per image. */
  loss: number[];
  accuracy: number[];
  samples: number;
  seed: number;
}

export type LandscapeResult = LandscapeLine | LandscapeSurface;

/** Evaluations a request needs: points, or grid². */
export function evaluationCount(request: LandscapeRequest): number {
  return request.kind === 'line' ? request.points : request.grid * request.grid;
}

/** `count` values evenly spaced from −1 to 1 (the ends included). */
export function axisValues(count: number): number[] {
  return Array.from({ length: count }, (_, i) => (count === 1 ? 0 : -1 + (2 * i) / (count - 1)));
}

/**
 * Checks a request's sizes: points ≥ 2 and ≤ MAX_LINE_POINTS, grid ≥ 2 and ≤ MAX_GRID, samples ≥ 1, a whole
 * seed. Throws a TrainError ('unsupported') naming the bad value.
 */
export function checkRequest(request: LandscapeRequest): void {
  const whole = (name: string, value: number, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max) throw new TrainError(`Loss landscape: ${name} must be a whole number from ${min} to ${max}, not ${value}.`, 'unsupported');
  };
  if (request.kind === 'line') whole('points', request.points, 2, MAX_LINE_POINTS);
  else whole('grid', request.grid, 2, MAX_GRID);
  whole('samples', request.samples, 1, Number.MAX_SAFE_INTEGER);
  if (!Number.isInteger(request.seed)) throw new TrainError(`Loss landscape: the seed must be a whole number, not ${request.seed}.`, 'unsupported');
}

/**
 * The parameters the landscape moves: every weight with more than one value per output unit, as Li et al. 2018
 * (§4, and their code's `ignore='biasbn'`) move every parameter of more than one dimension: conv, transposed
 * conv, dense and patchify kernels, attention's input and output projections, the position embedding and the
 * class token. Biases and batch-norm and layer-norm γ, β stay where they are (one value per channel).
 */
export const PERTURBED_ROLES: ReadonlySet<ParamRole> = new Set<ParamRole>(['kernel', 'in_proj_kernel', 'out_proj_kernel', 'pos_embedding', 'class_token']);

/** Whether a parameter of this role is perturbed (see PERTURBED_ROLES). */
export function isPerturbed(role: ParamRole): boolean {
  return PERTURBED_ROLES.has(role);
}

/**
 * How a perturbed parameter splits into filters, in its tfjs layout: `filters` filters, element i in filter
 * `of(i)`. A kernel's filter is one index of its last axis: a conv's or patchify's output channel, a dense
 * layer's unit, one row of an attention projection (PyTorch's in_proj_weight [3D, D] and out_proj.weight [D, D]
 * rows, stored transposed here), and for a transposed conv [kh, kw, filters/groups, cin] its input channel, which
 * is axis 0 of PyTorch's weight as Li et al.'s code takes it. The position embedding [T, D] and the class token
 * [D] have no output units: a filter is one token's vector (D values), so each token moves by its own norm and
 * the class token is one filter.
 */
export function filterLayout(role: ParamRole, shape: readonly number[]): { filters: number; of(i: number): number } {
  const last = shape.at(-1) ?? 1;
  if (role === 'pos_embedding' || role === 'class_token') {
    const size = shape.reduce((a, b) => a * b, 1);
    return { filters: Math.max(1, size / last), of: (i) => Math.floor(i / last) };
  }
  return { filters: last, of: (i) => i % last };
}

/**
 * The Euclidean norm of each filter of a parameter (see filterLayout; by default a kernel's, conv
 * [kh, kw, cin/groups, filters] or dense [in, units], one index of the last axis each). Returns `filters` norms.
 */
export function filterNorms(values: ArrayLike<number>, shape: readonly number[], role: ParamRole = 'kernel'): Float64Array {
  const layout = filterLayout(role, shape);
  const sums = new Float64Array(layout.filters);
  for (let i = 0; i < values.length; i++) sums[layout.of(i)] += values[i] * values[i];
  return sums.map(Math.sqrt);
}
