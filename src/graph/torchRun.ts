/**
 * Host side of "Train here" on the PyTorch engine, for one graph panel: chooses the engine (skipnet.train.engine,
 * the workspace's trust, the Python found), runs the user's PyTorch in a child process of the extension host
 * (src/train/pytorch, its own process group) and streams the runner's events to the webview as `trainingEvent`
 * lines, where the training bar shows them as it shows the browser engine's. Pause, resume and stop go to the
 * runner at once; closing the panel, editing the file and deactivating the extension end the process group.
 * It also remembers each engine's measured images/s per model (workspaceState) for the bar's speed note.
 *
 * Python is the Python extension's active interpreter for the file when that extension is installed (through its
 * typed API, @vscode/python-extension), then skipnet.python, then python3 / python on PATH. A Python found is kept
 * until the setting or the Python extension's active interpreter changes (importing torch takes seconds). Nothing
 * is ever installed.
 */
import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import type { Analysis, ModelGraph } from '../core';
import type { TrainingEngineChoice, TrainingEngineInfo } from '../protocol';
import { PyTorchTraining, type PyTorchTrainingOptions } from '../train/pytorch/runner';
import type { RunnerEvent, RunnerExperimentCommand } from '../train/pytorch/protocol';
import type { CifarFiles } from '../train/cifar';
import { chooseEngine, discoverPython, type EngineDecision, type EngineSetting, ENGINE_SETTINGS, type MeasuredSpeeds, type PythonDiscovery, speedNote } from '../train/pytorch/discover';

const SPEEDS_KEY = 'skipnet.train.measuredSpeeds';

/** The Python extension's interpreter for `resource`; undefined when the extension is absent or answers nothing. */
export async function activeInterpreter(resource: vscode.Uri): Promise<string | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  const api = await PythonExtension.api();
  const active = api.environments.getActiveEnvironmentPath(resource);
  const resolved = await api.environments.resolveEnvironment(active);
  return resolved?.executable.uri?.fsPath ?? active.path;
}

/** skipnet.python for `resource` ('' when unset). In an untrusted workspace only the user's own value counts (restrictedConfigurations). */
export function pythonSetting(resource: vscode.Uri): string {
  const value = vscode.workspace.getConfiguration('skipnet', resource).get<string>('python', '');
  return typeof value === 'string' ? value : '';
}

const cache = new Map<string, Promise<PythonDiscovery>>();

/** What discovery finds for a file (cached per active interpreter and setting; see the file's comment). */
export async function findTorch(resource: vscode.Uri): Promise<PythonDiscovery> {
  let active: string | undefined;
  try {
    active = await activeInterpreter(resource);
  } catch {
    active = undefined; // an extension that fails to answer is treated as absent
  }
  const setting = pythonSetting(resource);
  const key = JSON.stringify([active ?? null, setting]);
  let found = cache.get(key);
  if (!found) {
    found = discoverPython({ activeInterpreter: async () => active, setting });
    cache.set(key, found);
    // Nothing found is not kept: PyTorch installed meanwhile is seen at the next run, without a reload.
    void found.then((answer) => answer.found === null && cache.delete(key));
  }
  return found;
}

/** skipnet.train.engine for a document ('browser' when unset or not one of the choices). */
export function engineSetting(resource: vscode.Uri): EngineSetting {
  const value = vscode.workspace.getConfiguration('skipnet.train', resource).get<string>('engine', 'browser');
  return (ENGINE_SETTINGS as readonly string[]).includes(value) ? (value as EngineSetting) : 'browser';
}

/**
 * The engine a run of this document uses: the view's choice, else the setting. Python is looked for (in a trusted
 * workspace only) unless the browser is asked for; then only when `forSpeed` (a past PyTorch run of the model
 * makes a speed note possible), so that a browser user without PyTorch never waits for a probe.
 */
export async function decideEngine(resource: vscode.Uri, choice: TrainingEngineChoice | null, forSpeed: boolean): Promise<EngineDecision> {
  const setting = choice ?? engineSetting(resource);
  const trusted = vscode.workspace.isTrusted;
  const discovery = trusted && (setting !== 'browser' || forSpeed) ? await findTorch(resource) : null;
  return chooseEngine(setting, trusted, discovery);
}

export interface TorchRunHostOptions {
  documentUri: vscode.Uri;
  /** Posts one runner event (a JSON line) of run `run` to the webview. */
  postEvent(run: number, line: string): void;
  log: vscode.LogOutputChannel;
  /** Where measured speeds are kept (the extension's workspaceState); none: no speed notes. */
  state?: vscode.Memento;
  /** How the log names this host's runs ("graph", "compare side A"); default "graph". */
  logName?: string;
}

/** What a PyTorch run of the graph view starts with: its id, the model, the engine decision and one data source. */
export interface TorchStartOptions {
  id: number;
  analysis: Analysis;
  graph: ModelGraph;
  /** The no-skip ablation (Compare's side with it on): `analysis` and `graph` are withoutSkipConnections(text)'s. */
  withoutSkips?: boolean;
  decision: Extract<EngineDecision, { engine: 'pytorch' }>;
  datasetFile?: string;
  /** What messages call datasetFile's data (a folder a Train both pair decoded once to a file). */
  datasetName?: string;
  datasetBytes?: { name: string; bytes: Uint8Array };
  cifar?: CifarFiles;
  /** Processes sharing each batch (skipnet.train.processes). */
  nproc?: number;
  statsInterval: number;
  /** PyTorch CPU threads (default one per core); Train both gives each side its share. */
  threads?: number;
  /** Overrides of the model's train section (Train both: side A's, for both sides). */
  config?: PyTorchTrainingOptions['config'];
}

/** One panel's PyTorch runs (at most one at a time) and the speed records of its models. */
export class TorchRunHost implements vscode.Disposable {
  private run: PyTorchTraining | null = null;
  private closed = false;
  /** Set while a run is starting (files written, the runner spawned); a pause or stop that comes then applies once it runs. */
  private starting: { stop: boolean; paused: boolean } | null = null;
  private lastId = 0;
  /** The id of the run starting or running (controls for another id are about a run that has ended). */
  private currentId = 0;

  constructor(private readonly options: TorchRunHostOptions) {}

  /** True while a PyTorch run's process group is alive. */
  get active(): boolean {
    return this.run?.running ?? false;
  }

  /** The runner's process id (its process group's id) while a run is alive. */
  get pid(): number | undefined {
    return this.active ? this.run!.pid : undefined;
  }

  /** The bar's line for `decision`, with the speed note of this model. */
  info(decision: EngineDecision, model: string): TrainingEngineInfo {
    if (decision.engine === 'none') return { engine: 'none', reason: decision.message, speed: null };
    return { engine: decision.engine, reason: decision.reason, speed: speedNote(decision, this.speeds(model)) };
  }

  /** Records the latest images/s an engine reached on a model. */
  recordSpeed(model: string, engine: 'browser' | 'pytorch', imagesPerSecond: number): void {
    const state = this.options.state;
    if (!state || !(imagesPerSecond > 0)) return;
    const all = { ...state.get<Record<string, MeasuredSpeeds>>(SPEEDS_KEY, {}) };
    all[this.speedKey(model)] = { ...all[this.speedKey(model)], [engine]: imagesPerSecond };
    void state.update(SPEEDS_KEY, all);
  }

  /** Whether PyTorch has trained this model before (its speed is known), so a speed note can be made. */
  knowsTorchSpeed(model: string): boolean {
    return (this.speeds(model)?.pytorch ?? 0) > 0;
  }

  private speeds(model: string): MeasuredSpeeds | undefined {
    return this.options.state?.get<Record<string, MeasuredSpeeds>>(SPEEDS_KEY, {})[this.speedKey(model)];
  }

  private speedKey(model: string): string {
    return `${this.options.documentUri.toString()}#${model}`;
  }

  /**
   * A data folder run: the page decodes the folder's images as the browser engine does and answers with `trainingData`
   * (receiveData), which starts run `options.id` on those bytes, named `name` in messages. Ends a run in progress.
   */
  expectData(options: Omit<TorchStartOptions, 'datasetFile' | 'datasetBytes' | 'cifar'>, name: string): void {
    this.kill();
    this.currentId = options.id;
    this.awaiting = { options, name, paused: false };
  }

  /** The decoded folder (SKND bytes, base64) of run `id`; data of a run no longer awaited (stopped, replaced) is dropped. */
  async receiveData(id: number, base64: string): Promise<void> {
    await this.startAwaited(id, (name) => ({ datasetBytes: { name, bytes: Buffer.from(base64, 'base64') } }));
  }

  /**
   * The decoded folder of run `id` as an SKND file that another run reads too (Compare's Train both decodes the folder
   * once for its two runners, src/compare/torchPair.ts); ignored, as receiveData, when run `id` no longer awaits it.
   */
  async receiveDataFile(id: number, file: string): Promise<void> {
    await this.startAwaited(id, (name) => ({ datasetFile: file, datasetName: name }));
  }

  private async startAwaited(id: number, data: (name: string) => Pick<TorchStartOptions, 'datasetFile' | 'datasetName' | 'datasetBytes'>): Promise<void> {
    const awaiting = this.awaiting;
    if (!awaiting || awaiting.options.id !== id) return;
    this.awaiting = null;
    const started = this.start({ ...awaiting.options, ...data(awaiting.name) });
    // start() has marked the run as starting before its first await: a pause that came while decoding applies once it runs.
    if (awaiting.paused && this.starting) this.starting.paused = true;
    await started;
  }

  /** The id of the next run (the webview's startTraining carries it; its events name it). */
  nextRunId(): number {
    return ++this.lastId;
  }

  /**
   * Starts training `graph` on the decision's Python (ending a run in progress first). The webview learns everything
   * from the events of run `id`: a refusal before the runner starts (a model PyTorch cannot export) arrives as one
   * `error`; a run ended by dispose (an edit, a new run) still gets its `finished`.
   */
  async start(options: TorchStartOptions): Promise<void> {
    this.kill();
    const id = (this.currentId = options.id);
    const starting = (this.starting = { stop: false, paused: false });
    let run: PyTorchTraining;
    try {
      run = await PyTorchTraining.start({
        analysis: options.analysis,
        graph: options.graph,
        withoutSkips: options.withoutSkips,
        sourceName: this.options.documentUri.path.split('/').pop(),
        datasetFile: options.datasetFile,
        datasetName: options.datasetName,
        datasetBytes: options.datasetBytes,
        cifar: options.cifar,
        nproc: options.nproc,
        statsInterval: options.statsInterval,
        threads: options.threads,
        config: options.config,
        // The graph view and Compare draw the gradient by path length, as they ask the browser engine's runs for it.
        pathGradients: true,
        python: options.decision.python,
        // The runner stays with its final weights for the experiments until the next run, an edit or the panel's end.
        keepWeights: true,
        onEvent: (event) => this.forward(id, event),
      });
    } catch (error) {
      if (this.starting === starting) this.starting = null;
      this.send(id, { type: 'error', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (this.starting !== starting || this.closed) {
      // Replaced, closed or edited while starting: this run ends before it trains.
      run.dispose();
      this.send(id, { type: 'finished', result: { reason: 'stopped', steps: 0, loss: null } });
      return;
    }
    this.starting = null;
    this.run = run;
    if (starting.stop) run.stop();
    else if (starting.paused) run.pause();
    this.options.log.info(`${this.options.logName ?? 'graph'}: PyTorch run of ${options.graph.name} started (pid ${run.pid}, ${run.python.executable || run.python.command})`);
    run.result.then(
      (result) => {
        // After dispose (an edit, a closed panel) the runner says nothing more: the bar still needs the end.
        if (!this.disposedRuns.has(run)) return;
        const why = this.disposedRuns.get(run);
        this.send(id, { type: 'finished', result: why ? { ...result, message: why } : result });
      },
      (error: unknown) => this.send(id, { type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** Runs ended by dispose while alive, with the sentence their `finished` event carries as `message` ('' for none). */
  private readonly disposedRuns = new WeakMap<PyTorchTraining, string>();
  /** A folder run waiting for the page's decoded images (expectData). */
  private awaiting: { options: Omit<TorchStartOptions, 'datasetFile' | 'datasetBytes' | 'cifar'>; name: string; paused: boolean } | null = null;

  private forward(id: number, event: RunnerEvent): void {
    // Errors are sent once, from the rejected result: its message carries the last lines of stderr.
    if (event.type !== 'error') this.send(id, event);
  }

  private send(id: number, event: RunnerEvent): void {
    if (!this.closed) this.options.postEvent(id, JSON.stringify(event));
  }

  /** Pause, resume or stop run `id` at once (the runner obeys at its next step boundary); other ids are ignored. */
  control(id: number, action: 'pause' | 'resume' | 'stop'): void {
    if (id !== this.currentId) return;
    if (this.awaiting) {
      if (action === 'stop') return this.kill();
      this.awaiting.paused = action === 'pause';
      return;
    }
    if (this.starting) {
      if (action === 'stop') this.starting.stop = true;
      else this.starting.paused = action === 'pause';
    }
    if (this.active) this.run![action]();
  }

  /** An experiment (or its cancel) on run `id`'s paused or final weights, written to its runner; other ids are ignored. */
  experiment(id: number, command: RunnerExperimentCommand): void {
    if (id !== this.currentId) return;
    if (this.active) return this.run!.experiment(command);
    // No runner holds weights any more (it failed, or was ended): the panel must not wait for an answer.
    const why = 'The PyTorch runner of this run has ended, so its weights are gone: train again, then measure.';
    if (command.command === 'lesion') this.send(id, { type: 'lesion-failed', message: why });
    else if (command.command === 'landscape') this.send(id, { type: 'landscape-ended', reason: 'failed', message: why });
  }

  /** The file changed: the run trains old text, so its process group ends now; `why` goes with its `finished` event as `message`. */
  documentEdited(why = ''): void {
    this.kill(why);
  }

  private kill(why = ''): void {
    // A folder run still decoding never started: its end is said here.
    if (this.awaiting) this.send(this.awaiting.options.id, { type: 'finished', result: { reason: 'stopped', steps: 0, loss: null } });
    this.awaiting = null;
    this.starting = null;
    const run = this.run;
    if (!run) return;
    this.run = null;
    if (run.running) this.disposedRuns.set(run, why);
    run.dispose();
  }

  dispose(): void {
    this.closed = true;
    this.kill();
  }
}
