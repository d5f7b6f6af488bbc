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
