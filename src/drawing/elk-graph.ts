/**
 * Turns the visible graph into ELK's JSON input and reads the result back. Node sizes are fixed per
 * item kind (never measured from text), so a layout depends only on structure and the worker can
 * reuse a cached result when an edit changes numbers but not the graph.
 */
import type { LayoutDirection } from '../protocol/messages';
import type { VisibleGraph, VisibleItem } from './visible';

export interface ElkInputNode {
  id: string;
  width?: number;
  height?: number;
  layoutOptions?: Record<string, string>;
  children?: ElkInputNode[];
  edges?: ElkInputEdge[];
}
export interface ElkInputEdge {
  id: string;
  sources: string[];
  targets: string[];
}

export interface Point {
  x: number;
  y: number;
}
export interface LaidOutBox {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface LaidOutEdge {
  id: string;
  points: Point[];
}
export interface LayoutResult {
  boxes: LaidOutBox[];
  edges: LaidOutEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 156;
export const NODE_HEIGHT = 44;
export const MERGE_WIDTH = 144;
export const MERGE_HEIGHT = 44;
export const CONCAT_HEIGHT = 52;
export const GROUP_HEADER = 26;
export const COLLAPSED_WIDTH = 176;
export const COLLAPSED_HEIGHT = 58;

/** Side of one glyph cell for a dense block of n layers: the triangle stays within about 90 px. */
export function glyphCell(layers: number): number {
  return Math.max(2, Math.min(8, Math.floor(90 / (layers + 1))));
}

export function itemSize(item: VisibleItem): { width: number; height: number } {
  if (item.kind === 'collapsed') {
    const dense = item.group.dense;
    if (!dense) return { width: COLLAPSED_WIDTH, height: COLLAPSED_HEIGHT };
    const side = glyphCell(dense.layers.length) * (dense.layers.length + 1);
    return { width: Math.max(COLLAPSED_WIDTH, side + 24), height: COLLAPSED_HEIGHT + side + 10 };
  }
  if (item.node.merge === 'add') return { width: MERGE_WIDTH, height: MERGE_HEIGHT };
  if (item.node.merge === 'concat') return { width: NODE_WIDTH, height: CONCAT_HEIGHT };
  return { width: NODE_WIDTH, height: NODE_HEIGHT };
}

/**
 * Options chosen for speed on dense graphs (see bench/graph.bench.ts): Brandes–Köpf placement instead of
 * network simplex, one crossing-minimisation sweep with few random tries, polyline routing, and merged
 * edges so the many edges leaving one DenseNet layer share a port (a bus per source).
 */
export function rootLayoutOptions(direction: LayoutDirection, edgeCount: number): Record<string, string> {
  const dense = edgeCount > 400;
  return {
    'elk.algorithm': 'layered',
    'elk.direction': direction === 'right' ? 'RIGHT' : 'DOWN',
    'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
    'elk.json.shapeCoords': 'ROOT',
    'elk.json.edgeCoords': 'ROOT',
    'elk.edgeRouting': 'POLYLINE',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    'elk.layered.crossingMinimization.thoroughness': dense ? '1' : '4',
    'elk.layered.thoroughness': dense ? '1' : '4',
    'elk.layered.mergeEdges': dense ? 'true' : 'false',
    'elk.layered.spacing.nodeNodeBetweenLayers': '28',
    'elk.layered.spacing.edgeNodeBetweenLayers': '12',
    'elk.spacing.nodeNode': '18',
    'elk.spacing.edgeEdge': '6',
    'elk.spacing.edgeNode': '10',
    'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    'elk.randomSeed': '1',
  };
}

/** Room beside a dense block for the lanes of its arcs, px (see src/drawing/arcs.ts). */
export function arcRoom(layers: number): number {
  return 24 + 4 * layers;
}

function groupPadding(dense: number, direction: LayoutDirection, titleRoom: number): string {
  const right = (dense && direction === 'down' ? arcRoom(dense) : 10) + titleRoom;
  const bottom = dense && direction === 'right' ? arcRoom(dense) : 10;
  return `[top=${GROUP_HEADER + 8},left=10,bottom=${bottom},right=${right}]`;
}

/**
 * ELK's input for the visible graph. `titleRoom` adds room (px) at the right of the frames of blocks whose
 * title found no place whole in an earlier layout (GraphDrawing.titleRoom, src/drawing/pipeline.ts).
 */
export function toElkGraph(visible: VisibleGraph, direction: LayoutDirection, titleRoom: ReadonlyMap<string, number> = new Map()): ElkInputNode {
  const root: ElkInputNode = { id: '__root__', layoutOptions: rootLayoutOptions(direction, visible.edges.length), children: [], edges: [] };
  const containers = new Map<string, ElkInputNode>();
  const options = root.layoutOptions!;
  // ELK reads phase options per compound under INCLUDE_CHILDREN, so each compound repeats the root's.
  for (const compound of visible.compounds) {
    const layoutOptions: Record<string, string> = { ...options, 'elk.padding': groupPadding(compound.group.dense?.layers.length ?? 0, direction, titleRoom.get(compound.id) ?? 0) };
    delete layoutOptions['elk.json.shapeCoords'];
    delete layoutOptions['elk.json.edgeCoords'];
    containers.set(compound.id, { id: compound.id, layoutOptions, children: [] });
  }
  const parentOf = (parent: string | null): ElkInputNode => (parent && containers.get(parent)) || root;
  for (const compound of visible.compounds) parentOf(compound.parent).children!.push(containers.get(compound.id)!);
  for (const item of visible.items) parentOf(item.parent).children!.push({ id: item.id, ...itemSize(item) });
  // Dense arcs stay out of the layout: only routed and chain edges shape it.
  for (const edge of visible.edges) if (edge.draw !== 'arc') root.edges!.push({ id: edge.id, sources: [edge.source], targets: [edge.target] });
  return root;
}

/** A key equal for two visible graphs exactly when their ELK input is equal (cache key for layouts). */
export function structureKey(graph: ElkInputNode): string {
  return JSON.stringify(graph);
}

interface ElkOutputNode {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  children?: ElkOutputNode[];
  edges?: { id: string; sections?: { startPoint: Point; endPoint: Point; bendPoints?: Point[] }[] }[];
}

/** Flattens ELK's output (absolute coordinates, see `elk.json.*Coords`) into boxes and polylines. */
export function readElkResult(output: ElkOutputNode): LayoutResult {
  const boxes: LaidOutBox[] = [];
  const edges: LaidOutEdge[] = [];
  const visit = (node: ElkOutputNode): void => {
    for (const child of node.children ?? []) {
      boxes.push({ id: child.id, x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0 });
      visit(child);
    }
    for (const edge of node.edges ?? []) {
      const points: Point[] = [];
      for (const section of edge.sections ?? []) points.push(section.startPoint, ...(section.bendPoints ?? []), section.endPoint);
      edges.push({ id: edge.id, points });
    }
  };
  visit(output);
  return { boxes, edges, width: output.width ?? 0, height: output.height ?? 0 };
}
