/**
 * Geometry checks on a laid-out graph drawing: which edges pass through a node that is not one of their
 * ends, and which leave the block that holds both their ends. Works on the layout result (root
 * coordinates, see src/drawing/elk-graph.ts), so it checks what ELK routed, not what a browser painted.
 */
import { routeArcs } from '../../src/drawing/arcs';
import type { LaidOutBox, LayoutResult, Point } from '../../src/drawing/elk-graph';
import type { VisibleGraph } from '../../src/drawing/visible';
import type { LayoutDirection } from '../../src/protocol/messages';
import type { PayloadGroup } from '../../src/protocol/payload';

/** Every drawn edge's polyline: ELK's routes, and the dense arcs routed over ELK's boxes. */
export function drawnRoutes(visible: VisibleGraph, layout: LayoutResult, groups: PayloadGroup[], direction: LayoutDirection): Map<string, Point[]> {
  const routes = new Map(layout.edges.map((e) => [e.id, e.points]));
  for (const [id, points] of routeArcs(visible, new Map(layout.boxes.map((b) => [b.id, b])), groups, direction).routes) routes.set(id, points);
  return routes;
}

export interface EdgeProblem {
  edge: string;
  /** The node the edge passes through, or the block it leaves. */
  other: string;
  /** How far into the box the segment reaches, px (the larger of the two overlaps). */
  depth: number;
}

/** Overlap depth of the segment a–b with the box shrunk by `inset` px on every side; 0 when they miss. */
export function segmentIntoBox(a: Point, b: Point, box: LaidOutBox, inset: number): number {
  const x0 = box.x + inset;
  const y0 = box.y + inset;
  const x1 = box.x + box.width - inset;
  const y1 = box.y + box.height - inset;
  if (x1 <= x0 || y1 <= y0) return 0;
  // Liang–Barsky clipping of the segment against the rectangle.
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const clips: [number, number][] = [[-dx, a.x - x0], [dx, x1 - a.x], [-dy, a.y - y0], [dy, y1 - a.y]];
  for (const [p, q] of clips) {
    if (p === 0) {
      if (q < 0) return 0;
      continue;
    }
    const r = q / p;
    if (p < 0) t0 = Math.max(t0, r);
    else t1 = Math.min(t1, r);
    if (t0 > t1) return 0;
  }
  const inside = [a, b].map((_, i) => (i === 0 ? t0 : t1)).map((t) => ({ x: a.x + dx * t, y: a.y + dy * t }));
  // Depth: how far the clipped piece reaches from the nearest side of the (shrunk) box.
  const depthOf = (p: Point): number => Math.min(p.x - x0, x1 - p.x, p.y - y0, y1 - p.y);
  const mid = { x: (inside[0].x + inside[1].x) / 2, y: (inside[0].y + inside[1].y) / 2 };
  return inset + Math.max(depthOf(inside[0]), depthOf(inside[1]), depthOf(mid));
}

/** Edges of `visible` whose route crosses a leaf box other than their own ends (inset by `inset` px). */
export function edgesThroughNodes(visible: VisibleGraph, layout: LayoutResult, routes: Map<string, Point[]>, inset = 1): EdgeProblem[] {
  const boxes = new Map(layout.boxes.map((b) => [b.id, b]));
  const leaves = visible.items.map((item) => boxes.get(item.id)).filter((b): b is LaidOutBox => b !== undefined);
  const problems: EdgeProblem[] = [];
  for (const edge of visible.edges) {
    if (edge.draw === 'hidden') continue;
    const points = routes.get(edge.id);
    if (!points) continue;
    for (const box of leaves) {
      if (box.id === edge.source || box.id === edge.target) continue;
      let depth = 0;
      for (let i = 0; i + 1 < points.length; i++) depth = Math.max(depth, segmentIntoBox(points[i], points[i + 1], box, inset));
      if (depth > 0) problems.push({ edge: edge.id, other: box.id, depth });
    }
  }
  return problems;
}

/** Edges whose two ends lie in one expanded block but whose route leaves that block's frame. */
export function edgesLeavingTheirBlock(visible: VisibleGraph, layout: LayoutResult, routes: Map<string, Point[]>, tolerance = 0.5): EdgeProblem[] {
  const boxes = new Map(layout.boxes.map((b) => [b.id, b]));
  const parent = new Map<string, string | null>();
  for (const item of visible.items) parent.set(item.id, item.parent);
  for (const compound of visible.compounds) parent.set(compound.id, compound.parent);
  const ancestors = (id: string): string[] => {
    const out: string[] = [];
    for (let p = parent.get(id) ?? null; p; p = parent.get(p) ?? null) out.push(p);
    return out;
  };
  const problems: EdgeProblem[] = [];
  for (const edge of visible.edges) {
    if (edge.draw === 'hidden') continue;
    const points = routes.get(edge.id);
    if (!points) continue;
    const targetAncestors = new Set(ancestors(edge.target));
    const common = ancestors(edge.source).find((a) => targetAncestors.has(a));
    const box = common ? boxes.get(common) : undefined;
    if (!box) continue;
    let depth = 0;
    for (const p of points) depth = Math.max(depth, box.x - p.x, p.x - (box.x + box.width), box.y - p.y, p.y - (box.y + box.height));
    if (depth > tolerance) problems.push({ edge: edge.id, other: box.id, depth });
  }
  return problems;
}
