/**
 * Messages between a page and the training worker (train.js). One union per direction; every message
 * about a run carries the run's number, so events of a run the page has replaced are recognised and
 * dropped. The page checks what it receives (isFromTrainingWorker) before acting on it.
 */
import type { LandscapeAction, LesionSettings, RunSettings, RuntimeEvent } from './runtime-api';

export type ToTrainingWorker =
  /** `peers`: ports to the other replicas' workers when settings.replica is given (transferred). */
  | { type: 'start'; run: number; settings: RunSettings; peers?: MessagePort[] }
  | { type: 'pause'; run: number }
  | { type: 'resume'; run: number }
  | { type: 'stop'; run: number }
  | { type: 'lesion'; run: number; settings: LesionSettings }
  | { type: 'lesion-cancel'; run: number }
  | { type: 'landscape'; run: number; action: LandscapeAction };

export type FromTrainingWorker =
  /** The worker loaded TensorFlow.js and listens. */
  | { type: 'ready'; versions: string }
  | { type: 'event'; run: number; event: RuntimeEvent }
  /** The run ended and freed its tensors; `tensors` is tf.memory().numTensors afterwards. */
  | { type: 'done'; run: number; tensors: number };

const EVENT_TYPES = new Set<RuntimeEvent['type']>(['started', 'progress', 'statistics', 'evaluation', 'paused', 'resumed', 'finished', 'backend', 'restarting', 'error', 'memory', 'lesion-progress', 'lesion', 'lesion-failed', 'landscape-cost', 'landscape-progress', 'landscape', 'landscape-ended', 'pathGradients']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isFromTrainingWorker(value: unknown): value is FromTrainingWorker {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
      return typeof value.versions === 'string';
    case 'event':
      return Number.isInteger(value.run) && isRecord(value.event) && EVENT_TYPES.has(value.event.type as RuntimeEvent['type']);
    case 'done':
      return Number.isInteger(value.run) && Number.isInteger(value.tensors);
    default:
      return false;
  }
}
