/**
 * Stand-in for webview/statistics-overlay.ts (being written in the `stats` branch), with the same public
 * interface, built on the existing `paintStatistics` (node tint + value badge). When that branch is merged,
 * webview/training/training-ui.ts imports StatisticsOverlay from '../statistics-overlay' instead and this
 * file goes.
 */
import type { LayerStatistics, StatisticName } from '../../src/protocol/messages';
import type { TrainingStatistics } from '../../src/train/stats';
import type { Rendering } from '../render';
import { paintStatistics } from '../training-hook';

const METRICS: { name: StatisticName; label: string }[] = [
  { name: 'gradientNorm', label: 'gradient norm' },
  { name: 'weightNorm', label: 'weight norm' },
  { name: 'updateRatio', label: 'update / weight' },
  { name: 'activationStd', label: 'activation std' },
  { name: 'activationMean', label: 'activation mean' },
  { name: 'zeroFraction', label: 'zero ReLU outputs' },
];

/** The engine's per-layer statistics in the protocol's shape that paintStatistics reads. */
export function layerRecord(statistics: TrainingStatistics): Record<string, LayerStatistics> {
  const record: Record<string, LayerStatistics> = {};
  for (const layer of statistics.layers) {
    const entry: LayerStatistics = { activationMean: layer.activationMean, activationStd: layer.activationStd };
    if (layer.weightNorm !== undefined) entry.weightNorm = layer.weightNorm;
    if (layer.gradNorm !== undefined) entry.gradientNorm = layer.gradNorm;
    if (layer.updateRatio !== undefined) entry.updateRatio = layer.updateRatio;
    if (layer.zeroFraction !== undefined) entry.zeroFraction = layer.zeroFraction;
    record[layer.node] = entry;
  }
  return record;
}

export class StatisticsOverlay {
  private latest: { step: number; layers: Record<string, LayerStatistics> } | null = null;
  private metric: StatisticName = 'gradientNorm';
  private readonly caption: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly onChange = (): void => {
    this.metric = this.select.value as StatisticName;
    this.repaint();
  };

  constructor(private readonly options: { panel: HTMLElement; rendering: () => Rendering | null }) {
    const label = document.createElement('label');
    label.textContent = 'Node colour: ';
    this.select = document.createElement('select');
    this.select.id = 'statistic-metric';
    for (const metric of METRICS) {
      const option = document.createElement('option');
      option.value = metric.name;
      option.textContent = metric.label;
      this.select.appendChild(option);
    }
    this.select.addEventListener('change', this.onChange);
    label.appendChild(this.select);
    this.caption = document.createElement('span');
    this.caption.className = 'statistics-caption';
    options.panel.append(label, this.caption);
  }

  update(step: number, statistics: TrainingStatistics): void {
    this.latest = { step, layers: layerRecord(statistics) };
    this.repaint();
  }

  /** Paints the latest statistics again (after the graph re-rendered). */
  repaint(): void {
    const rendering = this.options.rendering();
    if (!rendering || !this.latest) return;
    paintStatistics(rendering, this.latest.layers, this.metric);
    this.caption.textContent = ` at step ${this.latest.step} (stronger tint: larger value, log scale)`;
    this.options.panel.dataset.step = String(this.latest.step);
  }

  clear(): void {
    this.latest = null;
    const rendering = this.options.rendering();
    if (rendering) paintStatistics(rendering, {}, this.metric);
    this.caption.textContent = '';
    delete this.options.panel.dataset.step;
  }

  dispose(): void {
    this.select.removeEventListener('change', this.onChange);
    this.options.panel.replaceChildren();
  }
}
