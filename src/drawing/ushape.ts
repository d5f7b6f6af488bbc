/**
 * Draws a U-Net as a U (Ronneberger, Fischer & Brox 2015, "U-Net", figure 1): the encoder column descends,
 * the bottleneck sits at the bottom, the decoder column rises beside it, and each long skip (an encoder
 * level's maps concatenated into the decoder level of the same resolution) is a short horizontal edge
 * between the two columns.
 *
 * The U is read from the visible graph itself, never from names: a concat merge whose one input comes from
 * far earlier at the concat's own spatial size (the skip) while the path to its other input passes an
 * upsampling layer (`convtranspose` or `upsample`). With at least two such merges, nested (the deepest
 * encoder level joins the first decoder level) and the rest of the graph a single chain, the chain splits
 * at the first upsampling layer after the deepest skip: everything before it is the descending column
 * (stem, encoder, bottleneck), everything from it on the rising one (decoder, head).
 *
 * ELK's layered layout has no way to place a node beside its own successor on one layer, so the U is
 * placed here, after ELK, from ELK's box sizes and block paddings (what a block's header and frame need);
 * any other graph keeps ELK's layout untouched. Coordinates are ELK's root coordinates in px. Left-to-right
 * layouts are the transposed picture: the encoder runs along the top row, the decoder comes back below.
 */
import type { LayoutDirection } from '../protocol/messages';
import type { LaidOutBox, LaidOutEdge, LayoutResult, Point } from './elk-graph';
import type { VisibleEdge, VisibleGraph, VisibleItem } from './visible';

/** The U found in a visible graph; ids are visible item ids. */
export interface UShape {
  /** The descending column, top to bottom: stem, encoder levels, bottleneck. */
  down: string[];
  /** The rising column in data order, bottom to top: the first upsampling layer, decoder levels, head. */
  up: string[];
  /** Long skips, outermost level first: [encoder output, decoder concat]. */
  skips: [string, string][];
}

/** Layer kinds that raise the spatial size (core: src/core/familyLayers.ts). */
const UPSAMPLING = new Set(['convtranspose', 'upsample']);
/** A skip must jump at least this many chain items to count as long (a residual-style short concat does not). */
const MIN_SKIP = 3;
/** Gap between consecutive items of one column, px (ELK's `spacing.nodeNodeBetweenLayers`). */
const ROW_GAP = 28;
/** Gap between the two columns' outer frames, px: room for a skip edge and its channel label. */
const COLUMN_GAP = 64;
const MARGIN = 12;

function kindOf(item: VisibleItem, nodeKind: Map<string, string>): string {
  return item.kind === 'node' ? item.node.kind : (nodeKind.get(item.group.output ?? '') ?? item.group.block);
}

function spatialOf(item: VisibleItem): string | null {
  const shape = item.kind === 'node' ? item.node.shape : item.group.outputShape;
  return shape && shape.length === 3 ? `${shape[0]}x${shape[1]}` : null;
}

/** The U of `visible`, or null when it is not one (then the graph is drawn as ELK lays it out). */
export function findUShape(visible: VisibleGraph): UShape | null {
  if (visible.edges.some((e) => e.draw !== 'routed')) return null;
  const items = new Map(visible.items.map((i) => [i.id, i]));
  const nodeKind = new Map<string, string>();
  for (const item of visible.items) if (item.kind === 'node') nodeKind.set(item.node.id, item.node.kind);
  const incoming = new Map<string, VisibleEdge[]>();
  for (const edge of visible.edges) incoming.set(edge.target, [...(incoming.get(edge.target) ?? []), edge]);

  // Candidate skips: a two-input concat with an input of its own spatial size; which input is the skip is
  // decided once the chain order is known (the one from far earlier).
  const concats = visible.items.filter((i) => i.kind === 'node' && i.node.merge === 'concat' && (incoming.get(i.id)?.length ?? 0) === 2);
  if (concats.length < 2) return null;
  // Without the skips, the graph must be one chain.
  const chainOf = (skips: VisibleEdge[]): string[] | null => {
    const skipped = new Set(skips);
    const next = new Map<string, string>();
    const hasInput = new Set<string>();
    for (const edge of visible.edges) {
      if (skipped.has(edge)) continue;
      if (next.has(edge.source) || hasInput.has(edge.target)) return null;
      next.set(edge.source, edge.target);
      hasInput.add(edge.target);
    }
    const starts = visible.items.filter((i) => !hasInput.has(i.id));
    if (starts.length !== 1) return null;
    const chain: string[] = [];
    for (let id: string | undefined = starts[0].id; id !== undefined; id = next.get(id)) chain.push(id);
    return chain.length === visible.items.length ? chain : null;
  };
  // The skip of each concat is its input produced earlier in data order (the other is its chain predecessor).
  const order = dataOrder(visible);
  if (!order) return null;
  const skipEdges = concats.map((c) => {
    const [a, b] = incoming.get(c.id)!;
    return order.get(a.source)! < order.get(b.source)! ? a : b;
  });
  const chain = chainOf(skipEdges);
  if (!chain) return null;
  const position = new Map(chain.map((id, i) => [id, i]));
  const skips = skipEdges
    .map((edge) => ({ edge, from: position.get(edge.source)!, to: position.get(edge.target)! }))
    .filter(({ edge, from, to }) => to - from >= MIN_SKIP && spatialOf(items.get(edge.source)!) !== null && spatialOf(items.get(edge.source)!) === spatialOf(items.get(edge.target)!));
  if (skips.length !== skipEdges.length) return null;
  // Nested: the later the decoder concat, the earlier its encoder source.
  skips.sort((a, b) => a.to - b.to);
  for (let k = 1; k < skips.length; k++) if (skips[k].from >= skips[k - 1].from) return null;
  const deepest = skips[0].from;
  const upsamples = chain.map((id, i) => (UPSAMPLING.has(kindOf(items.get(id)!, nodeKind)) ? i : -1)).filter((i) => i >= 0);
  // Each decoder level is reached through an upsampling layer after the previous level.
  let previous = deepest;
  for (const skip of skips) {
    if (!upsamples.some((u) => u > previous && u < skip.to)) return null;
    previous = skip.to;
  }
  const turn = upsamples.find((u) => u > deepest)!;
  // A bottleneck between the deepest encoder level and the first upsampling keeps the turn off the skip's row.
  if (turn - deepest < 2) return null;
  const down = chain.slice(0, turn);
  const up = chain.slice(turn);
  if (!blocksStayInOneColumn(visible, new Set(down))) return null;
  return { down, up, skips: skips.reverse().map((s) => [s.edge.source, s.edge.target]) };
}

/** Kahn order of the visible items over their edges; null on a cycle (which the core never makes). */
function dataOrder(visible: VisibleGraph): Map<string, number> | null {
  const indegree = new Map(visible.items.map((i) => [i.id, 0]));
  const next = new Map<string, string[]>();
  for (const edge of visible.edges) {
    indegree.set(edge.target, (indegree.get(edge.target) ?? 0) + 1);
    next.set(edge.source, [...(next.get(edge.source) ?? []), edge.target]);
  }
  const queue = [...indegree].filter(([, n]) => n === 0).map(([id]) => id);
  const order = new Map<string, number>();
  while (queue.length > 0) {
    const id = queue.shift()!;
    order.set(id, order.size);
    for (const target of next.get(id) ?? []) {
      const left = indegree.get(target)! - 1;
      indegree.set(target, left);
      if (left === 0) queue.push(target);
    }
  }
  return order.size === indegree.size ? order : null;
}

function parents(visible: VisibleGraph): Map<string, string | null> {
  const parent = new Map<string, string | null>();
  for (const item of visible.items) parent.set(item.id, item.parent);
  for (const compound of visible.compounds) parent.set(compound.id, compound.parent);
  return parent;
}

/** Each expanded block holds items of one column only (else its frame would span the U's gap). */
function blocksStayInOneColumn(visible: VisibleGraph, down: Set<string>): boolean {
  const parent = parents(visible);
  const side = new Map<string, boolean>();
  for (const item of visible.items) {
    for (let p = item.parent; p; p = parent.get(p) ?? null) {
      const known = side.get(p);
      if (known !== undefined && known !== down.has(item.id)) return false;
      side.set(p, down.has(item.id));
    }
  }
  return visible.compounds.every((c) => side.has(c.id));
}

/** A box in a frame where the columns run down (the 'down' layout); 'right' layouts are transposed. */
function toFrame(box: LaidOutBox, direction: LayoutDirection): LaidOutBox {
  return direction === 'right' ? { id: box.id, x: box.y, y: box.x, width: box.height, height: box.width } : box;
}

function point(x: number, y: number, direction: LayoutDirection): Point {
  return direction === 'right' ? { x: y, y: x } : { x, y };
}

interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * ELK's layout of `visible` re-placed as a U when the graph is one (see `findUShape`); otherwise `layout`
 * itself, unchanged. Box sizes and the blocks' paddings (header, frame) are ELK's; every drawn edge gets a
 * straight route: down or up its column, or across the gap for the skips and the bottleneck's turn.
 */
export function placeUShape(visible: VisibleGraph, layout: LayoutResult, direction: LayoutDirection): LayoutResult {
  const shape = findUShape(visible);
  if (!shape) return layout;
  const old = new Map(layout.boxes.map((b) => [b.id, toFrame(b, direction)]));
  if (visible.items.some((i) => !old.has(i.id)) || visible.compounds.some((c) => !old.has(c.id))) return layout;
  const parent = parents(visible);
  const ancestors = (id: string): string[] => {
    const out: string[] = [];
    for (let p = parent.get(id) ?? null; p; p = parent.get(p) ?? null) out.push(p);
    return out;
  };
  // Each block's paddings as ELK laid it out: from its frame to the nearest of what it holds.
  const children = new Map<string, LaidOutBox[]>();
  for (const id of [...visible.items.map((i) => i.id), ...visible.compounds.map((c) => c.id)]) {
    const p = parent.get(id);
    if (p) children.set(p, [...(children.get(p) ?? []), old.get(id)!]);
  }
  const padding = new Map<string, Padding>();
  for (const compound of visible.compounds) {
    const box = old.get(compound.id)!;
    const inner = children.get(compound.id) ?? [];
    padding.set(compound.id, {
      top: Math.min(...inner.map((b) => b.y)) - box.y,
      bottom: box.y + box.height - Math.max(...inner.map((b) => b.y + b.height)),
      left: Math.min(...inner.map((b) => b.x)) - box.x,
      right: box.x + box.width - Math.max(...inner.map((b) => b.x + b.width)),
    });
  }
  const pad = (ids: string[], side: keyof Padding): number => ids.reduce((sum, id) => sum + padding.get(id)![side], 0);

  // Columns in screen order, top to bottom.
  const columns = [shape.down, shape.up.slice().reverse()];
  for (const column of columns) if (!contiguousBlocks(column, ancestors)) return layout;
  const centre = new Map<string, number>();
  const distance = (a: string, b: string): number => {
    const upper = ancestors(a);
    const lower = ancestors(b);
    const opens = lower.filter((g) => !upper.includes(g));
    const closes = upper.filter((g) => !lower.includes(g));
    return old.get(a)!.height / 2 + ROW_GAP + pad(opens, 'top') + pad(closes, 'bottom') + old.get(b)!.height / 2;
  };
  // Rows both columns share: each skip's two ends, and the bottleneck's last item with the first upsampling.
  const anchors: [number, number][] = [...shape.skips, [shape.down[shape.down.length - 1], shape.up[0]] as [string, string]].map(([a, b]) => [columns[0].indexOf(a), columns[1].indexOf(b)] as [number, number]);
  const above = (column: string[], index: number): number => {
    let y = MARGIN + pad(ancestors(column[0]), 'top') + old.get(column[0])!.height / 2;
    for (let i = 0; i < index; i++) y += distance(column[i], column[i + 1]);
    return y;
  };
  const y = Math.max(above(columns[0], anchors[0][0]), above(columns[1], anchors[0][1]));
  columns.forEach((column, c) => {
    const first = anchors[0][c];
    centre.set(column[first], y);
    for (let i = first - 1; i >= 0; i--) centre.set(column[i], centre.get(column[i + 1])! - distance(column[i], column[i + 1]));
  });
  for (let k = 1; k < anchors.length; k++) {
    const spans = columns.map((column, c) => {
      let sum = 0;
      for (let i = anchors[k - 1][c]; i < anchors[k][c]; i++) sum += distance(column[i], column[i + 1]);
      return sum;
    });
    const span = Math.max(...spans);
    columns.forEach((column, c) => {
      // The shorter column spreads the spare height evenly over its gaps.
      const from = anchors[k - 1][c];
      const extra = (span - spans[c]) / (anchors[k][c] - from);
      for (let i = from + 1; i <= anchors[k][c]; i++) centre.set(column[i], centre.get(column[i - 1])! + distance(column[i - 1], column[i]) + extra);
    });
  }
  columns.forEach((column, c) => {
    for (let i = anchors[anchors.length - 1][c] + 1; i < column.length; i++) centre.set(column[i], centre.get(column[i - 1])! + distance(column[i - 1], column[i]));
  });

  // Across: each column as wide as its widest item with the frames of the blocks around it.
  const reach = (column: string[], side: 'left' | 'right'): number => Math.max(...column.map((id) => old.get(id)!.width / 2 + pad(ancestors(id), side)));
  const axis = [MARGIN + reach(columns[0], 'left')];
  axis.push(axis[0] + reach(columns[0], 'right') + COLUMN_GAP + reach(columns[1], 'left'));
  const placed = new Map<string, LaidOutBox>();
  columns.forEach((column, c) => {
    for (const id of column) {
      const box = old.get(id)!;
      placed.set(id, { id, x: axis[c] - box.width / 2, y: centre.get(id)! - box.height / 2, width: box.width, height: box.height });
    }
  });
  const fit = (id: string): LaidOutBox => {
    const done = placed.get(id);
    if (done) return done;
    const inner = visible.items
      .map((i) => i.id)
      .concat(visible.compounds.map((k) => k.id))
      .filter((k) => parent.get(k) === id)
      .map(fit);
    const p = padding.get(id)!;
    const x = Math.min(...inner.map((b) => b.x)) - p.left;
    const top = Math.min(...inner.map((b) => b.y)) - p.top;
    const box = { id, x, y: top, width: Math.max(...inner.map((b) => b.x + b.width)) + p.right - x, height: Math.max(...inner.map((b) => b.y + b.height)) + p.bottom - top };
    placed.set(id, box);
    return box;
  };
  for (const compound of visible.compounds) fit(compound.id);

  const edges: LaidOutEdge[] = [];
  const inDown = new Set(shape.down);
  for (const edge of visible.edges) {
    const from = placed.get(edge.source)!;
    const to = placed.get(edge.target)!;
    const across = inDown.has(edge.source) !== inDown.has(edge.target) || shape.skips.some(([s, t]) => s === edge.source && t === edge.target);
    let points: [number, number][];
    if (across) points = [[from.x + from.width, from.y + from.height / 2], [to.x, to.y + to.height / 2]];
    else if (inDown.has(edge.source)) points = [[axis[0], from.y + from.height], [axis[0], to.y]];
    else points = [[axis[1], from.y], [axis[1], to.y + to.height]];
    edges.push({ id: edge.id, points: points.map(([x, y]) => point(x, y, direction)) });
  }
  const boxes = layout.boxes.map((b) => {
    const box = placed.get(b.id) ?? toFrame(b, direction);
    return toFrame(box, direction);
  });
  const right = Math.max(...[...placed.values()].map((b) => b.x + b.width)) + MARGIN;
  const bottom = Math.max(...[...placed.values()].map((b) => b.y + b.height)) + MARGIN;
  const size = point(right, bottom, direction);
  return { boxes, edges, width: size.x, height: size.y };
}

/** Whether the items of every block form one unbroken run of the column (so its frame holds nothing else). */
function contiguousBlocks(column: string[], ancestors: (id: string) => string[]): boolean {
  const span = new Map<string, { first: number; last: number; count: number }>();
  column.forEach((id, i) => {
    for (const g of ancestors(id)) {
      const s = span.get(g) ?? { first: i, last: i, count: 0 };
      span.set(g, { first: s.first, last: i, count: s.count + 1 });
    }
  });
  return [...span.values()].every((s) => s.last - s.first + 1 === s.count);
}
