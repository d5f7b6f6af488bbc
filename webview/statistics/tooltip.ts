/**
 * Extra sections for the graph's hover/focus tooltip. The graph view asks `tooltipSections(id)` when it
 * shows a tooltip and appends what providers return (the statistics overlay registers one), so the
 * tooltip code needs no knowledge of training. Also the sparkline (an Observable Plot line) used by those sections.
 */
import * as Plot from '@observablehq/plot';

export interface TooltipSection {
  element: HTMLElement;
  /** The same facts as one line of text, for the tooltip's accessible label. */
  text: string;
}

/** Returns a section for a drawn item (node or collapsed block id), or null when it has nothing to add. */
export type TooltipProvider = (id: string) => TooltipSection | null;

const providers = new Set<TooltipProvider>();

/** Registers a provider; the returned function unregisters it. */
export function registerTooltipProvider(provider: TooltipProvider): () => void {
  providers.add(provider);
  return () => providers.delete(provider);
}

export function tooltipSections(id: string): TooltipSection[] {
  const sections: TooltipSection[] = [];
  for (const provider of providers) {
    const section = provider(id);
    if (section) sections.push(section);
  }
  return sections;
}

export const SPARKLINE_WIDTH = 84;
export const SPARKLINE_HEIGHT = 16;

/**
 * A small line of a series (oldest left), drawn with Observable Plot like every chart of the webviews: a line
 * mark over the finite values (NaN values leave a gap) and a dot on the latest. `data-points` gives the count
 * of finite values. Log scale when every value is positive and they span a decade.
 */
export function sparkline(values: readonly number[], className = 'stats-sparkline'): SVGSVGElement {
  const finite = values.filter((v) => Number.isFinite(v));
  const positive = finite.length > 0 && finite.every((v) => v > 0);
  const logScale = positive && Math.max(...finite) / Math.min(...finite) >= 10;
  const points = values.flatMap((value, index) => (Number.isFinite(value) ? [{ index, value }] : []));
  const flat = finite.length > 0 && Math.min(...finite) === Math.max(...finite);
  const svg = Plot.plot({
    width: SPARKLINE_WIDTH,
    height: SPARKLINE_HEIGHT,
    margin: 2,
    axis: null,
    figure: false,
    className,
    style: { background: 'transparent', overflow: 'visible' },
    x: { domain: [0, Math.max(1, values.length - 1)] },
    // A constant series sits in the middle, as a flat line should, instead of on one edge of a zero-width domain.
    y: { type: logScale ? 'log' : 'linear', ...(flat ? { domain: [finite[0] - 1, finite[0] + 1] } : {}) },
    marks: [Plot.line(points, { x: 'index', y: 'value', className: 'spark-line' }), Plot.dot(points.slice(-1), { x: 'index', y: 'value', r: 1.8, className: 'spark-dot' })],
  }) as SVGSVGElement;
  for (const style of svg.querySelectorAll('style')) style.remove();
  svg.setAttribute('aria-hidden', 'true');
  svg.removeAttribute('aria-label');
  svg.dataset.points = String(points.length);
  return svg;
}
