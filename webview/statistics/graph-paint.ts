/**
 * Paints statistics onto one rendering of the graph: a fill and a value badge per drawn item (a layer,
 * or a collapsed block standing for its layers), and the gradient flow at merges as overlay strokes on
 * the incoming edges (adds: shortcut vs residual, width by share, a label "id 0.82 · res 0.31"; concats:
 * one stroke per source slice, colour and width by its norm, the value in its title). Nothing of the drawing is replaced: fills
 * are inline style properties (CSSOM, allowed by the CSP), badges and strokes are extra elements that are
 * reused while the rendering stays and vanish with it, so repeated updates keep the element count fixed.
 */
import type { AddBranchFlow, LayerStatistics, MergeFlow } from '../../src/train/stats';
import type { Rendering, RenderedItem } from '../shared/render';
import { svgElement } from '../shared/render';
import { type ColourScale, combinedValue, formatValue, makeScale, metricValue, type MetricName, scaleColour, strokeColour } from './metrics';

/** The statistics of one update, indexed for painting and tooltips. */
export interface IndexedStatistics {
  step: number;
  layers: ReadonlyMap<string, LayerStatistics>;
  merges: ReadonlyMap<string, MergeFlow>;
}

/**
 * A branch's short name in the flow label: 'res' for the residual branch; for the shortcut 'proj' when it
 * has parameters (a projection conv/bn) and 'id' otherwise (identity, or the paper's option A: zero
 * padding or pooling, still an identity mapping of the channels it carries).
 */
export function branchName(branch: AddBranchFlow, layers: ReadonlyMap<string, LayerStatistics>): 'res' | 'proj' | 'id' {
  if (branch.role === 'residual') return 'res';
  const hasWeights = (id: string): boolean => layers.get(id)?.weightNorm !== undefined;
  return branch.layers > 0 && (hasWeights(branch.start) || hasWeights(branch.input)) ? 'proj' : 'id';
}

export function branchDescription(branch: AddBranchFlow, layers: ReadonlyMap<string, LayerStatistics>): string {
  return { res: 'residual branch', proj: 'projection shortcut', id: 'identity shortcut' }[branchName(branch, layers)];
}

/** The drawn item showing a node or group id: itself, or the innermost collapsed block holding it. */
export function ownerItem(rendering: Rendering, id: string): RenderedItem | undefined {
  const direct = rendering.items.get(id);
  if (direct) return direct;
  for (let cut = id.lastIndexOf('/'); cut > 0; cut = id.lastIndexOf('/', cut - 1)) {
    const item = rendering.items.get(id.slice(0, cut));
    if (item?.group) return item;
  }
  return undefined;
}

/** Layers inside a block (ids are paths under the block instance's id). */
export function membersOf(layers: ReadonlyMap<string, LayerStatistics>, groupId: string): LayerStatistics[] {
  const prefix = `${groupId}/`;
  const members: LayerStatistics[] = [];
  for (const [id, stats] of layers) if (id.startsWith(prefix)) members.push(stats);
  return members;
}

/** The value an item shows for a metric: its layer's, or the combination over a collapsed block. */
export function itemValue(item: RenderedItem, statistics: IndexedStatistics, metric: MetricName): number | undefined {
  if (!item.group) return metricValue(statistics.layers.get(item.id), metric);
  return combinedValue(membersOf(statistics.layers, item.id), statistics.layers.get(item.group.output ?? ''), metric);
}

interface Painted {
  shape: SVGElement | null;
  badge: SVGTextElement;
  /** The fill and badge text last written, so an unchanged one is not written again. */
  fill: string;
  text: string;
}

/** How a concat's slices map onto drawn edges (one stroke per edge), for one rendering and one list of slices. */
interface ConcatPlan {
  /** The slices' sources and channel counts, '' for a slice not drawn (no source, or a norm that is not finite). */
  signature: string;
  strokes: { edge: SVGPathElement; key: string; arc: boolean; slices: number[]; input: string; names: string; channels: string }[];
}

/** A pooled flow stroke or label with what was last written to it: attributes, text (a stroke's title, a label's text), stroke colour. */
interface Pooled {
  element: SVGElement;
  /** The edge a stroke was drawn along (none for a label). */
  edge?: SVGPathElement;
  attributes: Record<string, string>;
  text: string;
  stroke: string;
}

export class GraphPainter {
  private rendering: Rendering | null = null;
  private readonly painted = new Map<string, Painted>();
  private flows: SVGGElement | null = null;
  private readonly pool = new Map<string, Pooled>();
  private readonly used = new Set<string>();
  private edges = new Map<string, SVGPathElement>();
  /** edgeBetween's answers for this rendering: the same merges ask for the same edges on every update. */
  private readonly between = new Map<string, SVGPathElement | null>();
  private readonly concatPlans = new Map<string, ConcatPlan>();
  private revealed: string | null = null;

  /**
   * Paints `statistics` onto `rendering` (null when no metric: colours off) and returns the scale used,
   * or null when nothing had a value.
   */
  paint(rendering: Rendering, statistics: IndexedStatistics, metric: MetricName | null): ColourScale | null {
    this.adopt(rendering);
    const values = new Map<string, number>();
    if (metric) {
      for (const item of rendering.items.values()) {
        const value = itemValue(item, statistics, metric);
        if (value !== undefined) values.set(item.id, value);
      }
    }
    const scale = metric ? makeScale(metric, [...values.values()]) : null;
    for (const [id, painted] of this.painted) {
      if (values.has(id)) continue;
      painted.shape?.style.removeProperty('fill');
      painted.badge.remove();
      this.painted.delete(id);
    }
    if (scale) {
      for (const [id, value] of values) {
        const item = rendering.items.get(id)!;
        let painted = this.painted.get(id);
        if (!painted) {
          painted = { shape: item.element.querySelector<SVGElement>(':scope > .shape'), badge: this.badgeFor(item), fill: '', text: '' };
          this.painted.set(id, painted);
        }
        // Only changed values are written: every write invalidates style, and most colours repeat between updates.
        const fill = scaleColour(scale, value);
        if (fill !== painted.fill) painted.shape?.style.setProperty('fill', (painted.fill = fill));
        const text = formatValue(value);
        if (text !== painted.text) painted.badge.textContent = painted.text = text;
      }
    }
    this.paintFlows(rendering, statistics);
    return scale;
  }

  /** Marks one item (a heat-map target) until another is marked or the painter clears. */
  markRevealed(rendering: Rendering, id: string | null): RenderedItem | undefined {
    this.adopt(rendering);
    if (this.revealed) rendering.items.get(this.revealed)?.element.classList.remove('stats-revealed');
    const item = id ? ownerItem(rendering, id) : undefined;
    this.revealed = item?.id ?? null;
    item?.element.classList.add('stats-revealed');
    return item;
  }

  /** Removes everything this painter added to the current rendering. */
  clear(): void {
    for (const painted of this.painted.values()) {
      painted.shape?.style.removeProperty('fill');
      painted.badge.remove();
    }
    this.painted.clear();
    this.flows?.remove();
    this.flows = null;
    this.pool.clear();
    if (this.revealed) this.rendering?.items.get(this.revealed)?.element.classList.remove('stats-revealed');
    this.revealed = null;
    this.edges.clear();
    this.between.clear();
    this.concatPlans.clear();
    this.rendering = null;
  }

  /** A new rendering starts from scratch: the previous one's elements went with it. */
  private adopt(rendering: Rendering): void {
    if (this.rendering === rendering) return;
    this.clear();
    this.rendering = rendering;
    for (const path of rendering.content.querySelectorAll<SVGPathElement>('.edges path.edge')) {
      const id = path.dataset.edge ?? '';
      const hash = id.lastIndexOf('#');
      this.edges.set(hash >= 0 ? id.slice(0, hash) : id, path);
    }
  }

  private badgeFor(item: RenderedItem): SVGTextElement {
    const { width, height } = item.box;
    const isAdd = item.element.classList.contains('merge-add');
    // Just outside the top-right corner, where neither the node's text nor its edges are (edges meet a
    // node in the middle of a side); an add's ellipse has room to its right (the flow label goes left).
    const attributes = isAdd ? { x: width + 4, y: height / 2 + 3, 'text-anchor': 'start' } : { x: width, y: -3, 'text-anchor': 'end' };
    return svgElement('text', { class: 'stats-badge', ...attributes }, item.element);
  }

  private edgeBetween(rendering: Rendering, source: string, target: string): SVGPathElement | undefined {
    const key = `${source}\u0000${target}`;
    let edge = this.between.get(key);
    if (edge === undefined) {
      const from = ownerItem(rendering, source);
      const to = ownerItem(rendering, target);
      edge = (from && to && from !== to ? this.edges.get(`${from.id}->${to.id}`) : undefined) ?? null;
      this.between.set(key, edge);
    }
    return edge ?? undefined;
  }

  /**
   * Flow strokes and labels live in one layer between the edges and the nodes. Elements are kept by
   * (merge, edge) and reused on the next update; those not painted again are removed.
   */
  private paintFlows(rendering: Rendering, statistics: IndexedStatistics): void {
    if (!this.flows) {
      this.flows = svgElement('g', { class: 'stats-flows' });
      rendering.content.insertBefore(this.flows, rendering.content.querySelector(':scope > .nodes'));
    }
    this.used.clear();
    for (const merge of statistics.merges.values()) {
      if (merge.kind === 'add') this.paintAdd(rendering, merge, statistics);
      else this.paintConcat(rendering, merge);
    }
    for (const [key, pooled] of this.pool) {
      if (this.used.has(key)) continue;
      pooled.element.remove();
      this.pool.delete(key);
    }
  }

  /**
   * The pooled element for `key`, created on first use (a path gets a title child for its hover text). A reused
   * one gets only the attributes that changed: the edge geometry and names stay while the rendering does.
   */
  private flowElement(key: string, tag: 'path' | 'text', attributes: Record<string, string | number>): Pooled {
    this.used.add(key);
    let pooled = this.pool.get(key);
    if (!pooled) {
      const element = svgElement(tag, attributes, this.flows!);
      if (tag === 'path') svgElement('title', {}, element);
      pooled = { element, attributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, String(value)])), text: '', stroke: '' };
      this.pool.set(key, pooled);
      return pooled;
    }
    for (const [name, value] of Object.entries(attributes)) {
      const text = String(value);
      if (pooled.attributes[name] === text) continue;
      pooled.element.setAttribute(name, text);
      pooled.attributes[name] = text;
    }
    return pooled;
  }

  private flowPath(key: string, edge: SVGPathElement, className: string, width: number, node: string, input: string, title: string): Pooled {
    // The stroke follows its edge: while that stays, so does the geometry already written.
    const known = this.pool.get(key);
    const d = known && known.edge === edge ? known.attributes.d : (edge.getAttribute('d') ?? '');
    const pooled = this.flowElement(key, 'path', { d, class: className, 'stroke-width': width.toFixed(2), 'data-node': node, 'data-input': input });
    pooled.edge = edge;
    if (pooled.text !== title) pooled.element.firstElementChild!.textContent = pooled.text = title;
    return pooled;
  }

  private paintAdd(rendering: Rendering, merge: Extract<MergeFlow, { kind: 'add' }>, statistics: IndexedStatistics): void {
    const largest = Math.max(...merge.branches.map((b) => b.gradNorm).filter(Number.isFinite), 0);
    const parts: { residual: boolean; text: string }[] = [];
    merge.branches.forEach((branch, i) => {
      parts.push({ residual: branch.role === 'residual', text: `${branchName(branch, statistics.layers)} ${formatValue(branch.gradNorm)}` });
      const edge = this.edgeBetween(rendering, branch.input, merge.node);
      if (!edge) return;
      const share = largest > 0 && Number.isFinite(branch.gradNorm) ? branch.gradNorm / largest : 0;
      const layers = `${branch.layers} layer${branch.layers === 1 ? '' : 's'}`;
      this.flowPath(`${merge.node}\u0000${i}`, edge, `stats-flow role-${branch.role}`, 1.5 + 4.5 * share, merge.node, branch.input, `${branch.input} → ${merge.node}: gradient norm ${formatValue(branch.gradNorm)} (${branchDescription(branch, statistics.layers)}, ${layers})`);
    });
    const item = rendering.items.get(merge.node);
    if (!item) return; // inside a collapsed block
    const label = this.flowElement(`${merge.node}\u0000label`, 'text', { class: 'stats-flow-label', 'data-node': merge.node, x: item.box.x - 4, y: item.box.y + item.box.height / 2 + 3, 'text-anchor': 'end' });
    // Shortcut first, as in "id 0.82 · res 0.31".
    const text = [...parts.filter((p) => !p.residual), ...parts.filter((p) => p.residual)].map((p) => p.text).join(' · ');
    if (label.text !== text) label.element.textContent = label.text = text;
  }

  /**
   * A concat's strokes: slices from the same drawn source (a collapsed block) share one edge and their norms combine
   * (√Σ‖g‖²). Which slices go to which edge, and the names and channel counts in the titles, are worked out once per
   * rendering and slice list; an update then computes the norms and writes widths, titles and colours.
   */
  private paintConcat(rendering: Rendering, merge: Extract<MergeFlow, { kind: 'concat' }>): void {
    const plan = this.concatPlan(rendering, merge);
    const norms = plan.strokes.map((stroke) => Math.sqrt(stroke.slices.reduce((sum, i) => sum + merge.slices[i].gradNorm ** 2, 0)));
    const largest = Math.max(0, ...norms);
    // No text on these: a dense block has dozens of arcs side by side. The value is in the stroke's
    // title and in the tooltip of the concat (or of the collapsed layer holding it).
    plan.strokes.forEach((planned, i) => {
      const share = largest > 0 ? norms[i] / largest : 0;
      const path = this.flowPath(planned.key, planned.edge, 'stats-flow role-slice', planned.arc ? 0.8 + 2.2 * share : 1 + 4 * share, merge.node, planned.input, `${planned.names} → ${merge.node}: gradient norm ${formatValue(norms[i])} over ${planned.channels}`);
      const stroke = strokeColour(share);
      if (path.stroke !== stroke) path.element.style.setProperty('stroke', (path.stroke = stroke));
    });
  }

  /** The strokes of a concat for its slices now (those with a source and a finite norm), kept while they stay. */
  private concatPlan(rendering: Rendering, merge: Extract<MergeFlow, { kind: 'concat' }>): ConcatPlan {
    const signature = merge.slices.map((slice) => (slice.source === '' || !Number.isFinite(slice.gradNorm) ? '' : `${slice.source}\u0001${slice.channels}`)).join('\u0000');
    const known = this.concatPlans.get(merge.node);
    if (known?.signature === signature) return known;
    const byEdge = new Map<SVGPathElement, { slices: number[]; sources: string[]; channels: number }>();
    merge.slices.forEach((slice, i) => {
      if (slice.source === '' || !Number.isFinite(slice.gradNorm)) return;
      const edge = this.edgeBetween(rendering, slice.source, merge.node);
      if (!edge) return;
      const entry = byEdge.get(edge) ?? { slices: [], sources: [], channels: 0 };
      entry.slices.push(i);
      entry.sources.push(slice.source);
      entry.channels += slice.channels;
      byEdge.set(edge, entry);
    });
    const strokes = [...byEdge].map(([edge, entry]) => ({
      edge,
      key: `${merge.node}\u0000${edge.dataset.edge ?? ''}`,
      arc: edge.classList.contains('arc'),
      slices: entry.slices,
      input: entry.sources.join(' '),
      names: entry.sources.join(' + '),
      channels: `${entry.channels} channel${entry.channels === 1 ? '' : 's'}`,
    }));
    const plan = { signature, strokes };
    this.concatPlans.set(merge.node, plan);
    return plan;
  }
}
