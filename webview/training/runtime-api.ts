/**
 * The contract between a page (graph or compare view, no TensorFlow.js) and the training runtime
 * (train.js: TensorFlow.js and the engine), which runs in a Web Worker started on the first Start so a
 * step never holds the page's thread. Everything crossing this boundary is plain, structured-cloneable data;
 * the worker's messages are in worker-protocol.ts.
 */
import type { TrainingBackendChoice, TrainingDatasetSource } from '../../src/protocol/messages';
import type { TrainingConfig } from '../../src/core';
import type { TrainEvent } from '../../src/train/engine';
import type { LesionResult } from '../../src/train/experiments/lesionPlan';
import type { LandscapeRequest, LandscapeResult } from '../../src/train/experiments/landscape';
import type { PathLengthGradient } from '../../src/train/experiments/pathGradients';

export type BackendName = Exclude<TrainingBackendChoice, 'auto'>;

/** What the runtime reports besides the engine's own events. */
export type RuntimeEvent =
  | TrainEvent
  /** The backend the run uses, and why the ones before it in the chain were skipped. */
  /** `threads`: XNNPACK threads of the wasm backend (more than 1 only where the page is cross-origin isolated). */
  | { type: 'backend'; backend: BackendName; skipped: string[]; threads: number }
  /** The run starts over on another backend (a kernel was missing); the UI clears its curves. */
  | { type: 'restarting'; reason: string }
  /** The run could not start or failed: a sentence for the user (never a raw stack). */
  | { type: 'error'; message: string; code: string }
  /** Tensors alive after a progress event (tf.memory().numTensors), for the leak check. */
  | { type: 'memory'; step: number; tensors: number }
  /** A lesion study on the paused run: `done` of `total` passes over the held-out images finished. */
  | { type: 'lesion-progress'; done: number; total: number }
  /**
   * The lesion study ended: its result (complete: false when cancelled, holding what was measured), or why it could
   * not run. `tensors`: tf.memory().numTensors afterwards (the paused run's own, nothing left by the study).
   */
  | { type: 'lesion'; result: LesionResult; tensors: number }
  | { type: 'lesion-failed'; message: string }
  /** One evaluation of the paused model on the landscape's subset took `secondsPerEvaluation`: the cost to show before starting. */
  | { type: 'landscape-cost'; evaluations: number; samples: number; secondsPerEvaluation: number }
  | { type: 'landscape-progress'; kind: LandscapeRequest['kind']; done: number; total: number; secondsPerEvaluation: number }
  /** One slice finished (a request for both gives two). */
  | { type: 'landscape'; result: LandscapeResult }
  /** The landscape work ended; the weights are back where the run paused. `message` says why it failed. */
  | { type: 'landscape-ended'; reason: 'estimated' | 'done' | 'cancelled' | 'failed'; message?: string }
  /**
   * Gradient magnitude at the input by path length (Veit et al. 2016 §4.2), every PATH_GRADIENT_INTERVAL steps
   * from a small batch; `residualAdds` is n (0: the model has no residual adds and `lengths` holds its one path).
   */
  | { type: 'pathGradients'; step: number; residualAdds: number; lengths: PathLengthGradient[] };

/** What the page asks of a lesion study (see src/train/experiments/lesion.ts). */
export interface LesionSettings {
  /** Held-out images per evaluation. */
  samples: number;
  /** Random draws per number of blocks removed. */
  draws: number;
  seed: number;
}

/**
 * Loss-landscape work on a paused run (src/train/experiments/landscape.ts): estimate its cost from one evaluation,
 * compute the slices, or cancel between two evaluations.
 */
export type LandscapeAction = { type: 'estimate'; requests: LandscapeRequest[] } | { type: 'compute'; requests: LandscapeRequest[] } | { type: 'cancel' };

/** What a run needs, as sent to the worker. */
export interface RunSettings {
  text: string;
  model: string;
  backend: TrainingBackendChoice;
  statsInterval: number;
  /** Measure the gradient by path length (`pathGradients` events); the graph view asks for it, Train both does not. */
  pathGradients?: boolean;
  dataset: TrainingDatasetSource;
  /** Overrides of the model's train section (Train both gives both models side A's, so data order and seed match). */
  config?: Partial<Omit<TrainingConfig, 'dataset'>>;
  /** Train the model with every skip connection removed (the Compare view's ablation). */
  withoutSkips?: boolean;
  /** URL prefix (ending in '/') of tfjs-backend-wasm's .wasm files (absolute: the worker runs from a blob: URL). */
  wasmBase: string;
  /**
   * One of several workers sharing every batch (data-parallel, on CPU backends): the lead picks the
   * backend and reports; followers follow it silently. Absent: the run trains alone.
   */
  replica?: 'lead' | 'follower';
}

export interface RunOptions extends RunSettings {
  onEvent(event: RuntimeEvent): void;
}

export interface RunHandle {
  pause(): void;
  resume(): void;
  /**
   * Ends the run at the next step boundary (at once while loading or paused); a step that does not end
   * soon is cut short by ending the worker (its tensors go with it).
   */
  stop(): void;
  /**
   * Runs a lesion study on the run's current weights; only while the engine holds the run paused (a 'paused' event
   * came), otherwise a 'lesion-failed' event says why. Events: lesion-progress, then lesion or lesion-failed.
   */
  lesion(settings: LesionSettings): void;
  /** Ends a lesion study in progress at its next batch (Resume and Stop end it too). */
  cancelLesion(): void;
  /** Loss-landscape work on the paused run (answered by landscape-* events). */
  landscape(action: LandscapeAction): void;
  /** Settles when the run has ended and freed every tensor it made. */
  readonly done: Promise<void>;
}

export interface TrainingRuntime {
  /** Starts a run; `peers` link it to replicas of the run in other workers (see RunSettings.replica). */
  start(options: RunOptions, peers?: MessagePort[]): RunHandle;
  /** tf.memory().numTensors in the worker, as last reported (after each step and at the end of each run). */
  tensors(): number;
  /** TensorFlow.js and backend versions the worker bundles. */
  readonly versions: string;
}
