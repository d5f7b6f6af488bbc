/**
 * Routes of the dense edges (DenseNet's edge from every earlier layer, Huang et al. 2017, Fig. 1). ELK
 * leaves them out of the layout (a DenseNet-121 block has 300 of them; laid out they cost seconds and
 * widen the column), so they are routed here, in root coordinates, after ELK has placed the boxes:
 *
 * - one bus per source: the source's edges leave its right side (bottom when laid out left-to-right) at
 *   one point, run together to a lane, and branch off to each target, so a DenseNet layer's outputs read
 *   as one line with taps instead of a fan of curves;
 * - lanes run in the gutter ELK left beside the block (`arcRoom`, the block's right or bottom padding),
 *   beyond every box the lane passes, so a lane never crosses a node, a layer's frame or its title;
 * - a target's incoming edges enter its side at spread points, earlier sources above later ones, on
 *   lanes nested so that earlier sources take the outer lanes.
 *
 * Orthogonal polylines (start, lane corner, lane corner, end): the same geometry the layout check in
 * test/support/edge-geometry.ts reads for ELK's own routes.
 */
import type { LayoutDirection } from '../protocol/messages';
import type { PayloadGroup } from '../protocol/payload';
import { arcRoom, type LaidOutBox, type Point } from './elk-graph';
import type { VisibleEdge, VisibleGraph } from './visible';

/** Arc routes by edge id, and how far the lanes reach beyond ELK's drawing (px, right and bottom). */
export interface ArcRoutes {
  routes: Map<string, Point[]>;
  /** The largest x and y any route reaches, root coordinates. */
  extent: { x: number; y: number };
}

/** Gap between the boxes a lane passes and the innermost lane, px. */
const LANE_GAP = 8;
/** Room ELK leaves for the lanes when a block has no dense glyph to size it (arcs at model level). */
const MIN_ROOM = 24;

/** A box in a frame where the lanes run to the right (the 'down' layout); 'right' layouts are transposed. */
function toFrame(box: LaidOutBox, direction: LayoutDirection): LaidOutBox {
  return direction === 'right' ? { id: box.id, x: box.y, y: box.x, width: box.height, height: box.width } : box;
}

function fromFrame(point: Point, direction: LayoutDirection): Point {
  return direction === 'right' ? { x: point.y, y: point.x } : point;
}

/**
 * Routes every `draw: 'arc'` edge of `visible` over the placed boxes (leaf items and expanded blocks, root
 * coordinates). `groups` are the payload's groups: an arc belongs to the innermost dense block around
 * its target, and its lane stays within that block's gutter.
 */
export function routeArcs(visible: VisibleGraph, boxes: Map<string, LaidOutBox>, groups: PayloadGroup[], direction: LayoutDirection): ArcRoutes {
  const routes = new Map<string, Point[]>();
  const extent = { x: 0, y: 0 };
  const arcs = visible.edges.filter((e) => e.draw === 'arc' && boxes.has(e.source) && boxes.has(e.target));
  if (arcs.length === 0) return { routes, extent };
  const groupById = new Map(groups.map((g) => [g.id, g]));
  const parentOf = new Map<string, string | null>();
  for (const item of visible.items) parentOf.set(item.id, item.parent);
  for (const compound of visible.compounds) parentOf.set(compound.id, compound.parent);
  const ancestors = (id: string): string[] => {
    const out: string[] = [];
    for (let p = parentOf.get(id) ?? null; p; p = parentOf.get(p) ?? null) out.push(p);
    return out;
  };
  const blockOf = (id: string): string | null => ancestors(id).find((g) => groupById.get(g)?.dense) ?? null;
  const frame = (id: string): LaidOutBox => toFrame(boxes.get(id)!, direction);

  // Arcs by the dense block holding their target (null: the model level), then buses by source.
  const byBlock = new Map<string | null, VisibleEdge[]>();
  for (const arc of arcs) {
    const block = blockOf(arc.target);
    byBlock.set(block, [...(byBlock.get(block) ?? []), arc]);
  }
  for (const [block, blockArcs] of byBlock) {
    // Boxes a lane must pass beside: every leaf and every expanded block except this one and those around it.
    const around = new Set(block ? [block, ...ancestors(block)] : []);
    const obstacles = [...visible.items.map((i) => i.id), ...visible.compounds.map((c) => c.id).filter((id) => !around.has(id))].filter((id) => boxes.has(id)).map(frame);
    const sources = [...new Set(blockArcs.map((a) => a.source))].sort((a, b) => frame(a).y - frame(b).y || frame(a).x - frame(b).x);
    // Entry points: a target's incoming arcs spread down its side, earlier sources first.
    const entryY = new Map<string, number>();
    const incoming = new Map<string, VisibleEdge[]>();
    for (const arc of blockArcs) incoming.set(arc.target, [...(incoming.get(arc.target) ?? []), arc]);
    for (const [target, list] of incoming) {
      const box = frame(target);
      list.sort((a, b) => sources.indexOf(a.source) - sources.indexOf(b.source));
      list.forEach((arc, k) => entryY.set(arc.id, box.y + (box.height * (k + 1)) / (list.length + 1)));
    }
    const exitY = (source: string): number => frame(source).y + frame(source).height / 2;
    let top = Infinity;
    let bottom = -Infinity;
    for (const arc of blockArcs) {
      top = Math.min(top, exitY(arc.source), entryY.get(arc.id)!);
      bottom = Math.max(bottom, exitY(arc.source), entryY.get(arc.id)!);
    }
    // One base for all lanes of the block keeps them nested: beyond every box the buses pass.
    let base = -Infinity;
    for (const box of obstacles) if (box.y < bottom && box.y + box.height > top) base = Math.max(base, box.x + box.width);
    const layers = block ? (groupById.get(block)?.dense?.layers.length ?? sources.length) : sources.length;
    const room = block ? arcRoom(layers) : Math.max(MIN_ROOM, arcRoom(layers));
    const step = Math.max(1.5, Math.min(6, (room - LANE_GAP - 6) / Math.max(1, sources.length)));
    sources.forEach((source, index) => {
      const lane = base + LANE_GAP + (sources.length - 1 - index) * step;
      const from = frame(source);
      const start = { x: from.x + from.width, y: exitY(source) };
      for (const arc of blockArcs) {
        if (arc.source !== source) continue;
        const to = frame(arc.target);
        const y = entryY.get(arc.id)!;
        const points = [start, { x: lane, y: start.y }, { x: lane, y }, { x: to.x + to.width, y }].map((p) => fromFrame(p, direction));
        routes.set(arc.id, points);
        for (const p of points) {
          extent.x = Math.max(extent.x, p.x);
          extent.y = Math.max(extent.y, p.y);
        }
      }
    });
  }
  return { routes, extent };
}
