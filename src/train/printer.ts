import type { EvaluationEvent, TrainEvent } from './engine';
import { pluralize } from '../core/format';

/**
 * What `skipnet train` prints, whichever engine trains (TensorFlow.js in Node, or PyTorch through
 * src/train/pytorch/): one line per started, progress (about every tenth of the run) and evaluation event, or
 * with `json` every event but statistics as one JSON line. No tfjs here.
 */

export interface PrinterOptions {
  json: boolean;
  out(line: string): void;
}

const pad = (value: number, width: number) => String(value).padStart(width);

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** Progress lines roughly every tenth of the run (and the first and last step). */
export function printer(options: PrinterOptions): (event: TrainEvent) => void {
  let every = 10;
  // Per-pixel data sets: every accuracy is the fraction of pixels right, and says so.
  let accuracy = { short: 'acc', long: 'accuracy' };
  return (event) => {
    if (options.json) {
      if (event.type !== 'statistics') options.out(JSON.stringify(event));
      return;
    }
    switch (event.type) {
      case 'started':
        every = Math.max(1, Math.round(event.totalSteps / 10));
        if (event.perPixel) accuracy = { short: 'pixel acc', long: 'pixel accuracy' };
        options.out(`backend ${event.backend}, ${event.params.toLocaleString('en-US')} parameters, ${event.totalSteps} ${pluralize(event.totalSteps, 'step')} of batch ${event.batch}`);
        for (const note of event.notes) options.out(`note: ${note}`);
        break;
      case 'progress':
        if (event.step === 1 || event.step % every === 0 || event.step === event.totalSteps) {
          const width = String(event.totalSteps).length;
          options.out(
            `epoch ${event.epoch}/${event.epochs} step ${pad(event.step, width)}/${event.totalSteps} loss ${event.loss.toFixed(4)} ${accuracy.short} ${event.accuracy.toFixed(3)} ${event.imagesPerSecond.toFixed(1)} img/s ETA ${formatSeconds(event.etaSeconds)}`,
          );
        }
        break;
      case 'evaluation':
        options.out(
          `held-out ${event.full ? `after epoch ${event.epoch}` : `at step ${event.step}`}: loss ${event.loss.toFixed(4)} ${accuracy.long} ${(event.accuracy * 100).toFixed(2)}% (${event.samples} ${pluralize(event.samples, 'image')}${event.full ? '' : ', a spread subset'})`,
        );
        break;
      default:
        break;
    }
  };
}

/** The last line of a run that evaluated: `final held-out accuracy 97.12% after 125 steps (wasm)` ("pixel accuracy" per pixel). */
export function finalLine(evaluation: EvaluationEvent, steps: number, backend: string, perPixel = false): string {
  return `final held-out ${perPixel ? 'pixel ' : ''}accuracy ${(evaluation.accuracy * 100).toFixed(2)}% after ${steps} ${pluralize(steps, 'step')} (${backend})`;
}
