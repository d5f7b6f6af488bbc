import * as tf from '@tensorflow/tfjs-core';
import { correctCount, positionsPerImage } from '../step';
import { makeBatch, type ImageDataset, type InputAdapter } from '../data';
import type { TfModel } from '../model';
import { SeededRandom } from '../rng';
import { spreadIndices } from '../schedule';
import { TrainError } from '../errors';
import { axisValues, checkRequest, filterLayout, filterNorms, isPerturbed, type LandscapeRequest, type LandscapeResult } from './landscapePlan';

/**
 * The loss landscape around a model's current weights (Li, Xu, Taylor, Studer & Goldstein 2018, "Visualizing
 * the Loss Landscape of Neural Nets", NeurIPS): the held-out loss and accuracy at θ + αδ (a 1-D slice) or
 * θ + αδ + βη (a 2-D slice) for random Gaussian directions δ, η normalised per filter (the paper's §4). Pure
 * TensorFlow.js and no DOM: the Node CLI, the benchmark and the webview's training worker all run it on the
 * TrainingEngine's model while that run is paused, and the weights are restored bit for bit afterwards.
 */

export * from './landscapePlan';

/** A direction in weight space: one array per parameter name, in the parameter's own (tfjs) layout. */
export type Direction = Map<string, Float32Array>;

export interface LandscapeProgress {
  /** Evaluations done so far and in all. */
  done: number;
  total: number;
  /** Mean seconds of one evaluation so far. */
  secondsPerEvaluation: number;
}

export interface LandscapeHooks {
  /** Aborting stops between two evaluations; the weights are restored and computeLandscape resolves null. */
  signal?: AbortSignal;
  onProgress?(progress: LandscapeProgress): void;
  /** Awaited between evaluations (the worker yields so Cancel is heard). */
  nextFrame?(): Promise<void>;
  /** Milliseconds clock. */
  now?(): number;
}

/**
 * A random direction normalised per filter (the paper's §4, "filter-wise normalization"): for each perturbed
 * parameter (PERTURBED_ROLES), d is drawn from N(0, 1) element by element (from `random`, in the model's
 * parameter order) and each filter rescaled, d_i ← d_i / ‖d_i‖ · ‖θ_i‖, so it has the norm of the weights'
 * filter i (filterLayout). Batch-norm and layer-norm γ and β and every bias get a zero direction, as the paper's
 * code does (its `ignore='biasbn'`): they are one value per channel, and the paper leaves them where they are.
 * Running statistics are no parameters and never move.
 */
export async function randomDirection(model: TfModel, random: SeededRandom): Promise<Direction> {
  const direction: Direction = new Map();
  for (const param of model.params) {
    const d = new Float32Array(param.variable.size);
    if (isPerturbed(param.role)) {
      for (let i = 0; i < d.length; i++) d[i] = random.normal();
      const shape = param.variable.shape;
      const weights = filterNorms((await param.variable.data()) as Float32Array, shape, param.role);
      const drawn = filterNorms(d, shape, param.role);
      const layout = filterLayout(param.role, shape);
      for (let i = 0; i < d.length; i++) {
        const f = layout.of(i);
        d[i] = drawn[f] > 0 ? (d[i] / drawn[f]) * weights[f] : 0;
      }
    }
    direction.set(param.name, d);
  }
  return direction;
}

/** A fixed set of held-out batches, made once and reused for every point. */
interface Subset {
  batches: { x: tf.Tensor; y: tf.Tensor }[];
  samples: number;
}

function makeSubset(dataset: ImageDataset, adapter: InputAdapter, samples: number, batchSize: number): Subset {
  const which = spreadIndices(dataset.test.count, samples);
  if (which.length === 0) throw new TrainError(`Loss landscape: ${dataset.name} has no held-out images to evaluate on.`, 'data');
  const batches: Subset['batches'] = [];
  for (let start = 0; start < which.length; start += batchSize) {
    const { x, y } = makeBatch(dataset, dataset.test, which.subarray(start, start + batchSize), adapter);
    batches.push({ x, y });
  }
  return { batches, samples: which.length };
}

/**
 * Mean softmax cross-entropy and accuracy of `model` over the subset, batch norm in inference mode (running
 * statistics), as the training engine's held-out evaluation computes them.
 */
async function evaluateSubset(model: TfModel, subset: Subset): Promise<{ loss: number; accuracy: number }> {
  let lossSum = 0;
  let correct = 0;
  let positions = 1;
  for (const { x, y } of subset.batches) {
    const sums = tf.tidy(() => {
      const { logits } = model.forward(x, { training: false });
      positions = positionsPerImage(logits);
      const loss = tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(logits))));
      return tf.stack([loss, correctCount(logits, y)]);
    });
    const [l, r] = await sums.data();
    sums.dispose();
    lossSum += l;
    correct += r;
  }
  return { loss: lossSum / (subset.samples * positions), accuracy: correct / (subset.samples * positions) };
}

/** The data a landscape is evaluated on: the model's data set, its input adaptation, the batch size. */
export interface LandscapeData {
  dataset: ImageDataset;
  adapter: InputAdapter;
  /** Images per forward pass (default 64). */
  batchSize?: number;
}

/**
 * Moves a model's weights to θ + αδ + βη and back. Holds a copy of θ (and the directions as tensors) until
 * dispose(); restore() puts the copy back, so the weights are bitwise those it found.
 */
export class WeightPerturbation {
  private readonly entries: { variable: tf.Variable; origin: tf.Tensor; d: tf.Tensor; e: tf.Tensor | null }[] = [];
  private disposed = false;

  constructor(model: TfModel, d: Direction, e: Direction | null) {
    for (const param of model.params) {
      if (!isPerturbed(param.role)) continue;
      const shape = param.variable.shape;
      const dValues = d.get(param.name);
      if (!dValues || dValues.length !== param.variable.size) throw new TrainError(`Loss landscape: the direction has no values for ${param.name}.`, 'unsupported');
      const eValues = e?.get(param.name);
      if (e && (!eValues || eValues.length !== param.variable.size)) throw new TrainError(`Loss landscape: the second direction has no values for ${param.name}.`, 'unsupported');
      this.entries.push({
        variable: param.variable,
        origin: tf.keep(tf.clone(param.variable)),
        d: tf.keep(tf.tensor(dValues, shape)),
        e: eValues ? tf.keep(tf.tensor(eValues, shape)) : null,
      });
    }
  }

  /** Sets every perturbed parameter to θ + α·δ + β·η (β ignored without a second direction). */
  moveTo(alpha: number, beta = 0): void {
    tf.tidy(() => {
      for (const { variable, origin, d, e } of this.entries) {
        let value = tf.add(origin, tf.mul(d, alpha));
        if (e && beta !== 0) value = tf.add(value, tf.mul(e, beta));
        variable.assign(value);
      }
    });
  }

  /** Puts the original weights back, bit for bit. */
  restore(): void {
    tf.tidy(() => {
      for (const { variable, origin } of this.entries) variable.assign(tf.clone(origin));
    });
  }

  /** Restores the weights and frees the copies. */
  dispose(): void {
    if (this.disposed) return;
    this.restore();
    this.disposed = true;
    for (const entry of this.entries) {
      entry.origin.dispose();
      entry.d.dispose();
      entry.e?.dispose();
    }
  }
}

/**
 * Evaluates the model once at its current weights on the request's subset and returns the seconds it took:
 * the basis of the time estimate shown before a landscape starts (evaluationCount(request) × this).
 */
export async function timeOneEvaluation(model: TfModel, data: LandscapeData, samples: number, now: () => number = defaultNow): Promise<{ seconds: number; loss: number; accuracy: number }> {
  const subset = makeSubset(data.dataset, data.adapter, samples, data.batchSize ?? 64);
  try {
    const started = now();
    const result = await evaluateSubset(model, subset);
    return { seconds: (now() - started) / 1000, ...result };
  } finally {
    for (const b of subset.batches) tf.dispose([b.x, b.y]);
  }
}

function defaultNow(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Computes a 1-D or 2-D loss landscape around the model's current weights. Directions are drawn from
 * SeededRandom(request.seed): δ first, then η. The held-out subset is spreadIndices(test.count, samples),
 * the same images for every point. Resolves null when hooks.signal aborts (between evaluations). Whatever
 * happens (abort, error), the weights are restored bitwise and every tensor made here is freed.
 * Throws a TrainError for a bad request or a data set without held-out images.
 */
export async function computeLandscape(model: TfModel, data: LandscapeData, request: LandscapeRequest, hooks: LandscapeHooks = {}): Promise<LandscapeResult | null> {
  checkRequest(request);
  const random = new SeededRandom(request.seed);
  const d = await randomDirection(model, random);
  const e = request.kind === 'surface' ? await randomDirection(model, random) : null;
  const now = hooks.now ?? defaultNow;
  const subset = makeSubset(data.dataset, data.adapter, request.samples, data.batchSize ?? 64);
  const perturbation = new WeightPerturbation(model, d, e);
  try {
    const alphas = axisValues(request.kind === 'line' ? request.points : request.grid);
    const betas = request.kind === 'line' ? [0] : alphas;
    const total = alphas.length * betas.length;
    const loss: number[] = [];
    const accuracy: number[] = [];
    const started = now();
    for (const beta of betas) {
      for (const alpha of alphas) {
        if (hooks.signal?.aborted) return null;
        perturbation.moveTo(alpha, beta);
        const point = await evaluateSubset(model, subset);
        loss.push(point.loss);
        accuracy.push(point.accuracy);
        hooks.onProgress?.({ done: loss.length, total, secondsPerEvaluation: (now() - started) / 1000 / loss.length });
        await hooks.nextFrame?.();
      }
    }
    if (hooks.signal?.aborted) return null;
    const common = { alphas, loss, accuracy, samples: subset.samples, seed: request.seed };
    return request.kind === 'line' ? { kind: 'line', ...common } : { kind: 'surface', betas, ...common };
  } finally {
    perturbation.dispose();
    for (const b of subset.batches) tf.dispose([b.x, b.y]);
  }
}
