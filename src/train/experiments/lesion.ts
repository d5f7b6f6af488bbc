import * as tf from '@tensorflow/tfjs-core';
import type { ModelGraph } from '../../core';
import { makeBatch, type ImageDataset, type InputAdapter } from '../data';
import { TrainError } from '../errors';
import type { TfModel } from '../model';
import { SeededRandom } from '../rng';
import { spreadIndices } from '../schedule';

/**
 * The lesion study of Veit, Wilber & Belongie 2016 ("Residual networks behave like ensembles of relatively
 * shallow networks", Sec. 4, Figs. 3–5) on a model's current weights: held-out accuracy with one block removed
 * at a time, then with k random blocks removed for k = 1…n. A removed residual block passes only its shortcut (the
 * add receives the identity or projection input alone); a removed dense layer keeps the concat's width with its
 * new channels set to zero; in a model whose skips were ablated (core/ablation.ts) removing a block cuts the only
 * path, so accuracy falls to chance. Blocks are removed by gates in the forward pass (ForwardOptions.gates), never
 * by changing weights, so a paused run can resume afterwards. DOM-free: the webview worker and the CLI share it.
 */

/** One removable block: a merge of a branch with a skip, or what is left of it in a no-skip ablation. */
export interface LesionUnit {
  /** The merge node (add, concat; an identity where the ablation removed the skip). */
  node: string;
  /** What tables and charts call it: the block instance holding the merge, or the node id when that is ambiguous. */
  label: string;
  /**
   * residual: an add whose branch is removed (only the shortcut stays); dense: a concat whose new channels become
   * zeros; plain: a no-skip ablation's block, whose removal leaves no path from input to output.
   */
  kind: 'residual' | 'dense' | 'plain';
  /** Inputs replaced by zeros when the unit is removed (gate keys `edge:ID:INDEX`, see ForwardOptions.gates). */
  edges: string[];
}

/** Accuracy with one unit removed. */
export interface LesionSingle {
  node: string;
  label: string;
  kind: LesionUnit['kind'];
  /** Fraction of the held-out images classified correctly, in [0, 1]. */
  accuracy: number;
}

/** Accuracy with k random units removed, over several draws. */
export interface LesionRemoved {
  k: number;
  /** One accuracy per draw, in draw order. */
  accuracies: number[];
  mean: number;
  /** Sample standard deviation over the draws (0 with one draw). */
  sd: number;
  /** Labels of the units each draw removed. */
  removed: string[][];
}

export interface LesionResult {
  model: string;
  /** Accuracy with nothing removed. */
  baseline: number;
  /** 1 / number of classes: what a model that lost every path scores on a balanced held-out split. */
  chance: number;
  /** Held-out images per evaluation. */
  samples: number;
  draws: number;
  seed: number;
  singles: LesionSingle[];
  removed: LesionRemoved[];
  /** Passes over the held-out images made. */
  evaluations: number;
  /** False when the study was cancelled: the arrays then hold what was measured before. */
  complete: boolean;
}

export interface LesionCost {
  units: number;
  /** Passes over the held-out images: 1 (nothing removed) + n (one at a time) + draws per k < n + 1 (all n). */
  evaluations: number;
  /** evaluations × held-out images: forward passes of one image each. */
  images: number;
}

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

export const DEFAULT_LESION_SAMPLES = 500;
export const DEFAULT_LESION_DRAWS = 5;

/** Longest path from the input, in layers (the core's rule in expand.ts: at a merge the shallowest input is the skip). */
function depths(graph: ModelGraph): Map<string, number> {
  const depth = new Map<string, number>();
  for (const node of graph.nodes) depth.set(node.id, 1 + node.inputs.reduce((deepest, id) => Math.max(deepest, depth.get(id) ?? 0), 0));
  return depth;
}

/** The removable blocks of a model graph, in graph order (see LesionUnit). */
export function lesionUnits(graph: ModelGraph): LesionUnit[] {
  const depth = depths(graph);
  const units: LesionUnit[] = [];
  for (const node of graph.nodes) {
    if ((node.kind === 'add' || node.kind === 'concat') && node.inputs.length >= 2) {
      // The deepest input is the branch (the new feature maps); the core's ablation keeps the same one.
      let branch = 0;
      node.inputs.forEach((id, i) => {
        if ((depth.get(id) ?? 0) > (depth.get(node.inputs[branch]) ?? 0)) branch = i;
      });
      units.push({ node: node.id, label: node.group ?? node.id, kind: node.kind === 'add' ? 'residual' : 'dense', edges: [`edge:${node.id}:${branch}`] });
    } else if (node.kind === 'identity' && node.args.removedSkip !== undefined) {
      units.push({ node: node.id, label: node.group ?? node.id, kind: 'plain', edges: [`edge:${node.id}:0`] });
    }
  }
  const perLabel = new Map<string, number>();
  for (const unit of units) perLabel.set(unit.label, (perLabel.get(unit.label) ?? 0) + 1);
  for (const unit of units) if (perLabel.get(unit.label)! > 1) unit.label = unit.node;
  return units;
}

/** What a study of `units` blocks costs (see LesionCost). */
export function lesionCost(units: number, draws: number, samples: number): LesionCost {
  const evaluations = units === 0 ? 1 : 1 + units + (units - 1) * draws + 1;
  return { units, evaluations, images: evaluations * samples };
}

/**
 * The random removals: for k = 1…n, `draws` sets of k distinct unit indices (sorted), one set for k = n (there is
 * only one). One seeded stream in that order (a partial Fisher–Yates shuffle per draw), so a seed gives the same sets.
 */
export function drawLesions(units: number, draws: number, seed: number): number[][][] {
  if (!Number.isInteger(draws) || draws < 1) throw new TrainError(`Lesion draws must be a whole number ≥ 1, not ${draws}.`, 'unsupported');
  const random = new SeededRandom(seed);
  const out: number[][][] = [];
  for (let k = 1; k <= units; k++) {
    const sets: number[][] = [];
    for (let d = 0; d < (k === units ? 1 : draws); d++) {
      const pool = Array.from({ length: units }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(random.next() * (units - i));
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      sets.push(pool.slice(0, k).sort((a, b) => a - b));
    }
    out.push(sets);
  }
  return out;
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
  for (let start = 0; start < which.length; start += batchSize) {
    if (options.signal?.aborted) return undefined;
    const batch = makeBatch(dataset, dataset.test, which.subarray(start, start + batchSize), adapter);
    try {
      const right = tf.tidy(() => {
        const { logits } = model.forward(batch.x, { training: false, gates });
        return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(batch.y, 1)), 'float32'));
      });
      correct += (await right.data())[0];
      right.dispose();
    } finally {
      batch.x.dispose();
      batch.y.dispose();
    }
    await nextFrame();
  }
  return correct / which.length;
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
    chance: 1 / dataset.classes.length,
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
