import * as tf from '@tensorflow/tfjs-core';
import { formatBytes, savedForBackward, trainingMemory, type ModelGraph, type TrainingConfig } from '../core';
import { TFJS_SAVED_FACTOR, tfjsStepBytes } from './memoryPlan';
import { makeBatch, type ImageDataset, type InputAdapter } from './data';
import { checkDataFits, checkTrainable } from './dataset';
import { diagnoseNonFinite } from './diagnose';
import { TfModel, TrainError } from './model';
import { outOfMemoryError } from './errors';
import { epochOrder, SeededRandom } from './rng';
import { DEFAULT_EVALS_PER_EPOCH, DEFAULT_QUICK_EVAL_SAMPLES, DEFAULT_STATS_INTERVAL, spreadIndices } from './schedule';
import { reduceStep, shardRange, ShardEnded, type ShardPeer } from './shard';
import { correctCount, localGradients, positionsPerImage } from './step';
import { syncedGradients } from './syncstep';
import { StatisticsPlan, type TrainingStatistics } from './stats';

/**
 * The training engine: pure TypeScript, no DOM. The webview drives it (with requestAnimationFrame as
 * `nextFrame`), and so does `skipnet train` in Node. One step runs inside tf.tidy; between steps the
 * engine yields, so start/pause/resume/stop take effect at the next step boundary.
 */

export interface ProgressEvent {
  type: 'progress';
  epoch: number;
  epochs: number;
  /** Steps done so far (1-based after the first step). */
  step: number;
  totalSteps: number;
  loss: number;
  /** Accuracy of this step's batch: the fraction of images, or of pixels for a per-pixel data set, classed right. */
  accuracy: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface EvaluationEvent {
  type: 'evaluation';
  epoch: number;
  step: number;
  loss: number;
  accuracy: number;
  samples: number;
  /**
   * True at an epoch's end (the whole held-out split, or evalSamples of it); false for a check between
   * epoch ends on an evenly spread subset (quickEvalSamples), which keeps the held-out curve moving.
   */
  full: boolean;
}

export type TrainEvent =
  /** `replicas`: workers sharing each batch (1 alone). `perPixel`: a class per pixel, loss and accuracy are means over pixels. */
  | { type: 'started'; backend: string; params: number; totalSteps: number; batch: number; notes: string[]; replicas: number; perPixel?: boolean }
  | ProgressEvent
  | { type: 'statistics'; statistics: TrainingStatistics }
  | EvaluationEvent
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | { type: 'finished'; result: TrainResult };

export interface TrainResult {
  reason: 'done' | 'stopped' | 'non-finite';
  steps: number;
  /** Last training loss read. */
  loss: number | null;
  /** Held-out evaluation at the end (absent when stopped early or non-finite). */
  evaluation?: EvaluationEvent;
  /** For non-finite: which layer went non-finite first. */
  message?: string;
}

export interface EngineOptions {
  graph: ModelGraph;
  dataset: ImageDataset;
  /** Overrides of the model's train section (e.g. from CLI flags). */
  config?: Partial<Omit<TrainingConfig, 'dataset'>>;
  /** Stop after this many steps in total (default: epochs × steps per epoch). */
  maxSteps?: number;
  /** Steps between statistics updates; 0 turns them off. */
  statsInterval?: number;
  /** Largest estimated training memory accepted, in bytes. */
  memoryBudget?: number;
  /** Held-out images evaluated at each epoch end (default: all). */
  evalSamples?: number;
  /** Held-out points per epoch: checks between epoch ends plus the one at the end (default 4; 1 = epoch ends only). */
  evalsPerEpoch?: number;
  /** Held-out images in a check between epoch ends (default 256). */
  quickEvalSamples?: number;
  /** Awaited between steps so the UI stays responsive (default: a macrotask). */
  nextFrame?: () => Promise<void>;
  onEvent?: (event: TrainEvent) => void;
  /** Start from these parameter values (by parameter name, row-major) instead of the seeded initialisation. */
  initialWeights?: Readonly<Record<string, ArrayLike<number>>>;
  /**
   * Train as one replica of a data-parallel group (see shard.ts): each step runs on this replica's slice
   * of the batch and the replicas sum gradients before the update. Only replica 0 evaluates.
   */
  shard?: ShardPeer;
  /** Milliseconds clock (default performance.now / Date.now). */
  now?: () => number;
  /**
   * Keep the model (its weights and running statistics) after run() returns, for experiments on the final
   * weights (a lesion study); the caller frees it with releaseModel(). The optimizer is freed either way.
   */
  keepModel?: boolean;
}

export { DEFAULT_EVALS_PER_EPOCH, DEFAULT_QUICK_EVAL_SAMPLES, DEFAULT_STATS_INTERVAL, spreadIndices };
export const DEFAULT_MEMORY_BUDGET = 1.5 * 1024 ** 3;

type State = 'idle' | 'running' | 'paused' | 'stopping' | 'finished';

const defaultNextFrame = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Checks the memory of a TensorFlow.js step (`tfjsStepBytes`: the core's estimate with tfjs's larger
 * per-image share, see memoryPlan.ts) against a budget in bytes; the error names the estimate and the
 * largest power-of-two batch that fits.
 */
export function checkMemory(graph: ModelGraph, config: Pick<TrainingConfig, 'batch' | 'optimizer'>, budget: number): void {
  const total = tfjsStepBytes(graph, config.batch, config.optimizer);
  const limit = BigInt(Math.floor(budget));
  if (total <= limit) return;
  // The estimate is fixed + batch × per sample; the batch asked for does not fit, so `fits` is below it.
  const perSample = savedForBackward(graph).perSample * TFJS_SAVED_FACTOR;
  const fixed = tfjsStepBytes(graph, 0, config.optimizer);
  const fits = perSample > 0n && limit > fixed ? Number((limit - fixed) / perSample) : 0;
  let suggestion = 1;
  while (suggestion * 2 <= fits) suggestion *= 2;
  const hint = fits >= 1 ? `try batch ${suggestion} (about ${formatBytes(tfjsStepBytes(graph, suggestion, config.optimizer))})` : 'even batch 1 does not fit; use a smaller model';
  throw new TrainError(
    `Training ${graph.name} at batch ${config.batch} needs about ${formatBytes(total)} in the browser engine (activations ${formatBytes(total - fixed)}), more than the ${formatBytes(budget)} budget: ${hint}. ` +
      `TensorFlow.js's tape keeps every intermediate of a step, about ${TFJS_SAVED_FACTOR}× what PyTorch's autograd keeps: the PyTorch engine's step needs ${formatBytes(trainingMemory(graph, config.batch, config.optimizer).total)}, the figure skipnet explain gives.`,
    'memory',
  );
}

export class TrainingEngine {
  readonly config: Omit<TrainingConfig, 'dataset'>;
  readonly adapter: InputAdapter;
  private model: TfModel | null = null;
  private optimizer: tf.Optimizer | null = null;
  private plan: StatisticsPlan | null = null;
  private state: State = 'idle';
  private resumeWaiter: (() => void) | null = null;
  private readonly nextFrame: () => Promise<void>;
  private readonly now: () => number;
  private step = 0;

  constructor(private readonly options: EngineOptions) {
    const { graph } = options;
    this.config = { ...graph.training, ...options.config };
    checkTrainable(graph, this.config);
    checkMemory(graph, this.config, options.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    this.adapter = checkDataFits(graph, options.dataset);
    this.nextFrame = options.nextFrame ?? defaultNextFrame;
    this.now = options.now ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now()));
  }

  get running(): boolean {
    return this.state === 'running' || this.state === 'paused';
  }

  get paused(): boolean {
    return this.state === 'paused';
  }

  get stepsDone(): number {
    return this.step;
  }

  /** The built model while a run is in progress, or after it with keepModel (for weight inspection and experiments). */
  get currentModel(): TfModel | null {
    return this.model;
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.wake();
  }

  /** Ends the run at the next step boundary (at once when paused); `run()` then resolves with 'stopped'. */
  stop(): void {
    if (this.state === 'running' || this.state === 'paused') this.state = 'stopping';
    this.wake();
  }

  private wake(): void {
    const waiter = this.resumeWaiter;
    this.resumeWaiter = null;
    waiter?.();
  }

  private emit(event: TrainEvent): void {
    this.options.onEvent?.(event);
  }

  /** Trains until done, stopped, or a non-finite loss; every tensor it made is freed when it returns. */
  async run(): Promise<TrainResult> {
    if (this.state !== 'idle') throw new Error('A TrainingEngine runs once; create a new one to train again.');
    this.state = 'running';
    try {
      return await this.train();
    } catch (error) {
      throw this.explain(error);
    } finally {
      this.options.shard?.end();
      try {
        if (this.options.keepModel) this.disposeOptimizer();
        else this.dispose();
      } catch {
        // After a backend ran out of memory its heap may refuse even frees; the error above says why.
      }
      this.state = 'finished';
    }
  }

  /** A backend running out of memory mid-step becomes a TrainError with the estimate and a smaller batch. */
  private explain(error: unknown): unknown {
    return outOfMemoryError(error, this.options.graph, this.config.batch, this.config.optimizer, tf.getBackend());
  }

  /** Frees a model kept after the run (EngineOptions.keepModel); nothing while a run is in progress. */
  releaseModel(): void {
    if (this.state === 'finished') this.dispose();
  }

  private disposeOptimizer(): void {
    const optimizer = this.optimizer;
    // tfjs's Optimizer[Symbol.hasInstance] reads `instance.minimize`, so `null instanceof` below would throw.
    if (!optimizer) return;
    optimizer.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() skips SGDOptimizer's, leaking its learning-rate scalar.
    if (optimizer instanceof tf.MomentumOptimizer) (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
    this.optimizer = null;
  }

  private dispose(): void {
    this.disposeOptimizer();
    this.model?.dispose();
    this.model = null;
  }

  private makeOptimizer(): tf.Optimizer {
    const { optimizer, lr, momentum } = this.config;
    if (optimizer === 'sgd') return tf.train.sgd(lr);
    if (optimizer === 'momentum') return tf.train.momentum(lr, momentum);
    return tf.train.adam(lr, 0.9, 0.999, 1e-8);
  }

  private async train(): Promise<TrainResult> {
    const { graph, dataset } = this.options;
    // A replica learns its rank from the group before anything is built; a group that ended means stop.
    if (this.options.shard && !(await this.options.shard.ready)) return this.finish({ reason: 'stopped', steps: 0, loss: null });
    const { batch, epochs, seed } = this.config;
    const shard = this.options.shard;
    if (shard && batch < shard.size) {
      // Batch statistics are the whole batch's (synchronised), but every replica needs an image to step on.
      const idle = Array.from({ length: shard.size }, (_, r) => shardRange(batch, r, shard.size)).findIndex((r) => r.end === r.start);
      throw new TrainError(`Batch ${batch} cannot be shared by ${shard.size} training workers: worker ${idle + 1} would get no image. Use batch ≥ ${shard.size}, or fewer workers.`, 'unsupported');
    }
    const model = (this.model = new TfModel(graph, seed));
    if (this.options.initialWeights) model.loadWeights(this.options.initialWeights);
    this.optimizer = this.makeOptimizer();
    const statsInterval = this.options.statsInterval ?? DEFAULT_STATS_INTERVAL;
    this.plan = statsInterval > 0 ? new StatisticsPlan(model) : null;
    const stepsPerEpoch = Math.floor(dataset.train.count / batch);
    if (stepsPerEpoch < 1) throw new TrainError(`Batch ${batch} is larger than the ${dataset.train.count} training images.`, 'data');
    const totalSteps = Math.min(this.options.maxSteps ?? Infinity, stepsPerEpoch * epochs);
    const epochCount = Math.ceil(totalSteps / stepsPerEpoch);
    const evalsPerEpoch = Math.max(1, Math.floor(this.options.evalsPerEpoch ?? DEFAULT_EVALS_PER_EPOCH));
    // Steps between held-out checks; none when an epoch is too short to split.
    const evalEvery = evalsPerEpoch > 1 && stepsPerEpoch >= evalsPerEpoch ? Math.ceil(stepsPerEpoch / evalsPerEpoch) : 0;
    const quickIndices = spreadIndices(dataset.test.count, this.options.quickEvalSamples ?? DEFAULT_QUICK_EVAL_SAMPLES);
    const fullIndices = spreadIndices(dataset.test.count, this.options.evalSamples ?? dataset.test.count);
    this.emit({ type: 'started', backend: tf.getBackend(), params: model.paramCount, totalSteps, batch, notes: this.adapter.notes, replicas: shard?.size ?? 1, ...(this.options.dataset.segmentation ? { perPixel: true } : {}) });
    const evaluates = !shard || shard.rank === 0;

    const order = new SeededRandom(seed);
    // Replicas share the batch order and the dropout seeds (same seed): each cuts its rows from the whole batch's mask.
    const dropout = new SeededRandom(seed + 1);
    const indices = new Int32Array(dataset.train.count);
    const recent: { time: number; images: number }[] = [];
    let lastLoss: number | null = null;
    let lastEvaluation: EvaluationEvent | undefined;

    for (let epoch = 1; epoch <= epochCount; epoch++) {
      epochOrder(order, indices);
      for (let s = 0; s < stepsPerEpoch && this.step < totalSteps; s++) {
        if (!(await this.waitWhilePaused())) return this.finish({ reason: 'stopped', steps: this.step, loss: lastLoss });
        const started = this.now();
        const withStats = this.plan !== null && (this.step + 1) % statsInterval === 0;
        let outcome: Awaited<ReturnType<TrainingEngine['trainStep']>>;
        try {
          outcome = await this.trainStep(indices.subarray(s * batch, (s + 1) * batch), dropout, withStats);
        } catch (error) {
          if (error instanceof ShardEnded) return this.finish({ reason: 'stopped', steps: this.step, loss: lastLoss });
          throw error;
        }
        this.step++;
        if (outcome.kind === 'non-finite') return this.finish({ reason: 'non-finite', steps: this.step, loss: outcome.loss, message: outcome.message });
        lastLoss = outcome.loss;
        recent.push({ time: this.now() - started, images: batch });
        if (recent.length > 20) recent.shift();
        const time = recent.reduce((a, r) => a + r.time, 0);
        const images = recent.reduce((a, r) => a + r.images, 0);
        const imagesPerSecond = time > 0 ? (images * 1000) / time : 0;
        this.emit({
          type: 'progress',
          epoch,
          epochs: epochCount,
          step: this.step,
          totalSteps,
          loss: outcome.loss,
          accuracy: outcome.accuracy,
          imagesPerSecond,
          etaSeconds: imagesPerSecond > 0 ? ((totalSteps - this.step) * batch) / imagesPerSecond : 0,
        });
        if (outcome.statistics) this.emit({ type: 'statistics', statistics: outcome.statistics });
        await this.nextFrame();
        if (evaluates && evalEvery > 0 && (s + 1) % evalEvery === 0 && s + 1 < stepsPerEpoch && this.step < totalSteps) {
          const check = await this.evaluate(epoch, quickIndices, false);
          if (!check) return this.finish({ reason: 'stopped', steps: this.step, loss: lastLoss });
          this.emit(check);
        }
      }
      if (this.state === 'stopping') return this.finish({ reason: 'stopped', steps: this.step, loss: lastLoss });
      if (!evaluates) continue;
      const evaluation = await this.evaluate(epoch, fullIndices, true);
      if (!evaluation) return this.finish({ reason: 'stopped', steps: this.step, loss: lastLoss });
      lastEvaluation = evaluation;
      this.emit(evaluation);
    }
    return this.finish({ reason: 'done', steps: this.step, loss: lastLoss, evaluation: lastEvaluation });
  }

  private finish(result: TrainResult): TrainResult {
    this.emit({ type: 'finished', result });
    return result;
  }

  /** False when the run was stopped (while paused or before the step). */
  private async waitWhilePaused(): Promise<boolean> {
    if (this.state === 'paused') {
      this.emit({ type: 'paused', step: this.step });
      while (this.state === 'paused') await new Promise<void>((resolve) => (this.resumeWaiter = resolve));
      if (this.state === 'running') this.emit({ type: 'resumed', step: this.step });
    }
    return this.state === 'running';
  }

  private async trainStep(
    indices: Int32Array,
    dropout: SeededRandom,
    withStats: boolean,
  ): Promise<{ kind: 'ok'; loss: number; accuracy: number; statistics?: TrainingStatistics } | { kind: 'non-finite'; loss: number; message: string }> {
    const model = this.model!;
    const optimizer = this.optimizer!;
    const plan = withStats ? this.plan : null;
    const { dataset, shard } = this.options;
    const { start, end } = shard ? shardRange(indices.length, shard.rank, shard.size) : { start: 0, end: indices.length };
    const batch = makeBatch(dataset, dataset.train, indices.subarray(start, end), this.adapter);
    // Phase 1: loss and gradients, read back together with a finiteness check before anything is updated.
    const kept: tf.Tensor[] = [];
    try {
      const probeKeys = plan ? plan.probeKeys : [];
      const probeShapesNow = plan ? probeShapes(model, probeKeys, batch.x.shape[0]) : [];
      const probes = new Map(probeKeys.map((key, i) => [key, tf.zeros(probeShapesNow[i])]));
      kept.push(...probes.values());
      const options = { probes, random: dropout, activations: plan !== null };
      const rows = { start, total: indices.length };
      // With batch norm the replicas exchange statistics at every bn layer (syncstep.ts); without, once at the end.
      const step =
        shard && model.running.size > 0
          ? await syncedGradients(model, shard, batch.x, batch.y, { ...options, rows })
          : localGradients(model, batch.x, batch.y, { ...options, rows: shard ? rows : undefined });
      kept.push(...step.owned);
      const head = tf.tidy(() => {
        const correct = correctCount(step.logits, batch.y);
        // Σ(g·0) is 0 when every gradient is finite and NaN otherwise (squares could overflow instead).
        const gradCheck = tf.addN([tf.scalar(0), ...step.grads.map((g) => tf.sum(tf.mul(g, 0)))]);
        return tf.stack([step.loss, correct, gradCheck]) as tf.Tensor1D;
      });
      kept.push(head);
      let paramGrads = step.grads;
      let loss: number;
      let correct: number;
      let gradCheck: number;
      if (shard) {
        // One exchange with the other replicas: whole-batch loss and gradients.
        const reduced = await reduceStep(shard, { head, grads: step.grads, weight: step.weight });
        kept.push(...reduced.grads);
        paramGrads = reduced.grads;
        ({ loss, correct, gradCheck } = reduced);
      } else [loss, correct, gradCheck] = await head.data();
      if (!Number.isFinite(loss) || !Number.isFinite(gradCheck)) {
        return { kind: 'non-finite', loss, message: await this.diagnose(indices, loss) };
      }
      // Phase 2: update (weight decay as L2 on every parameter, like PyTorch's weight_decay), running statistics.
      const named = new Map<string, tf.Tensor>();
      model.params.forEach((p, i) => named.set(p.name, paramGrads[i]));
      const before = plan ? new Map(model.params.map((p) => [p.name, tf.keep(tf.clone(p.variable))])) : undefined;
      if (before) kept.push(...before.values());
      tf.tidy(() => {
        const update: tf.NamedTensorMap = {};
        const wd = this.config.weightDecay;
        model.params.forEach((p) => {
          const g = named.get(p.name)!;
          update[p.variable.name] = wd > 0 ? tf.add(g, tf.mul(p.variable, wd)) : g;
        });
        optimizer.applyGradients(update);
      });
      model.updateRunningStats(step.moments, indices.length);
      let statistics: TrainingStatistics | undefined;
      if (plan && step.activations) {
        // Replica 0 sees its rows only: its probe gradients, made rows of the whole batch's loss gradient
        // (× weight), are scaled by √(batch / rows) so their norms estimate the whole batch's.
        const probeScale = step.weight * Math.sqrt(indices.length / (end - start));
        let decode: ReturnType<StatisticsPlan['compute']>['decode'] | undefined;
        const values = tf.tidy(() => {
          const probeGrads = probeScale === 1 ? step.probeGrads : new Map([...step.probeGrads].map(([key, g]) => [key, tf.mul(g, probeScale)]));
          const computed = plan.compute({ activations: step.activations!, grads: named, probeGrads, before });
          decode = computed.decode;
          return computed.values;
        });
        const data = (await values.data()) as Float32Array;
        values.dispose();
        statistics = decode!(data, this.step + 1);
      }
      return { kind: 'ok', loss, accuracy: correct / (indices.length * positionsPerImage(step.logits)), statistics };
    } finally {
      for (const t of kept) t.dispose();
      batch.x.dispose();
      batch.y.dispose();
    }
  }

  /** Where the loss went non-finite, from a pass over the whole batch (replica 0 only; the others stop with it). */
  private async diagnose(indices: Int32Array, loss: number): Promise<string> {
    const { shard, dataset } = this.options;
    if (shard && shard.rank > 0) return 'the loss went non-finite';
    const whole = makeBatch(dataset, dataset.train, indices, this.adapter);
    try {
      return await diagnoseNonFinite(this.model!, whole.x, whole.y, this.step + 1, loss);
    } finally {
      whole.x.dispose();
      whole.y.dispose();
    }
  }

  /** Held-out loss and accuracy over `which` in inference mode (running bn statistics); undefined when stopped. */
  private async evaluate(epoch: number, which: Int32Array, full: boolean): Promise<EvaluationEvent | undefined> {
    const { dataset } = this.options;
    const model = this.model!;
    const samples = which.length;
    const batchSize = Math.max(this.config.batch, 64);
    let lossSum = 0;
    let correct = 0;
    let positions = 1;
    for (let start = 0; start < samples; start += batchSize) {
      if (!(await this.waitWhilePaused())) return undefined;
      const batch = makeBatch(dataset, dataset.test, which.subarray(start, start + batchSize), this.adapter);
      const sums = tf.tidy(() => {
        const { logits } = model.forward(batch.x, { training: false });
        positions = positionsPerImage(logits);
        const loss = tf.neg(tf.sum(tf.mul(batch.y, tf.logSoftmax(logits))));
        return tf.stack([loss, correctCount(logits, batch.y)]);
      });
      const [l, r] = await sums.data();
      sums.dispose();
      batch.x.dispose();
      batch.y.dispose();
      lossSum += l;
      correct += r;
      await this.nextFrame();
    }
    return { type: 'evaluation', epoch, step: this.step, loss: lossSum / (samples * positions), accuracy: correct / (samples * positions), samples, full };
  }
}

/** Shapes (with batch) of the tensors a set of probe keys is added to. */
function probeShapes(model: TfModel, keys: string[], batch: number): number[][] {
  return keys.map((key) => {
    const parts = key.split(':');
    const id = parts[0] === 'node' ? parts[1] : model.graph.nodeById.get(parts[1])!.inputs[Number(parts[2])];
    return [batch, ...model.graph.nodeById.get(id)!.shape!];
  });
}
