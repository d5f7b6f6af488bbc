/**
 * One training run inside the training worker: it analyses the document text itself (the core is
 * DOM-free), loads the data, picks the backend and runs the engine, yielding between steps so the worker
 * hears pause and stop. A kernel a backend lacks moves the run to the next backend; every failure reaches
 * the page as a sentence, never as a raw tfjs error. No DOM: this runs in a dedicated worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../src/core/analyze';
import type { ModelGraph } from '../../src/core';
import { withoutSkipConnections } from '../../src/core/ablation';
import type { TrainingDatasetSource } from '../../src/protocol/messages';
import { datasetForTraining, type ImageDataset, parseDataset } from '../../src/train/data';
import { TrainingEngine } from '../../src/train/engine';
import { TrainError } from '../../src/train/model';
import { runLesionStudy } from '../../src/train/experiments/lesion';
import { activateBackend, backendChain, MEMORY_BUDGET, missingKernel, wasmThreads } from './backends';
import { decodeFolder } from './folder-dataset';
import { awaitInvitation, decline, invite, joiner } from './replica-link';
import type { BackendName, LandscapeAction, LesionSettings, RunSettings, RuntimeEvent } from './runtime-api';
import { computeLandscape, evaluationCount, timeOneEvaluation } from '../../src/train/experiments/landscape';
import type { ShardPeer } from '../../src/train/shard';
import { makeBatch } from '../../src/train/data';
import { pathGradients, residualAdds } from '../../src/train/experiments/pathGradients';
import { measuresPathsAt, PATH_GRADIENT_IMAGES, PATH_GRADIENT_SAMPLES } from '../../src/train/experiments/pathPlan';
import { type FinalRun, NO_WEIGHTS_MESSAGE, snapshotWeights, withFinalModel } from '../../src/train/experiments/finalWeights';
import type { TfModel } from '../../src/train/model';

export { PATH_GRADIENT_INTERVAL } from '../../src/train/experiments/pathPlan';

const builtinCache = new Map<string, Promise<ImageDataset>>();

function loadBuiltin(source: Extract<TrainingDatasetSource, { kind: 'builtin' | 'cifar' }>): Promise<ImageDataset> {
  let pending = builtinCache.get(source.url);
  if (!pending) {
    pending = fetch(source.url).then(async (response) => {
      if (!response.ok) throw new TrainError(`The ${source.kind === 'cifar' ? '' : 'bundled '}data set ${source.name} could not be loaded (HTTP ${response.status}).`, 'data');
      return parseDataset(source.name, new Uint8Array(await response.arrayBuffer()));
    });
    pending.catch(() => builtinCache.delete(source.url));
    builtinCache.set(source.url, pending);
  }
  return pending;
}

function sentence(error: unknown): { message: string; code: string } {
  if (error instanceof TrainError) return { message: error.message, code: error.code };
  const text = error instanceof Error ? error.message : String(error);
  return { message: `Training failed: ${text}`, code: 'failed' };
}

export class TrainingRun {
  private engine: TrainingEngine | null = null;
  private dataset: ImageDataset | null = null;
  /** Landscape work in progress on the paused model, and how to cancel it. */
  private landscapeWork: { abort: AbortController; done: Promise<void> } | null = null;
  private stopped = false;
  private pausedBeforeStart = false;
  private stopSignal!: () => void;
  /** The engine acknowledged a pause (its 'paused' event) and holds the run between steps. */
  private holding = false;
  private lesionStudy: AbortController | null = null;
  /** Settles when the lesion study in progress (if any) has let go of the model. */
  private lesionDone: Promise<void> = Promise.resolve();
  /**
   * The weights the run ended with (finished or stopped), copied out of its tensors so experiments can still run
   * on them after the engine freed everything; null before the end, for a follower replica, and after a failure.
   */
  private final: FinalRun | null = null;
  /** The run has ended (its `done` settled or is about to): experiments use `final` or say there is none. */
  private ended = false;
  private readonly stopped$ = new Promise<void>((resolve) => (this.stopSignal = resolve));
  /** Settles when the run has ended and freed every tensor it made. */
  readonly done: Promise<void>;

  /**
   * `yieldToMessages` lets the worker's queued messages (pause, stop) run between steps. `peerPorts` link
   * this run to runs in other workers that share its batches: the lead has one port per follower, a
   * follower one port to the lead (settings.replica says which this is).
   */
  constructor(
    private readonly options: RunSettings,
    private readonly emit: (event: RuntimeEvent) => void,
    private readonly yieldToMessages: () => Promise<void>,
    private peerPorts: MessagePort[] = [],
  ) {
    this.done = this.execute()
      .catch((error: unknown) => this.emit({ type: 'error', ...sentence(error) }))
      .finally(() => {
        this.ended = true;
        this.unlink();
      });
  }

  pause(): void {
    if (this.engine) this.engine.pause();
    else this.pausedBeforeStart = true;
  }

  resume(): void {
    this.pausedBeforeStart = false;
    // The study reads the weights the next step would change: it ends first (at its next batch).
    this.cancelLesion();
    const work = this.landscapeWork;
    // Training must not step on perturbed weights: the landscape stops and restores them first.
    if (work) {
      work.abort.abort();
      void work.done.then(() => this.engine?.resume());
    } else this.engine?.resume();
  }

  stop(): void {
    this.cancelLesion();
    this.stopped = true;
    this.stopSignal();
    const work = this.landscapeWork;
    // The model is freed when the run ends: the landscape restores the weights and lets go of it first.
    if (work) {
      work.abort.abort();
      void work.done.then(() => this.engine?.stop());
    } else this.engine?.stop();
  }

  /**
   * Loss-landscape work on the paused run's model (its held-out split): an estimate from one timed evaluation, the
   * slices themselves, or a cancel heard between two evaluations (the worker yields to messages after each).
   */
  landscape(action: LandscapeAction): void {
    if (action.type === 'cancel') {
      this.landscapeWork?.abort.abort();
      return;
    }
    if (this.copyingFinal()) {
      void this.done.then(() => this.landscape(action));
      return;
    }
    const engine = this.engine;
    const paused = !this.ended && engine?.paused === true ? engine.currentModel : null;
    const final = this.final;
    if (!paused && !final) {
      this.emit({ type: 'landscape-ended', reason: 'failed', message: this.ended ? NO_WEIGHTS_MESSAGE : 'Pause the run first: the landscape is taken around the weights of a paused run.' });
      return;
    }
    if (this.landscapeWork) return;
    const abort = new AbortController();
    const data = paused && engine && this.dataset ? { dataset: this.dataset, adapter: engine.adapter } : { dataset: final!.dataset, adapter: final!.adapter };
    // A paused run is measured in place (and restored); an ended one on a model rebuilt from its final weights.
    const onModel = (measure: (model: TfModel) => Promise<void>): Promise<void> => (paused ? measure(paused) : withFinalModel(final!, measure));
    const work = (): Promise<void> => onModel(async (model) => {
      if (action.type === 'estimate') {
        const samples = Math.max(...action.requests.map((r) => r.samples));
        const { seconds } = await timeOneEvaluation(model, data, samples);
        this.emit({ type: 'landscape-cost', evaluations: action.requests.reduce((a, r) => a + evaluationCount(r), 0), samples, secondsPerEvaluation: seconds });
        this.emit({ type: 'landscape-ended', reason: 'estimated' });
        return;
      }
      for (const request of action.requests) {
        const result = await computeLandscape(model, data, request, {
          signal: abort.signal,
          nextFrame: this.yieldToMessages,
          onProgress: (p) => this.emit({ type: 'landscape-progress', kind: request.kind, ...p }),
        });
        if (!result) return this.emit({ type: 'landscape-ended', reason: 'cancelled' });
        this.emit({ type: 'landscape', result });
      }
      this.emit({ type: 'landscape-ended', reason: 'done' });
    });
    const done = work()
      .catch((error: unknown) => this.emit({ type: 'landscape-ended', reason: 'failed', message: sentence(error).message }))
      .finally(() => (this.landscapeWork = null));
    this.landscapeWork = { abort, done };
  }

  cancelLesion(): void {
    this.lesionStudy?.abort();
  }

  /**
   * A lesion study on the paused run's current weights (Veit et al. 2016): only where the engine holds the run, so
   * no step changes the weights underneath; Resume and Stop cancel it before the run moves on.
   */
  lesion(settings: LesionSettings): void {
    if (this.copyingFinal()) {
      void this.done.then(() => this.lesion(settings));
      return;
    }
    const engine = this.engine;
    const paused = !this.ended && engine && this.holding && !this.stopped && this.dataset ? engine.currentModel : null;
    const final = this.final;
    if (!paused && !final) {
      this.emit({ type: 'lesion-failed', message: this.ended ? NO_WEIGHTS_MESSAGE : 'Pause the run first: the lesion study measures the weights of a paused run.' });
      return;
    }
    if (this.lesionStudy) {
      this.emit({ type: 'lesion-failed', message: 'A lesion study is already running.' });
      return;
    }
    const controller = (this.lesionStudy = new AbortController());
    const { samples, draws, seed } = settings;
    const dataset = paused ? this.dataset! : final!.dataset;
    const adapter = paused ? engine!.adapter : final!.adapter;
    const study = (model: TfModel) =>
      runLesionStudy(model, dataset, adapter, {
        samples,
        draws,
        seed,
        batch: Math.max(paused ? engine!.config.batch : final!.batch, 64),
        nextFrame: this.yieldToMessages,
        signal: controller.signal,
        onProgress: (done, total) => this.emit({ type: 'lesion-progress', done, total }),
      });
    // After the end the model is rebuilt for the study and freed before the result is sent, so `tensors` reads 0.
    this.lesionDone = (paused ? study(paused) : withFinalModel(final!, study))
      .then((result) => this.emit({ type: 'lesion', result, tensors: tf.memory().numTensors }))
      .catch((error: unknown) => this.emit({ type: 'lesion-failed', message: `The lesion study failed: ${sentence(error).message}` }))
      .finally(() => {
        if (this.lesionStudy === controller) this.lesionStudy = null;
      });
  }

  /** Lets go of the final weights (a newer run replaces this one); experiments in progress end at their next batch. */
  release(): void {
    this.cancelLesion();
    this.landscapeWork?.abort.abort();
    this.final = null;
  }

  /** The engine's run is over but its weights are still being copied out: an experiment asked now waits for the copy. */
  private copyingFinal(): boolean {
    return !this.ended && this.engine !== null && !this.engine.running && this.engine.stepsDone > 0;
  }

  /** The step the kept final weights were reached at, or null where none are kept. */
  get finalStep(): number | null {
    return this.final?.step ?? null;
  }

  /**
   * Copies the weights of an engine whose run ended normally (finished or stopped, not failed and not non-finite) out of
   * its tensors, after any study on the paused model let go of it; a follower keeps none (the lead holds the same weights).
   */
  private async keepFinal(engine: TrainingEngine, graph: ModelGraph, dataset: ImageDataset): Promise<void> {
    await this.lesionDone;
    await this.landscapeWork?.done;
    const model = engine.currentModel;
    if (!model || this.options.replica === 'follower') return;
    this.final = { graph, seed: engine.config.seed, weights: await snapshotWeights(model), dataset, adapter: engine.adapter, batch: engine.config.batch, step: engine.stepsDone };
  }

  /** Tells the other replicas this run will not (or no longer) share batches, once. */
  private unlink(): void {
    for (const port of this.peerPorts) decline(port);
    this.peerPorts = [];
  }

  private createEngine(graph: ModelGraph, dataset: ImageDataset, backend: BackendName, statsInterval: number, shard: ShardPeer | undefined): TrainingEngine {
    return new TrainingEngine({
      graph,
      dataset,
      config: this.options.config,
      statsInterval,
      memoryBudget: MEMORY_BUDGET[backend],
      nextFrame: this.yieldToMessages,
      shard,
      // Kept past the end only until its weights are copied out (keepFinal), then released: no tensor outlives the run.
      keepModel: true,
      onEvent: (event) => {
        if (event.type === 'paused') this.holding = true;
        else if (event.type === 'resumed' || event.type === 'finished') this.holding = false;
        this.emit(event);
        // Only the reporting run measures: a follower replica's events are not shown, and it would hold up the group.
        if (this.options.pathGradients === true && this.options.replica !== 'follower' && event.type === 'progress' && measuresPathsAt(event.step)) this.measurePaths(graph, dataset, event.step);
        // After a step (its tensors freed) and where a pause holds the run between steps: the defined points
        // at which the count means what the run keeps (the model, the optimizer's state), nothing in flight.
        if (event.type === 'progress' || event.type === 'paused') this.emit({ type: 'memory', step: event.step, tensors: tf.memory().numTensors });
      },
    });
  }

  /** Gradient by path length on the first images of the training split, between two steps (every tensor freed). */
  private measurePaths(graph: ModelGraph, dataset: ImageDataset, step: number): void {
    const model = this.engine?.currentModel;
    if (!model || !this.engine) return;
    const count = Math.min(PATH_GRADIENT_IMAGES, dataset.train.count);
    const batch = makeBatch(dataset, dataset.train, Array.from({ length: count }, (_, i) => i), this.engine.adapter);
    try {
      const lengths = pathGradients(model, batch.x, batch.y, { samples: PATH_GRADIENT_SAMPLES, seed: step });
      this.emit({ type: 'pathGradients', step, residualAdds: residualAdds(graph).length, lengths });
    } finally {
      batch.x.dispose();
      batch.y.dispose();
    }
  }

  private async execute(): Promise<void> {
    const { options } = this;
    const analysis = options.withoutSkips ? withoutSkipConnections(options.text) : analyze(options.text);
    const graph = analysis.models.find((m) => m.name === options.model) ?? (options.model ? undefined : analysis.models[0]);
    if (!graph) throw new TrainError(`The file declares no model named ${options.model || '(any)'}.`, 'data');
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new TrainError(`The file has ${errors.length} error${errors.length === 1 ? '' : 's'} (first: ${errors[0].message}); fix them before training.`, 'incomplete-model');
    const source = options.dataset;
    const dataset = source.kind !== 'folder' ? datasetForTraining(await loadBuiltin(source), graph.training.dataset, options.config?.seed ?? graph.training.seed) : await decodeFolder(source.path, source.classes, source.images, graph.inputShape);
    this.dataset = dataset;
    if (this.stopped) return this.emit({ type: 'finished', result: { reason: 'stopped', steps: 0, loss: null } });

    const follower = options.replica === 'follower' && this.peerPorts.length === 1;
    let chain = backendChain(options.backend);
    if (follower) {
      // A follower trains on the backend the lead settled on, or not at all.
      const invited = await awaitInvitation(this.peerPorts[0], this.stopped$);
      if (!invited) return this.emit({ type: 'finished', result: { reason: 'stopped', steps: 0, loss: null } });
      chain = [invited];
    }
    const batch = options.config?.batch ?? graph.training.batch;
    const skippedEarlier: string[] = [];
    for (;;) {
      // 'auto' skips GPUs that are software renderers; a backend chosen by name is used as it is.
      const { backend, skipped } = await activateBackend(chain, options.wasmBase, options.backend === 'auto');
      const threads = backend === 'wasm' ? wasmThreads() : 1;
      this.emit({ type: 'backend', backend, skipped: [...skippedEarlier, ...skipped], threads });
      let shard: ShardPeer | undefined;
      let confirm = (): void => undefined;
      if (follower && this.peerPorts.length) ({ peer: shard, confirm } = joiner(this.peerPorts[0]));
      else if (this.peerPorts.length) {
        // The lead (on its first backend only): followers join when they add cores.
        const ports = this.peerPorts;
        this.peerPorts = [];
        // Threaded wasm already keeps every core busy: more workers would only compete with it. Every worker
        // needs at least one image of each batch, so a batch of B is shared by at most B workers.
        const invited = threads === 1 ? ports.slice(0, batch - 1) : [];
        for (const port of ports.slice(invited.length)) decline(port);
        if (invited.length > 0) shard = (await invite(invited, backend, this.stopped$)) ?? undefined;
      }
      // The constructor checks the memory estimate and the data shape before anything is allocated.
      let engine: TrainingEngine;
      try {
        engine = this.createEngine(graph, dataset, backend, follower ? 0 : options.statsInterval, shard);
      } catch (error) {
        // No replica may wait for this one: the lead then trains without it, and a follower's refusal
        // is the lead's to report (it checks the same model and batch).
        shard?.end();
        if (follower) return this.emit({ type: 'finished', result: { reason: 'stopped', steps: 0, loss: null } });
        throw error;
      }
      confirm();
      if (follower) this.peerPorts = [];
      this.engine = engine;
      if (this.stopped) {
        shard?.end();
        return this.emit({ type: 'finished', result: { reason: 'stopped', steps: 0, loss: null } });
      }
      const running = engine.run();
      if (this.pausedBeforeStart) engine.pause();
      try {
        const result = await running;
        if (result.reason !== 'non-finite') await this.keepFinal(engine, graph, dataset);
        return;
      } catch (error) {
        const kernel = missingKernel(error);
        const next = chain.indexOf(backend) + 1;
        if (kernel && next < chain.length && !this.stopped) {
          const reason = `${backend} has no '${kernel}' kernel; continuing on ${chain[next]}`;
          skippedEarlier.push(`${backend}: no '${kernel}' kernel`);
          this.emit({ type: 'restarting', reason });
          chain = chain.slice(next) as BackendName[];
          continue;
        }
        if (kernel) throw new TrainError(`The ${backend} backend has no '${kernel}' kernel, which this model needs, and no backend after it is left to try.`, 'unsupported');
        throw error;
      } finally {
        try {
          engine.releaseModel();
        } catch {
          // After a backend ran out of memory its heap may refuse even frees; the error thrown above says why.
        }
      }
    }
  }
}
