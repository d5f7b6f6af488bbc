/**
 * The loss-landscape panel of a paused run (Li et al. 2018): choose 1-D, 2-D or both, see the cost (evaluations ×
 * held-out images, and a time from one measured evaluation) before starting, follow the progress, cancel between
 * two evaluations, and read the charts (landscape-chart.ts). The graph view's training bar gives it one run; the
 * Compare view gives it two (the model and its ablation, or models A and B), whose charts stand side by side on
 * one shared scale: the paper's Fig. 1 on the user's models.
 */
import { DEFAULT_GRID, DEFAULT_LANDSCAPE_SAMPLES, DEFAULT_LINE_POINTS, type LandscapeRequest, type LandscapeResult } from '../../src/train/experiments/landscape';
import { adoptLandscapeStyles, landscapeChart, sharedScale } from './landscape-chart';
import type { LandscapeAction, RuntimeEvent } from './runtime-api';
import { pluralize } from '../../src/core/format';

/** A paused run the panel measures: its label in captions, and where its landscape actions go. */
export interface LandscapeTarget {
  label: string;
  send(action: LandscapeAction): void;
}

export type LandscapePanelState = 'unavailable' | 'ready' | 'estimating' | 'estimated' | 'computing' | 'done' | 'cancelled' | 'failed';

type LandscapeEvent = Extract<RuntimeEvent, { type: 'landscape-cost' | 'landscape-progress' | 'landscape' | 'landscape-ended' }>;

/** Whether a runtime event is one of the panel's. */
export function isLandscapeEvent(event: RuntimeEvent): event is LandscapeEvent {
  return event.type === 'landscape-cost' || event.type === 'landscape-progress' || event.type === 'landscape' || event.type === 'landscape-ended';
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

function control(tag: 'vscode-button' | 'select', id: string, parent: HTMLElement, label?: string): HTMLElement {
  const el = document.createElement(tag);
  el.id = id;
  if (tag === 'vscode-button') el.setAttribute('secondary', '');
  if (label) el.textContent = label;
  parent.appendChild(el);
  return el;
}

export class LandscapePanel {
  readonly root: HTMLElement;
  private state: LandscapePanelState = 'unavailable';
  private targets: LandscapeTarget[] = [];
  private readonly kind: HTMLSelectElement;
  private readonly samplesSelect: HTMLSelectElement;
  private readonly buttons: Record<'estimate' | 'start' | 'cancel', HTMLElement>;
  private readonly status: HTMLElement;
  private readonly charts: HTMLElement;
  /** Per target: seconds of one evaluation, progress, results and whether its work ended. */
  private costs: (number | null)[] = [];
  private progress: { done: number; total: number; seconds: number }[] = [];
  private results: LandscapeResult[][] = [];
  private ended: (LandscapeEvent & { type: 'landscape-ended' })[] = [];
  private requests: LandscapeRequest[] = [];
  /** Whether the targets are paused runs (measured in place, then trained on) or ended ones (their final weights). */
  private held: 'paused' | 'ended' = 'paused';

  constructor(parent: HTMLElement) {
    adoptLandscapeStyles();
    const root = (this.root = document.createElement('div'));
    root.id = 'landscape';
    root.className = 'landscape-panel';
    root.setAttribute('aria-label', 'Loss landscape');
    parent.appendChild(root);
    const row = document.createElement('div');
    row.className = 'landscape-row';
    root.appendChild(row);
    this.buttons = { estimate: control('vscode-button', 'landscape-estimate', row, 'Loss landscape…'), start: control('vscode-button', 'landscape-start', row, 'Start'), cancel: control('vscode-button', 'landscape-cancel', row, 'Cancel') };
    this.kind = control('select', 'landscape-kind', row) as HTMLSelectElement;
    this.kind.title = 'Which slices: a line of loss against α, a surface over (α, β), or both';
    row.insertBefore(this.kind, this.buttons.start);
    for (const [value, label] of [['both', `1-D (${DEFAULT_LINE_POINTS}) and 2-D (${DEFAULT_GRID}×${DEFAULT_GRID})`], ['line', `1-D (${DEFAULT_LINE_POINTS} points)`], ['surface', `2-D (${DEFAULT_GRID}×${DEFAULT_GRID})`]]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      this.kind.appendChild(option);
    }
    this.samplesSelect = control('select', 'landscape-samples', row) as HTMLSelectElement;
    this.samplesSelect.title = 'Held-out images every point is evaluated on (the same fixed subset for all points)';
    row.insertBefore(this.samplesSelect, this.buttons.start);
    for (const count of [32, 64, 128, DEFAULT_LANDSCAPE_SAMPLES, 1024]) {
      const option = document.createElement('option');
      option.value = String(count);
      option.textContent = `${count} images`;
      option.selected = count === DEFAULT_LANDSCAPE_SAMPLES;
      this.samplesSelect.appendChild(option);
    }
    this.status = document.createElement('span');
    this.status.id = 'landscape-status';
    this.status.className = 'landscape-status';
    this.status.setAttribute('role', 'status');
    row.appendChild(this.status);
    this.charts = document.createElement('div');
    this.charts.id = 'landscape-charts';
    this.charts.className = 'landscape-charts';
    root.appendChild(this.charts);
    this.buttons.estimate.addEventListener('click', () => this.estimate());
    this.buttons.start.addEventListener('click', () => this.start());
    this.buttons.cancel.addEventListener('click', () => this.cancel());
    this.setState('unavailable', 'The loss landscape is taken around the weights of a paused run, or of one that ended: train first.');
  }

  get current(): LandscapePanelState {
    return this.state;
  }

  /** True while landscape work holds the paused run (Resume and Stop wait for it). */
  get busy(): boolean {
    return this.state === 'estimating' || this.state === 'computing';
  }

  /**
   * The runs to measure: given when they pause (`held` 'paused') or end with weights kept ('ended'), none (null)
   * while they train or once they are replaced.
   */
  setTargets(targets: LandscapeTarget[] | null, held: 'paused' | 'ended' = 'paused'): void {
    if (targets === null) {
      if (this.busy) this.cancel();
      this.targets = [];
      if (this.state !== 'unavailable') this.setState('unavailable', 'The run is not paused: pause it, or let it finish, to take a landscape.');
      return;
    }
    this.targets = targets;
    this.held = held;
    const around = held === 'paused' ? 'the paused weights' : 'the weights the run ended with';
    if (this.state === 'unavailable') this.setState('ready', `Around ${around}, along seeded filter-normalised random directions (Li et al. 2018).`);
  }

  /** Forgets the charts (a new run starts). */
  clear(): void {
    this.charts.replaceChildren();
    this.results = [];
  }

  private requestsFor(): LandscapeRequest[] {
    const seed = 1;
    const samples = Number(this.samplesSelect.value);
    const line: LandscapeRequest = { kind: 'line', points: DEFAULT_LINE_POINTS, seed, samples };
    const surface: LandscapeRequest = { kind: 'surface', grid: DEFAULT_GRID, seed, samples };
    return this.kind.value === 'line' ? [line] : this.kind.value === 'surface' ? [surface] : [line, surface];
  }

  private reset(): void {
    const n = this.targets.length;
    this.costs = Array.from({ length: n }, () => null);
    this.progress = Array.from({ length: n }, () => ({ done: 0, total: 0, seconds: 0 }));
    this.ended = [];
  }

  private estimate(): void {
    if (this.targets.length === 0 || this.busy) return;
    this.requests = this.requestsFor();
    this.reset();
    this.setState('estimating', 'Timing one evaluation…');
    for (const target of this.targets) target.send({ type: 'estimate', requests: this.requests });
  }

  private start(): void {
    if (this.state !== 'estimated') return;
    this.reset();
    this.clear();
    this.results = this.targets.map(() => []);
    this.setState('computing', 'Starting…');
    for (const target of this.targets) target.send({ type: 'compute', requests: this.requests });
  }

  private cancel(): void {
    if (this.state === 'estimated') return this.setState('ready', 'Not started.');
    if (!this.busy) return;
    for (const target of this.targets) target.send({ type: 'cancel' });
    this.status.textContent = 'Cancelling…';
  }

  /** A landscape event of target `index`'s run. */
  onEvent(index: number, event: LandscapeEvent): void {
    switch (event.type) {
      case 'landscape-cost': {
        this.costs[index] = event.secondsPerEvaluation;
        if (this.costs.some((c) => c === null)) return;
        const seconds = (this.costs as number[]).reduce((a, c) => a + c * event.evaluations, 0);
        const runs = this.targets.length;
        const evaluations = this.requests.map((r) => (r.kind === 'line' ? r.points : r.grid * r.grid));
        const total = evaluations.reduce((a, b) => a + b, 0) * runs;
        this.root.dataset.evaluations = String(total);
        this.root.dataset.samples = String(event.samples);
        this.root.dataset.estimateSeconds = String(seconds);
        const sum = `${evaluations.join(' + ')}${runs > 1 ? ` evaluations, × ${runs} models` : ' evaluations'}`;
        this.setState('estimated', `${sum} = ${total} × ${event.samples} held-out images (${(total * event.samples).toLocaleString('en-US')} image passes); one evaluation took ${formatSeconds(Math.max(...(this.costs as number[])))}: about ${formatSeconds(seconds)}. Start?`);
        return;
      }
      case 'landscape-progress': {
        this.progress[index] = { done: event.done, total: event.total, seconds: event.secondsPerEvaluation };
        const done = this.progress.reduce((a, p) => a + p.done, 0);
        const left = this.progress.reduce((a, p) => a + (p.total - p.done) * p.seconds, 0);
        this.root.dataset.progress = String(done);
        const total = this.progress.reduce((a, p) => a + p.total, 0);
        this.status.textContent = `${event.kind === 'line' ? '1-D' : '2-D'}: ${done}/${total} ${pluralize(total, 'evaluation')} · about ${formatSeconds(left)} left`;
        return;
      }
      case 'landscape':
        this.results[index]?.push(event.result);
        this.draw();
        return;
      case 'landscape-ended':
        this.ended[index] = event;
        if (event.reason === 'failed') {
          for (const target of this.targets) target.send({ type: 'cancel' });
          return this.setState('failed', event.message ?? 'The landscape failed.', true);
        }
        if (this.ended.filter(Boolean).length < this.targets.length || this.state === 'failed') return;
        if (event.reason === 'estimated') return;
        if (this.held === 'ended') return this.setState(this.ended.some((e) => e.reason === 'cancelled') ? 'cancelled' : 'done', this.ended.some((e) => e.reason === 'cancelled') ? 'Cancelled.' : 'Done, around the weights the run ended with.');
        if (this.ended.some((e) => e.reason === 'cancelled')) return this.setState('cancelled', 'Cancelled; the weights are back where the run paused.');
        this.setState('done', 'Done; the weights are back where the run paused: Resume continues training.');
        return;
    }
  }

  /** Charts by kind, the runs side by side on one scale once each has that kind's result. */
  private draw(): void {
    const kinds = ['line', 'surface'] as const;
    const figures: HTMLElement[] = [];
    for (const kind of kinds) {
      const perTarget = this.results.map((list) => list.find((r) => r.kind === kind));
      if (perTarget.some((r) => !r)) continue;
      const results = perTarget as LandscapeResult[];
      const scale = sharedScale(results);
      results.forEach((result, i) => {
        const chart = landscapeChart(result, `${this.targets[i]?.label ?? ''} · ${kind === 'line' ? '1-D' : '2-D'}`, scale);
        chart.dataset.side = String(i);
        figures.push(chart);
      });
    }
    this.charts.replaceChildren(...figures);
    this.root.dataset.charts = String(figures.length);
  }

  private setState(state: LandscapePanelState, text: string, error = false): void {
    this.state = state;
    this.root.dataset.state = state;
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
    const toggle = (el: HTMLElement, enabled: boolean) => (enabled ? el.removeAttribute('disabled') : el.setAttribute('disabled', ''));
    const idle = state !== 'unavailable' && !this.busy && state !== 'estimated';
    toggle(this.buttons.estimate, idle);
    toggle(this.kind, idle);
    toggle(this.samplesSelect, idle);
    toggle(this.buttons.start, state === 'estimated');
    toggle(this.buttons.cancel, this.busy || state === 'estimated');
  }
}
