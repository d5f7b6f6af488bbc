/**
 * Extra sections for the graph's hover/focus tooltip. The graph view asks `tooltipSections(id)` when it
 * shows a tooltip and appends what providers return (the statistics overlay registers one), so the
 * tooltip code needs no knowledge of training. Also the sparkline drawing used by those sections.
 */
const SVG = 'http://www.w3.org/2000/svg';

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
 * A small line of a series (oldest left); NaN values are skipped. One polyline point per finite value,
 * `data-points` gives the count. Log scale when every value is positive and they span a decade.
 */
export function sparkline(values: readonly number[], className = 'stats-sparkline'): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', className);
  svg.setAttribute('width', String(SPARKLINE_WIDTH));
  svg.setAttribute('height', String(SPARKLINE_HEIGHT));
  svg.setAttribute('viewBox', `0 0 ${SPARKLINE_WIDTH} ${SPARKLINE_HEIGHT}`);
  svg.setAttribute('aria-hidden', 'true');
  const finite = values.filter((v) => Number.isFinite(v));
  const positive = finite.length > 0 && finite.every((v) => v > 0);
  const logScale = positive && Math.max(...finite) / Math.min(...finite) >= 10;
  const y = (v: number): number => (logScale ? Math.log(v) : v);
  const ys = finite.map(y);
  const low = Math.min(...ys);
  const high = Math.max(...ys);
  const points: string[] = [];
  const step = values.length > 1 ? (SPARKLINE_WIDTH - 2) / (values.length - 1) : 0;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const t = high > low ? (y(v) - low) / (high - low) : 0.5;
    points.push(`${(1 + i * step).toFixed(1)},${(SPARKLINE_HEIGHT - 2 - t * (SPARKLINE_HEIGHT - 4)).toFixed(1)}`);
  });
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.appendChild(line);
  svg.dataset.points = String(points.length);
  if (points.length > 0) {
    const [lx, ly] = points[points.length - 1].split(',');
    const dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('cx', lx);
    dot.setAttribute('cy', ly);
    dot.setAttribute('r', '1.8');
    svg.appendChild(dot);
  }
  return svg;
}
