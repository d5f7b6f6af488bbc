import * as tf from '@tensorflow/tfjs-core';
import type { ModelGraph } from '../core';
import type { PortableBackend } from './backend';
import { useNodeBackend as useBackend } from './nodeBackend';
import { TrainingEngine, type TrainEvent, type TrainResult } from './engine';
import { TrainError } from './model';
import { datasetFor } from './nodeData';

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
  out(line: string): void;
  err(line: string): void;
}

const pad = (value: number, width: number) => String(value).padStart(width);

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** Progress lines roughly every tenth of the run (and the first and last step). */
function printer(options: TrainCommandOptions): (event: TrainEvent) => void {
  let every = 10;
  return (event) => {
    if (options.json) {
      if (event.type !== 'statistics') options.out(JSON.stringify(event));
      return;
    }
    switch (event.type) {
      case 'started':
        every = Math.max(1, Math.round(event.totalSteps / 10));
        options.out(`backend ${event.backend}, ${event.params.toLocaleString('en-US')} parameters, ${event.totalSteps} steps of batch ${event.batch}`);
        for (const note of event.notes) options.out(`note: ${note}`);
        break;
      case 'progress':
        if (event.step === 1 || event.step % every === 0 || event.step === event.totalSteps) {
          const width = String(event.totalSteps).length;
          options.out(
            `epoch ${event.epoch}/${event.epochs} step ${pad(event.step, width)}/${event.totalSteps} loss ${event.loss.toFixed(4)} acc ${event.accuracy.toFixed(3)} ${event.imagesPerSecond.toFixed(1)} img/s ETA ${formatSeconds(event.etaSeconds)}`,
          );
        }
        break;
      case 'evaluation':
        options.out(
          `held-out ${event.full ? `after epoch ${event.epoch}` : `at step ${event.step}`}: loss ${event.loss.toFixed(4)} accuracy ${(event.accuracy * 100).toFixed(2)}% (${event.samples} images${event.full ? '' : ', a spread subset'})`,
        );
        break;
      default:
        break;
    }
  };
}

/** Exit code: 0 trained, 1 the model or data cannot train (message printed), 2 backend failure. */
export async function trainCommand(graph: ModelGraph, options: TrainCommandOptions): Promise<number> {
  try {
    await useBackend(options.backend);
  } catch (error) {
    options.err(`skipnet: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  let result: TrainResult;
  try {
    const config: { batch?: number; epochs?: number } = {};
    if (options.batch !== undefined) config.batch = options.batch;
    if (options.epochs !== undefined) config.epochs = options.epochs;
    const engine = new TrainingEngine({
      graph,
      dataset: datasetFor(graph.training, options.dataDir),
      config,
      maxSteps: options.steps,
      evalSamples: options.evalSamples,
      statsInterval: 0,
      nextFrame: () => Promise.resolve(),
      onEvent: printer(options),
    });
    result = await engine.run();
  } catch (error) {
    if (error instanceof TrainError) {
      options.err(`skipnet: ${error.message}`);
      return 1;
    }
    throw error;
  }
  if (result.reason === 'non-finite') {
    options.err(`skipnet: ${result.message}`);
    return 1;
  }
  if (!options.json && result.evaluation) {
    options.out(`final held-out accuracy ${(result.evaluation.accuracy * 100).toFixed(2)}% after ${result.steps} steps (${tf.getBackend()})`);
  }
  return 0;
}
