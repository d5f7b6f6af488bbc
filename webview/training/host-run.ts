/**
 * A run the extension host trains (the PyTorch engine), seen from the training bar as any other run: the host
 * streams the runner's events as JSON lines (`trainingEvent`), each checked here with the runner protocol's own
 * validator, and pause / resume / stop go back as `trainingControl` messages, which the host passes to the runner
 * at once. Events that arrive before the bar has attached (it may still be ending the previous run) wait in order.
 * The experiments (lesion study, loss landscape) run in the runner's Python process on the paused weights or, after
 * the run ended, on its final weights (the host keeps the runner alive for them): they go as `experiment` controls
 * and come back as the same lesion-* and landscape-* events the browser engine's worker sends.
 */
import { parseRunnerLine, type RunnerEvent, type RunnerExperimentCommand } from '../../src/train/pytorch/protocol';
import type { LandscapeAction, LesionSettings, RunHandle, RuntimeEvent } from './runtime-api';

/** What the bar sends the host for a PyTorch run: a training control, or an experiment for the runner. */
export type HostRunControl = { action: 'pause' | 'resume' | 'stop' } | { action: 'experiment'; experiment: RunnerExperimentCommand };

export class HostRun implements RunHandle {
  readonly done: Promise<void>;
  private finish!: () => void;
  private ended = false;
  private listener: ((event: RuntimeEvent) => void) | null = null;
  private readonly waiting: RuntimeEvent[] = [];
  /** The experiment awaiting its answer, so a `rejected` line can end it. */
  private pending: 'lesion' | 'landscape' | null = null;

  /** `id`: the run's id in the host's events; `control` posts a `trainingControl` message to the host. */
  constructor(
    readonly id: number,
    private readonly control: (control: HostRunControl) => void,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Starts delivering events (those that came already first, in order). */
  attach(listener: (event: RuntimeEvent) => void): void {
    this.listener = listener;
    for (const event of this.waiting.splice(0)) listener(event);
  }

  /** One `trainingEvent` line from the host. A line that is not a runner event ends the run with an error. */
  receive(line: string): void {
    const parsed = parseRunnerLine(line);
    if (!parsed.ok) {
      if (this.ended) return;
      this.deliver({ type: 'error', message: `The PyTorch run sent an event this view cannot read (${parsed.error}).`, code: 'backend' });
      return this.end();
    }
    const event = parsed.event;
    // After the run's end only its experiments still speak (on the final weights the runner kept).
    if (this.ended && !isExperimentLine(event)) return;
    if (event.type === 'error') {
      this.deliver({ type: 'error', message: event.message, code: 'backend' });
      return this.end();
    }
    const delivered = toRuntimeEvent(event, this.pending);
    if (delivered) {
      if (delivered.type === 'lesion' || delivered.type === 'lesion-failed' || delivered.type === 'landscape-ended') this.pending = null;
      this.deliver(delivered);
    }
    if (event.type === 'finished') this.end();
  }

  pause(): void {
    if (!this.ended) this.control({ action: 'pause' });
  }

  resume(): void {
    if (!this.ended) this.control({ action: 'resume' });
  }

  stop(): void {
    if (!this.ended) this.control({ action: 'stop' });
  }

  /** A lesion study in the runner (Veit et al. 2016, §4), on the paused or the final weights. */
  lesion(settings: LesionSettings): void {
    this.pending = 'lesion';
    this.control({ action: 'experiment', experiment: { command: 'lesion', samples: settings.samples, draws: settings.draws, seed: settings.seed } });
  }

  cancelLesion(): void {
    this.control({ action: 'experiment', experiment: { command: 'lesion-cancel' } });
  }

  /** Loss-landscape work in the runner (Li et al. 2018, §4): estimate, compute, or cancel between two evaluations. */
  landscape(action: LandscapeAction): void {
    if (action.type === 'cancel') return this.control({ action: 'experiment', experiment: { command: 'landscape-cancel' } });
    this.pending = 'landscape';
    this.control({ action: 'experiment', experiment: { command: 'landscape', action: action.type, requests: action.requests } });
  }

  private deliver(event: RuntimeEvent): void {
    if (this.listener) this.listener(event);
    else this.waiting.push(event);
  }

  private end(): void {
    this.ended = true;
    this.finish();
  }
}

function isExperimentLine(event: RunnerEvent): boolean {
  return event.type.startsWith('lesion') || event.type.startsWith('landscape') || event.type === 'rejected';
}

/**
 * A runner event as the bar reads it: the runner's lesion result gains `tensors` (0: a PyTorch study makes no
 * TensorFlow.js tensors), a landscape's null losses (JSON has no Infinity) become Infinity, which the chart draws
 * as "not finite", and a rejected command ends the experiment awaiting an answer; null: nothing to show.
 */
function toRuntimeEvent(event: Exclude<RunnerEvent, { type: 'error' }>, pending: 'lesion' | 'landscape' | null): RuntimeEvent | null {
  switch (event.type) {
    case 'lesion':
      return { type: 'lesion', result: event.result, tensors: 0 };
    case 'landscape':
      return { type: 'landscape', result: { ...event.result, loss: event.result.loss.map((v) => v ?? Infinity) } };
    case 'rejected':
      if (pending === 'lesion') return { type: 'lesion-failed', message: event.message };
      if (pending === 'landscape') return { type: 'landscape-ended', reason: 'failed', message: event.message };
      return null;
    default:
      return event;
  }
}
