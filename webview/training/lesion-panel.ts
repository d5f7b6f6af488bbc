/**
 * The lesion study panel (Veit, Wilber & Belongie 2016, Figs. 3–5), shared by the graph view's training bar and the
 * Compare view: the study's cost before it starts (passes over the held-out images × images), Measure, progress and
 * a Cancel that ends the study in the worker, then held-out accuracy against the number of units removed (mean ± sd
 * over random draws; residual branches, dense layers or skip concatenations, each named so) for every measured series (a model, its no-skip ablation), drawn with Observable Plot, and the
 * single removals as a list. No TensorFlow.js: the worker measures, this only shows.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import * as Plot from '@observablehq/plot';
import { chanceName, countLesionUnits, LESION_UNIT_NOUNS, lesionCost, lesionUnitNoun, NO_WEIGHTS_MESSAGE, type LesionResult, type LesionUnit } from '../../src/train/experiments/lesionPlan';
import type { LesionSettings } from './runtime-api';
import { adoptLesionStyles } from './lesion-styles';
import { pluralize } from '../../src/core/format';

/** One measured curve: a model (or its ablation) and its study. */
export interface LesionSeries {
  name: string;
  result: LesionResult;
}

/** One mark of the chart: `k` units removed, mean accuracy and its spread (sd over draws; 0 for k = 0). */
export interface LesionPoint {
  series: string;
  k: number;
  mean: number;
  low: number;
  high: number;
}

/** The chart's points: k = 0 (nothing removed) then each k = 1…n, per series; a cancelled study gives what it measured. */
export function lesionPoints(series: readonly LesionSeries[]): LesionPoint[] {
  return series.flatMap(({ name, result }) => {
    const points: LesionPoint[] = [];
    if (Number.isFinite(result.baseline)) points.push({ series: name, k: 0, mean: result.baseline, low: result.baseline, high: result.baseline });
    for (const r of result.removed) points.push({ series: name, k: r.k, mean: r.mean, low: Math.max(0, r.mean - r.sd), high: Math.min(1, r.mean + r.sd) });
    return points;
  });
}

export interface LesionPanelOptions {
  parent: HTMLElement;
  /** The user pressed Measure with these settings. */
  onMeasure(settings: LesionSettings): void;
  onCancel(): void;
}

const SAMPLES = ['200', '500', '1000'];
const DRAWS = ['3', '5', '10'];

function select(id: string, label: string, values: string[], chosen: string, parent: HTMLElement): HTMLElement & { value: string } {
  const wrapper = document.createElement('label');
  wrapper.textContent = `${label} `;
  const el = document.createElement('vscode-single-select') as HTMLElement & { value: string };
  el.id = id;
  for (const value of values) {
    const option = document.createElement('vscode-option');
    option.textContent = value;
    if (value === chosen) option.setAttribute('selected', '');
    el.appendChild(option);
  }
  wrapper.appendChild(el);
  parent.appendChild(wrapper);
  return el;
}

export class LesionPanel {
  readonly element: HTMLElement;
  private readonly measure: HTMLElement;
  private readonly cancel: HTMLElement;
  private readonly samples: HTMLElement & { value: string };
  private readonly draws: HTMLElement & { value: string };
  private readonly cost: HTMLElement;
  private readonly status: HTMLElement;
  private readonly progressBar: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly singles: HTMLElement;
  private kinds: (readonly LesionUnit['kind'][])[] = [[]];
  private testImages = Infinity;
  private readonly releaseStyles = adoptLesionStyles();

  constructor(private readonly options: LesionPanelOptions) {
    const root = (this.element = document.createElement('section'));
    root.className = 'lesion-panel';
    root.setAttribute('aria-label', 'Lesion study');
    options.parent.appendChild(root);
    const heading = document.createElement('div');
    heading.className = 'lesion-heading';
    heading.textContent = 'Lesion study';
    heading.title = 'Held-out accuracy with residual branches, dense layers or skip concatenations removed: Veit, Wilber & Belongie 2016, "Residual networks behave like ensembles of relatively shallow networks".';
    root.appendChild(heading);
    const row = document.createElement('div');
    row.className = 'lesion-row';
    root.appendChild(row);
    this.samples = select('lesion-samples', 'Held-out images', SAMPLES, '500', row);
    this.draws = select('lesion-draws', 'Draws', DRAWS, '5', row);
    this.measure = document.createElement('vscode-button');
    this.measure.className = 'lesion-measure';
    this.measure.textContent = 'Measure';
    row.appendChild(this.measure);
    this.cancel = document.createElement('vscode-button');
    this.cancel.className = 'lesion-cancel';
    this.cancel.setAttribute('secondary', '');
    this.cancel.textContent = 'Cancel';
    row.appendChild(this.cancel);
    this.cost = document.createElement('span');
    this.cost.className = 'lesion-cost';
    row.appendChild(this.cost);
    this.progressBar = document.createElement('vscode-progress-bar');
    this.progressBar.className = 'lesion-progress';
    root.appendChild(this.progressBar);
    this.status = document.createElement('div');
    this.status.className = 'lesion-status';
    this.status.setAttribute('role', 'status');
    root.appendChild(this.status);
    this.chart = document.createElement('div');
    this.chart.className = 'lesion-chart';
    root.appendChild(this.chart);
    this.singles = document.createElement('div');
    this.singles.className = 'lesion-singles';
    root.appendChild(this.singles);
    this.measure.addEventListener('click', () => {
      if (this.measure.hasAttribute('disabled')) return;
      this.options.onMeasure(this.settings());
    });
    this.cancel.addEventListener('click', () => {
      if (!this.cancel.hasAttribute('disabled')) this.options.onCancel();
    });
    for (const el of [this.samples, this.draws]) el.addEventListener('change', () => this.showCost());
    this.setState('unavailable', NO_WEIGHTS_MESSAGE);
  }

  /** The settings chosen in the panel (seed 1: the same draws every time). */
  settings(): LesionSettings {
    return { samples: Number(this.samples.value) || 500, draws: Number(this.draws.value) || 5, seed: 1 };
  }

  /**
   * The kinds of the units each studied model has to remove, in graph order (one list, or one per Compare side), and
   * the held-out images there are, for the cost shown before starting.
   */
  plan(kinds: readonly (readonly LesionUnit['kind'][])[], testImages: number): void {
    this.kinds = kinds.map((k) => [...k]);
    this.testImages = testImages;
    this.showCost();
  }

  /** unavailable: Measure disabled (no paused run); ready; running: Cancel enabled, progress shown. */
  setState(state: 'unavailable' | 'ready' | 'running', message?: string): void {
    this.element.dataset.state = state;
    const toggle = (el: HTMLElement, enabled: boolean) => (enabled ? el.removeAttribute('disabled') : el.setAttribute('disabled', ''));
    toggle(this.measure, state === 'ready');
    toggle(this.cancel, state === 'running');
    this.progressBar.hidden = state !== 'running';
    if (message !== undefined) this.status.textContent = message;
  }

  progress(done: number, total: number): void {
    this.element.dataset.done = String(done);
    this.element.dataset.total = String(total);
    this.status.textContent = `Measuring: ${done} of ${total} ${pluralize(total, 'evaluation')}`;
  }

  /** Draws every series (a model and, where measured, its ablation) and lists the single removals. */
  show(series: readonly LesionSeries[]): void {
    const points = lesionPoints(series);
    this.element.dataset.series = String(series.length);
    const chance = series[0]?.result.chance;
    // Per-pixel accuracy is measured against predicting the majority class everywhere, not 1 / classes.
    const chanceLabel = series[0] ? `${chanceName(series[0].result.chanceBasis)} ${(series[0].result.chance * 100).toFixed(1)}%` : '';
    const plot = Plot.plot({
      width: 360,
      height: 200,
      marginLeft: 44,
      style: { background: 'transparent', color: 'var(--g-fg, currentColor)', fontSize: '10px' },
      x: { label: `${lesionUnitNoun(series.flatMap((s) => s.result.singles.map((one) => one.kind)), 2)} removed`, domain: [0, Math.max(1, ...points.map((p) => p.k))], grid: true },
      y: { label: 'held-out accuracy', domain: [0, 1], grid: true, tickFormat: '.0%' },
      marks: [
        // Colours come from the stylesheet (theme variables) through currentColor: SVG attributes cannot hold var().
        ...(chance !== undefined
          ? [
              Plot.ruleY([chance], { stroke: 'currentColor', strokeDasharray: '3,3', className: 'lesion-chance' }),
              Plot.text([chanceLabel], { frameAnchor: 'right', textAnchor: 'end', y: () => chance, dy: -6, fill: 'currentColor', className: 'lesion-chance-label' }),
            ]
          : []),
        ...series.flatMap((s, i) => {
          const mine = points.filter((p) => p.series === s.name);
          const className = `lesion-series-${i}`;
          return [
            Plot.ruleX(mine, { x: 'k', y1: 'low', y2: 'high', stroke: 'currentColor', strokeOpacity: 0.6, className: `${className} lesion-spread` }),
            Plot.line(mine, { x: 'k', y: 'mean', stroke: 'currentColor', className: `${className} lesion-line` }),
            Plot.dot(mine, { x: 'k', y: 'mean', fill: 'currentColor', r: 3, className: `${className} lesion-dots`, title: (p: LesionPoint) => `${p.series}: ${p.k} removed, ${(p.mean * 100).toFixed(1)}%` }),
          ];
        }),
      ],
    });
    // Plot adds a <style> element, which the page's CSP refuses; lesion-styles.ts holds the same rules.
    for (const style of plot.querySelectorAll('style')) style.remove();
    plot.classList.add('lesion-plot');
    const legend = document.createElement('div');
    legend.className = 'lesion-legend';
    series.forEach((s, i) => {
      const item = document.createElement('span');
      item.className = `lesion-legend-${i}`;
      item.textContent = `${s.name}${s.result.complete ? '' : ' (cancelled)'}`;
      legend.appendChild(item);
    });
    this.chart.replaceChildren(legend, plot);
    this.singles.replaceChildren(
      ...series.map((s) => {
        const line = document.createElement('div');
        const kinds = s.result.singles.map((one) => one.kind);
        // A series of one kind names it once in the sentence; mixed kinds name each unit's.
        const mixed = new Set(kinds).size > 1;
        const text = s.result.singles.map((one) => `${one.label}${mixed ? ` (${LESION_UNIT_NOUNS[one.kind][0]})` : ''} ${(one.accuracy * 100).toFixed(1)}%`).join(' · ');
        line.textContent = `${s.name}, one ${lesionUnitNoun(kinds, 1)} removed: ${text || `no ${lesionUnitNoun(kinds, 1)} measured`}`;
        return line;
      }),
    );
  }

  clear(): void {
    this.chart.replaceChildren();
    this.singles.replaceChildren();
    delete this.element.dataset.series;
    delete this.element.dataset.done;
    delete this.element.dataset.total;
  }

  dispose(): void {
    this.releaseStyles();
    this.element.remove();
  }

  private showCost(): void {
    const { samples, draws } = this.settings();
    const images = Math.min(samples, this.testImages);
    const costs = this.kinds.map((kinds) => lesionCost(kinds.length, draws, images));
    const evaluations = costs.reduce((sum, c) => sum + c.evaluations, 0);
    this.element.dataset.evaluations = String(evaluations);
    const units = this.kinds.length === 1 ? countLesionUnits(this.kinds[0]) : this.kinds.map((kinds, i) => `${'AB'[i] ?? i + 1}: ${countLesionUnits(kinds)}`).join(', ');
    this.cost.textContent = `${units}: ${evaluations} ${pluralize(evaluations, 'evaluation')} × ${images} ${pluralize(images, 'image')} = ${(evaluations * images).toLocaleString('en-US')} forward passes`;
  }
}
