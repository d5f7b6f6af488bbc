/**
 * The lesion study in the Compare view (Veit, Wilber & Belongie 2016): Pause holds both Train both runs, Measure
 * studies both sides' paused weights (each in its own training worker, at once) and one chart shows both curves,
 * so a model and its no-skip ablation (the switch on one side), or a ResNet and a DenseNet, are read together.
 */
import { analyze } from '../../src/core/analyze';
import { withoutSkipConnections } from '../../src/core/ablation';
import type { CompareTrainingRun, SideIndex } from '../../src/protocol/compare-messages';
import { lesionUnits, type LesionResult } from '../../src/train/experiments/lesionPlan';
import { LesionPanel } from '../training/lesion-panel';
import type { TrainBoth, TrainBothOptions } from '../training/train-both';

type LesionCallbacks = Required<Pick<TrainBothOptions, 'onHeld' | 'onLesionProgress' | 'onLesion' | 'onLesionFailed'>>;

/** What a side is called in the chart: its letter, model and whether its skips are removed. */
export function sideName(side: SideIndex, run: CompareTrainingRun): string {
  return `${'AB'[side]}: ${run.run.model}${run.withoutSkips ? ' without skips' : ''}`;
}

export class CompareLesion {
  readonly panel: LesionPanel;
  private pair: TrainBoth | null = null;
  private names: [string, string] = ['A', 'B'];
  private results: [LesionResult | null, LesionResult | null] = [null, null];
  private progress: [[number, number], [number, number]] = [
    [0, 0],
    [0, 0],
  ];
  private running = 0;
  private held = false;
  /** The pair has ended and both sides' final weights are kept: `held` then means measurable, not paused. */
  private finalWeights = false;

  constructor(
    parent: HTMLElement,
    private readonly pauseButton: HTMLElement,
    private readonly resumeButton: HTMLElement,
  ) {
    this.panel = new LesionPanel({
      parent,
      onMeasure: (settings) => {
        if (!this.pair || !this.held || this.running > 0) return;
        this.results = [null, null];
        this.progress = [
          [0, 0],
          [0, 0],
        ];
        this.running = 2;
        this.panel.setState('running', 'Measuring both sides…');
        this.pair.lesion(settings);
      },
      onCancel: () => this.pair?.cancelLesion(),
    });
    this.panel.element.id = 'lesion-panel';
    pauseButton.addEventListener('click', () => {
      if (!this.pair || pauseButton.hasAttribute('disabled')) return;
      this.pair.pause();
      pauseButton.setAttribute('disabled', '');
      this.panel.setState('unavailable', 'Pausing: the study starts once both runs hold.');
    });
    resumeButton.addEventListener('click', () => {
      if (!this.pair || resumeButton.hasAttribute('disabled')) return;
      this.pair.resume();
      resumeButton.setAttribute('disabled', '');
      pauseButton.removeAttribute('disabled');
    });
    this.ended();
  }

  /** Callbacks for the TrainBoth options (they act on the pair attached when events arrive). */
  callbacks(): LesionCallbacks {
    return {
      onHeld: (held) => {
        this.held = held;
        // Resume is for paused runs; runs that ended (measurable on their final weights) have nothing to resume.
        this.resumeButton.toggleAttribute('disabled', !held || this.pair?.endedWithWeights === true);
        this.availability();
      },
      onLesionProgress: (side, done, total) => {
        this.progress[side] = [done, total];
        this.panel.progress(this.progress[0][0] + this.progress[1][0], this.progress[0][1] + this.progress[1][1]);
      },
      onLesion: (side, result) => {
        this.results[side] = result;
        this.finishSide();
      },
      onLesionFailed: (_side, message) => {
        this.finishSide(message);
      },
    };
  }

  /** A Train both run started: plan the cost of studying both models. */
  attach(pair: TrainBoth, runs: [CompareTrainingRun, CompareTrainingRun]): void {
    // The earlier pair's final weights are replaced: a study still measuring them ends.
    if (this.pair !== pair) this.pair?.cancelLesion();
    this.pair = pair;
    this.held = false;
    this.finalWeights = false;
    this.running = 0;
    this.names = [sideName(0, runs[0]), sideName(1, runs[1])];
    const kinds = runs.map(({ run, withoutSkips }) => {
      const analysis = withoutSkips ? withoutSkipConnections(run.text) : analyze(run.text);
      const graph = analysis.models.find((m) => m.name === run.model);
      return graph ? lesionUnits(graph).map((u) => u.kind) : [];
    });
    this.panel.plan(kinds, Infinity);
    this.panel.clear();
    this.pauseButton.removeAttribute('disabled');
    this.resumeButton.setAttribute('disabled', '');
    this.availability();
  }

  /**
   * The pair ended. Where both runs ended after a step their workers keep the final weights, and the study measures
   * those; otherwise (a side failed, or stopped before its first step) there is nothing to measure.
   */
  ended(): void {
    const pair = this.pair;
    this.finalWeights = pair?.endedWithWeights === true;
    if (!this.finalWeights) {
      this.pair = null;
      this.running = 0;
    }
    this.held = this.finalWeights;
    this.pauseButton.setAttribute('disabled', '');
    this.resumeButton.setAttribute('disabled', '');
    this.availability();
  }

  dispose(): void {
    this.panel.dispose();
  }

  private finishSide(message?: string): void {
    this.running = Math.max(0, this.running - 1);
    const series = this.results.flatMap((result, i) => (result ? [{ name: this.names[i], result }] : []));
    if (series.length > 0) this.panel.show(series);
    const which = this.pair?.endedWithWeights ? 'the weights their runs ended with' : 'their paused weights';
    if (this.running === 0) this.availability(message ?? (series.every((s) => s.result.complete) ? `Measured both sides on ${which}.` : 'Cancelled; the chart shows what was measured.'));
  }

  private availability(message?: string): void {
    if (this.running > 0) return;
    const ready = this.pair !== null && this.held;
    const ended = this.pair?.endedWithWeights === true;
    const why = ready
      ? ended
        ? 'Measures the weights both runs ended with.'
        : 'Measures both paused runs; Resume continues training.'
      : 'Train both, then Pause (or let both runs finish) to measure both models’ weights.';
    this.panel.setState(ready ? 'ready' : 'unavailable', message ?? why);
  }
}
