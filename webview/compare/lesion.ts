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
        this.resumeButton.toggleAttribute('disabled', !held);
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
    this.pair = pair;
    this.held = false;
    this.names = [sideName(0, runs[0]), sideName(1, runs[1])];
    const units = runs.map(({ run, withoutSkips }) => {
      const analysis = withoutSkips ? withoutSkipConnections(run.text) : analyze(run.text);
      const graph = analysis.models.find((m) => m.name === run.model);
      return graph ? lesionUnits(graph).length : 0;
    });
    this.panel.plan(units, Infinity);
    this.panel.clear();
    this.pauseButton.removeAttribute('disabled');
    this.resumeButton.setAttribute('disabled', '');
    this.availability();
  }

  /** The pair ended: its weights are gone. */
  ended(): void {
    this.pair = null;
    this.held = false;
    this.running = 0;
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
    if (this.running === 0) this.availability(message ?? (series.every((s) => s.result.complete) ? 'Measured both sides on their paused weights.' : 'Cancelled; the chart shows what was measured.'));
  }

  private availability(message?: string): void {
    if (this.running > 0) return;
    const ready = this.pair !== null && this.held;
    this.panel.setState(ready ? 'ready' : 'unavailable', message ?? (ready ? 'Measures both paused runs; Resume continues training.' : 'Train both, then Pause to measure both models’ current weights.'));
  }
}
