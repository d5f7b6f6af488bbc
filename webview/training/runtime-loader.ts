/**
 * The page side of the training worker (train.js), shared by the graph view's training bar and the Compare
 * view's "Train both". The worker starts once, on the first Start, from a blob: URL (a webview's resources
 * live on another origin than the page; the CSP allows `worker-src blob:`), and every run after that goes to
 * it. A run's events come back tagged with its number; a Stop that the worker does not answer in time (a
 * long step on a slow backend) ends the worker itself, so Stop always stops.
 */
import type { RunHandle, RunOptions, RuntimeEvent, TrainingRuntime } from './runtime-api';
import { type FromTrainingWorker, isFromTrainingWorker, type ToTrainingWorker } from './worker-protocol';

/** What an experiment asked of a run whose worker was ended (Stop cut a long step short, or it failed) hears. */
const WORKER_GONE = 'The training worker has ended (a step outlived Stop, or it failed), and the run’s weights went with it: train again to measure.';

/** How long a stopped run may take to reach its step boundary before the worker is ended instead. */
export const STOP_GRACE_MS = 1500;

interface LiveRun {
  options: RunOptions;
  lastStep: number;
  stopRequested: boolean;
  finished: boolean;
  /** The worker reported the run's end ('done'); it may still answer experiments on the final weights. */
  ended: boolean;
  resolve(): void;
}

/** Ended runs the page still routes events for (experiments on their final weights), as many as the worker keeps. */
const KEPT_ENDED_RUNS = 2;

class WorkerRuntime implements TrainingRuntime {
  private nextRun = 1;
  private readonly runs = new Map<number, LiveRun>();
  private lastTensors = 0;
  private stopTimer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;

  constructor(
    private readonly worker: Worker,
    readonly versions: string,
    private readonly onEnded: () => void,
  ) {
    worker.onmessage = (event: MessageEvent<unknown>) => this.receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.end(`The training worker failed: ${event.message || 'unknown error'}.`);
    };
  }

  /** Starts a run; `peers` (transferred to the worker) link it to replicas in other workers. */
  start(options: RunOptions, peers: MessagePort[] = []): RunHandle {
    const id = this.nextRun++;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const run: LiveRun = { options, lastStep: 0, stopRequested: false, finished: false, ended: false, resolve };
    if (this.ended) {
      options.onEvent({ type: 'error', message: 'The training worker has ended; start again.', code: 'failed' });
      resolve();
      return { pause: () => undefined, resume: () => undefined, stop: () => undefined, lesion: () => undefined, cancelLesion: () => undefined, landscape: () => undefined, done };
    }
    this.runs.set(id, run);
    const { onEvent: _onEvent, ...settings } = options;
    if (!this.ended) this.worker.postMessage({ type: 'start', run: id, settings, peers } satisfies ToTrainingWorker, peers);
    return {
      pause: () => this.send({ type: 'pause', run: id }),
      resume: () => this.send({ type: 'resume', run: id }),
      landscape: (action) => {
        if (this.ended) run.options.onEvent({ type: 'landscape-ended', reason: 'failed', message: WORKER_GONE });
        else this.send({ type: 'landscape', run: id, action });
      },
      stop: () => {
        if (!this.runs.has(id)) return;
        // An ended run only has experiments to cancel: nothing is left for the grace timer to wait for.
        if (run.ended) return this.send({ type: 'stop', run: id });
        run.stopRequested = true;
        this.send({ type: 'stop', run: id });
        this.armStopTimer();
      },
      lesion: (lesionSettings) => {
        if (this.ended) run.options.onEvent({ type: 'lesion-failed', message: WORKER_GONE });
        else this.send({ type: 'lesion', run: id, settings: lesionSettings });
      },
      cancelLesion: () => this.send({ type: 'lesion-cancel', run: id }),
      done,
    };
  }

  tensors(): number {
    return this.lastTensors;
  }

  private send(message: ToTrainingWorker): void {
    if (!this.ended) this.worker.postMessage(message);
  }

  private receive(data: unknown): void {
    if (!isFromTrainingWorker(data)) {
      console.error('SkipNet: a message from the training worker that fits no protocol message was dropped', data);
      return;
    }
    const message: FromTrainingWorker = data;
    if (message.type === 'ready') return;
    const run = this.runs.get(message.run);
    if (!run) return;
    if (message.type === 'done') {
      this.lastTensors = message.tensors;
      run.ended = true;
      const ended = [...this.runs].filter(([, r]) => r.ended).map(([id]) => id);
      for (const id of ended.slice(0, Math.max(0, ended.length - KEPT_ENDED_RUNS))) this.runs.delete(id);
      run.resolve();
      if (this.live().length === 0) this.clearStopTimer();
      return;
    }
    const event: RuntimeEvent = message.event;
    if (event.type === 'progress') run.lastStep = event.step;
    if (event.type === 'memory') this.lastTensors = event.tensors;
    if (event.type === 'finished') run.finished = true;
    run.options.onEvent(event);
  }

  /** Once every live run was asked to stop, the worker gets STOP_GRACE_MS to let them reach a step boundary. */
  private armStopTimer(): void {
    if (this.stopTimer !== undefined) return;
    this.stopTimer = setTimeout(() => {
      this.stopTimer = undefined;
      const live = this.live();
      if (live.length === 0) return;
      if (live.every((run) => run.stopRequested)) this.end(null);
      else this.armStopTimer();
    }, STOP_GRACE_MS);
  }

  /** Runs that have not ended yet. */
  private live(): LiveRun[] {
    return [...this.runs.values()].filter((run) => !run.ended);
  }

  private clearStopTimer(): void {
    clearTimeout(this.stopTimer);
    this.stopTimer = undefined;
  }

  /** Ends the worker (its tensors and memory go with it) and settles every run: stopped, or failed with `error`. */
  private end(error: string | null): void {
    if (this.ended) return;
    this.ended = true;
    this.clearStopTimer();
    this.worker.terminate();
    countWorker('trainingWorkersEnded');
    this.lastTensors = 0;
    this.onEnded();
    for (const run of this.live()) {
      if (error) run.options.onEvent({ type: 'error', message: error, code: 'failed' });
      else if (!run.finished) run.options.onEvent({ type: 'finished', result: { reason: 'stopped', steps: run.lastStep, loss: null } });
      run.resolve();
    }
    this.runs.clear();
  }
}

/**
 * Counts training workers started and ended early (terminated: a step outlived Stop, or the worker failed) on the
 * document element, where tests and a bug report can read them.
 */
function countWorker(key: 'trainingWorkersStarted' | 'trainingWorkersEnded'): void {
  const data = document.documentElement.dataset;
  data[key] = String(Number(data[key] ?? 0) + 1);
}

/** Runtimes by slot: the graph view uses slot 0; Train both gives each side its own worker (slots 0 and 1). */
const runtimes = new Map<number, Promise<TrainingRuntime>>();

/**
 * Starts a training worker from `url` (train.js) for `slot` once; later calls for the slot get the same
 * runtime until it ends. Separate slots are separate workers, so their runs use separate cores.
 */
export function loadRuntime(url: string, slot = 0): Promise<TrainingRuntime> {
  let loading = runtimes.get(slot);
  if (!loading) {
    loading = startWorker(url, () => runtimes.delete(slot));
    runtimes.set(slot, loading);
    loading.catch(() => runtimes.delete(slot));
  }
  return loading;
}

async function startWorker(url: string, onEnded: () => void): Promise<TrainingRuntime> {
  const response = await fetch(url).catch(() => null);
  if (!response?.ok) throw new Error(`The training runtime (train.js) could not be loaded${response ? ` (HTTP ${response.status})` : ''}.`);
  const blobUrl = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
  const worker = new Worker(blobUrl);
  countWorker('trainingWorkersStarted');
  const versions = await new Promise<string>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<unknown>) => {
      const data = event.data;
      if (isFromTrainingWorker(data) && data.type === 'ready') resolve(data.versions);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`The training runtime did not start: ${event.message || 'unknown error'}.`));
    };
  }).finally(() => URL.revokeObjectURL(blobUrl));
  document.documentElement.dataset.trainingRuntime = versions;
  // An ended worker is not reused: the next Start starts a fresh one.
  return new WorkerRuntime(worker, versions, onEnded);
}

/**
 * A run shared by several workers (data-parallel on CPU backends, so more cores work on every batch). The
 * first runtime's run leads and reports as a lone run would; the others follow, silent but for errors. If
 * the lead's backend is a GPU one, the followers end at once and the lead trains alone.
 */
export function startReplicated(runtimes: TrainingRuntime[], options: RunOptions): RunHandle {
  const channels = runtimes.slice(1).map(() => new MessageChannel());
  const lead = runtimes[0].start({ ...options, replica: 'lead' }, channels.map((c) => c.port1));
  const followers = runtimes.slice(1).map((runtime, i) =>
    runtime.start(
      {
        ...options,
        replica: 'follower',
        onEvent: (event) => {
          if (event.type === 'error') options.onEvent({ ...event, message: `Training worker ${i + 2} failed: ${event.message}` });
        },
      },
      [channels[i].port2],
    ),
  );
  // However the lead ends (also before inviting the followers), they end with it.
  void lead.done.then(() => followers.forEach((f) => f.stop()));
  return {
    pause: () => lead.pause(),
    resume: () => lead.resume(),
    // The lead holds the whole model: the landscape runs there while the followers wait at the paused step.
    landscape: (action) => lead.landscape(action),
    stop: () => [lead, ...followers].forEach((run) => run.stop()),
    // The lead holds the whole model (the followers hold copies of the same weights).
    lesion: (settings) => lead.lesion(settings),
    cancelLesion: () => lead.cancelLesion(),
    done: Promise.all([lead.done, ...followers.map((f) => f.done)]).then(() => undefined),
  };
}
