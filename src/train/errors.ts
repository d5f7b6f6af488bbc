/**
 * The training engines' one error type, without TensorFlow.js, so code that never trains in tfjs (the PyTorch
 * engine's Node side, data set readers) can raise and test it. model.ts re-exports it.
 */

import { formatBytes, type ModelGraph, type TrainingConfig } from '../core';
import { tfjsStepBytes } from '../core/memory';

/** A model the engine cannot build or run, with a message for the user. */
export class TrainError extends Error {
  constructor(
    message: string,
    readonly code: 'incomplete-model' | 'unsupported' | 'memory' | 'data' | 'non-finite' | 'backend' | 'batch-norm' = 'unsupported',
  ) {
    super(message);
    this.name = 'TrainError';
  }
}

/**
 * The refusal for a model with more than two inputs (`model m(a: …, b: …, c: …)`): a data set feeds one image per
 * example, or a pair (mnist_pairs) to two inputs, so neither engine can train it; its analysis and PyTorch export are
 * complete. Undefined for one or two inputs (two are checked against the data set by checkDataFits).
 */
export function severalInputsError(graph: { name: string; inputs: string[] }): TrainError | undefined {
  if (graph.inputs.length <= 2) return undefined;
  return new TrainError(
    `Model ${graph.name} has ${graph.inputs.length} inputs (${graph.inputs.join(', ')}); the data sets feed one image or a pair of images per example, so a model with more than two inputs cannot be trained here. Its counts, graph and PyTorch export are complete.`,
    'data',
  );
}

/**
 * A backend's out-of-memory failure in the middle of a step, as a TrainError ('memory') that gives the estimate of a
 * TensorFlow.js step (bytes, tfjsStepBytes) and a smaller batch to try; any other error is returned as it is. A
 * threaded wasm heap that cannot grow aborts the module, whose error is a bare "Aborted()".
 */
export function outOfMemoryError(error: unknown, graph: ModelGraph, batch: number, optimizer: TrainingConfig['optimizer'], backend: string): unknown {
  if (error instanceof TrainError || !(error instanceof Error)) return error;
  if (!/memory access out of bounds|out of memory|cannot enlarge memory|failed to allocate|allocation failed|^Aborted\(/i.test(error.message)) return error;
  const estimate = tfjsStepBytes(graph, batch, optimizer);
  const smaller = batch > 1 ? ` try batch ${Math.max(1, Math.floor(batch / 2))}` : ' use a smaller model';
  return new TrainError(
    `The ${backend} backend ran out of memory training ${graph.name} at batch ${batch} (the estimate of a TensorFlow.js step is ${formatBytes(estimate)}):${smaller}. (${error.message})`,
    'memory',
  );
}
