/**
 * The training bar's control row and progress fields: the Train / Pause / Resume / Stop buttons, the
 * backend and engine pickers, and the fields one run's progress fills (epoch, step, images/s, ETA, loss,
 * accuracy). ProgressFeed turns the engine's progress events into the row, the loss and accuracy curves
 * (a running mean) and the host's status bar, throttled together so the row and the status bar read one
 * step. The run lifecycle (start, pause, stop, experiments) stays in training-ui.ts.
 */
import { formatLoss, type TrainingProgress, type WebviewToHost } from '../../src/protocol/messages';
import type { ProgressEvent } from '../../src/train/engine';
import type { LineChart } from './charts';

/** Least time between two progress posts to the host (and repaints of the row), ms. */
const PROGRESS_POST_MS = 250;

export type FieldName = 'backend' | 'epoch' | 'step' | 'speed' | 'eta' | 'loss' | 'accuracy' | 'message' | 'notes';
export type ButtonName = 'start' | 'pause' | 'resume' | 'stop';

/** The row's elements, built once by buildControls. */
export interface TrainingControls {
  buttons: Record<ButtonName, HTMLElement>;
  backendSelect: HTMLSelectElement;
  engineSelect: HTMLSelectElement;
  fields: Record<FieldName, HTMLElement>;
}

export function button(id: string, label: string, parent: HTMLElement, secondary = true): HTMLElement {
  const el = document.createElement('vscode-button');
  el.id = id;
  if (secondary) el.setAttribute('secondary', '');
  el.textContent = label;
  parent.appendChild(el);
  return el;
}

export function span(id: string, parent: HTMLElement, className = ''): HTMLElement {
  const el = document.createElement('span');
  el.id = id;
  if (className) el.className = className;
  parent.appendChild(el);
  return el;
}

/** "45s", "3m07s", "2h05m"; "—" for a time not known (non-finite or not positive), seconds in. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '—';
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function picker(id: string, caption: string, title: string, options: [string, string][], parent: HTMLElement): HTMLSelectElement {
  const label = document.createElement('label');
  label.textContent = caption;
  const select = document.createElement('select');
  select.id = id;
  select.title = title;
  for (const [value, text] of options) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = text;
    select.appendChild(option);
  }
  label.appendChild(select);
  parent.appendChild(label);
  return select;
}

/** Builds the control row in `root` (buttons, pickers, progress fields) and the message and notes lines under it. */
export function buildControls(root: HTMLElement): TrainingControls {
  const controls = document.createElement('div');
  controls.className = 'training-row';
  root.appendChild(controls);
  const buttons = {
    start: button('train-start', 'Train', controls, false),
    pause: button('train-pause', 'Pause', controls),
    resume: button('train-resume', 'Resume', controls),
    stop: button('train-stop', 'Stop', controls),
  };
  const backendSelect = picker('train-backend', 'Backend ', 'TensorFlow.js backend for the next run (the setting skipnet.training.backend unless chosen here)', [['', 'from settings'], ['auto', 'auto'], ['webgpu', 'WebGPU'], ['webgl', 'WebGL'], ['wasm', 'WASM'], ['cpu', 'CPU']], controls);
  const engineSelect = picker('train-engine', 'Engine ', 'Training engine for the next run (the setting skipnet.train.engine unless chosen here)', [['', 'from settings'], ['browser', 'browser (TensorFlow.js)'], ['pytorch', 'PyTorch'], ['auto', 'auto']], controls);
  const fields = {
    backend: span('train-backend-used', controls, 'pill'),
    epoch: span('train-epoch', controls),
    step: span('train-step', controls),
    speed: span('train-speed', controls),
    eta: span('train-eta', controls),
    loss: span('train-loss', controls),
    accuracy: span('train-accuracy', controls),
    message: span('train-message', root, 'training-message'),
    notes: span('train-notes', root, 'training-notes'),
  };
  fields.message.setAttribute('role', 'status');
  return { buttons, backendSelect, engineSelect, fields };
}

export interface ProgressFeedOptions {
  root: HTMLElement;
  fields: Record<FieldName, HTMLElement>;
  lossChart: LineChart;
  accuracyChart: LineChart;
  /** Posts the status bar's progress to the host. */
  post(message: Omit<Extract<WebviewToHost, { type: 'trainingProgress' }>, 'uri' | 'version'>): void;
  /** The backend the run reports, for the status bar ('' until known). */
  backend(): string;
  /** Whether the run's data set has a class per pixel (its accuracy is a pixel accuracy). */
  perPixel(): boolean;
}

/** One run's progress: curves at every event, the row and the status bar at most every PROGRESS_POST_MS. */
export class ProgressFeed {
  private lastPost = 0;
  private smoothedLoss: number | null = null;
  private smoothedAccuracy: number | null = null;
  /** The newest progress event the row and the status bar have not shown yet. */
  private pending: ProgressEvent | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: ProgressFeedOptions) {}

  progress(event: ProgressEvent): void {
    this.options.root.dataset.step = String(event.step);
    // The curves show a running mean (single batches are noisy); the text shows the batch itself.
    this.smoothedLoss = this.smoothedLoss === null ? event.loss : 0.9 * this.smoothedLoss + 0.1 * event.loss;
    this.smoothedAccuracy = this.smoothedAccuracy === null ? event.accuracy : 0.9 * this.smoothedAccuracy + 0.1 * event.accuracy;
    this.options.lossChart.append(0, event.step, this.smoothedLoss);
    this.options.accuracyChart.append(0, event.step, this.smoothedAccuracy);
    this.pending = event;
    const wait = PROGRESS_POST_MS - (performance.now() - this.lastPost);
    if (wait <= 0 || event.step === event.totalSteps) this.flush();
    // A run that slows down or stalls still shows its newest step within one interval.
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /**
   * Shows the latest progress event in the row and sends the very same event to the status bar, so both read
   * one step and one loss; the row is throttled with the status bar and flushed where a run pauses or ends.
   */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const event = this.pending;
    if (!event) return;
    this.pending = null;
    const { fields, root } = this.options;
    fields.epoch.textContent = `epoch ${event.epoch}/${event.epochs}`;
    fields.step.textContent = `step ${event.step}/${event.totalSteps}`;
    fields.speed.textContent = `${event.imagesPerSecond.toFixed(event.imagesPerSecond < 10 ? 1 : 0)} img/s`;
    fields.eta.textContent = `ETA ${formatDuration(event.etaSeconds)}`;
    fields.loss.textContent = `loss ${formatLoss(event.loss)}`;
    fields.accuracy.textContent = `${this.options.perPixel() ? 'pixel acc' : 'acc'} ${(event.accuracy * 100).toFixed(1)}%`;
    root.dataset.shownStep = String(event.step);
    this.lastPost = performance.now();
    const stepsPerEpoch = Math.max(1, Math.ceil(event.totalSteps / event.epochs));
    const progress: TrainingProgress = {
      epoch: event.epoch,
      epochs: event.epochs,
      step: event.step - (event.epoch - 1) * stepsPerEpoch,
      stepsPerEpoch,
      loss: Number.isFinite(event.loss) ? event.loss : 0,
      accuracy: event.accuracy,
      imagesPerSecond: event.imagesPerSecond,
      etaSeconds: Number.isFinite(event.etaSeconds) ? event.etaSeconds : 0,
      backend: this.options.backend() || 'unknown',
    };
    this.options.post({ type: 'trainingProgress', progress });
  }

  /**
   * The row at the end of a run reads the `finished` event, as the message does: a step that was in flight when
   * Stop was pressed finishes unseen (its progress is dropped), yet it counts in `steps`.
   */
  finalStep(steps: number, loss: number | null): void {
    const { fields, root } = this.options;
    const total = /\/(\d+)$/.exec(fields.step.textContent ?? '')?.[1];
    fields.step.textContent = total ? `step ${steps}/${total}` : `step ${steps}`;
    if (loss !== null) fields.loss.textContent = `loss ${formatLoss(loss)}`;
    root.dataset.step = String(steps);
    root.dataset.shownStep = String(steps);
  }

  /** Forgets the last run: its curves' means, its unshown event, its timer; the next run's first event shows at once. */
  reset(): void {
    this.smoothedLoss = null;
    this.smoothedAccuracy = null;
    this.pending = null;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastPost = 0;
  }
}
