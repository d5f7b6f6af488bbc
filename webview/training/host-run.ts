/**
 * A run the extension host trains (the PyTorch engine), seen from the training bar as any other run: the host
 * streams the runner's events as JSON lines (`trainingEvent`), each checked here with the runner protocol's own
 * validator, and pause / resume / stop go back as `trainingControl` messages, which the host passes to the runner
 * at once. Events that arrive before the bar has attached (it may still be ending the previous run) wait in order.
 */
import { parseRunnerLine } from '../../src/train/pytorch/protocol';
import type { LandscapeAction, RunHandle, RuntimeEvent } from './runtime-api';

/** The experiments read and perturb the weights inside a TensorFlow.js worker; a PyTorch run's weights live in Python. */
const EXPERIMENT_ENGINE = 'on the browser engine: this run trains in PyTorch, whose weights stay in its Python process. Choose the browser engine to measure it here, or run `skipnet experiment` in a terminal';

export class HostRun implements RunHandle {
  readonly done: Promise<void>;
  private finish!: () => void;
  private ended = false;
  private listener: ((event: RuntimeEvent) => void) | null = null;
  private readonly waiting: RuntimeEvent[] = [];

  /** `id`: the run's id in the host's events; `control` posts a `trainingControl` message to the host. */
  constructor(
    readonly id: number,
    private readonly control: (action: 'pause' | 'resume' | 'stop') => void,
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
    if (this.ended) return;
    const parsed = parseRunnerLine(line);
    if (!parsed.ok) {
      this.deliver({ type: 'error', message: `The PyTorch run sent an event this view cannot read (${parsed.error}).`, code: 'backend' });
      return this.end();
    }
    const event = parsed.event;
    if (event.type === 'error') {
      this.deliver({ type: 'error', message: event.message, code: 'backend' });
      return this.end();
    }
    this.deliver(event);
    if (event.type === 'finished') this.end();
  }

  pause(): void {
    if (!this.ended) this.control('pause');
  }

  resume(): void {
    if (!this.ended) this.control('resume');
  }

  stop(): void {
    if (!this.ended) this.control('stop');
  }

  lesion(): void {
    this.deliver({ type: 'lesion-failed', message: `The lesion study runs ${EXPERIMENT_ENGINE}.` });
  }

  cancelLesion(): void {
    // Nothing runs: lesion() never starts a study for a PyTorch run.
  }

  landscape(action: LandscapeAction): void {
    if (action.type !== 'cancel') this.deliver({ type: 'landscape-ended', reason: 'failed', message: `The loss landscape is taken ${EXPERIMENT_ENGINE}.` });
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
