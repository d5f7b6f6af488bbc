/**
 * The training engines' one error type, without TensorFlow.js, so code that never trains in tfjs (the PyTorch
 * engine's Node side, data set readers) can raise and test it. model.ts re-exports it.
 */

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
