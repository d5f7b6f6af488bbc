/**
 * A long top-down drawing wrapped into columns for export: ResNet-20 alone is a strip about 14 times
 * taller than wide, unreadable once scaled to a page. The drawing is cut across at heights where no node
 * is (between rows), the slices are set side by side with as many columns as bring the picture closest
 * to a readable aspect ratio, and each edge crossing a cut continues by a connector from the bottom of
 * its column, through the gap, to the top of the next. Works on the drawn tree (no layout rerun): every
 * node is drawn once, in the column holding its box; block frames and edges are clipped to each column.
 */
import type { Drawing, DrawnItem } from './draw';
import type { LaidOutBox, Point } from './elk-graph';
import { attribute, svgNode, type SvgNode } from './svg-tree';

/** Width over height a wrapped export aims at (a landscape page, a slide). */
export const WRAP_ASPECT = 1.5;
/** Gap between columns, px: room for the connectors' vertical runs. */
const GAP = 48;
/** Room above and below the columns, px: the connectors' horizontal runs. */
const PAD = 28;
/** Clearance a cut keeps from any node, px. */
const CLEAR = 4;

/** Heights (drawing y) where a cut crosses no node box, as the free intervals between rows. */
function freeIntervals(boxes: LaidOutBox[], height: number): [number, number][] {
  const spans = boxes.map((b) => [b.y - CLEAR, b.y + b.height + CLEAR] as [number, number]).sort((a, b) => a[0] - b[0]);
  const free: [number, number][] = [];
  let end = 0;
  for (const [top, bottom] of spans) {
    if (top > end) free.push([end, top]);
    end = Math.max(end, bottom);
  }
  if (end < height) free.push([end, height]);
  return free;
}

/** The cut heights for `columns` columns: near equal slices, each cut in the middle of a free interval. */
function cutsFor(columns: number, free: [number, number][], height: number): number[] {
  const cuts: number[] = [];
  for (let k = 1; k < columns; k++) {
    const want = (k * height) / columns;
    let best: number | null = null;
    for (const [a, b] of free) {
      const y = (a + b) / 2;
      if (y <= (cuts[cuts.length - 1] ?? 0) + 1 || y >= height - 1) continue;
      if (best === null || Math.abs(y - want) < Math.abs(best - want)) best = y;
    }
    if (best !== null && !cuts.includes(best)) cuts.push(best);
  }
  return cuts;
}

function layout(width: number, cuts: number[], height: number): { bounds: [number, number][]; tallest: number; outerWidth: number; outerHeight: number } {
  const edges = [0, ...cuts, height];
  const bounds = edges.slice(1).map((bottom, k) => [edges[k], bottom] as [number, number]);
  const tallest = Math.max(...bounds.map(([a, b]) => b - a));
  return { bounds, tallest, outerWidth: bounds.length * width + (bounds.length - 1) * GAP, outerHeight: tallest + 2 * PAD };
}

/** Points of a drawn edge path ("M x,y L x,y ..."), as draw.ts writes them. */
function pathPoints(d: string): Point[] {
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
}

function copy(node: SvgNode): SvgNode {
  return { ...node, attributes: node.attributes.map(([n, v]) => [n, v]), children: node.children.map(copy) };
}

function layer(content: SvgNode, name: string): SvgNode {
  return content.children.find((c) => attribute(c, 'class') === name) ?? svgNode('g', { class: name });
}

/**
 * The drawing in columns of about `aspect` (width / height); a drawing already wider than that, or with
 * no free height to cut at (a left-to-right strip, a single row), comes back as it is.
 */
export function wrapDrawing(drawing: Drawing, aspect = WRAP_ASPECT): Drawing {
  const { width, height } = drawing;
  const boxes = [...drawing.items.values()].map((i) => i.box);
  const free = freeIntervals(boxes, height);
  let best: { cuts: number[]; score: number } = { cuts: [], score: Math.abs(Math.log(width / height / aspect)) };
  for (let columns = 2; columns <= 40; columns++) {
    const cuts = cutsFor(columns, free, height);
    const shape = layout(width, cuts, height);
    const score = Math.abs(Math.log(shape.outerWidth / shape.outerHeight / aspect));
    if (score < best.score) best = { cuts, score };
  }
  if (best.cuts.length === 0) return drawing;
  const { bounds, outerWidth, outerHeight } = layout(width, best.cuts, height);
  const column = (y: number): number => Math.max(0, bounds.findIndex(([a, b]) => y >= a && y < b));
  const offset = (k: number): Point => ({ x: k * (width + GAP), y: PAD - bounds[k][0] });

  const content = svgNode('g', { class: 'graph-content wrapped' });
  const defs = svgNode('defs', {}, content);
  const nodesLayer = layer(drawing.content, 'nodes');
  const items = new Map<string, DrawnItem>();
  bounds.forEach(([top, bottom], k) => {
    const clip = svgNode('clipPath', { id: `wrap-column-${k}` }, defs);
    svgNode('rect', { x: -2, y: top, width: width + 4, height: bottom - top }, clip);
    const at = offset(k);
    const g = svgNode('g', { class: 'column', 'data-column': k, transform: `translate(${at.x},${at.y})` }, content);
    const clipped = svgNode('g', { 'clip-path': `url(#wrap-column-${k})` }, g);
    for (const name of ['groups', 'edges', 'edge-labels']) clipped.children.push(copy(layer(drawing.content, name)));
    const nodes = svgNode('g', { class: 'nodes' }, g);
    for (const node of nodesLayer.children) {
      const item = drawing.items.get(attribute(node, 'data-id') ?? '');
      if (!item || column(item.box.y + item.box.height / 2) !== k) continue;
      nodes.children.push(node);
      items.set(item.id, { ...item, box: { ...item.box, x: item.box.x + at.x, y: item.box.y + at.y } });
    }
  });
  drawConnectors(content, layer(drawing.content, 'edges'), bounds, offset);
  return { content, items, width: outerWidth, height: outerHeight };
}

/** For each edge crossing a cut: down out of its column, along the gap, and down into the next column's top. */
function drawConnectors(content: SvgNode, edges: SvgNode, bounds: [number, number][], offset: (k: number) => Point): void {
  const layer = svgNode('g', { class: 'edges connectors' }, content);
  for (let k = 0; k + 1 < bounds.length; k++) {
    const cut = bounds[k][1];
    const crossings: { x: number; edge: SvgNode }[] = [];
    for (const path of edges.children) {
      const points = pathPoints(attribute(path, 'd') ?? '');
      for (let i = 0; i + 1 < points.length; i++) {
        const [a, b] = [points[i], points[i + 1]];
        if ((a.y - cut) * (b.y - cut) >= 0) continue;
        crossings.push({ x: a.x + ((cut - a.y) / (b.y - a.y)) * (b.x - a.x), edge: path });
      }
    }
    crossings.sort((p, q) => p.x - q.x);
    const from = offset(k);
    const to = offset(k + 1);
    crossings.forEach(({ x, edge }, i) => {
      const lane = Math.min(i * 5, PAD - 10);
      const bottom = from.y + cut;
      const top = to.y + cut;
      const gapX = to.x - GAP / 2 + (i - (crossings.length - 1) / 2) * 5;
      const d = [[from.x + x, bottom], [from.x + x, bottom + 8 + lane], [gapX, bottom + 8 + lane], [gapX, top - 8 - lane], [to.x + x, top - 8 - lane], [to.x + x, top]].map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
      svgNode('path', { d, class: 'edge connector', 'stroke-width': attribute(edge, 'stroke-width') ?? '1', 'data-source': attribute(edge, 'data-source') ?? '', 'data-target': attribute(edge, 'data-target') ?? '' }, layer);
    });
  }
}
