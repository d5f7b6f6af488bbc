/**
 * The graph view's "gradient by path length" chart (Veit, Wilber & Belongie 2016, Fig. 6 (b)): for each path
 * length k (residual branches entered), the total gradient magnitude at the input, C(n, k) × the mean norm of
 * the sampled paths, as bars (Observable Plot), redrawn at each measurement (every PATH_GRADIENT_INTERVAL steps).
 * A model without residual adds gets a sentence instead: the decomposition is over residual adds.
 */
import * as Plot from '@observablehq/plot';
import type { PathLengthGradient } from '../../src/train/experiments/pathGradients';

/** Where a chart goes on its page: its element id, and a label before its title (Compare names the side). */
export interface PathChartPlacement {
  id?: string;
  label?: string;
}

export class PathGradientChart {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly body: HTMLElement;
  private readonly label: string;

  constructor(parent: HTMLElement, placement: PathChartPlacement = {}) {
    this.label = placement.label ? `${placement.label} · ` : '';
    this.element = document.createElement('div');
    this.element.id = placement.id ?? 'chart-path-gradients';
    this.element.className = 'chart path-gradients';
    this.title = document.createElement('div');
    this.title.className = 'chart-title';
    this.body = document.createElement('div');
    this.element.append(this.title, this.body);
    parent.appendChild(this.element);
    this.clear();
  }

  clear(): void {
    this.title.textContent = `${this.label}Gradient by path length (after the first step)`;
    this.body.replaceChildren();
    delete this.element.dataset.step;
    delete this.element.dataset.totals;
  }

  /**
   * Draws one measurement: `lengths` for k = 0..n, `residualAdds` = n. `yMax` fixes the top of the y axis (Compare
   * gives both sides one scale, so equal bars are equal gradients); by default the bars fill the chart.
   */
  update(step: number, residualAdds: number, lengths: readonly PathLengthGradient[], yMax?: number): void {
    this.element.dataset.step = String(step);
    this.element.dataset.totals = lengths.map((l) => l.total.toPrecision(4)).join(',');
    if (residualAdds === 0) {
      this.title.textContent = `${this.label}Gradient by path length, step ${step}`;
      const note = document.createElement('p');
      note.className = 'path-note';
      note.textContent = 'This model has no residual adds: all its gradient takes one path (the whole network). The decomposition by path length applies to adds; a concatenation splits the gradient by channels instead.';
      this.body.replaceChildren(note);
      return;
    }
    this.title.textContent = `${this.label}Gradient by path length, step ${step} (${residualAdds} residual block${residualAdds === 1 ? '' : 's'}, ${2 ** Math.min(residualAdds, 52) >= 1e6 ? (2 ** residualAdds).toExponential(2) : 2 ** residualAdds} paths)`;
    const width = Math.max(240, Math.min(520, 40 + 24 * lengths.length));
    const chart = Plot.plot({
      width,
      height: 180,
      marginLeft: 56,
      style: { background: 'transparent', color: 'var(--vscode-foreground)', fontSize: '10px' },
      x: { label: 'path length (residual branches entered)', type: 'band' },
      y: { label: 'total gradient magnitude', grid: true, ...(yMax !== undefined && Number.isFinite(yMax) && yMax > 0 ? { domain: [0, yMax] } : {}) },
      marks: [
        Plot.barY(lengths, { x: 'length', y: 'total', fill: 'var(--vscode-charts-blue, currentColor)', title: (d: PathLengthGradient) => `length ${d.length}: ${d.paths} paths × mean ${d.meanNorm.toPrecision(3)} = ${d.total.toPrecision(3)} (${d.sampled} sampled)` }),
        Plot.ruleY([0]),
      ],
    });
    // Plot puts its default rules in a <style> element, which the webview's CSP refuses (no inline styles):
    // take it out before it reaches the document; the page's own stylesheet styles the chart.
    for (const style of chart.querySelectorAll('style')) style.remove();
    this.body.replaceChildren(chart);
  }
}
