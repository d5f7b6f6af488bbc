/**
 * Aligning two drawings by depth (the Compare view): every visible item gets a depth (the longest path
 * from an input counted in drawn items), and after ELK has laid each graph out, items are moved onto a
 * row grid shared by both graphs, so items of equal depth sit at the same height in both panes. x stays
 * ELK's; edge bend points follow their rows by a monotone piecewise-linear map of the old heights, and
 * compound boxes are re-fitted around their moved children. Pure: shared by the page and its tests.
 */
import { GROUP_HEADER, type LaidOutBox, type LayoutResult, type Point } from './elk-graph';
import type { VisibleGraph } from './visible';

/** Rows shared by both sides: row d spans [tops[d], tops[d] + heights[d]]. */
export interface RowGrid {
  tops: number[];
  heights: number[];
}

/** One side's needs per depth: the tallest item, and how many compound boxes open above / close below it. */
export interface RowProfile {
  heights: number[];
  opens: number[];
  closes: number[];
}

/** Longest path from a source (an item with no drawn input) to each item, over the visible edges. */
export function itemDepths(visible: VisibleGraph): Map<string, number> {
  const incoming = new Map<string, number>();
  const next = new Map<string, string[]>();
  for (const item of visible.items) incoming.set(item.id, 0);
  for (const edge of visible.edges) {
    if (!incoming.has(edge.source) || !incoming.has(edge.target)) continue;
    incoming.set(edge.target, incoming.get(edge.target)! + 1);
    next.set(edge.source, [...(next.get(edge.source) ?? []), edge.target]);
  }
  const depth = new Map<string, number>();
  const queue = [...incoming].filter(([, n]) => n === 0).map(([id]) => id);
  for (const id of queue) depth.set(id, 0);
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const target of next.get(id) ?? []) {
      depth.set(target, Math.max(depth.get(target) ?? 0, depth.get(id)! + 1));
      const left = incoming.get(target)! - 1;
      incoming.set(target, left);
      if (left === 0) queue.push(target);
    }
  }
  // A cycle cannot come from the core; should one appear its items keep row 0 rather than vanish.
  for (const item of visible.items) if (!depth.has(item.id)) depth.set(item.id, 0);
  return depth;
}

/**
 * For each depth, how many compound boxes open just above it (headers) and close just below it, counted
 * along the deepest chain of ancestors of one item: the room the row gaps must leave.
 */
function compoundEdges(visible: VisibleGraph, depths: Map<string, number>): { opens: number[]; closes: number[] } {
  const parent = new Map<string, string | null>(visible.compounds.map((c) => [c.id, c.parent]));
  const span = new Map<string, { min: number; max: number }>();
  const ancestors = (start: string | null): string[] => {
    const chain: string[] = [];
    for (let p = start; p; p = parent.get(p) ?? null) chain.push(p);
    return chain;
  };
  for (const item of visible.items) {
    const d = depths.get(item.id) ?? 0;
    for (const c of ancestors(item.parent)) {
      const s = span.get(c) ?? { min: d, max: d };
      span.set(c, { min: Math.min(s.min, d), max: Math.max(s.max, d) });
    }
  }
  const opens: number[] = [];
  const closes: number[] = [];
  for (const item of visible.items) {
    const d = depths.get(item.id) ?? 0;
    const chain = ancestors(item.parent).map((c) => span.get(c)!);
    opens[d] = Math.max(opens[d] ?? 0, chain.filter((s) => s.min === d).length);
    closes[d] = Math.max(closes[d] ?? 0, chain.filter((s) => s.max === d).length);
  }
  return { opens, closes };
}

export function rowProfile(visible: VisibleGraph, layout: LayoutResult, depths: Map<string, number>): RowProfile {
  const boxes = new Map(layout.boxes.map((b) => [b.id, b]));
  const heights: number[] = [];
  for (const item of visible.items) {
    const d = depths.get(item.id) ?? 0;
    heights[d] = Math.max(heights[d] ?? 0, boxes.get(item.id)?.height ?? 0);
  }
  const { opens, closes } = compoundEdges(visible, depths);
  const fill = (values: number[]): number[] => Array.from({ length: heights.length }, (_, d) => values[d] ?? 0);
  return { heights: fill(heights), opens: fill(opens), closes: fill(closes) };
}

/** Space between rows: ELK's own gap plus a header or bottom padding for every compound that opens or closes there. */
const ROW_GAP = 28;
const HEADER_ROOM = GROUP_HEADER + 8;
const FOOTER_ROOM = 10;
const TOP = 12;

export function sharedGrid(profiles: RowProfile[]): RowGrid {
  const rows = Math.max(0, ...profiles.map((p) => p.heights.length));
  const need = (d: number): number => Math.max(0, ...profiles.map((p) => (p.opens[d] ?? 0) * HEADER_ROOM + (d > 0 ? (p.closes[d - 1] ?? 0) * FOOTER_ROOM : 0)));
  const tops: number[] = [];
  const heights: number[] = [];
  let y = TOP;
  for (let d = 0; d < rows; d++) {
    y += need(d) + (d > 0 ? ROW_GAP : 0);
    heights.push(Math.max(0, ...profiles.map((p) => p.heights[d] ?? 0)));
    tops.push(y);
    y += heights[d];
  }
  return { tops, heights };
}

/** Maps old heights to new ones through (old, new) anchors: monotone, slope 1 beyond the ends. */
function heightMap(anchors: [number, number][]): (y: number) => number {
  const sorted = anchors.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) sorted[i] = [sorted[i][0], Math.max(sorted[i][1], sorted[i - 1][1])];
  return (y) => {
    if (sorted.length === 0) return y;
    if (y <= sorted[0][0]) return sorted[0][1] + (y - sorted[0][0]);
    for (let i = 1; i < sorted.length; i++) {
      const [x0, y0] = sorted[i - 1];
      const [x1, y1] = sorted[i];
      if (y <= x1) return x1 === x0 ? y1 : y0 + ((y - x0) / (x1 - x0)) * (y1 - y0);
    }
    const [xl, yl] = sorted[sorted.length - 1];
    return yl + (y - xl);
  };
}

/** Moves one side's drawing onto the shared rows (top-to-bottom layouts). */
export function alignRows(visible: VisibleGraph, layout: LayoutResult, depths: Map<string, number>, grid: RowGrid): LayoutResult {
  const old = new Map(layout.boxes.map((b) => [b.id, b]));
  const moved = new Map<string, LaidOutBox>();
  const anchors = new Map<number, { old: number; count: number }>();
  for (const item of visible.items) {
    const box = old.get(item.id);
    if (!box) continue;
    const d = depths.get(item.id) ?? 0;
    const center = grid.tops[d] + grid.heights[d] / 2;
    moved.set(item.id, { ...box, y: center - box.height / 2 });
    const a = anchors.get(d) ?? { old: 0, count: 0 };
    anchors.set(d, { old: a.old + box.y + box.height / 2, count: a.count + 1 });
  }
  const map = heightMap([...anchors].map(([d, a]) => [a.old / a.count, grid.tops[d] + grid.heights[d] / 2]));
  // Compounds, innermost first, fitted around what they hold with ELK's paddings.
  const children = new Map<string, string[]>();
  const add = (parent: string | null, id: string): void => {
    if (parent) children.set(parent, [...(children.get(parent) ?? []), id]);
  };
  for (const item of visible.items) add(item.parent, item.id);
  for (const c of visible.compounds) add(c.parent, c.id);
  const fit = (id: string): LaidOutBox | undefined => {
    const done = moved.get(id);
    if (done) return done;
    const box = old.get(id);
    if (!box) return undefined;
    const inner = (children.get(id) ?? []).map(fit).filter((b): b is LaidOutBox => b !== undefined);
    if (inner.length === 0) return box;
    const innerOld = (children.get(id) ?? []).map((c) => old.get(c)).filter((b): b is LaidOutBox => b !== undefined);
    const padTop = Math.min(...innerOld.map((b) => b.y)) - box.y;
    const padBottom = box.y + box.height - Math.max(...innerOld.map((b) => b.y + b.height));
    const top = Math.min(...inner.map((b) => b.y)) - padTop;
    const bottom = Math.max(...inner.map((b) => b.y + b.height)) + padBottom;
    const result = { ...box, y: top, height: bottom - top };
    moved.set(id, result);
    return result;
  };
  for (const c of visible.compounds) fit(c.id);
  const boxes = layout.boxes.map((b) => moved.get(b.id) ?? b);
  const ends = new Map(visible.edges.map((e) => [e.id, e]));
  const edges = layout.edges.map((edge) => {
    const e = ends.get(edge.id);
    const source = e ? moved.get(e.source) : undefined;
    const target = e ? moved.get(e.target) : undefined;
    if (!source || !target || edge.points.length < 2) return { ...edge, points: edge.points.map((p) => ({ x: p.x, y: map(p.y) })) };
    const low = source.y + source.height;
    const high = target.y;
    const points: Point[] = edge.points.map((p, i) => {
      if (i === 0) return { x: p.x, y: low };
      if (i === edge.points.length - 1) return { x: p.x, y: high };
      return { x: p.x, y: Math.min(high, Math.max(low, map(p.y))) };
    });
    return { ...edge, points };
  });
  const height = Math.max(layout.height, ...boxes.map((b) => b.y + b.height + 12));
  return { ...layout, boxes, edges, height };
}
