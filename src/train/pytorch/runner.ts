import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Analysis } from '../../core/analyze';
import type { ModelGraph, TrainingConfig } from '../../core/graph';
import { exportPyTorch } from '../../export/pytorch';
import type { TrainResult } from '../engine';
import { readCifar, type CifarFiles } from '../cifar';
import { checkDataFits, checkTrainable, datasetForTraining, parseDataset, type ImageDataset } from '../dataset';
import { TrainError } from '../errors';
import { initialParameters } from '../init';
import { DEFAULT_EVALS_PER_EPOCH, DEFAULT_QUICK_EVAL_SAMPLES, DEFAULT_STATS_INTERVAL } from '../schedule';
import { torchAlgebraPlan, torchPathPlan, type PathGradientSettings } from './algebraPlan';
import { torchExperimentPlan, torchStatisticsPlan } from './mergePlan';
import { commandLine, parseRunnerLine, type RunnerCommand, type RunnerEvent, type RunnerExperimentCommand } from './protocol';
import { findPython, type PythonWithTorch } from './python';
import { modulePath, packTensors, torchTensors, type SkipNetWeight, type TorchTensor } from './weights';

/**
 * The PyTorch engine's Node side: trains a model on the user's own PyTorch through python/skipnet_train.py, with
 * the TensorFlow.js engine's events and controls. No vscode and no tfjs: the CLI and the extension host use it
 * as it is. The runner runs in its own process group; stop, dispose, a crash or this process exiting end the
 * whole group, so no Python process outlives the run.
 */

/** Where PyTorch computes: 'auto' is CUDA when available, then MPS, else the CPU with a thread per core. */
export type TorchDevice = 'auto' | 'cpu' | 'cuda' | 'mps';

export interface PyTorchTrainingOptions {
  /** The analysis of the file holding the model (the export is written from its syntax). */
  analysis: Analysis;
  graph: ModelGraph;
  /**
   * Train the no-skip ablation: `analysis` and `graph` are then withoutSkipConnections(text)'s, and the runner trains
   * the export of the ablation (exportPyTorch's withoutSkips), with the core's ablation parameter count and names.
   */
  withoutSkips?: boolean;
  /** The file's name, written into the exported module's docstring. */
  sourceName?: string;
  /** A SkipNet data file (scripts/data/convert.mjs's format, e.g. media/data/mnist.bin), read on both sides; or give `cifar`. */
  datasetFile?: string;
  /** What messages call datasetFile's data set (e.g. "folder 'shapes'" for a folder decoded to a file); default: the file's name without .bin. */
  datasetName?: string;
  /**
   * A data set given as SKND bytes (e.g. an image folder the graph view decoded, src/train/dataset.ts encodeDataset)
   * and the name its messages use ("folder 'shapes'"); written to the run's folder for the runner. Instead of datasetFile.
   */
  datasetBytes?: { name: string; bytes: Uint8Array };
  /** CIFAR files found by locateCifar (instead of datasetFile): read here for the checks and by python/skipnet_cifar.py for training. */
  cifar?: CifarFiles;
  /**
   * Processes that share every batch (default 1): torchrun --nproc_per_node N where it works, else
   * torch.multiprocessing.spawn under the same environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT);
   * DistributedDataParallel with gloo on the CPU, NCCL on GPUs; batch norm over the whole batch. See docs/engines.md.
   */
  nproc?: number;
  /** Write the run's files (config.json, model.py, weights.bin) here and keep them, e.g. for a cluster's own torchrun; default: a temporary folder, deleted at the end. */
  runDir?: string;
  /** Overrides of the model's train section (e.g. from CLI flags), as for the TensorFlow.js engine. */
  config?: Partial<Omit<TrainingConfig, 'dataset'>>;
  /** Stop after this many steps in total (default: epochs × steps per epoch). */
  maxSteps?: number;
  /** Steps between statistics events; 0 turns them off (default 25). */
  statsInterval?: number;
  /**
   * Send `pathGradients` events: the gradient at the input by path length (Veit et al. 2016, §4.2) after the first
   * step and every PATH_GRADIENT_INTERVAL steps, as the browser engine's graph view measures it (default false).
   * An object turns them on with its own schedule and sizes instead of the graph view's (e.g. bench/veitPaths.bench.ts
   * measures ResNet-110 on more images and paths per length).
   */
  pathGradients?: boolean | PathGradientSettings;
  /** Held-out images evaluated at each epoch end (default: all). */
  evalSamples?: number;
  /** Held-out points per epoch, the epoch end included (default 4; 1 = epoch ends only). */
  evalsPerEpoch?: number;
  /** Held-out images in a check between epoch ends (default 256). */
  quickEvalSamples?: number;
  /** Start from these values (SkipNet names and tfjs layouts, as TrainingEngine's initialWeights) instead of the seeded initialisation. */
  initialWeights?: Readonly<Record<string, ArrayLike<number>>>;
  /** An interpreter path (only it is tried), or one findPython already answered; default: python3, then python, on PATH. */
  python?: string | PythonWithTorch;
  device?: TorchDevice;
  /** CPU threads PyTorch computes with (torch.set_num_threads) when it trains on the CPU; default one per core. Two runs at once (Compare's Train both) split the cores. */
  threads?: number;
  onEvent?: (event: RunnerEvent) => void;
  /** python/skipnet_train.py (default: found above this bundle's folder). */
  runnerScript?: string;
  /**
   * Keep the runner alive after the run ends, with its final weights, for experiments (`experiment`) until
   * quit() or dispose(); `result` then resolves at the `finished` event, `running` stays true until the process exits.
   */
  keepWeights?: boolean;
  /** Milliseconds stop() waits for the next step boundary before ending the process group (default 1500, as the graph view). */
  stopGraceMs?: number;
}

const STDERR_LINES = 30;
const live = new Set<PyTorchTraining>();
let exitGuard = false;

/** Ends a process group (the runner and anything it started); nothing when it is gone already. */
function killGroup(pid: number): void {
  if (process.platform === 'win32') {
    spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { windowsHide: true });
    return;
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: every process of the group has exited.
  }
}

/** The runner script nearest above `start`: python/skipnet_train.py at the extension's or the checkout's root. */
export function findRunnerScript(start: string = __dirname): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, 'python', 'skipnet_train.py');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new TrainError('The PyTorch runner (python/skipnet_train.py) is missing from this installation.', 'backend');
  }
}

/** The weights the run starts from, in PyTorch's layouts; a note when PyTorch's own initialisation is used instead. */
function startingWeights(graph: ModelGraph, seed: number, given: PyTorchTrainingOptions['initialWeights']): { tensors: TorchTensor[]; note?: string } {
  const seeded: SkipNetWeight[] = initialParameters(graph, seed);
  const byName = new Map(seeded.map((w) => [w.name, w]));
  for (const [name, values] of Object.entries(given ?? {})) {
    const running = /^(.*)\/running_(mean|var)$/.exec(name);
    const channels = running ? graph.nodeById.get(running[1])?.shape?.at(-1) : undefined;
    const shape = byName.get(name)?.shape ?? (running && graph.nodeById.get(running[1])?.kind === 'bn' && channels !== undefined ? [channels] : undefined);
    if (!shape) throw new TrainError(`No parameter named ${name} in model ${graph.name}.`, 'unsupported');
    byName.set(name, { name, shape, values });
  }
  try {
    return { tensors: torchTensors(graph, [...byName.values()]) };
  } catch (error) {
    if (given || !(error instanceof TrainError)) throw error;
    return { tensors: [], note: `PyTorch's own initialisation (seed ${seed}): ${error.message}` };
  }
}

/** The run's data set, read here for the checks, and how the runner reads it: an SKND file or the CIFAR files. */
function readRunData(options: PyTorchTrainingOptions): { dataset: ImageDataset; source: Record<string, unknown>; bytes?: Uint8Array } {
  if (options.datasetBytes) {
    const { name, bytes } = options.datasetBytes;
    // The path is the run folder's copy, written with the run's other files.
    return { dataset: parseDataset(name, bytes), source: { path: '', name }, bytes };
  }
  if (options.cifar) {
    const files = options.cifar;
    const dataset = readCifar(files);
    return { dataset, source: { kind: 'cifar', name: files.name, format: files.format, train: files.train, test: files.test, classes: dataset.classes } };
  }
  const file = options.datasetFile;
  if (file === undefined) throw new TrainError('No data set was given to the PyTorch engine (datasetFile, datasetBytes or cifar).', 'data');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new TrainError(`Data set file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, 'data');
  }
  const name = options.datasetName ?? basename(file).replace(/\.bin$/, '');
  return { dataset: parseDataset(name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), source: { path: resolve(file), name } };
}

/** One training run in PyTorch. Create with `PyTorchTraining.start`; events arrive through `onEvent`. */
export class PyTorchTraining {
  /** Resolves when the runner has exited: done, stopped (also after dispose) or non-finite; rejects with a TrainError on an error or a crash. */
  readonly result: Promise<TrainResult>;
  /** Resolves when the runner's process has exited (with `keepWeights`, after quit() or dispose()). */
  readonly exited: Promise<void>;
  private markExited!: () => void;
  private settle!: { resolve: (result: TrainResult) => void; reject: (error: Error) => void };
  private readonly stderr: string[] = [];
  private finished: TrainResult | undefined;
  private failure: string | undefined;
  private ended = false;
  private disposed = false;
  private killedForStop = false;
  private stopTimer: NodeJS.Timeout | undefined;
  private lastStep = 0;
  private lastLoss: number | null = null;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
    private readonly options: PyTorchTrainingOptions,
    readonly python: PythonWithTorch,
  ) {
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // The promise may be dropped by a caller that only listens to events; its rejection is not an unhandled one.
    this.result.catch(() => undefined);
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    child.stdin.on('error', () => undefined); // EPIPE once the runner has gone: commands then have nothing to reach
    // A failed kill or pipe is reported with the exit ('close' still follows); unhandled, it would end this process.
    child.on('error', (error) => this.stderr.push(`(${error.message})`));
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > STDERR_LINES) this.stderr.shift();
    });
    child.on('exit', () => {
      // Anything the runner started dies with it; the pipes it held then close, and 'close' settles the run.
      killGroup(child.pid!);
      clearTimeout(this.stopTimer);
      // A process that left the group (setsid) could hold the pipes open for ever: close them ourselves.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 2000).unref();
    });
    child.on('close', (code, signal) => this.onClose(code, signal));
    live.add(this);
    if (!exitGuard) {
      exitGuard = true;
      process.on('exit', () => {
        for (const run of live) killGroup(run.pid);
      });
    }
  }

  /**
   * Checks the model and data (as the TensorFlow.js engine does), finds Python with PyTorch, writes the export,
   * its starting weights and the run's settings to a temporary folder, and starts the runner. Throws a TrainError
   * for anything that stops the run from starting: untrainable model or data, a failed export, no usable PyTorch.
   */
  static async start(options: PyTorchTrainingOptions): Promise<PyTorchTraining> {
    const { graph } = options;
    const config = { ...graph.training, ...options.config };
    checkTrainable(graph, config);
    const read = readRunData(options);
    const dataset = datasetForTraining(read.dataset, graph.training.dataset, config.seed);
    const { source } = read;
    const datasetName = dataset.name;
    const nproc = options.nproc ?? 1;
    if (!Number.isInteger(nproc) || nproc < 1) throw new TrainError(`nproc must be a whole number ≥ 1, not ${nproc}.`, 'unsupported');
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) throw new TrainError(`threads must be a whole number ≥ 1, not ${options.threads}.`, 'unsupported');
    if (nproc > config.batch) throw new TrainError(`${nproc} processes cannot share a batch of ${config.batch}: each needs at least one image.`, 'unsupported');
    const adapter = checkDataFits(graph, dataset);
    if (dataset.test.count < 1) throw new TrainError(`Data set ${datasetName} has no held-out images to evaluate on.`, 'data');
    const paths = typeof options.pathGradients === 'object' ? options.pathGradients : {};
    for (const [name, value] of [['maxSteps', options.maxSteps], ['evalSamples', options.evalSamples], ['quickEvalSamples', options.quickEvalSamples], ['evalsPerEpoch', options.evalsPerEpoch], ['pathGradients.interval', paths.interval], ['pathGradients.images', paths.images], ['pathGradients.samples', paths.samples]] as const) {
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new TrainError(`${name} must be a whole number ≥ 1, not ${value}.`, 'unsupported');
    }
    const exported = exportPyTorch(options.analysis, graph, options.sourceName ?? `${graph.name}.skipnet`, { withoutSkips: options.withoutSkips });
    if (!exported.ok) throw new TrainError(`Model ${graph.name} cannot be exported to PyTorch: ${exported.problems.map((p) => p.message).join(' ')}`, 'unsupported');
    const weights = startingWeights(graph, config.seed, options.initialWeights);
    const python = typeof options.python === 'object' ? options.python : await findPython({ python: options.python });
    const script = options.runnerScript ?? findRunnerScript();

    const dir = options.runDir !== undefined ? resolve(options.runDir) : mkdtempSync(join(tmpdir(), 'skipnet-torch-'));
    if (options.runDir !== undefined) mkdirSync(dir, { recursive: true });
    const packed = packTensors(weights.tensors);
    const output = graph.nodeById.get(graph.output)!;
    const runConfig = {
      module: join(dir, 'model.py'),
      className: exported.className,
      dataset: source,
      nproc,
      adapter: { flatten: adapter.flatten, height: adapter.modelShape[0], width: adapter.modelShape[1], channels: adapter.modelShape[2], padTop: adapter.padTop, padLeft: adapter.padLeft, mean: adapter.mean, std: adapter.std, segmentation: dataset.segmentation?.threshold ?? null, pairs: dataset.pairs === true },
      training: { epochs: config.epochs, batch: config.batch, optimizer: config.optimizer, lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay, seed: config.seed },
      maxSteps: options.maxSteps ?? null,
      statsInterval: options.statsInterval ?? DEFAULT_STATS_INTERVAL,
      evalSamples: options.evalSamples ?? null,
      evalsPerEpoch: options.evalsPerEpoch ?? DEFAULT_EVALS_PER_EPOCH,
      quickEvalSamples: options.quickEvalSamples ?? DEFAULT_QUICK_EVAL_SAMPLES,
      nodes: graph.nodes.map((n) => ({ id: n.id, kind: n.kind, view: n.view, module: ['input', 'add', 'concat'].includes(n.kind) ? null : modulePath(n.sharedWith ?? n.id) })),
      softmaxModule: output.kind === 'softmax' ? modulePath(output.id) : null,
      statisticsPlan: torchStatisticsPlan(graph),
      algebraPlan: torchAlgebraPlan(graph),
      pathPlan: options.pathGradients ? torchPathPlan(graph, options.pathGradients === true ? {} : options.pathGradients) : null,
      experiments: torchExperimentPlan(graph),
      keepWeights: options.keepWeights === true,
      weights: { file: join(dir, 'weights.bin'), tensors: packed.index },
      device: options.device ?? 'auto',
      threads: options.threads ?? null,
      notes: [...adapter.notes, ...(weights.note ? [weights.note] : [])],
    };
    if (read.bytes) source.path = join(dir, 'data.bin');
    try {
      if (read.bytes) writeFileSync(join(dir, 'data.bin'), read.bytes);
      writeFileSync(runConfig.module, exported.code);
      writeFileSync(runConfig.weights.file, packed.bytes);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(runConfig));
    } catch (error) {
      if (options.runDir === undefined) rmSync(dir, { recursive: true, force: true });
      throw new TrainError(`Cannot write the PyTorch run's files to ${dir}: ${(error as Error).message}`, 'backend');
    }
    // detached: a process group of its own, which stop and dispose end as a whole.
    const child = spawn(python.executable || python.command, [script, join(dir, 'config.json')], {
      cwd: dir,
      detached: true,
      windowsHide: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
    });
    if (child.pid === undefined) {
      const error = await new Promise<Error>((resolveError) => child.once('error', resolveError));
      if (options.runDir === undefined) rmSync(dir, { recursive: true, force: true });
      throw new TrainError(`Cannot start ${python.executable || python.command}: ${error.message}`, 'backend');
    }
    return new PyTorchTraining(child, dir, options, python);
  }

  /** The runner's process id, which is also its process group's id. */
  get pid(): number {
    return this.child.pid!;
  }

  /** The experiment sent and not yet answered (its name for a message), or null. */
  private measuring: string | null = null;

  /** True until the runner has exited. */
  get running(): boolean {
    return !this.ended;
  }

  /** Pauses at the next step boundary (a `paused` event says when). */
  pause(): void {
    this.send('pause');
  }

  resume(): void {
    this.send('resume');
  }

  /**
   * Ends the run at the next step boundary (at once when paused), with a `finished` event of reason 'stopped'.
   * A step still running after stopGraceMs has its process group ended instead, with the same event.
   */
  stop(): void {
    if (this.ended || this.stopTimer) return;
    this.send('stop');
    this.stopTimer = setTimeout(() => {
      this.killedForStop = true;
      killGroup(this.pid);
    }, this.options.stopGraceMs ?? 1500);
    this.stopTimer.unref();
  }

  /**
   * Runs (or cancels) an experiment on the weights of the paused run, or of the ended one with `keepWeights`; the
   * runner answers with lesion-* or landscape-* events (a run in any other state gets a failure event).
   */
  experiment(command: RunnerExperimentCommand): void {
    if (command.command === 'lesion' && !this.ended) this.measuring = 'the lesion study';
    if (command.command === 'landscape' && !this.ended) this.measuring = 'the loss landscape';
    this.send(command);
  }

  /** Ends a runner kept alive after its run (`keepWeights`): it exits once an experiment in progress has been cancelled. */
  quit(): void {
    this.measuring = null;
    this.send('quit');
  }

  /** Ends the process group now and deletes the run's files; no event follows, and `result` resolves as stopped. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.ended) killGroup(this.pid);
    this.child.stdin.destroy();
  }

  private send(command: RunnerCommand): void {
    if (!this.ended && !this.disposed && this.child.stdin.writable) this.child.stdin.write(commandLine(command));
  }

  private emit(event: RunnerEvent): void {
    if (!this.disposed) this.options.onEvent?.(event);
  }

  private onLine(line: string): void {
    if (this.failure !== undefined || line.trim() === '') return;
    const parsed = parseRunnerLine(line);
    if (!parsed.ok) {
      // The runner keeps stdout for events only, so a bad line means the stream cannot be trusted: end the run.
      this.fail(`The PyTorch runner sent a line that is not a valid event (${parsed.error}).`);
      killGroup(this.pid);
      return;
    }
    const event = parsed.event;
    if (event.type === 'lesion' || event.type === 'lesion-failed' || event.type === 'landscape-ended' || event.type === 'rejected') this.measuring = null;
    if (event.type === 'progress') {
      this.lastStep = event.step;
      this.lastLoss = event.loss;
    } else if (event.type === 'finished') {
      this.finished = event.result;
      if (this.options.keepWeights) {
        // The run is over; the process stays for experiments on its final weights, so a stop's deadline no longer applies.
        clearTimeout(this.stopTimer);
        this.settle.resolve(event.result);
      }
    }
    else if (event.type === 'error') {
      this.failure = event.message;
    }
    this.emit(event);
  }

  private fail(message: string): void {
    this.failure = message;
    this.emit({ type: 'error', message });
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.ended = true;
    this.markExited();
    clearTimeout(this.stopTimer);
    live.delete(this);
    if (this.options.runDir === undefined) rmSync(this.dir, { recursive: true, force: true });
    const stopped: TrainResult = { reason: 'stopped', steps: this.lastStep, loss: this.lastLoss };
    if (this.disposed) return this.settle.resolve(this.finished ?? stopped);
    if (this.finished && this.failure === undefined) {
      // A runner kept for experiments that dies during one (killed, out of memory) must still answer it, or the
      // view that asked would wait for ever: the answer is a rejection with the exit and the last lines of stderr.
      if (this.measuring !== null) {
        const how = code !== null ? `with exit code ${code}` : `by signal ${signal}`;
        const tail = this.stderr.length > 0 ? `\nLast lines of its error output:\n${this.stderr.join('\n')}` : '';
        this.emit({ type: 'rejected', message: `The PyTorch runner ended ${how} during ${this.measuring}, so it has no result; train again, then measure.${tail}` });
        this.measuring = null;
      }
      return this.settle.resolve(this.finished);
    }
    if (this.killedForStop && this.failure === undefined) {
      this.emit({ type: 'finished', result: stopped });
      return this.settle.resolve(stopped);
    }
    const tail = this.stderr.length > 0 ? `\nLast lines of its error output:\n${this.stderr.join('\n')}` : '';
    if (this.failure === undefined) {
      const how = code !== null ? `with exit code ${code}` : `by signal ${signal}`;
      this.fail(`The PyTorch runner (${this.python.executable || this.python.command}) ended ${how} before finishing.${tail}`);
      return this.settle.reject(new TrainError(this.failure!, 'backend'));
    }
    this.settle.reject(new TrainError(`${this.failure}${code !== 0 && code !== 3 ? tail : ''}`, 'backend'));
  }
}
