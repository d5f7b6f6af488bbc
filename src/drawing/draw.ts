/**
 * Draws a laid-out visible graph as an SVG tree: block boxes, routed edges (width by channels), dense
 * arcs, and nodes. Shared by the graph webview (which turns the tree into DOM elements) and
 * `skipnet render` (which serializes it), so both draw the same structure. No DOM here: every text of
 * the payload is a text node of the tree, escaped when serialized and set with textContent in the page.
 */
import type { LayoutDirection } from '../protocol/messages';
import type { GraphPayload, PayloadGroup, PayloadNode } from '../protocol/payload';
import { formatShape } from '../core/values';
import { accessibleText, describeGroup, describeNode, featureMapText, truncate, weightSharing, type WeightSharing } from './describe';
import { routeArcs } from './arcs';
import { glyphCell, type LaidOutBox, type LayoutResult, type Point } from './elk-graph';
import { type SvgNode, svgNode as svgElement, textNode } from './svg-tree';
import { drawTitle, placeTitles, type Rect, type TitleRequest, type TitleScene, titlesExtent } from './titles';
import type { VisibleGraph, VisibleItem } from './visible';

type Element = SvgNode;

function text(parent: Element, x: number, y: number, content: string, className: string, anchor: 'start' | 'middle' | 'end' = 'start'): SvgNode {
  return textNode('text', { x, y, class: className, 'text-anchor': anchor }, content, parent);
}

/** Stroke width for an edge carrying `channels` feature maps: 1 px for a few, about 5 px for 2,048. */
export function edgeWidth(channels: number | null): number {
  if (!channels || channels <= 1) return 1;
  return Math.min(5.5, 0.8 + Math.log2(channels) * 0.42);
}

export interface DrawContext {
  payload: GraphPayload;
  visible: VisibleGraph;
  layout: LayoutResult;
  collapsed: Map<string, boolean>;
  direction: LayoutDirection;
}

export interface DrawnItem {
  id: string;
  node: SvgNode;
  box: LaidOutBox;
  /** Source range to reveal on click. */
  range: { start: number; end: number };
  group: PayloadGroup | null;
}

/** The drawing of one graph; `items` index the focusable nodes by id. */
export interface Drawing {
  content: SvgNode;
  items: Map<string, DrawnItem>;
  width: number;
  height: number;
}

/**
 * A drawing of the laid-out graph, and `titleRoom`: the blocks whose title found no place whole (drawn
 * shortened, or only as the frame's tooltip), with the room (px) a new layout must add at the right of each
 * one's frame for its header to hold the title (see placeTitles). Empty when every title is whole.
 */
export interface GraphDrawing extends Drawing {
  titleRoom: Map<string, number>;
}

export function drawGraph(context: DrawContext): GraphDrawing {
  const { payload, visible, layout } = context;
  const boxes = new Map(layout.boxes.map((b) => [b.id, b]));
  const nodeById = new Map(payload.nodes.map((n) => [n.id, n]));
  const content = svgElement('g', { class: 'graph-content', id: 'graph-content' });
  const groupsLayer = svgElement('g', { class: 'groups' }, content);
  const edgesLayer = svgElement('g', { class: 'edges' }, content);
  const labelsLayer = svgElement('g', { class: 'edge-labels' }, content);
  const nodesLayer = svgElement('g', { class: 'nodes' }, content);
  const items = new Map<string, DrawnItem>();

  const compounds = visible.compounds.slice().sort((a, b) => a.group.depth - b.group.depth);
  const frames = new Map<string, { g: SvgNode; title: TitleRequest }>();
  for (const compound of compounds) {
    const box = boxes.get(compound.id);
    if (box) frames.set(compound.id, { g: drawCompound(groupsLayer, compound.group, box), title: { id: compound.id, frame: box, text: groupTitle(compound.group, nodeById) } });
  }
  // Titles go where no edge, node, toggle or label is: placed once everything else is (src/drawing/titles.ts).
  const scene: TitleScene = { segments: [], boxes: [...frames.values()].map(({ title: { frame } }) => ({ x: frame.x + 6, y: frame.y + 6, width: 16, height: 16 })) };
  const routes = new Map(layout.edges.map((e) => [e.id, e.points]));
  const arcs = routeArcs(visible, boxes, payload.groups, context.direction);
  const showLabels = visible.edges.length <= 400;
  for (const edge of visible.edges) {
    if (edge.draw === 'hidden') continue;
    const target = nodeById.get(edge.target);
    const into = target?.merge ? ` into-${target.merge}` : '';
    const points = edge.draw === 'arc' ? arcs.routes.get(edge.id) : routes.get(edge.id);
    if (!points || points.length < 2) continue;
    const path = svgElement('path', { d: polylinePath(points), class: `edge${edge.draw === 'arc' ? ' arc' : ''}${into}`, 'stroke-width': edgeWidth(edge.channels).toFixed(2), 'marker-end': 'url(#arrow)', 'data-edge': edge.id, 'data-source': edge.source, 'data-target': edge.target }, edgesLayer);
    textNode('title', {}, `${edge.source} → ${edge.target}: ${edge.channels ?? '?'} channels`, path);
    for (let i = 0; i + 1 < points.length; i++) scene.segments.push({ a: points[i], b: points[i + 1], width: edgeWidth(edge.channels) });
    const label = showLabels && edge.draw === 'routed' && edge.channels !== null ? drawEdgeLabel(labelsLayer, points, edge.channels) : null;
    if (label) scene.boxes.push(label);
  }
  const sharing = weightSharing(payload);
  for (const item of visible.items) {
    const box = boxes.get(item.id);
    if (!box) continue;
    const node = item.kind === 'node' ? drawNode(nodesLayer, item.node, box, sharing) : drawCollapsed(nodesLayer, item.group, box, nodeById.get(item.group.output ?? ''), sharing);
    items.set(item.id, { id: item.id, node, box, range: rangeOf(item), group: item.kind === 'collapsed' ? item.group : null });
    scene.boxes.push(box);
  }
  const requests = [...frames.values()].map((f) => f.title);
  const titleRoom = new Map<string, number>();
  const placed = placeTitles(requests, scene, requests.map((r) => r.frame), titleRoom);
  const placements = new Map(placed.map((p) => [p.id, p]));
  for (const { g, title } of frames.values()) drawTitle(g, title, placements.get(title.id));
  // Lanes of model-level arcs, and titles beside a frame, may reach beyond ELK's drawing, which had no room reserved for them.
  const titles = titlesExtent(placed);
  return { content, items, width: Math.max(layout.width, arcs.extent.x + 12, titles.x + 12), height: Math.max(layout.height, arcs.extent.y + 12, titles.y + 12), titleRoom };
}

function rangeOf(item: VisibleItem): { start: number; end: number } {
  return item.kind === 'node' ? item.node.range : item.group.range;
}

function polylinePath(points: Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

/** Edge-label font: 9 px, digits 0.636 em wide in DejaVu Sans. */
const EDGE_LABEL_DIGIT = 5.8;

/** Draws the channel count beside an edge; returns the label's box (null when the edge is too short for one). */
function drawEdgeLabel(parent: Element, points: Point[], channels: number): Rect | null {
  // On the longest segment, a little to its side.
  let best = 0;
  let bestLength = -1;
  for (let i = 0; i + 1 < points.length; i++) {
    const length = Math.hypot(points[i + 1].x - points[i].x, points[i + 1].y - points[i].y);
    if (length > bestLength) [best, bestLength] = [i, length];
  }
  if (bestLength < 18) return null;
  const a = points[best];
  const b = points[best + 1];
  const at = { x: (a.x + b.x) / 2 + 4, y: (a.y + b.y) / 2 + 3 };
  text(parent, at.x, at.y, String(channels), 'edge-label');
  return { x: at.x, y: at.y - 9, width: String(channels).length * EDGE_LABEL_DIGIT, height: 11 };
}

function nodeGroup(parent: Element, id: string, classes: string, box: LaidOutBox, label: string): SvgNode {
  const g = svgElement('g', { class: `node ${classes}`, 'data-id': id, transform: `translate(${box.x},${box.y})`, tabindex: 0, role: 'button', 'aria-label': label, 'aria-describedby': 'tooltip' }, parent);
  return g;
}

function drawNode(parent: Element, node: PayloadNode, box: LaidOutBox, sharing: WeightSharing): SvgNode {
  const classes = `kind-${node.kind.replace(/[^a-z0-9_-]/gi, '')}${node.merge ? ` merge-${node.merge}` : ''}`;
  const g = nodeGroup(parent, node.id, classes, box, accessibleText(describeNode(node, sharing)));
  const { width: w, height: h } = box;
  const detail = `${formatShape(node.shape)} · ${featureMapText(node.featureMaps)}`;
  if (node.merge === 'add') {
    svgElement('ellipse', { class: 'shape', cx: w / 2, cy: h / 2, rx: w / 2, ry: h / 2 }, g);
    // Each line gets as many characters as the ellipse's chord holds at that line's far edge (cap top
    // of the label, descenders of the detail); the "+" takes the label line's left end.
    const label = truncate(node.label, Math.floor((ellipseChord(w, h, 10) - SIGN_ROOM) / LABEL_CHAR));
    const labelWidth = label.length * LABEL_CHAR_TYPICAL;
    text(g, w / 2 - labelWidth / 2 + SIGN_ROOM / 2 - 3, h / 2 - 2, '+', 'merge-sign', 'end');
    text(g, w / 2 + SIGN_ROOM / 2, h / 2 - 2, label, 'label', 'middle');
    const detailChars = Math.floor(ellipseChord(w, h, 12) / DETAIL_CHAR);
    text(g, w / 2, h / 2 + 10, detail.length <= detailChars ? detail : truncate(formatShape(node.shape), detailChars), 'detail', 'middle');
    return g;
  }
  svgElement('rect', { class: 'shape', width: w, height: h, rx: node.kind === 'input' ? 12 : 4 }, g);
  if (node.merge === 'concat') {
    text(g, 8, 15, '‖', 'merge-sign');
    text(g, 20, 14, truncate(node.label, 16), 'label');
    text(g, w - 6, 14, node.kind, 'kind', 'end');
    drawSegments(g, node, 8, 20, w - 16, 10);
    text(g, 8, h - 8, truncate(detail, 26), 'detail');
    return g;
  }
  text(g, 8, 17, truncate(node.label, node.label === node.kind ? 24 : 16), 'label');
  if (node.label !== node.kind) text(g, w - 6, 17, truncate(node.kind, 9), 'kind', 'end');
  text(g, 8, 34, truncate(detail, 26), 'detail');
  return g;
}

/** Widths of one character, px, wide enough for DejaVu Sans (the widest of the fonts a webview falls back to). */
const LABEL_CHAR = 7.6; // 11 px bold
const LABEL_CHAR_TYPICAL = 6.6;
const DETAIL_CHAR = 6.4; // 10 px
/** Room the add node's "+" takes on the label line, px. */
const SIGN_ROOM = 16;

/** Width of an ellipse inscribed in w × h at `dy` px above or below its centre. */
function ellipseChord(w: number, h: number, dy: number): number {
  return w * Math.sqrt(Math.max(0, 1 - (dy / (h / 2)) ** 2));
}

/** A concat node's bar: one slice per provenance segment, widths by channels, colours cycling by source. */
function drawSegments(parent: Element, node: PayloadNode, x: number, y: number, width: number, height: number): void {
  const total = node.provenance.reduce((sum, s) => sum + s.channels, 0);
  if (total <= 0) return;
  const bar = svgElement('g', { class: 'segments' }, parent);
  const colour = new Map<string, number>();
  let offset = 0;
  for (const segment of node.provenance) {
    if (!colour.has(segment.source)) colour.set(segment.source, colour.size % 6);
    const w = (segment.channels / total) * width;
    const rect = svgElement('rect', { x: x + offset, y, width: Math.max(0.5, w - 0.5), height, class: segment.source === '' ? 'seg-zero' : `seg-${colour.get(segment.source)}` }, bar);
    textNode('title', {}, `${segment.label}: ${segment.channels}`, rect);
    offset += w;
  }
}

function drawToggle(parent: Element, x: number, y: number, group: PayloadGroup, collapsed: boolean): void {
  const toggle = svgElement('g', { class: 'toggle', 'data-toggle': group.id, transform: `translate(${x},${y})`, role: 'button', 'aria-label': `${collapsed ? 'Expand' : 'Collapse'} ${group.label}`, 'aria-expanded': String(!collapsed) }, parent);
  svgElement('rect', { width: 16, height: 16, rx: 3 }, toggle);
  text(toggle, 8, 12, collapsed ? '+' : '−', '', 'middle');
}

function drawCollapsed(parent: Element, group: PayloadGroup, box: LaidOutBox, output: PayloadNode | undefined, sharing: WeightSharing): SvgNode {
  const g = nodeGroup(parent, group.id, `collapsed${group.dense ? ' dense-block' : ''}`, box, accessibleText(describeGroup(group, output, true, sharing)));
  g.attributes.push(['aria-expanded', 'false']);
  svgElement('rect', { class: 'shape', width: box.width, height: box.height, rx: 6 }, g);
  text(g, 28, 17, truncate(group.label, 18), 'label');
  drawToggle(g, 6, 5, group, true);
  text(g, 8, 33, truncate(`${group.block} · ${group.size} layers`, 28), 'detail');
  text(g, 8, 48, truncate(`${formatShape(group.outputShape)} · ${featureMapText(output?.featureMaps ?? null)}`, 28), 'detail');
  if (group.dense) drawGlyph(g, group, (box.width - glyphCell(group.dense.layers.length) * (group.dense.layers.length + 1)) / 2, 58);
  return g;
}

/**
 * The dense block's adjacency triangle: row ℓ (a layer), column s (the block input, then each earlier
 * layer); a filled cell means ℓ reads channels from s. Input column coloured apart.
 */
function drawGlyph(parent: Element, group: PayloadGroup, x: number, y: number): void {
  const dense = group.dense!;
  const cell = glyphCell(dense.layers.length);
  const glyph = svgElement('g', { class: 'glyph', transform: `translate(${x},${y})` }, parent);
  const n = dense.layers.length;
  svgElement('rect', { class: 'frame', width: cell * (n + 1), height: cell * n }, glyph);
  dense.channels.forEach((row, l) => {
    row.forEach((channels, s) => {
      if (channels > 0) svgElement('rect', { class: `cell${s === 0 ? ' input' : ''}`, 'data-cell': `${l},${s}`, x: s * cell + 0.5, y: l * cell + 0.5, width: cell - 1, height: cell - 1 }, glyph);
    });
  });
}

/** An expanded block's frame and toggle; its title is drawn once every edge is placed. */
function drawCompound(parent: Element, group: PayloadGroup, box: LaidOutBox): SvgNode {
  const g = svgElement('g', { class: `group${group.dense ? ' dense-block' : ''}`, 'data-group': group.id, transform: `translate(${box.x},${box.y})` }, parent);
  svgElement('rect', { width: box.width, height: box.height, rx: 8 }, g);
  drawToggle(g, 6, 6, group, false);
  return g;
}

/** A block's full title: name, block kind, output shape and feature maps (e.g. "layer1 · stage → 32×32×16 (16,384)"). */
export function groupTitle(group: PayloadGroup, nodeById: Map<string, PayloadNode>): string {
  const output = nodeById.get(group.output ?? '');
  return `${group.label} · ${group.block} → ${formatShape(group.outputShape)}${output ? ` (${featureMapText(output.featureMaps)})` : ''}`;
}

/** Arrow marker and such; one <defs> per SVG. */
export function definitions(): SvgNode {
  const defs = svgElement('defs', {});
  const marker = svgElement('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' }, defs);
  svgElement('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }, marker);
  return defs;
}
