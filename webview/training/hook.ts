/**
 * Where the training engine plugs into the graph view: it registers a controller that receives
 * the host's start/pause/resume/stop commands, and per-layer statistics are painted onto the drawing as
 * a node tint and a value badge.
 */
import type { LayerStatistics, StatisticName } from '../../src/protocol/messages';
import type { Rendering } from '../shared/render';
import { svgElement } from '../shared/render';

export interface TrainingController {
  command(action: 'start' | 'pause' | 'resume' | 'stop'): void;
}

let controller: TrainingController | null = null;

export function registerTrainingController(next: TrainingController | null): void {
  controller = next;
}

export function trainingController(): TrainingController | null {
  return controller;
}

export function formatStatistic(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e4)) return value.toExponential(1);
  return value.toPrecision(3);
}

/**
 * Tints every drawn node that has a value of `metric` (strength by its rank between the smallest and the
 * largest on a log scale) and writes the value in a badge; nodes without one are cleared.
 */
export function paintStatistics(rendering: Rendering, layers: Record<string, LayerStatistics>, metric: StatisticName = 'gradientNorm'): void {
  const values = Object.values(layers).map((s) => Math.abs(s[metric] ?? Number.NaN)).filter((v) => Number.isFinite(v) && v > 0);
  const low = Math.log(Math.min(...values));
  const high = Math.log(Math.max(...values));
  for (const item of rendering.items.values()) {
    item.element.querySelector('.badge')?.remove();
    const shape = item.element.querySelector<SVGElement>('.shape');
    const value = Object.prototype.hasOwnProperty.call(layers, item.id) ? layers[item.id][metric] : undefined;
    if (value === undefined || !Number.isFinite(value)) {
      shape?.style.removeProperty('fill');
      continue;
    }
    const strength = high > low && value > 0 ? (Math.log(Math.abs(value)) - low) / (high - low) : 1;
    shape?.style.setProperty('fill', `color-mix(in srgb, var(--g-dense) ${Math.round(10 + 60 * strength)}%, var(--g-node-fill))`);
    const badge = svgElement('text', { class: 'badge', x: item.box.width - 4, y: item.box.height - 4, 'text-anchor': 'end' }, item.element);
    badge.textContent = formatStatistic(value);
  }
}
