/**
 * The merge algebra of both Compare sides at initialisation, measured before any run as soon as the pair is loaded:
 * DenseNet's ‖H_ℓ^s * X_s‖ (Huang et al. 2017, section 3, eq. 2) and ResNet's residual shares (He et al. 2016,
 * "Identity Mappings", section 2, eq. 4) from the training engine's own statistics of step 1 — the forward pass of the
 * seeded initial weights over the first batch of the data set — at learning rate 0, as `skipnet algebra` measures them
 * (src/cli/algebra.ts algebraAtInitialisation). Each side runs in the training worker Train both gives it (slot 0 for A,
 * 1 for B), one side after the other, so the workers are loaded when Train both starts and the two measurements do not
 * compete for the cores.
 *
 * A side's run is paused once its statistics arrive and stopped once the engine holds it: a paused run ends at once,
 * so a long step never outlives Stop's grace and ends the worker.
 */
import type { CompareTrainingRun, SharedTrainingConfig, SideIndex } from '../../src/protocol/compare-messages';
import type { TrainingStatistics } from '../../src/train/stats';
import type { RunHandle, TrainingRuntime } from '../training/runtime-api';
import { loadRuntime } from '../training/runtime-loader';

/**
 * Largest batch measured before a run, images: the measurement starts whenever a pair is opened or edited, so it must
 * not take a whole training step's memory of a large train section (a model trained at batch 256 on 224×224 images).
 * Up to this the batch is the train section's, so the figures equal `skipnet algebra`'s and Train both's step 1.
 */
export const INITIAL_ALGEBRA_MAX_BATCH = 32;

export interface InitialAlgebraOptions {
  /** What Train both would train (the host's `initialAlgebra` message): both sides on side A's data set and train section. */
  runs: [CompareTrainingRun, CompareTrainingRun];
  config: SharedTrainingConfig;
  /** train.js and the wasm files' URL prefix, as Train both gets them. */
  runtimeUrl: string;
  wasmBase: string;
  /** A side's statistics of step 1 (the initial weights' forward pass over `batch` images). */
  onStatistics(side: SideIndex, statistics: TrainingStatistics, batch: number): void;
  /** A side could not be measured: the engine's sentence (the model does not fit its data, the worker failed, …). */
  onFailed(side: SideIndex, message: string): void;
}

/** One measurement of both sides; `cancel` ends it (Train both starts, or the pair changed). */
export class InitialAlgebra {
  private handle: RunHandle | null = null;
  private cancelled = false;
  /** Settles when both sides were measured, failed or were cancelled, and their runs ended. */
  readonly done: Promise<void>;

  constructor(private readonly options: InitialAlgebraOptions) {
    this.done = this.execute();
  }

  /** The batch measured: the train section's, at most INITIAL_ALGEBRA_MAX_BATCH. */
  get batch(): number {
    return Math.min(this.options.config.batch, INITIAL_ALGEBRA_MAX_BATCH);
  }

  /** Ends the measurement: the side in progress stops at once (paused or loading) or at its next step boundary. */
  cancel(): void {
    this.cancelled = true;
    this.handle?.stop();
  }

  private async execute(): Promise<void> {
    for (const side of [0, 1] as const) {
      if (this.cancelled) return;
      try {
        const runtime = await loadRuntime(this.options.runtimeUrl, side);
        if (this.cancelled) return;
        await this.measure(side, runtime);
      } catch (error) {
        if (!this.cancelled) this.options.onFailed(side, error instanceof Error ? error.message : String(error));
      }
    }
  }

  private measure(side: SideIndex, runtime: TrainingRuntime): Promise<void> {
    const { run, withoutSkips } = this.options.runs[side];
    let measured = false;
    const handle = runtime.start({
      ...run,
      statsInterval: 1,
      pathGradients: false,
      withoutSkips,
      wasmBase: this.options.wasmBase,
      // Learning rate 0: nothing moves, not even with momentum or weight decay, until the run is stopped.
      config: { ...this.options.config, batch: this.batch, lr: 0, weightDecay: 0 },
      onEvent: (event) => {
        if (event.type === 'statistics' && !measured) {
          measured = true;
          if (!this.cancelled) this.options.onStatistics(side, event.statistics, this.batch);
          handle.pause();
        } else if (event.type === 'paused') handle.stop();
        else if (event.type === 'error' && !this.cancelled) this.options.onFailed(side, event.message);
        else if (event.type === 'finished' && !measured && !this.cancelled && event.result.reason !== 'stopped') {
          this.options.onFailed(side, event.result.message ?? `No statistics were measured (the run ended ${event.result.reason}).`);
        }
      },
    });
    this.handle = handle;
    if (this.cancelled) handle.stop();
    return handle.done;
  }
}
