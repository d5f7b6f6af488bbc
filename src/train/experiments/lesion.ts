import * as tf from '@tensorflow/tfjs-core';
import { correctCount, positionsPerImage } from '../step';
import { makeBatch, type ImageDataset, type InputAdapter } from '../data';
import { TrainError } from '../errors';
import type { TfModel } from '../model';
import { spreadIndices } from '../schedule';
import { DEFAULT_LESION_DRAWS, DEFAULT_LESION_SAMPLES, drawLesions, lesionCost, lesionUnits, majorityShare, type ChanceBasis, type LesionRemoved, type LesionResult, type LesionUnit } from './lesionPlan';

export * from './lesionPlan';

/**
 * The lesion study of Veit, Wilber & Belongie 2016 ("Residual networks behave like ensembles of relatively
 * shallow networks", Sec. 4, Figs. 3–5) on a model's current weights: held-out accuracy with one block removed
 * at a time, then with k random blocks removed for k = 1…n. A removed residual block passes only its shortcut (the
 * add receives the identity or projection input alone); a removed dense layer keeps the concat's width with its
 * new channels set to zero; a removed skip concatenation (a U-Net's) keeps the width with the skip's channels set
 * to zero; in a model whose skips were ablated (core/ablation.ts) removing a block cuts the only
 * path, so accuracy falls to chance. Blocks are removed by gates in the forward pass (ForwardOptions.gates), never
 * by changing weights, so a paused run can resume afterwards. DOM-free: the webview worker and the CLI share it.
 */

export interface LesionOptions {
  /** Held-out images per evaluation, spread evenly over the test split (default 500). */
  samples?: number;
  /** Random draws per k (default 5). */
  draws?: number;
  /** Seed of the draws (default 1). */
  seed?: number;
  /** Images per forward pass (default 128). */
  batch?: number;
  /** Awaited between batches so cancel and other messages are heard (default: a macrotask). */
  nextFrame?: () => Promise<void>;
  /** Aborting ends the study at the next batch; the result then has complete: false. */
  signal?: AbortSignal;
  /** After each evaluation: how many of `total` are done. */
  onProgress?: (done: number, total: number) => void;
}

/** Gates that remove these units (every listed edge set to 0). */
export function lesionGates(units: readonly LesionUnit[]): Map<string, number> {
  return new Map(units.flatMap((u) => u.edges.map((edge) => [edge, 0] as [string, number])));
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sampleSd(values: number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/**
 * Fraction of the held-out images `which` (test split) that `model` classifies correctly in inference mode (running
 * bn statistics) with `gates` applied; undefined when `signal` aborted. Each batch runs in tf.tidy.
 */
export async function gatedAccuracy(
  model: TfModel,
  dataset: ImageDataset,
  adapter: InputAdapter,
  which: Int32Array,
  gates: ReadonlyMap<string, number>,
  options: Pick<LesionOptions, 'batch' | 'nextFrame' | 'signal'> = {},
): Promise<number | undefined> {
  const batchSize = options.batch ?? 128;
  const nextFrame = options.nextFrame ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  let correct = 0;
  let positions = 1;
  for (let start = 0; start < which.length; start += batchSize) {
    if (options.signal?.aborted) return undefined;
    const batch = makeBatch(dataset, dataset.test, which.subarray(start, start + batchSize), adapter);
    try {
      const right = tf.tidy(() => {
        const { logits } = model.forward(batch.x, { training: false, gates });
        positions = positionsPerImage(logits);
        return correctCount(logits, batch.y);
      });
      correct += (await right.data())[0];
      right.dispose();
    } finally {
      batch.x.dispose();
      batch.y.dispose();
    }
    await nextFrame();
  }
  return correct / (which.length * positions);
}

/**
 * The accuracy of a model that lost every path (LesionResult.chance): 1 / classes for one label per image; for one
 * label per pixel (segmentation) the majority class's share of the pixels of the held-out images `which`, at the
 * model's input size as the evaluation scores them (padding included), counted from the same targets.
 */
export function heldOutChance(dataset: ImageDataset, adapter: InputAdapter, which: Int32Array, batchSize = 128): { chance: number; chanceBasis: ChanceBasis } {
  if (!dataset.segmentation) return { chance: 1 / dataset.classes.length, chanceBasis: 'classes' };
  const counts = new Float64Array(dataset.classes.length);
  for (let start = 0; start < which.length; start += batchSize) {
    const batch = makeBatch(dataset, dataset.test, which.subarray(start, start + batchSize), adapter);
    const perClass = tf.tidy(() => tf.sum(tf.reshape(batch.y, [-1, dataset.classes.length]), 0));
    const values = perClass.dataSync();
    for (let c = 0; c < counts.length; c++) counts[c] += values[c];
    tf.dispose([perClass, batch.x, batch.y]);
  }
  return { chance: majorityShare(counts), chanceBasis: 'majority' };
}

/**
 * Runs the lesion study on `model`'s current weights (see the module comment). Throws a TrainError when the held-out
 * split is empty or samples/draws are not whole numbers ≥ 1. Frees every tensor it makes.
 */
export async function runLesionStudy(model: TfModel, dataset: ImageDataset, adapter: InputAdapter, options: LesionOptions = {}): Promise<LesionResult> {
  const samples = options.samples ?? DEFAULT_LESION_SAMPLES;
  const draws = options.draws ?? DEFAULT_LESION_DRAWS;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(samples) || samples < 1) throw new TrainError(`Lesion study: held-out samples must be a whole number ≥ 1, not ${samples}.`, 'unsupported');
  if (dataset.test.count === 0) throw new TrainError(`Lesion study: the data set ${dataset.name} has no held-out images.`, 'data');
  const which = spreadIndices(dataset.test.count, samples);
  const units = lesionUnits(model.graph);
  const sets = drawLesions(units.length, draws, seed);
  const total = lesionCost(units.length, draws, which.length).evaluations;
  const result: LesionResult = {
    model: model.graph.name,
    baseline: NaN,
    ...heldOutChance(dataset, adapter, which),
    samples: which.length,
    draws,
    seed,
    singles: [],
    removed: [],
    evaluations: 0,
    complete: false,
  };
  const measure = async (removed: LesionUnit[]): Promise<number | undefined> => {
    const accuracy = await gatedAccuracy(model, dataset, adapter, which, lesionGates(removed), options);
    if (accuracy === undefined) return undefined;
    result.evaluations++;
    options.onProgress?.(result.evaluations, total);
    return accuracy;
  };
  const baseline = await measure([]);
  if (baseline === undefined) return result;
  result.baseline = baseline;
  for (const unit of units) {
    const accuracy = await measure([unit]);
    if (accuracy === undefined) return result;
    result.singles.push({ node: unit.node, label: unit.label, kind: unit.kind, accuracy });
  }
  for (let k = 1; k <= units.length; k++) {
    const row: LesionRemoved = { k, accuracies: [], mean: NaN, sd: 0, removed: [] };
    for (const set of sets[k - 1]) {
      const chosen = set.map((i) => units[i]);
      const accuracy = await measure(chosen);
      if (accuracy === undefined) return result;
      row.accuracies.push(accuracy);
      row.removed.push(chosen.map((u) => u.label));
    }
    row.mean = mean(row.accuracies);
    row.sd = sampleSd(row.accuracies);
    result.removed.push(row);
  }
  result.complete = true;
  return result;
}
