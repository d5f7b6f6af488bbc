/**
 * The graph view's training bar: Train / Pause / Resume / Stop, the backend (chosen and in use), progress
 * (epoch, step, images/s, ETA), loss and accuracy curves, input-adaptation notes, errors, and the
 * statistics overlay on the graph. Starting goes through the host (`trainingRequest` → `startTraining`,
 * which carries the file's text, the settings and the data); the runtime (train.js, TensorFlow.js) is
 * loaded on the first run. Progress goes back to the host for the status bar.
 */
import { formatLoss, type TrainingBackendChoice, type TrainingEngineChoice, type TrainingEngineInfo, type TrainingProgress, type TrainingRun, type WebviewToHost } from '../../src/protocol/messages';
import type { ProgressEvent } from '../../src/train/engine';
import type { TrainingStatistics } from '../../src/train/stats';
import type { Rendering } from '../shared/render';
import { LineChart } from './charts';
import { HostRun } from './host-run';
import { PathGradientChart } from './path-chart';
import type { RunHandle, RunOptions, RuntimeEvent, TrainingRuntime } from './runtime-api';
import { StatisticsOverlay } from '../statistics/overlay';
import { loadRuntime, startReplicated } from './runtime-loader';
import { LesionPanel } from './lesion-panel';
import { analyze } from '../../src/core/analyze';
import { lesionUnits, NO_WEIGHTS_MESSAGE } from '../../src/train/experiments/lesionPlan';
import { isLandscapeEvent, LandscapePanel } from './landscape-panel';

type Outgoing = WebviewToHost extends infer M ? (M extends { uri: string; version: number } ? Omit<M, 'uri' | 'version'> : never) : never;

export type TrainingState = 'idle' | 'requested' | 'loading' | 'running' | 'paused' | 'stopping' | 'done' | 'stopped' | 'failed';

/** Detail of the `training-report` event: this step's statistics, or a held-out accuracy in [0, 1]. */
export interface TrainingReportDetail {
  statistics?: TrainingStatistics;
  accuracy?: number;
}

export interface TrainingUiOptions {
  /** Where the bar goes (above the graph). */
  parent: HTMLElement;
  /** Posts a message to the host. */
  post(message: Outgoing): void;
  rendering(): Rendering | null;
  /** URLs of train.js (the training worker) and of the wasm binaries' folder. */
  runtimeUrl: string;
  wasmBase: string;
}

const PROGRESS_POST_MS = 250;
/**
 * Most training workers a run uses on a CPU backend: each holds its own copy of the model and optimizer,
 * and the gain per worker shrinks as the slices get small.
 */
export const MAX_TRAINING_WORKERS = 4;

const ACTIVE: readonly TrainingState[] = ['requested', 'loading', 'running', 'paused', 'stopping'];

function button(id: string, label: string, parent: HTMLElement, secondary = true): HTMLElement {
  const el = document.createElement('vscode-button');
  el.id = id;
  if (secondary) el.setAttribute('secondary', '');
  el.textContent = label;
  parent.appendChild(el);
  return el;
}

function span(id: string, parent: HTMLElement, className = ''): HTMLElement {
  const el = document.createElement('span');
  el.id = id;
  if (className) el.className = className;
  parent.appendChild(el);
  return el;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '—';
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class TrainingUi {
  readonly root: HTMLElement;
  private state: TrainingState = 'idle';
  private run: RunHandle | null = null;
  /** The last run that ended normally (finished or stopped after a step), whose worker keeps its final weights. */
  private endedRun: { handle: RunHandle; step: number } | null = null;
  private runVersion = -1;
  private backend = '';
  private lastPost = 0;
  private readonly buttons: Record<'start' | 'pause' | 'resume' | 'stop', HTMLElement>;
  private readonly backendSelect: HTMLSelectElement;
  private readonly engineSelect: HTMLSelectElement;
  private readonly engineInfo: HTMLElement;
  private readonly useBrowser: HTMLElement;
  /** Runs the host trains (PyTorch), by id, from their startTraining until their end (a replaced one still winds down). */
  private readonly hostRuns = new Map<number, HostRun>();
  private readonly fields: Record<'backend' | 'epoch' | 'step' | 'speed' | 'eta' | 'loss' | 'accuracy' | 'message' | 'notes', HTMLElement>;
  private readonly lossChart: LineChart;
  private readonly pathChart: PathGradientChart;
  private readonly accuracyChart: LineChart;
  readonly overlay: StatisticsOverlay;
  private readonly lesion: LesionPanel;
  private lesionRunning = false;
  readonly landscape: LandscapePanel;
  private modelName = '';
  private smoothedLoss: number | null = null;
  private smoothedAccuracy: number | null = null;
  /** The newest progress event the row and the status bar have not shown yet. */
  private pendingProgress: ProgressEvent | null = null;
  private progressTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: TrainingUiOptions) {
    const root = (this.root = document.createElement('div'));
    root.id = 'training';
    root.setAttribute('aria-label', 'Training');
    options.parent.appendChild(root);
    const controls = document.createElement('div');
    controls.className = 'training-row';
    root.appendChild(controls);
    this.buttons = {
      start: button('train-start', 'Train', controls, false),
      pause: button('train-pause', 'Pause', controls),
      resume: button('train-resume', 'Resume', controls),
      stop: button('train-stop', 'Stop', controls),
    };
    const backendLabel = document.createElement('label');
    backendLabel.textContent = 'Backend ';
    this.backendSelect = document.createElement('select');
    this.backendSelect.id = 'train-backend';
    this.backendSelect.title = 'TensorFlow.js backend for the next run (the setting skipnet.training.backend unless chosen here)';
    for (const [value, label] of [['', 'from settings'], ['auto', 'auto'], ['webgpu', 'WebGPU'], ['webgl', 'WebGL'], ['wasm', 'WASM'], ['cpu', 'CPU']]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      this.backendSelect.appendChild(option);
    }
    backendLabel.appendChild(this.backendSelect);
    controls.appendChild(backendLabel);
    const engineLabel = document.createElement('label');
    engineLabel.textContent = 'Engine ';
    this.engineSelect = document.createElement('select');
    this.engineSelect.id = 'train-engine';
    this.engineSelect.title = 'Training engine for the next run (the setting skipnet.train.engine unless chosen here)';
    for (const [value, label] of [['', 'from settings'], ['browser', 'browser (TensorFlow.js)'], ['pytorch', 'PyTorch'], ['auto', 'auto']]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      this.engineSelect.appendChild(option);
    }
    engineLabel.appendChild(this.engineSelect);
    controls.appendChild(engineLabel);
    this.fields = {
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
    this.fields.message.setAttribute('role', 'status');
    // Which engine the next run uses and why ("PyTorch 1.13 at /usr/bin/python3, cpu"), and PyTorch's speed-up.
    this.engineInfo = span('train-engine-info', root, 'training-notes');
    this.useBrowser = button('train-use-browser', 'Train in the browser instead', root);
    this.useBrowser.hidden = true;
    this.useBrowser.addEventListener('click', () => this.request('browser'));
    const charts = document.createElement('div');
    charts.className = 'training-charts';
    root.appendChild(charts);
    this.lossChart = new LineChart(charts, 'loss', [
      { name: 'train', className: 'series-train' },
      { name: 'held-out', className: 'series-test', dots: true },
    ]);
    this.lossChart.element.id = 'chart-loss';
    this.accuracyChart = new LineChart(charts, 'accuracy', [
      { name: 'train', className: 'series-train' },
      { name: 'held-out', className: 'series-test', dots: true },
    ], [0, 1]);
    this.accuracyChart.element.id = 'chart-accuracy';
    this.pathChart = new PathGradientChart(charts);
    const statisticsPanel = document.createElement('div');
    statisticsPanel.id = 'statistics-panel';
    charts.appendChild(statisticsPanel);
    this.overlay = new StatisticsOverlay({ panel: statisticsPanel, rendering: options.rendering });
    this.lesion = new LesionPanel({
      parent: root,
      onMeasure: (settings) => {
        const target = this.run && this.state === 'paused' && this.root.dataset.pausedStep !== undefined ? this.run : this.measurableEnd()?.handle;
        if (!target) return;
        this.lesionRunning = true;
        this.lesion.setState('running', 'Measuring…');
        target.lesion(settings);
      },
      onCancel: () => (this.run ?? this.endedRun?.handle)?.cancelLesion(),
    });
    this.lesion.element.id = 'lesion-panel';
    this.landscape = new LandscapePanel(root);
    this.buttons.start.addEventListener('click', () => this.request());
    this.buttons.pause.addEventListener('click', () => this.command('pause'));
    this.buttons.resume.addEventListener('click', () => this.command('resume'));
    this.buttons.stop.addEventListener('click', () => this.command('stop'));
    this.setState('idle');
  }

  get current(): TrainingState {
    return this.state;
  }

  /** The host's train command (CodeLens, command palette) or this bar's buttons. */
  command(action: 'start' | 'pause' | 'resume' | 'stop'): void {
    if (action === 'start') return this.request();
    if (!this.run) return;
    if (action === 'pause' && (this.state === 'running' || this.state === 'loading')) {
      this.run.pause();
      this.setState('paused');
    } else if (action === 'resume' && this.state === 'paused') {
      delete this.root.dataset.pausedStep;
      this.run.resume();
      this.setState('running');
    } else if (action === 'stop' && ACTIVE.includes(this.state)) {
      this.run.stop();
      this.setState('stopping');
    }
  }

  /** Asks the host for a run (it sends the text, the settings and the data back); `engine` overrides the picker. */
  request(engine?: TrainingEngineChoice): void {
    if (this.state === 'requested') return;
    const choice = this.backendSelect.value as TrainingBackendChoice | '';
    const engineChoice = engine ?? (this.engineSelect.value as TrainingEngineChoice | '');
    this.setState('requested');
    this.message('');
    this.useBrowser.hidden = true;
    this.options.post({ type: 'trainingRequest', backend: choice === '' ? null : choice, engine: engineChoice === '' ? null : engineChoice });
  }

  /** The host refused to start (e.g. a data folder in an untrusted workspace, or no PyTorch: then the browser is offered). */
  refused(message: string, offerBrowser = false): void {
    this.setState('failed');
    this.message(message, true);
    this.useBrowser.hidden = !offerBrowser;
  }

  /** The engine the next run uses and why, with PyTorch's measured speed-up when the browser is chosen. */
  engine(info: TrainingEngineInfo): void {
    this.engineInfo.textContent = `engine: ${info.engine === 'none' ? 'none' : info.reason}${info.speed ? ` · ${info.speed}` : ''}`;
    this.root.dataset.engine = info.engine;
    this.root.dataset.engineReason = info.reason;
    if (info.speed) this.root.dataset.engineSpeed = info.speed;
    else delete this.root.dataset.engineSpeed;
  }

  /** One event line of the run the host trains. */
  hostEvent(run: number, line: string): void {
    this.hostRuns.get(run)?.receive(line);
  }

  /** Starts `run` (text of document `version`), ending any run in progress first. */
  async start(run: TrainingRun, version: number): Promise<void> {
    // The host starts its run right after this message: its first events may come while the previous run ends.
    const host = run.engine === 'pytorch' ? new HostRun(run.runId ?? 0, (control) => this.options.post({ type: 'trainingControl', run: run.runId ?? 0, ...control })) : null;
    if (host) this.hostRuns.set(host.id, host);
    // The next run's weights replace the last one's: its experiments end (the worker lets its arrays go in time).
    this.endedRun?.handle.stop();
    this.endedRun = null;
    const previous = this.run;
    if (previous) {
      previous.stop();
      await previous.done;
    }
    this.runVersion = version;
    this.modelName = run.model;
    this.backend = '';
    this.resetDisplay();
    this.planLesion(run);
    this.setState('loading');
    this.useBrowser.hidden = true;
    if (host) return this.startHosted(host);
    this.root.dataset.runEngine = 'browser';
    this.message(`Loading TensorFlow.js and the ${run.dataset.kind === 'folder' ? 'folder' : run.dataset.name} data…`);
    // One worker per core (up to MAX_TRAINING_WORKERS) shares every batch when the run ends up on a CPU backend.
    const workers = Math.max(1, Math.min(MAX_TRAINING_WORKERS, Math.floor(navigator.hardwareConcurrency ?? 1)));
    let runtimes: TrainingRuntime[];
    try {
      runtimes = await Promise.all(Array.from({ length: workers }, (_, slot) => loadRuntime(this.options.runtimeUrl, slot)));
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
      return;
    }
    const options: RunOptions = {
      text: run.text,
      model: run.model,
      backend: run.backend,
      statsInterval: run.statsInterval,
      pathGradients: true,
      dataset: run.dataset,
      wasmBase: this.options.wasmBase,
      onEvent: (event) => this.onEvent(event, handle),
    };
    const handle = runtimes.length > 1 ? startReplicated(runtimes, options) : runtimes[0].start(options);
    this.run = handle;
    if (this.state === 'paused') handle.pause();
    void handle.done.then(() => {
      if (this.run !== handle) return;
      this.run = null;
      this.root.dataset.tensors = String(runtimes.reduce((sum, runtime) => sum + runtime.tensors(), 0));
      if (ACTIVE.includes(this.state)) this.setState('stopped');
    });
  }

  private startHosted(host: HostRun): void {
    this.message('Starting PyTorch…');
    this.root.dataset.runEngine = 'pytorch';
    this.run = host;
    if (this.state === 'paused') host.pause();
    host.attach((event) => this.onEvent(event, host));
    void host.done.then(() => {
      this.hostRuns.delete(host.id);
      if (this.run !== host) return;
      this.run = null;
      if (ACTIVE.includes(this.state)) this.setState('stopped');
    });
  }

  /** A newer version of the document arrived: a run on the old text stops, and Train becomes Restart. */
  documentChanged(version: number): void {
    if (this.runVersion < 0 || version <= this.runVersion) return;
    if (this.run && ACTIVE.includes(this.state)) {
      this.run.stop();
      this.setState('stopping');
      this.message('The file changed, so this run stopped. Restart trains the edited model.');
    } else if (this.state !== 'idle') this.message('The file changed since this run. Restart trains the edited model.');
    this.buttons.start.textContent = 'Restart';
  }

  /** Repaints statistics after the graph re-rendered. */
  rendered(): void {
    this.overlay.repaint();
  }

  dispose(): void {
    this.run?.stop();
    this.lossChart.dispose();
    this.accuracyChart.dispose();
    this.overlay.dispose();
    this.lesion.dispose();
    this.root.remove();
  }

  /** Tells the page what the run measured (a bubbling `training-report` event), for the answer panel's run findings. */
  private report(detail: TrainingReportDetail): void {
    this.root.dispatchEvent(new CustomEvent<TrainingReportDetail>('training-report', { detail, bubbles: true }));
  }

  private onEvent(event: RuntimeEvent, handle: RunHandle): void {
    // A run that was replaced still winds down; an ended run still answers experiments on its final weights.
    if (this.run !== handle && this.endedRun?.handle !== handle) return;
    if (isLandscapeEvent(event)) return this.landscape.onEvent(0, event);
    // Stop freezes the display at once; the step in flight (if any) finishes unseen and frees its tensors.
    if (this.state === 'stopping' && (event.type === 'progress' || event.type === 'statistics' || event.type === 'evaluation')) return;
    switch (event.type) {
      case 'backend':
        this.backend = event.backend;
        this.fields.backend.textContent = `backend: ${event.backend}${event.threads > 1 ? ` · ${event.threads} threads` : ''}`;
        this.fields.backend.title = event.skipped.length ? `Skipped: ${event.skipped.join('; ')}` : 'The first backend tried started.';
        this.root.dataset.backend = event.backend;
        break;
      case 'restarting':
        this.resetDisplay();
        this.notes(event.reason);
        break;
      case 'started':
        this.message('');
        if (handle instanceof HostRun) {
          // The host's engine names itself ("pytorch 1.13 · cpu · 2 threads"); the status bar shows it too.
          this.backend = event.backend.slice(0, 64);
          this.fields.backend.textContent = `engine: ${event.backend}`;
          this.fields.backend.title = 'PyTorch trains in a process of VS Code; this view shows its events.';
          this.root.dataset.backend = event.backend;
        }
        if (event.replicas > 1) {
          this.fields.backend.textContent = `backend: ${this.backend} · ${event.replicas} workers`;
          this.fields.backend.title += `\nEach batch is shared by ${event.replicas} workers (a core each); their gradients are summed before every update.`;
        }
        this.root.dataset.replicas = String(event.replicas);
        this.notes([`${event.params.toLocaleString('en-US')} parameters, ${event.totalSteps} steps of batch ${event.batch}`, ...(event.notes.length ? event.notes : ['the images fit the model input as they are'])].join(' · '));
        if (this.state === 'loading') this.setState('running');
        break;
      case 'progress':
        this.onProgress(event);
        break;
      case 'memory':
        this.root.dataset.tensors = String(event.tensors);
        this.root.dataset.tensorStep = String(event.step);
        break;
      case 'statistics':
        this.overlay.update(event.statistics.step, event.statistics);
        this.report({ statistics: event.statistics });
        break;
      case 'pathGradients':
        this.pathChart.update(event.step, event.residualAdds, event.lengths);
        break;
      case 'evaluation':
        this.report({ accuracy: event.accuracy });
        this.lossChart.append(1, event.step, event.loss);
        this.accuracyChart.append(1, event.step, event.accuracy);
        this.fields.accuracy.textContent = `held-out ${(event.accuracy * 100).toFixed(1)}%`;
        break;
      case 'paused':
        // The engine itself holds the run here (the bar says paused as soon as Pause is pressed; a step in flight
        // may still finish): tests and the tensor count read at this point.
        this.root.dataset.pausedStep = String(event.step);
        this.showProgress();
        this.setState('paused');
        this.landscape.setTargets([{ label: this.modelName || 'model', send: (action) => handle.landscape(action) }]);
        break;
      case 'resumed':
        this.landscape.setTargets(null);
        delete this.root.dataset.pausedStep;
        if (this.state === 'paused') this.setState('running');
        break;
      case 'finished': {
        const { result } = event;
        this.landscape.setTargets(null);
        if (result.reason !== 'non-finite' && result.steps > 0) {
          this.endedRun = { handle, step: result.steps };
          this.landscape.setTargets([{ label: this.modelName || 'model', send: (action) => handle.landscape(action) }], 'ended');
        }
        this.lossChart.draw();
        this.accuracyChart.draw();
        if (result.reason === 'non-finite') {
          this.fail(result.message ?? 'The loss went non-finite.');
          return;
        }
        const done = result.reason === 'done';
        this.showProgress();
        this.showFinalStep(result.steps, result.loss);
        this.setState(done ? 'done' : 'stopped');
        if (done) this.message(`Finished ${result.steps} steps${result.evaluation ? `: held-out accuracy ${(result.evaluation.accuracy * 100).toFixed(2)}%` : ''}.`);
        else if (!this.fields.message.textContent) this.message(`Stopped after ${result.steps} steps.`);
        this.options.post({ type: 'trainingEnded', reason: done ? 'finished' : 'stopped', message: this.fields.message.textContent ?? '' });
        break;
      }
      case 'error':
        this.fail(event.message);
        break;
      case 'lesion-progress':
        this.lesion.progress(event.done, event.total);
        break;
      case 'lesion':
        this.lesionRunning = false;
        this.root.dataset.lesionTensors = String(event.tensors);
        this.lesion.show([{ name: this.modelName, result: event.result }]);
        this.lesionAvailability(
          event.result.complete
            ? `Measured at step ${this.root.dataset.pausedStep ?? this.measurableEnd()?.step ?? '?'} on ${event.result.samples} held-out images. The no-skip ablation's curve: Compare, with "without skip connections" on one side.`
            : `Cancelled after ${event.result.evaluations} evaluations; the chart shows what was measured.`,
        );
        break;
      case 'lesion-failed':
        this.lesionRunning = false;
        this.lesionAvailability(event.message);
        break;
    }
    if (event.type === 'paused' || event.type === 'resumed' || event.type === 'finished' || event.type === 'error') this.lesionAvailability();
  }

  /** The blocks a lesion study of this run's model removes, for the cost shown before it starts. */
  private planLesion(run: TrainingRun): void {
    const analysis = analyze(run.text);
    const graph = analysis.models.find((m) => m.name === run.model) ?? (run.model ? undefined : analysis.models[0]);
    this.modelName = graph?.name ?? run.model;
    this.lesion.plan(graph ? lesionUnits(graph).length : 0, Infinity);
    this.lesion.clear();
  }

  /** The ended run whose final weights can be measured: only while the bar shows that run as done or stopped. */
  private measurableEnd(): { handle: RunHandle; step: number } | null {
    return this.state === 'done' || this.state === 'stopped' ? this.endedRun : null;
  }

  /** Measure is offered where the engine holds the run paused (its 'paused' event) or the run has ended with weights, and no study runs. */
  private lesionAvailability(message?: string): void {
    if (this.lesionRunning) return;
    const held = this.state === 'paused' && this.root.dataset.pausedStep !== undefined;
    const ended = this.measurableEnd();
    const why = held
      ? 'Measures the paused weights; Resume continues training afterwards.'
      : ended
        ? `Measures the weights the run ended with (step ${ended.step}).`
        : this.state === 'failed'
          ? 'The run failed: it left no weights to measure. Train again.'
          : NO_WEIGHTS_MESSAGE;
    this.lesion.setState(held || ended ? 'ready' : 'unavailable', message ?? why);
  }

  private onProgress(event: ProgressEvent): void {
    this.root.dataset.step = String(event.step);
    // The curves show a running mean (single batches are noisy); the text shows the batch itself.
    this.smoothedLoss = this.smoothedLoss === null ? event.loss : 0.9 * this.smoothedLoss + 0.1 * event.loss;
    this.smoothedAccuracy = this.smoothedAccuracy === null ? event.accuracy : 0.9 * this.smoothedAccuracy + 0.1 * event.accuracy;
    this.lossChart.append(0, event.step, this.smoothedLoss);
    this.accuracyChart.append(0, event.step, this.smoothedAccuracy);
    this.pendingProgress = event;
    const wait = PROGRESS_POST_MS - (performance.now() - this.lastPost);
    if (wait <= 0 || event.step === event.totalSteps) this.showProgress();
    // A run that slows down or stalls still shows its newest step within one interval.
    else this.progressTimer ??= setTimeout(() => this.showProgress(), wait);
  }

  /**
   * Shows the latest progress event in the row and sends the very same event to the status bar, so both read
   * one step and one loss; the row is throttled with the status bar and flushed where a run pauses or ends.
   */
  private showProgress(): void {
    clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    const event = this.pendingProgress;
    if (!event) return;
    this.pendingProgress = null;
    this.fields.epoch.textContent = `epoch ${event.epoch}/${event.epochs}`;
    this.fields.step.textContent = `step ${event.step}/${event.totalSteps}`;
    this.fields.speed.textContent = `${event.imagesPerSecond.toFixed(event.imagesPerSecond < 10 ? 1 : 0)} img/s`;
    this.fields.eta.textContent = `ETA ${formatDuration(event.etaSeconds)}`;
    this.fields.loss.textContent = `loss ${formatLoss(event.loss)}`;
    this.fields.accuracy.textContent = `acc ${(event.accuracy * 100).toFixed(1)}%`;
    this.root.dataset.shownStep = String(event.step);
    {
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
        backend: this.backend || 'unknown',
      };
      this.options.post({ type: 'trainingProgress', progress });
    }
  }

  /**
   * The row at the end of a run reads the `finished` event, as the message does: a step that was in flight when
   * Stop was pressed finishes unseen (its progress is dropped), yet it counts in `steps`.
   */
  private showFinalStep(steps: number, loss: number | null): void {
    const total = /\/(\d+)$/.exec(this.fields.step.textContent ?? '')?.[1];
    this.fields.step.textContent = total ? `step ${steps}/${total}` : `step ${steps}`;
    if (loss !== null) this.fields.loss.textContent = `loss ${formatLoss(loss)}`;
    this.root.dataset.step = String(steps);
    this.root.dataset.shownStep = String(steps);
  }

  private fail(message: string): void {
    this.endedRun = null;
    this.landscape.setTargets(null);
    this.setState('failed');
    this.message(message, true);
    this.options.post({ type: 'trainingEnded', reason: 'error', message });
  }

  private resetDisplay(): void {
    this.landscape.setTargets(null);
    this.landscape.clear();
    this.lossChart.clear();
    this.accuracyChart.clear();
    this.overlay.clear();
    this.pathChart.clear();
    this.smoothedLoss = null;
    this.smoothedAccuracy = null;
    this.pendingProgress = null;
    clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    // A new run's first progress shows at once, whenever the last run posted.
    this.lastPost = 0;
    for (const key of ['epoch', 'step', 'speed', 'eta', 'loss', 'accuracy', 'notes'] as const) this.fields[key].textContent = '';
    delete this.root.dataset.step;
    delete this.root.dataset.shownStep;
    delete this.root.dataset.tensors;
    delete this.root.dataset.tensorStep;
    delete this.root.dataset.pausedStep;
    delete this.root.dataset.replicas;
  }

  private message(text: string, error = false): void {
    this.fields.message.textContent = text;
    this.fields.message.classList.toggle('error', error);
  }

  private notes(text: string): void {
    this.fields.notes.textContent = text;
  }

  private setState(state: TrainingState): void {
    this.state = state;
    this.root.dataset.state = state;
    const active = ACTIVE.includes(state);
    const toggle = (el: HTMLElement, enabled: boolean) => (enabled ? el.removeAttribute('disabled') : el.setAttribute('disabled', ''));
    toggle(this.buttons.start, !active);
    toggle(this.buttons.pause, state === 'running' || state === 'loading');
    toggle(this.buttons.resume, state === 'paused');
    toggle(this.buttons.stop, active && state !== 'stopping');
    // Speed and time left describe a run in progress; a finished, stopped or failed run has neither.
    if (!active) for (const key of ['speed', 'eta'] as const) this.fields[key].textContent = '';
    if (!active && this.buttons.start.textContent !== 'Restart') this.buttons.start.textContent = state === 'idle' ? 'Train' : 'Train again';
    if (state === 'loading') this.buttons.start.textContent = 'Train';
  }
}
