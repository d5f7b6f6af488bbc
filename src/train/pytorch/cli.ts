import type { Analysis } from '../../core/analyze';
import type { ModelGraph } from '../../core/graph';
import type { TrainResult } from '../engine';
import { TrainError } from '../errors';
import { dataSourceFor } from '../nodeData';
import { finalLine, printer } from '../printer';
import { PyTorchTraining, type TorchDevice } from './runner';
import { isExperimentEvent } from './protocol';

/** `skipnet train FILE --engine pytorch`: the TensorFlow.js CLI's lines, from a run on the user's PyTorch. */

export interface TorchTrainCommandOptions {
  analysis: Analysis;
  graph: ModelGraph;
  /** The .skipnet file's name (for the exported module's docstring). */
  sourceName: string;
  /** Interpreter path (--python); default python3, then python, on PATH. */
  python?: string;
  device?: TorchDevice;
  /** Processes sharing each batch (--nproc; default 1). */
  nproc?: number;
  /** Keep the run's files in this folder (--run-dir), e.g. to start the runner under a cluster's torchrun. */
  runDir?: string;
  /** The CIFAR folder when the train section has no `data` (--data). */
  cifarFolder?: string;
  /** The .skipnet file's folder: a relative `data: "…"` starts there. */
  base?: string;
  steps?: number;
  epochs?: number;
  batch?: number;
  evalSamples?: number;
  json: boolean;
  /** Folder with mnist.bin / fashion-mnist.bin (default: found next to the bundle). */
  dataDir?: string;
  out(line: string): void;
  err(line: string): void;
}

/**
 * Exit code: 0 trained (or stopped by Ctrl+C: 130), 1 the model or data cannot train or the loss went non-finite
 * (message printed), 2 no usable Python with PyTorch or the runner failed.
 */
export async function torchTrainCommand(options: TorchTrainCommandOptions): Promise<number> {
  const print = printer(options);
  let backend = 'pytorch';
  let run: PyTorchTraining;
  try {
    const config: { batch?: number; epochs?: number } = {};
    if (options.batch !== undefined) config.batch = options.batch;
    if (options.epochs !== undefined) config.epochs = options.epochs;
    run = await PyTorchTraining.start({
      analysis: options.analysis,
      graph: options.graph,
      sourceName: options.sourceName,
      ...dataSourceFor(options.graph.training, { dataDir: options.dataDir, base: options.base, cifarFolder: options.cifarFolder }),
      nproc: options.nproc,
      runDir: options.runDir,
      config,
      maxSteps: options.steps,
      evalSamples: options.evalSamples,
      statsInterval: 0,
      python: options.python,
      device: options.device,
      onEvent: (event) => {
        if (event.type === 'error' || event.type === 'pathGradients' || isExperimentEvent(event)) return; // errors: printed once, from the rejected result; no experiments or path gradients run here
        if (event.type === 'started') backend = event.backend;
        print(event);
      },
    });
  } catch (error) {
    if (!(error instanceof TrainError)) throw error;
    options.err(`skipnet: ${error.message}`);
    return error.code === 'backend' ? 2 : 1;
  }
  // The runner has its own process group, which a terminal's Ctrl+C does not reach: end it from here.
  let interrupted = false;
  const interrupt = (): void => {
    interrupted = true;
    run.dispose();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let result: TrainResult;
  try {
    result = await run.result;
  } catch (error) {
    if (!(error instanceof TrainError)) throw error;
    options.err(`skipnet: ${error.message}`);
    return 2;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  if (interrupted) return 130;
  if (result.reason === 'non-finite') {
    options.err(`skipnet: ${result.message}`);
    return 1;
  }
  if (!options.json && result.evaluation) options.out(finalLine(result.evaluation, result.steps, backend, options.graph.training.dataset.kind === 'builtin' && options.graph.training.dataset.segmentation === true));
  return 0;
}
