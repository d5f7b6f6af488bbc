/**
 * "Train both" in the Compare view: the two models trained by two training workers (train.js; one per
 * side, so the runs proceed in parallel on separate cores), on the same data set with the same train
 * section (side A's), so the seeded engine draws the same batches in the same order for both. Side B
 * starts once side A has run its first step, on the backend A ended up on (A's start may have moved along
 * the backend chain), so both sides are measured on the same backend.
 *
 * Before anything loads, the pair is planned against one memory budget (src/train/memoryPlan.ts): both at
 * once, one after the other in one worker, both at a smaller batch, or refused; the plan's sentence is
 * shown in the panel either way.
 *
 * On the PyTorch engine the extension host trains both sides (src/compare/torchPair.ts, which also plans the
 * pair) and each side is a HostRun fed the host's event lines: the same events drive the same curves, held-out
 * points, depth gradients, lesion study, loss landscape and Pause / Resume / Stop, with both sides at once.
 */
import { withoutSkipConnections } from '../../src/core/ablation';
import { analyze } from '../../src/core/analyze';
import type { ModelGraph } from '../../src/core';
import type { CompareTrainingPoint, CompareTrainingRun, DepthGradient, SharedTrainingConfig, SideIndex } from '../../src/protocol/compare-messages';
import { budgetFor, type PairPlan, planPair } from '../../src/train/memoryPlan';
import { type DepthGraph, depthGradients } from './depth-gradients';
import type { BackendName, LandscapeAction, LesionSettings, RunHandle, RuntimeEvent, TrainingRuntime } from './runtime-api';
import type { LesionResult } from '../../src/train/experiments/lesionPlan';
import type { PathLengthGradient } from '../../src/train/experiments/pathGradients';
import { loadRuntime } from './runtime-loader';
import type { HostRun } from './host-run';
import { pluralize } from '../../src/core/format';
import type { TrainingStatistics } from '../../src/train/stats';

export type TrainBothEnd = { state: 'finished' | 'stopped' | 'error'; message: string };

export interface TrainBothOptions {
  runs: [CompareTrainingRun, CompareTrainingRun];
  config: SharedTrainingConfig;
  /** Each side's drawn graph (for the depth of each layer); null when it has none. */
  graphs: [DepthGraph | null, DepthGraph | null];
  runtimeUrl: string;
  wasmBase: string;
  onPoint(side: SideIndex, point: CompareTrainingPoint): void;
  onDepthGradients(side: SideIndex, step: number, points: DepthGradient[]): void;
  /** A side's statistics event as the engine sent it (the merge algebra's reuse and residual maps). */
  onStatistics?(side: SideIndex, statistics: TrainingStatistics): void;
  /** A held-out evaluation finished (four per epoch: three on a spread subset, one on the whole split at its end): its accuracy, 0..1. */
  onHeldOut(side: SideIndex, step: number, accuracy: number): void;
  /** A line about both runs (backend, steps, a side's error and its reason), for the status row. */
  onStatus(text: string): void;
  /**
   * Whether both sides can now be measured (a lesion study may run): both engines hold their runs paused (their
   * 'paused' events came), or both runs ended after at least one step and their workers keep the final weights.
   */
  onHeld?(held: boolean): void;
  /** Lesion study events of one side (see RuntimeEvent). */
  onLesionProgress?(side: SideIndex, done: number, total: number): void;
  onLesion?(side: SideIndex, result: LesionResult, tensors: number): void;
  onLesionFailed?(side: SideIndex, message: string): void;
  /**
   * Both runs are held paused by their engines, or both ended with their final weights kept (`held` says which;
   * each side's landscape actions go to `send[side]`), or neither (null): the Compare view's loss landscape
   * measures both at once.
   */
  onBothPaused?(send: [(action: LandscapeAction) => void, (action: LandscapeAction) => void] | null, held?: 'paused' | 'ended'): void;
  /**
   * Gradient magnitude at the input by path length (Veit et al. 2016 §4.2) of one side, measured by its worker at the
   * same steps as the graph view's (see RuntimeEvent 'pathGradients'); `residualAdds` 0: one path, no decomposition.
   */
  onPathGradients?(side: SideIndex, step: number, residualAdds: number, lengths: PathLengthGradient[]): void;
  /** A loss-landscape event of one side's run. */
  onLandscape?(side: SideIndex, event: Extract<RuntimeEvent, { type: 'landscape-cost' | 'landscape-progress' | 'landscape' | 'landscape-ended' }>): void;
  /** How the pair fits the memory budget (before anything loads); a refused plan ends the pair with its message. */
  onPlan(plan: Pick<PairPlan, 'mode' | 'batch' | 'message'>): void;
  /**
   * The sides the extension host trains (engine 'pytorch'), one HostRun each, and the host's line on how they share
   * the machine; absent: both train in this page's workers.
   */
  host?: { runs: [HostRun, HostRun]; plan: string };
}

interface SideState {
  handle: RunHandle | null;
  step: number;
  totalSteps: number;
  /** The engine acknowledged a pause and holds the run. */
  held: boolean;
  backend: BackendName | null;
  /** The engine's own name for where it trains (the `started` event's backend, e.g. "pytorch 1.13.0 · cpu · 1 thread"). */
  engine: string | null;
  /** Running means of the batch loss and accuracy (the curves' points). */
  loss: number | null;
  accuracy: number | null;
  result: { reason: 'done' | 'stopped' | 'non-finite' | 'error'; message: string; steps: number; heldOut: number | null } | null;
}

const LABELS = ['A', 'B'] as const;

export class TrainBoth {
  private readonly sides: [SideState, SideState] = [TrainBoth.fresh(), TrainBoth.fresh()];
  private stopped = false;
  private runtimes: TrainingRuntime[] = [];
  private releaseB: (() => void) | null = null;
  /** Pause was pressed: a side that starts later (B) starts paused. */
  private pauseWanted = false;
  /** The plan runs B after A (see memoryPlan.ts): until then B's status says it waits. */
  private sequential = false;
  /** Settles when both runs have ended and freed their tensors, with how the pair ended. */
  readonly done: Promise<TrainBothEnd>;

  constructor(private readonly options: TrainBothOptions) {
    this.done = this.execute().catch((error: unknown) => ({ state: 'error' as const, message: `Train both failed: ${error instanceof Error ? error.message : String(error)}` }));
  }

  private static fresh(): SideState {
    return { handle: null, step: 0, totalSteps: 0, held: false, backend: null, engine: null, loss: null, accuracy: null, result: null };
  }

  /** Tells the page whether both runs are held paused (and can be measured) after a side's pause state changed. */
  private pausedChanged(): void {
    const [a, b] = this.sides;
    const held = this.held ? 'paused' : this.endedWithWeights ? 'ended' : null;
    if (held && a.handle && b.handle) {
      const [ha, hb] = [a.handle, b.handle];
      this.options.onBothPaused?.([(action) => ha.landscape(action), (action) => hb.landscape(action)], held);
    } else this.options.onBothPaused?.(null);
  }

  /**
   * Both runs ended normally (done or stopped) after at least one step: their workers keep the final weights, so the
   * lesion study and the landscape still measure them.
   */
  get endedWithWeights(): boolean {
    return this.sides.every((s) => s.handle !== null && (s.result?.reason === 'done' || s.result?.reason === 'stopped') && s.result.steps > 0);
  }

  /** Ends both runs at their next step boundary. */
  stop(): void {
    this.stopped = true;
    for (const side of this.sides) side.handle?.stop();
    this.releaseB?.();
  }

  /** Pauses both runs at their next step boundary (B pauses as it starts, if it has not yet). */
  pause(): void {
    this.pauseWanted = true;
    for (const side of this.sides) side.handle?.pause();
  }

  resume(): void {
    this.pauseWanted = false;
    for (const side of this.sides) side.handle?.resume();
  }

  /** True when both engines hold their runs paused. */
  get held(): boolean {
    return this.sides.every((s) => s.held && s.result === null);
  }

  /** A lesion study of both sides' paused (or final) weights, each in its own worker (so both at once). */
  lesion(settings: LesionSettings): void {
    for (const side of this.sides) side.handle?.lesion(settings);
  }

  cancelLesion(): void {
    for (const side of this.sides) side.handle?.cancelLesion();
  }

  /** Tensors alive in the two workers (tf.memory().numTensors, as last reported), once they are loaded. */
  tensors(): number | null {
    return this.runtimes.length ? this.runtimes.reduce((sum, runtime) => sum + runtime.tensors(), 0) : null;
  }

  /** The pair's memory plan, from the two texts as each side trains them (the analysis the worker repeats). */
  private plan(): PairPlan | null {
    const graphs = this.options.runs.map(({ run, withoutSkips }) => {
      const analysis = withoutSkips ? withoutSkipConnections(run.text) : analyze(run.text);
      return analysis.models.find((m) => m.name === run.model) ?? null;
    });
    // A side that does not analyse is the worker's to report, located; the plan needs both models.
    if (!graphs[0] || !graphs[1]) return null;
    return planPair([graphs[0], graphs[1]] as [ModelGraph, ModelGraph], this.options.config, budgetFor(this.options.runs[0].run.backend));
  }

  private async execute(): Promise<TrainBothEnd> {
    if (this.options.host) return this.executeHosted(this.options.host.runs, this.options.host.plan);
    const plan = this.plan();
    if (plan) this.options.onPlan(plan);
    if (plan?.mode === 'refused') return { state: 'error', message: plan.message };
    const config = plan ? { ...this.options.config, batch: plan.batch } : this.options.config;
    const sequential = (this.sequential = plan?.mode === 'one-after-the-other');
    this.options.onStatus('Loading TensorFlow.js and the data…');
    // One after the other, B reuses A's worker: its wasm heap, grown for A, is then B's (a heap never shrinks).
    const runtime = (slot: number): Promise<TrainingRuntime> => loadRuntime(this.options.runtimeUrl, slot);
    this.runtimes = sequential ? [await runtime(0)] : await Promise.all([runtime(0), runtime(1)]);
    if (this.stopped) return { state: 'stopped', message: 'Stopped before the first step.' };
    // Each side takes its slot's runtime again just before it starts: a worker that ended while the other loaded
    // (Stop's grace cut another run's long step short) is then replaced by a fresh one, never started on.
    this.runtimes[0] = await runtime(0);
    const firstStep = new Promise<void>((resolve) => (this.releaseB = resolve));
    const a = this.startSide(this.runtimes[0], 0, null, config);
    // B waits for A's first step (or A's end): by then the backend is settled and proven on this model.
    // One after the other, it waits for A's end.
    await (sequential ? a.done : Promise.race([firstStep, a.done]));
    const slotB = sequential ? 0 : 1;
    if (!this.stopped) this.runtimes[slotB] = await runtime(slotB);
    const b = this.stopped ? null : this.startSide(this.runtimes[slotB], 1, this.sides[0].backend, config);
    await Promise.all([a.done, b?.done]);
    return this.outcome();
  }

  /** Both sides trained by the host, at once: each HostRun delivers its side's events from the host's lines. */
  private async executeHosted(runs: [HostRun, HostRun], plan: string): Promise<TrainBothEnd> {
    this.options.onPlan({ mode: 'together', batch: this.options.config.batch, message: plan });
    this.options.onStatus('Starting PyTorch…');
    runs.forEach((handle, side) => {
      this.sides[side].handle = handle;
      handle.attach((event) => this.onSideEvent(side as SideIndex, event));
      if (this.stopped) handle.stop();
      else if (this.pauseWanted) handle.pause();
    });
    await Promise.all(runs.map((run) => run.done));
    return this.outcome();
  }

  private startSide(runtime: TrainingRuntime, side: SideIndex, backend: BackendName | null, config: SharedTrainingConfig): RunHandle {
    const { run, withoutSkips } = this.options.runs[side];
    const state = this.sides[side];
    const handle = runtime.start({
      text: run.text,
      model: run.model,
      backend: backend ?? run.backend,
      statsInterval: run.statsInterval,
      dataset: run.dataset,
      config,
      withoutSkips,
      // Both sides measure at the same steps on the same first training images: their charts compare.
      pathGradients: this.options.onPathGradients !== undefined,
      wasmBase: this.options.wasmBase,
      onEvent: (event: RuntimeEvent) => this.onSideEvent(side, event),
    });
    state.handle = handle;
    if (this.stopped) handle.stop();
    else if (this.pauseWanted) handle.pause();
    return handle;
  }

  /** One event of a side's run, from its worker or from the host. */
  private onSideEvent(side: SideIndex, event: RuntimeEvent): void {
    const state = this.sides[side];
    switch (event.type) {
      case 'pathGradients':
        if (!this.stopped) this.options.onPathGradients?.(side, event.step, event.residualAdds, event.lengths);
        break;
      case 'landscape-cost':
      case 'landscape-progress':
      case 'landscape':
      case 'landscape-ended':
        this.options.onLandscape?.(side, event);
        break;
      case 'paused':
      case 'resumed':
        state.held = event.type === 'paused';
        this.options.onHeld?.(this.held);
        this.pausedChanged();
        break;
      case 'backend':
        state.backend = event.backend;
        break;
      case 'restarting':
        state.step = 0;
        break;
      case 'started':
        state.totalSteps = event.totalSteps;
        state.engine = event.backend;
        break;
      case 'progress':
        if (this.stopped) return;
        state.step = event.step;
        state.totalSteps = event.totalSteps;
        // Single batches are noisy: the curves show a running mean, as the graph view's do.
        state.loss = state.loss === null ? event.loss : 0.9 * state.loss + 0.1 * event.loss;
        state.accuracy = state.accuracy === null ? event.accuracy : 0.9 * state.accuracy + 0.1 * event.accuracy;
        if (Number.isFinite(state.loss)) this.options.onPoint(side, { step: event.step, epoch: event.epoch, loss: state.loss, accuracy: Math.min(1, Math.max(0, state.accuracy)) });
        if (side === 0) this.releaseB?.();
        this.status();
        break;
      case 'statistics': {
        if (!this.stopped) this.options.onStatistics?.(side, event.statistics);
        const graph = this.options.graphs[side];
        if (!graph || this.stopped) return;
        this.options.onDepthGradients(side, event.statistics.step, depthGradients(graph, event.statistics));
        break;
      }
      case 'evaluation':
        if (this.stopped) return;
        this.options.onHeldOut(side, event.step, event.accuracy);
        break;
      case 'lesion-progress':
        this.options.onLesionProgress?.(side, event.done, event.total);
        break;
      case 'lesion':
        this.options.onLesion?.(side, event.result, event.tensors);
        break;
      case 'lesion-failed':
        this.options.onLesionFailed?.(side, event.message);
        break;
      case 'finished': {
        const { result } = event;
        state.held = false;
        state.result = { reason: result.reason, message: result.message ?? '', steps: result.steps, heldOut: result.evaluation?.accuracy ?? null };
        this.options.onHeld?.(this.endedWithWeights);
        this.pausedChanged();
        this.status();
        break;
      }
      case 'error':
        state.result = { reason: 'error', message: event.message, steps: state.step, heldOut: null };
        if (side === 0) this.releaseB?.();
        this.status();
        break;
    }
  }

  private status(): void {
    // A side that failed says why right here, while the other side trains on (not only when both have ended).
    const parts = this.sides.map((s, i) => {
      if (s.result?.reason === 'error') return `${LABELS[i]}: error at step ${s.result.steps}: ${s.result.message}`;
      if (i === 1 && this.sequential && !s.handle) return `${LABELS[i]}: waits for A`;
      const where = s.result ? `${s.result.reason === 'done' ? 'done' : s.result.reason} at step ${s.result.steps}` : `step ${s.step}/${s.totalSteps || '?'}`;
      return `${LABELS[i]}: ${where}${s.loss !== null ? ` · loss ${s.loss.toFixed(4)}` : ''}`;
    });
    // The host's runs name their engine ("pytorch 1.13.0 · cpu · 1 thread"); the page's name their backend.
    const where = this.options.host ? this.sides[0].engine : this.sides[0].backend && `backend ${this.sides[0].backend}`;
    this.options.onStatus(`${where ? `${where} · ` : ''}${parts.join(' · ')}`);
  }

  private outcome(): TrainBothEnd {
    const failed = this.sides.map((s, i) => ({ s, i })).filter(({ s }) => s.result?.reason === 'error' || s.result?.reason === 'non-finite');
    if (failed.length > 0) return { state: 'error', message: failed.map(({ s, i }) => `${LABELS[i]}: ${s.result!.message || 'the loss went non-finite'}`).join(' ') };
    if (this.sides.every((s) => s.result?.reason === 'done')) {
      const accuracy = this.sides.map((s, i) => `${LABELS[i]} ${s.result!.heldOut === null ? '—' : `${(s.result!.heldOut * 100).toFixed(2)}%`}`).join(', ');
      return { state: 'finished', message: `Both models trained for ${this.sides[0].result!.steps} ${pluralize(this.sides[0].result!.steps, 'step')} on the same batches. Held-out accuracy: ${accuracy}.` };
    }
    // A run the host ended (an edited file) says why in its result; both sides say the same.
    const why = [...new Set(this.sides.map((s) => (s.result?.reason === 'stopped' ? s.result.message : '')).filter((m) => m !== ''))];
    return { state: 'stopped', message: [`Stopped: A after ${this.sides[0].step} ${pluralize(this.sides[0].step, 'step')}, B after ${this.sides[1].step}.`, ...why].join(' ') };
  }
}
