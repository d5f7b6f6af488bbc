/**
 * The graph view's training bar: Train / Pause / Resume / Stop, the backend (chosen and in use), progress
 * (epoch, step, images/s, ETA), loss and accuracy curves, input-adaptation notes, errors, and the
 * statistics overlay on the graph. Starting goes through the host (`trainingRequest` → `startTraining`,
 * which carries the file's text, the settings and the data); the runtime (train.js, TensorFlow.js) is
 * loaded on the first run. Progress goes back to the host for the status bar. The row's elements and the
 * progress feed (fields, curves, status bar) live in progress-row.ts; this file keeps the run lifecycle.
 */
import type { TrainingBackendChoice, TrainingEngineChoice, TrainingEngineInfo, TrainingRun, WebviewToHost } from '../../src/protocol/messages';
import type { TrainingStatistics } from '../../src/train/stats';
import type { Rendering } from '../shared/render';
import { LineChart } from './charts';
import { folderDataForHost } from './folder-dataset';
import { HostRun } from './host-run';
import { button, buildControls, type ButtonName, type FieldName, ProgressFeed, span } from './progress-row';
import { PathGradientChart } from './path-chart';
import type { RunHandle, RunOptions, RuntimeEvent, TrainingRuntime } from './runtime-api';
import { StatisticsOverlay } from '../statistics/overlay';
import { loadRuntime, startReplicated } from './runtime-loader';
import { LesionPanel } from './lesion-panel';
import { analyze } from '../../src/core/analyze';
import { lesionUnits, NO_WEIGHTS_MESSAGE } from '../../src/train/experiments/lesionPlan';
import { isLandscapeEvent, LandscapePanel } from './landscape-panel';
import { pluralize } from '../../src/core/format';

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

/**
 * Most training workers a run uses on a CPU backend: each holds its own copy of the model and optimizer,
 * and the gain per worker shrinks as the slices get small.
 */
export const MAX_TRAINING_WORKERS = 4;

const ACTIVE: readonly TrainingState[] = ['requested', 'loading', 'running', 'paused', 'stopping'];


export class TrainingUi {
  readonly root: HTMLElement;
  private state: TrainingState = 'idle';
  private run: RunHandle | null = null;
  /** The last run that ended normally (finished or stopped after a step), whose worker keeps its final weights. */
  private endedRun: { handle: RunHandle; step: number } | null = null;
  private runVersion = -1;
  private backend = '';
  private readonly buttons: Record<ButtonName, HTMLElement>;
  private readonly backendSelect: HTMLSelectElement;
  private readonly engineSelect: HTMLSelectElement;
  private readonly engineInfo: HTMLElement;
  private readonly useBrowser: HTMLElement;
  /** Runs the host trains (PyTorch), by id, from their startTraining until their end (a replaced one still winds down). */
  private readonly hostRuns = new Map<number, HostRun>();
  private readonly fields: Record<FieldName, HTMLElement>;
  private readonly feed: ProgressFeed;
  private readonly lossChart: LineChart;
  private readonly pathChart: PathGradientChart;
  private readonly accuracyChart: LineChart;
  /** The run's data set has a class per pixel: accuracies are pixel accuracies. */
  private perPixel = false;
  readonly overlay: StatisticsOverlay;
  private readonly lesion: LesionPanel;
  private lesionRunning = false;
  readonly landscape: LandscapePanel;
  private modelName = '';

  constructor(private readonly options: TrainingUiOptions) {
    const root = (this.root = document.createElement('div'));
    root.id = 'training';
    root.setAttribute('aria-label', 'Training');
    options.parent.appendChild(root);
    ({ buttons: this.buttons, backendSelect: this.backendSelect, engineSelect: this.engineSelect, fields: this.fields } = buildControls(root));
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
    this.feed = new ProgressFeed({ root, fields: this.fields, lossChart: this.lossChart, accuracyChart: this.accuracyChart, post: (message) => options.post(message), backend: () => this.backend, perPixel: () => this.perPixel });
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
    if (host) return this.startHosted(host, run);
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

  private startHosted(host: HostRun, run: TrainingRun): void {
    this.message(run.dataset.kind === 'folder' ? 'Decoding the folder\'s images for PyTorch…' : 'Starting PyTorch…');
    // PyTorch trains on the pixels this page decodes (as the browser engine would); a folder that fails ends the run here.
    if (run.dataset.kind === 'folder') {
      void folderDataForHost(run).then(
        (data) => this.options.post({ type: 'trainingData', run: host.id, data }),
        (error: unknown) => {
          host.receive(JSON.stringify({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
          this.options.post({ type: 'trainingControl', run: host.id, action: 'stop' });
        },
      );
    }
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
        this.perPixel = event.perPixel === true;
        this.accuracyChart.retitle(this.perPixel ? 'pixel accuracy' : 'accuracy');
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
        this.notes([`${event.params.toLocaleString('en-US')} parameters, ${event.totalSteps} ${pluralize(event.totalSteps, 'step')} of batch ${event.batch}`, ...(event.notes.length ? event.notes : ['the images fit the model input as they are'])].join(' · '));
        if (this.state === 'loading') this.setState('running');
        break;
      case 'progress':
        this.feed.progress(event);
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
        this.fields.accuracy.textContent = `held-out ${this.perPixel ? 'pixel accuracy ' : ''}${(event.accuracy * 100).toFixed(1)}%`;
        break;
      case 'paused':
        // The engine itself holds the run here (the bar says paused as soon as Pause is pressed; a step in flight
        // may still finish): tests and the tensor count read at this point.
        this.root.dataset.pausedStep = String(event.step);
        this.feed.flush();
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
        this.feed.flush();
        this.feed.finalStep(result.steps, result.loss);
        this.setState(done ? 'done' : 'stopped');
        if (done) this.message(`Finished ${result.steps} ${pluralize(result.steps, 'step')}${result.evaluation ? `: held-out ${this.perPixel ? 'pixel ' : ''}accuracy ${(result.evaluation.accuracy * 100).toFixed(2)}%` : ''}.`);
        else if (!this.fields.message.textContent) this.message(`Stopped after ${result.steps} ${pluralize(result.steps, 'step')}.`);
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
            : `Cancelled after ${event.result.evaluations} ${pluralize(event.result.evaluations, 'evaluation')}; the chart shows what was measured.`,
        );
        break;
      case 'lesion-failed':
        this.lesionRunning = false;
        this.lesionAvailability(event.message);
        break;
    }
    if (event.type === 'paused' || event.type === 'resumed' || event.type === 'finished' || event.type === 'error') this.lesionAvailability();
  }

  /** The units a lesion study of this run's model removes (their kinds name them), for the cost shown before it starts. */
  private planLesion(run: TrainingRun): void {
    const analysis = analyze(run.text);
    const graph = analysis.models.find((m) => m.name === run.model) ?? (run.model ? undefined : analysis.models[0]);
    this.modelName = graph?.name ?? run.model;
    this.lesion.plan([graph ? lesionUnits(graph).map((u) => u.kind) : []], Infinity);
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
    this.feed.reset();
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
