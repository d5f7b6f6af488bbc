/**
 * The contract between the graph page (main.js, no TensorFlow.js) and the training runtime (train.js,
 * TensorFlow.js and the engine), which the page loads on the first Start. train.js sets
 * `window.skipnetTrainingRuntime`; everything crossing this boundary is plain data and callbacks.
 */
import type { TrainingBackendChoice, TrainingDatasetSource } from '../../src/protocol/messages';
import type { TrainingConfig } from '../../src/core';
import type { TrainEvent } from '../../src/train/engine';

export type BackendName = Exclude<TrainingBackendChoice, 'auto'>;

/** What the runtime reports besides the engine's own events. */
export type RuntimeEvent =
  | TrainEvent
  /** The backend the run uses, and why the ones before it in the chain were skipped. */
  | { type: 'backend'; backend: BackendName; skipped: string[] }
  /** The run starts over on another backend (a kernel was missing); the UI clears its curves. */
  | { type: 'restarting'; reason: string }
  /** The run could not start or failed: a sentence for the user (never a raw stack). */
  | { type: 'error'; message: string; code: string }
  /** Tensors alive after a progress event (tf.memory().numTensors), for the leak check. */
  | { type: 'memory'; step: number; tensors: number };

export interface RunOptions {
  text: string;
  model: string;
  backend: TrainingBackendChoice;
  statsInterval: number;
  dataset: TrainingDatasetSource;
  /** Overrides of the model's train section (Train both gives both models side A's, so data order and seed match). */
  config?: Partial<Omit<TrainingConfig, 'dataset'>>;
  /** Train the model with every skip connection removed (the Compare view's ablation). */
  withoutSkips?: boolean;
  /** URL prefix (ending in '/') of tfjs-backend-wasm's .wasm files. */
  wasmBase: string;
  onEvent(event: RuntimeEvent): void;
}

export interface RunHandle {
  pause(): void;
  resume(): void;
  /** Ends the run at the next step boundary (at once while loading or paused). */
  stop(): void;
  /** Settles when the run has ended and freed every tensor it made. */
  readonly done: Promise<void>;
}

export interface TrainingRuntime {
  start(options: RunOptions): RunHandle;
  /** tf.memory().numTensors now. */
  tensors(): number;
}

declare global {
  interface Window {
    skipnetTrainingRuntime?: TrainingRuntime;
  }
}
