/**
 * Live training statistics on the graph: node colours and value badges for a chosen metric with
 * a legend, statistics and sparklines in the hover/focus tooltip, gradient flow at adds and concats, and
 * the DenseNet feature-reuse heat maps. Whoever runs the engine owns an instance:
 *
 *   const overlay = new StatisticsOverlay({ panel, rendering: () => view.currentRendering });
 *   engine events:  overlay.update(step, statistics)
 *   'graph-rendered' (collapse, expand, edits):  overlay.repaint()
 *   a new run or model:  overlay.clear();   teardown:  overlay.dispose()
 *
 * Clicking a heat-map cell marks the target layer in the graph and dispatches a bubbling
 * `statistics-reveal` CustomEvent ({ id }) from the panel, so the page can pan to it (GraphView.highlight).
 */
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { LayerStatistics, MergeFlow, TrainingStatistics } from '../../src/train/stats';
import type { Rendering } from '../shared/render';
import { branchDescription, GraphPainter, type IndexedStatistics, membersOf } from './graph-paint';
import { ReuseHeatMaps } from './heatmap';
import { AlgebraMatrices } from './algebra';
import { StatisticsHistory } from './history';
import { type ColourScale, combinedValue, formatValue, isMetricName, METRICS, type MetricName, rampGradient } from './metrics';
import { adoptStatsStyles } from './styles';
import { registerTooltipProvider, sparkline, type TooltipSection } from './tooltip';

export interface StatisticsOverlayOptions {
  /** Where the metric picker, legend and heat maps go. */
  panel: HTMLElement;
  /** The graph drawing now on the page (null before the first one). */
  rendering: () => Rendering | null;
}

/** Detail of the `statistics-reveal` event. */
export interface StatisticsRevealDetail {
  id: string;
}

const OFF = 'off';

export class StatisticsOverlay {
  private readonly root: HTMLDivElement;
  private readonly select: HTMLElement;
  private readonly stepText: HTMLSpanElement;
  private readonly legend: HTMLDivElement;
  private readonly legendMin: HTMLSpanElement;
  private readonly legendMax: HTMLSpanElement;
  private readonly legendRamp: HTMLDivElement;
  private readonly legendType: HTMLSpanElement;
  private readonly flowLegend: HTMLDivElement;
  private readonly heatMaps: ReuseHeatMaps;
  private readonly algebra = new AlgebraMatrices();
  private readonly painter = new GraphPainter();
  private readonly history = new StatisticsHistory();
  private readonly disposers: (() => void)[] = [];
  private metric: MetricName | null = 'gradNorm';
  private last: IndexedStatistics | null = null;
  /** The tooltip section last handed out, refreshed in place while it is on screen. */
  private live: { id: string; element: HTMLElement } | null = null;

  constructor(private readonly options: StatisticsOverlayOptions) {
    this.disposers.push(adoptStatsStyles());
    const element = <K extends keyof HTMLElementTagNameMap>(tag: K, className: string, parent: HTMLElement): HTMLElementTagNameMap[K] => {
      const el = document.createElement(tag);
      el.className = className;
      parent.appendChild(el);
      return el;
    };
    this.root = element('div', 'stats-overlay', options.panel);
    this.root.hidden = true;
    const controls = element('div', 'stats-controls', this.root);
    const label = element('span', 'stats-select-label', controls);
    label.textContent = 'Colour by';
    this.select = document.createElement('vscode-single-select');
    this.select.className = 'stats-metric';
    this.select.setAttribute('aria-label', 'Statistic to colour the layers by');
    for (const { name, label: text } of [...METRICS, { name: OFF, label: 'Nothing (no colours)' }]) {
      const option = document.createElement('vscode-option');
      option.setAttribute('value', name);
      option.textContent = text;
      if (name === this.metric) option.setAttribute('selected', '');
      this.select.appendChild(option);
    }
    controls.appendChild(this.select);
    this.stepText = element('span', 'stats-step', controls);
    this.legend = element('div', 'stats-legend', this.root);
    this.legendMin = element('span', 'stats-min', this.legend);
    this.legendRamp = element('div', 'stats-ramp', this.legend);
    this.legendMax = element('span', 'stats-max', this.legend);
    this.legendType = element('span', 'stats-scale-type', this.legend);
    this.flowLegend = element('div', 'stats-flow-legend', this.root);
    this.flowLegend.append('Gradient into merges (width = share):');
    for (const [kind, text] of [['shortcut', 'id/proj shortcut'], ['residual', 'res residual']]) {
      const swatch = element('span', `swatch ${kind}`, this.flowLegend);
      swatch.setAttribute('aria-hidden', 'true');
      this.flowLegend.append(text);
    }
    this.heatMaps = new ReuseHeatMaps((id) => this.reveal(id));
    this.root.appendChild(this.heatMaps.element);
    this.root.appendChild(this.algebra.element);

    const onChange = (): void => this.setMetric((this.select as unknown as { value: string }).value);
    this.select.addEventListener('change', onChange);
    this.disposers.push(() => this.select.removeEventListener('change', onChange));
    this.disposers.push(registerTooltipProvider((id) => this.tooltipFor(id)));
  }

  /** The metric the nodes are coloured by (null: colours off). */
  get currentMetric(): MetricName | null {
    return this.metric;
  }

  /** Shows the statistics of one update and adds them to the sparkline history. */
  update(step: number, statistics: TrainingStatistics): void {
    const layers = new Map<string, LayerStatistics>();
    for (const layer of statistics.layers) layers.set(layer.node, layer);
    const merges = new Map<string, MergeFlow>();
    for (const merge of statistics.merges) merges.set(merge.node, merge);
    this.last = { step, layers, merges };
    this.history.append(step, historyEntries(layers, merges));
    this.heatMaps.update(statistics.reuse, step);
    this.algebra.update(statistics);
    this.flowLegend.hidden = !statistics.merges.some((m) => m.kind === 'add');
    this.stepText.textContent = `Step ${step}`;
    this.root.hidden = false;
    this.repaint();
    this.refreshLiveTooltip();
  }

  /** Re-applies the last statistics to the drawing on the page (call after every render). */
  repaint(): void {
    const rendering = this.options.rendering();
    if (!this.last || !rendering) {
      this.showLegend(null);
      return;
    }
    this.showLegend(this.painter.paint(rendering, this.last, this.metric));
  }

  /** Removes every mark from the graph and the panel and forgets the history (a new run or model). */
  clear(): void {
    this.painter.clear();
    this.heatMaps.clear();
    this.algebra.clear();
    this.history.clear();
    this.last = null;
    this.live = null;
    this.stepText.textContent = '';
    this.showLegend(null);
    this.root.hidden = true;
  }

  dispose(): void {
    this.clear();
    for (const dispose of this.disposers.splice(0)) dispose();
    this.root.remove();
  }

  /** Switches the colouring metric (also what the picker does); unknown names turn colours off. */
  setMetric(name: string): void {
    this.metric = isMetricName(name) ? name : null;
    const select = this.select as unknown as { value: string };
    if (select.value !== (this.metric ?? OFF)) select.value = this.metric ?? OFF;
    this.repaint();
  }

  private showLegend(scale: ColourScale | null): void {
    this.legend.hidden = scale === null;
    if (!scale) return;
    this.legendMin.textContent = formatValue(scale.min);
    this.legendMax.textContent = formatValue(scale.max);
    this.legendRamp.style.setProperty('background', rampGradient(scale));
    this.legendType.textContent = scale.type === 'log' ? 'log scale' : scale.type === 'diverging' ? 'around 0' : 'linear';
    this.legend.dataset.metric = scale.metric;
    this.legend.title = METRICS.find((m) => m.name === scale.metric)!.label;
  }

  private reveal(id: string): void {
    const rendering = this.options.rendering();
    if (rendering) this.painter.markRevealed(rendering, id);
    const detail: StatisticsRevealDetail = { id };
    this.root.dispatchEvent(new CustomEvent('statistics-reveal', { detail, bubbles: true }));
  }

  private refreshLiveTooltip(): void {
    const live = this.live;
    if (!live || !live.element.isConnected) return;
    const fresh = this.tooltipFor(live.id);
    if (fresh) live.element.replaceChildren(...fresh.element.childNodes);
    this.live = { id: live.id, element: live.element };
  }

  /** The tooltip section of a drawn item: its statistics with sparklines, and the flow at a merge. */
  private tooltipFor(id: string): TooltipSection | null {
    const statistics = this.last;
    if (!statistics) return null;
    const group = this.options.rendering()?.items.get(id)?.group ?? null;
    const rows: { key: string; value: number; history: number[] }[] = [];
    for (const metric of METRICS) {
      if (group) {
        const value = combinedValue(membersOf(statistics.layers, id), statistics.layers.get(group.output ?? ''), metric.name);
        if (value !== undefined) rows.push({ key: metric.label, value, history: this.groupHistory(id, group.output ?? '', metric.name) });
        continue;
      }
      const value = statistics.layers.get(id)?.[metric.name];
      if (typeof value === 'number') rows.push({ key: metric.label, value, history: this.history.series(id, metric.name) });
    }
    const merge = group ? undefined : statistics.merges.get(id);
    if (merge?.kind === 'add') {
      merge.branches.forEach((branch, i) => {
        rows.push({ key: `Gradient into ${branchDescription(branch, statistics.layers)}`, value: branch.gradNorm, history: this.history.series(id, `branch:${i}`) });
      });
    }
    if (rows.length === 0 && merge?.kind !== 'concat') return null;
    const section = document.createElement('div');
    section.className = 'stats-section';
    section.dataset.step = String(statistics.step);
    const heading = document.createElement('div');
    heading.className = 'stats-heading';
    heading.textContent = `Training, step ${statistics.step}${group ? ' (all layers of the block)' : ''}`;
    section.appendChild(heading);
    for (const row of rows) {
      const div = document.createElement('div');
      div.className = 'stats-row';
      const key = document.createElement('span');
      key.className = 'key';
      key.textContent = row.key;
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = formatValue(row.value);
      div.append(key, value, sparkline(row.history));
      section.appendChild(div);
    }
    const texts = rows.map((r) => `${r.key} ${formatValue(r.value)}`);
    if (merge?.kind === 'concat') texts.push(this.appendSlices(section, merge));
    this.live = { id, element: section };
    return { element: section, text: `Training statistics at step ${statistics.step}: ${texts.join(', ')}` };
  }

  /** A concat's gradient per source slice: one bar per slice (block input first), values in the text. */
  private appendSlices(section: HTMLElement, merge: Extract<MergeFlow, { kind: 'concat' }>): string {
    const slices = merge.slices.filter((s) => Number.isFinite(s.gradNorm));
    const largest = Math.max(0, ...slices.map((s) => s.gradNorm));
    const div = document.createElement('div');
    div.className = 'stats-row';
    const key = document.createElement('span');
    key.className = 'key';
    key.textContent = 'Gradient per source slice';
    const width = 150;
    const bars = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    bars.setAttribute('class', 'stats-bars');
    bars.setAttribute('width', String(width));
    bars.setAttribute('height', '16');
    const barWidth = width / Math.max(1, slices.length);
    slices.forEach((slice, i) => {
      const height = largest > 0 ? Math.max(1, (14 * slice.gradNorm) / largest) : 1;
      const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      rect.setAttribute('x', (i * barWidth + 0.5).toFixed(1));
      rect.setAttribute('y', (15 - height).toFixed(1));
      rect.setAttribute('width', Math.max(0.5, barWidth - 1).toFixed(1));
      rect.setAttribute('height', height.toFixed(1));
      if (i === 0) rect.setAttribute('class', 'input');
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = `${slice.source || 'zero padding'}: ${formatValue(slice.gradNorm)} (${slice.channels} channels)`;
      rect.appendChild(title);
      bars.appendChild(rect);
    });
    const text = slices.map((s) => `${s.source || 'zero padding'} ${formatValue(s.gradNorm)}`).join(', ');
    const value = document.createElement('span');
    value.className = 'value stats-slices';
    value.textContent = text;
    div.append(key, bars);
    section.append(div, value);
    return `gradient per source slice: ${text}`;
  }

  /** A collapsed block's history, combined update by update from its layers' histories. */
  private groupHistory(groupId: string, output: string, metric: MetricName): number[] {
    if (metric === 'activationMean' || metric === 'activationStd' || metric === 'zeroFraction') return this.history.series(output, metric);
    const members = this.last ? membersOf(this.last.layers, groupId).map((l) => l.node) : [];
    const series = members.map((id) => ({ value: this.history.series(id, metric), weight: this.history.series(id, 'weightNorm') }));
    return Array.from({ length: this.history.length }, (_, i) =>
      combinedValue(
        series.map((s) => ({ node: '', kind: '', activationMean: 0, activationStd: 0, weightNorm: s.weight[i], [metric]: s.value[i] })),
        undefined,
        metric,
      ) ?? Number.NaN,
    );
  }
}

/** What the history keeps of one update: every layer metric, and each add branch's gradient. */
function historyEntries(layers: ReadonlyMap<string, LayerStatistics>, merges: ReadonlyMap<string, MergeFlow>): Map<string, Map<string, number>> {
  const entries = new Map<string, Map<string, number>>();
  for (const [id, layer] of layers) {
    const values = new Map<string, number>();
    for (const { name } of METRICS) {
      const value = layer[name];
      if (typeof value === 'number') values.set(name, value);
    }
    entries.set(id, values);
  }
  for (const [id, merge] of merges) {
    if (merge.kind !== 'add') continue;
    const values = entries.get(id) ?? new Map<string, number>();
    merge.branches.forEach((branch, i) => values.set(`branch:${i}`, branch.gradNorm));
    entries.set(id, values);
  }
  return entries;
}
