import * as tf from '@tensorflow/tfjs-core';
import type { ModelGraph } from '../core';
import type { PortableBackend } from './backend';
import { useNodeBackend as useBackend } from './nodeBackend';
import { TrainingEngine, type TrainResult } from './engine';
import { runOnBackend } from './commandFrame';
import { datasetFor } from './nodeData';
import { finalLine, printer } from './printer';

/** `skipnet train`: trains one model in Node on the cpu or wasm backend, printing progress lines. */

export interface TrainCommandOptions {
  backend: PortableBackend;
  steps?: number;
  epochs?: number;
  batch?: number;
  json: boolean;
  evalSamples?: number;
  /** Folder with mnist.bin / fashion-mnist.bin (default: found next to the bundle). */
  dataDir?: string;
  /** The .skipnet file's folder: a relative `data: "…"` starts there. */
  base?: string;
  /** The CIFAR folder when the train section has no `data` (--data). */
  cifarFolder?: string;
  out(line: string): void;
  err(line: string): void;
}

/** Exit code: 0 trained, 1 the model or data cannot train (message printed), 2 backend failure. */
export async function trainCommand(graph: ModelGraph, options: TrainCommandOptions): Promise<number> {
  return runOnBackend(() => useBackend(options.backend), options.err, async () => {
    const config: { batch?: number; epochs?: number } = {};
    if (options.batch !== undefined) config.batch = options.batch;
    if (options.epochs !== undefined) config.epochs = options.epochs;
    const engine = new TrainingEngine({
      graph,
      dataset: datasetFor(graph.training, { dataDir: options.dataDir, base: options.base, cifarFolder: options.cifarFolder }),
      config,
      maxSteps: options.steps,
      evalSamples: options.evalSamples,
      statsInterval: 0,
      nextFrame: () => Promise.resolve(),
      onEvent: printer(options),
    });
    const result: TrainResult = await engine.run();
    if (result.reason === 'non-finite') {
      options.err(`skipnet: ${result.message}`);
      return 1;
    }
    if (!options.json && result.evaluation) {
      options.out(finalLine(result.evaluation, result.steps, tf.getBackend(), graph.training.dataset.kind === 'builtin' && graph.training.dataset.segmentation === true));
    }
    return 0;
  });
}
