/**
 * The weights a run ended with, kept for experiments after the end (a lesion study, a loss landscape): when a run
 * finishes or is stopped its engine frees every tensor (the leak checks count on it), so the final parameters and
 * batch-norm running statistics are copied out to plain Float32Arrays first. An experiment then builds a model from
 * them, measures it and frees it again, so the worker holds no tensor between experiments.
 */
import type { ModelGraph } from '../../core';
import type { ImageDataset, InputAdapter } from '../dataset';
import { TfModel, TrainError } from '../model';

/** A copy of one model's weights by parameter name (`ID/role`, running statistics `ID/running_mean`, `ID/running_var`). */
export type WeightSnapshot = Record<string, Float32Array>;

/**
 * Copies every parameter and running statistic of `model` out of its tensors. Reads each tensor once (a download
 * on GPU backends); the copies are the caller's, so the model can be freed at once. Shapes are the model's own
 * (NHWC activations; conv kernels [kh, kw, in, out]); nothing is reshaped.
 */
export async function snapshotWeights(model: TfModel): Promise<WeightSnapshot> {
  const out: WeightSnapshot = {};
  for (const p of model.params) out[p.name] = Float32Array.from(await p.variable.data());
  for (const [id, r] of model.running) {
    out[`${id}/running_mean`] = Float32Array.from(await r.mean.data());
    out[`${id}/running_var`] = Float32Array.from(await r.variance.data());
  }
  return out;
}

/** What an experiment on an ended run needs besides the weights: the data, how it fits the model, a batch size. */
export interface FinalRun {
  graph: ModelGraph;
  /** The run's seed; the weights replace whatever it initialises, it only sizes the model the same way. */
  seed: number;
  weights: WeightSnapshot;
  dataset: ImageDataset;
  adapter: InputAdapter;
  /** Images per forward pass in an experiment. */
  batch: number;
  /** The step the weights were reached at. */
  step: number;
}

/**
 * A model holding the final weights, for one experiment; the caller disposes it (`withFinalModel` does).
 * Throws TrainError when the snapshot does not fit the graph (a parameter missing or of another size).
 */
export function rebuildModel(run: Pick<FinalRun, 'graph' | 'seed' | 'weights'>): TfModel {
  const model = new TfModel(run.graph, run.seed);
  try {
    const expected = model.params.length + 2 * model.running.size;
    const given = Object.keys(run.weights).length;
    if (given !== expected) throw new TrainError(`The kept weights of ${run.graph.name} hold ${given} arrays, but the model has ${expected} (parameters and running statistics).`, 'unsupported');
    model.loadWeights(run.weights);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Runs `work` on a model rebuilt from the final weights and frees that model afterwards, whether `work` succeeds or throws. */
export async function withFinalModel<T>(run: FinalRun, work: (model: TfModel) => Promise<T>): Promise<T> {
  const model = rebuildModel(run);
  try {
    return await work(model);
  } finally {
    model.dispose();
  }
}

export { NO_WEIGHTS_MESSAGE } from './lesionPlan';
