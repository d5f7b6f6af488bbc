/**
 * The per-layer metrics the statistics overlay can colour the graph by: their names, how to read one
 * from the engine's `LayerStatistics`, how to combine the layers of a collapsed block, how to format a
 * value, and the colour scale (log where the values span decades). Colours are CSS `color-mix()`
 * expressions over theme variables (see stats-styles.ts), so dark, light and high-contrast themes each
 * get their own ramp without any JavaScript knowing the theme.
 */
import type { LayerStatistics } from '../../src/train/stats';

export type MetricName = 'gradNorm' | 'weightNorm' | 'updateRatio' | 'activationMean' | 'activationStd' | 'zeroFraction';

export interface MetricInfo {
  name: MetricName;
  /** Long label (select, tooltip). */
  label: string;
  /**
   * 'magnitude': positive, log scale when the values span a decade or more; 'signed': a diverging scale
   * around zero; 'fraction': a fixed 0…1 scale.
   */
  kind: 'magnitude' | 'signed' | 'fraction';
}

export const METRICS: readonly MetricInfo[] = [
  { name: 'gradNorm', label: 'Gradient norm ‖∇W‖', kind: 'magnitude' },
  { name: 'weightNorm', label: 'Weight norm ‖W‖', kind: 'magnitude' },
  { name: 'updateRatio', label: 'Update ratio ‖ΔW‖/‖W‖', kind: 'magnitude' },
  { name: 'activationMean', label: 'Activation mean', kind: 'signed' },
  { name: 'activationStd', label: 'Activation std', kind: 'magnitude' },
  { name: 'zeroFraction', label: 'ReLU zero fraction', kind: 'fraction' },
];

export const METRIC_BY_NAME: ReadonlyMap<MetricName, MetricInfo> = new Map(METRICS.map((m) => [m.name, m]));

export function isMetricName(value: string): value is MetricName {
  return METRIC_BY_NAME.has(value as MetricName);
}

export function metricValue(stats: LayerStatistics | undefined, metric: MetricName): number | undefined {
  const value = stats?.[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * One value standing for several layers (a collapsed block): norms combine as the norm of all the
 * parameters together, the update ratio as ‖ΔW‖/‖W‖ over them all; activation figures are the block
 * output's (`output`), since that is what leaves the box.
 */
export function combinedValue(members: readonly LayerStatistics[], output: LayerStatistics | undefined, metric: MetricName): number | undefined {
  if (metric === 'activationMean' || metric === 'activationStd' || metric === 'zeroFraction') return metricValue(output, metric);
  let squares = 0;
  let weights = 0;
  let found = false;
  for (const layer of members) {
    const w = metricValue(layer, 'weightNorm');
    if (metric === 'updateRatio') {
      const r = metricValue(layer, 'updateRatio');
      if (r === undefined || w === undefined) continue;
      squares += (r * w) ** 2;
      weights += w * w;
    } else {
      const v = metricValue(layer, metric);
      if (v === undefined) continue;
      squares += v * v;
    }
    found = true;
  }
  if (!found) return undefined;
  if (metric === 'updateRatio') return weights > 0 ? Math.sqrt(squares) / Math.sqrt(weights) : 0;
  return Math.sqrt(squares);
}

/** Three significant digits; exponent form for very small or large magnitudes. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude === 0) return '0';
  if (magnitude < 1e-3 || magnitude >= 1e4) return value.toExponential(2);
  return value.toPrecision(3);
}

/** Maps values of one metric to positions on its colour ramp. */
export interface ColourScale {
  metric: MetricName;
  /** 'log' and 'linear' run 0…1 from min to max; 'diverging' runs −1…1 around zero (min = −max). */
  type: 'log' | 'linear' | 'diverging';
  min: number;
  max: number;
  /** 0…1 (−1…1 for diverging), clamped. */
  position(value: number): number;
}

export function makeScale(metric: MetricName, values: readonly number[]): ColourScale | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  const kind = METRIC_BY_NAME.get(metric)!.kind;
  const clamp = (t: number, low = 0): number => Math.min(1, Math.max(low, t));
  if (kind === 'signed') {
    const extent = Math.max(...finite.map(Math.abs));
    return { metric, type: 'diverging', min: -extent, max: extent, position: (v) => (extent > 0 ? clamp(v / extent, -1) : 0) };
  }
  if (kind === 'fraction') return { metric, type: 'linear', min: 0, max: 1, position: (v) => clamp(v) };
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  if (min > 0 && max / min >= 10) {
    const low = Math.log(min);
    const span = Math.log(max) - low;
    return { metric, type: 'log', min, max, position: (v) => (v > 0 ? clamp((Math.log(v) - low) / span) : 0) };
  }
  return { metric, type: 'linear', min, max, position: (v) => (max > min ? clamp((v - min) / (max - min)) : 1) };
}

/**
 * The fill for a ramp position. Sequential: from the cool to the warm chart colour, mixed into the node
 * fill so labels on the node stay readable. Diverging: cool for negative, warm for positive, stronger
 * with the magnitude.
 */
export function rampColour(position: number, diverging = false): string {
  if (diverging) {
    const strength = Math.round(12 + 58 * Math.abs(position));
    return `color-mix(in srgb, var(${position < 0 ? '--stats-low' : '--stats-high'}) ${strength}%, var(--g-node-fill))`;
  }
  const warm = Math.round(100 * position);
  return `color-mix(in srgb, color-mix(in srgb, var(--stats-high) ${warm}%, var(--stats-low)) var(--stats-strength), var(--g-node-fill))`;
}

/** A stroke on the same cool-to-warm ramp, unmixed (edges have no fill behind them to keep readable). */
export function strokeColour(position: number): string {
  return `color-mix(in srgb, var(--stats-high) ${Math.round(100 * Math.min(1, Math.max(0, position)))}%, var(--stats-low))`;
}

export function scaleColour(scale: ColourScale, value: number): string {
  return rampColour(scale.position(value), scale.type === 'diverging');
}

/** A CSS gradient of the ramp for the legend. */
export function rampGradient(scale: ColourScale): string {
  const stops = scale.type === 'diverging' ? [-1, -0.5, 0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1];
  const ends = scale.type === 'diverging' ? 2 : 1;
  return `linear-gradient(to right, ${stops.map((t) => `${rampColour(t, scale.type === 'diverging')} ${Math.round((100 * (t - stops[0])) / ends)}%`).join(', ')})`;
}
