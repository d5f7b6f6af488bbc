/**
 * The one way the webviews draw a chart: Observable Plot, themed from VS Code's CSS variables. A chart is
 * a <figure> whose title is an HTML caption above the plot (it wraps instead of being clipped by the SVG)
 * and whose SVG Plot draws with the editor's font and colours. Plot's own <style> element is removed:
 * the webview CSP allows no inline styles, and PLOT_CSS below carries the same rules as an adopted sheet.
 */
import * as Plot from '@observablehq/plot';

/** Rules Plot would put in its inline <style>, plus the figure around each chart. Adopt once per page. */
export const PLOT_CSS = `
.skipnet-chart { margin: 0; display: inline-flex; flex-direction: column; gap: 2px; max-width: 100%; color: var(--vscode-foreground, #cccccc); }
.skipnet-chart .chart-title { font-size: 12px; font-weight: 600; overflow-wrap: anywhere; }
.skipnet-chart .chart-note { font-size: 11px; color: var(--vscode-descriptionForeground, #9d9d9d); overflow-wrap: anywhere; }
.skipnet-chart .chart-legend { display: flex; flex-wrap: wrap; gap: 10px; font-size: 11px; }
.skipnet-chart .chart-legend .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
.skipnet-plot { display: block; height: auto; max-width: 100%; overflow: visible; font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: 10px; }
.skipnet-plot text, .skipnet-plot tspan { white-space: pre; }
`;

/** A VS Code theme colour by CSS variable, resolved now (Plot needs a colour value, not var(...)); `fallback` outside VS Code. */
export function themeColour(variable: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(variable).trim();
  return value === '' ? fallback : value;
}

/** Colours of side A and side B (or model and ablation): the theme's chart blue and orange. */
export function seriesColours(): [string, string] {
  return [themeColour('--vscode-charts-blue', '#3794ff'), themeColour('--vscode-charts-orange', '#d18616')];
}

export interface ChartFrame {
  /** Element id of the figure (tests and styles find the chart by it); '' for none. */
  id: string;
  title: string;
  /** A line under the title: what a value means, or why a chart is empty. */
  note?: string;
  /** Legend entries (name, colour), drawn as HTML above the plot. */
  legend?: { name: string; colour: string }[];
}

/**
 * Draws `options` with Plot inside a titled figure. Width and height default to 320 × 180 CSS pixels;
 * margins leave room for the tick labels and the axis labels (the top margin holds the y label above the
 * highest tick), so every mark and label lies inside the SVG.
 */
export function chart(frame: ChartFrame, options: Plot.PlotOptions): HTMLElement {
  const figure = document.createElement('figure');
  if (frame.id !== '') figure.id = frame.id;
  figure.className = 'skipnet-chart';
  const title = document.createElement('figcaption');
  title.className = 'chart-title';
  title.textContent = frame.title;
  figure.appendChild(title);
  if (frame.note) {
    const note = document.createElement('div');
    note.className = 'chart-note';
    note.textContent = frame.note;
    figure.appendChild(note);
  }
  if (frame.legend && frame.legend.length > 0) {
    const legend = document.createElement('div');
    legend.className = 'chart-legend';
    for (const entry of frame.legend) {
      const item = document.createElement('span');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = entry.colour;
      item.append(swatch, entry.name);
      legend.appendChild(item);
    }
    figure.appendChild(legend);
  }
  const plot = Plot.plot({ width: 320, height: 180, marginLeft: 48, marginBottom: 32, marginRight: 16, marginTop: 22, ...options, className: 'skipnet-plot', figure: false, style: { background: 'transparent' } });
  for (const style of plot.querySelectorAll('style')) style.remove();
  figure.appendChild(plot);
  return figure;
}

/**
 * Tick labels for a log axis through the given values: each value's own label, with as many significant
 * figures as it takes, three at least, for the labels to differ (20,480 and 20,500 read "20.48k" and "20.5k", never "2e+4" twice).
 */
export function distinctTicks(values: readonly number[]): { ticks: number[]; format: (v: number) => string } {
  const ticks = [...new Set(values.filter((v) => Number.isFinite(v) && v > 0))].sort((a, b) => a - b);
  for (let digits = 3; digits <= 12; digits++) {
    const format = (v: number): string => compact(v, digits);
    if (new Set(ticks.map(format)).size === ticks.length) return { ticks, format };
  }
  return { ticks, format: (v) => String(v) };
}

/** 269722 → "270k" (3 figures), 1019722 → "1.02M", 512 → "512". */
export function compact(value: number, digits: number): string {
  const units: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) if (Math.abs(value) >= size) return `${Number((value / size).toPrecision(digits))}${suffix}`;
  return String(Number(value.toPrecision(digits)));
}

export { Plot };
