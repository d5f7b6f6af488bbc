/**
 * Gradient by path length for both sides of Compare's Train both (Veit, Wilber & Belongie 2016, §4.2 and Fig. 6 (b)):
 * the graph view's chart (webview/training/path-chart.ts) once per side, side by side, on one y scale, so a ResNet's
 * short effective paths can be read against another model's (or its ablation, which has a single path). Each side is
 * measured by its own training worker at the same steps (the first, then every PATH_GRADIENT_INTERVAL), on the same
 * first training images.
 */
import type { SideIndex } from '../../src/protocol/compare-messages';
import type { PathLengthGradient } from '../../src/train/experiments/pathGradients';
import { PathGradientChart } from '../training/path-chart';

interface Measurement {
  step: number;
  residualAdds: number;
  lengths: readonly PathLengthGradient[];
}

/** The largest total gradient magnitude over both sides' latest measurements: the shared top of the y axis. */
export function sharedPathMax(measurements: readonly (Measurement | null)[]): number {
  // A non-finite total (an overflowed gradient) would make the axis infinite; that bar is left to Plot, which skips it.
  return Math.max(0, ...measurements.flatMap((m) => (m && m.residualAdds > 0 ? m.lengths.map((l) => l.total).filter(Number.isFinite) : [])));
}

export class ComparePathCharts {
  readonly element: HTMLElement;
  private readonly charts: [PathGradientChart, PathGradientChart];
  private latest: [Measurement | null, Measurement | null] = [null, null];

  constructor(parent: HTMLElement) {
    this.element = document.createElement('div');
    this.element.id = 'compare-path-gradients';
    this.element.className = 'compare-path-gradients';
    this.element.setAttribute('aria-label', 'Gradient by path length, both models');
    parent.appendChild(this.element);
    this.charts = [new PathGradientChart(this.element, { id: 'chart-path-gradients-a', label: 'A' }), new PathGradientChart(this.element, { id: 'chart-path-gradients-b', label: 'B' })];
  }

  /** Forgets both sides' measurements (a new pair starts). */
  clear(): void {
    this.latest = [null, null];
    for (const chart of this.charts) chart.clear();
    delete this.element.dataset.yMax;
  }

  /** One side's measurement; both charts are redrawn on the scale of the larger. */
  update(side: SideIndex, step: number, residualAdds: number, lengths: readonly PathLengthGradient[]): void {
    this.latest[side] = { step, residualAdds, lengths };
    const yMax = sharedPathMax(this.latest);
    this.element.dataset.yMax = String(yMax);
    this.latest.forEach((m, i) => {
      if (m) this.charts[i].update(m.step, m.residualAdds, m.lengths, yMax);
    });
  }
}
