/**
 * What is drawn for a payload and a collapse state: leaf items (layers, and collapsed blocks standing in
 * for everything inside them), expanded blocks as compound boxes, and the edges between visible items
 * (edges inside a collapsed block vanish; parallel edges merge). Pure: no DOM, shared by the layout and
 * the renderer, and unit-testable.
 */
import type { GraphPayload, PayloadEdge, PayloadGroup, PayloadNode } from '../protocol/payload';

export type VisibleItem =
  | { kind: 'node'; id: string; node: PayloadNode; parent: string | null }
  | { kind: 'collapsed'; id: string; group: PayloadGroup; parent: string | null };

export interface VisibleCompound {
  id: string;
  group: PayloadGroup;
  parent: string | null;
}

export interface VisibleEdge {
  id: string;
  source: string;
  target: string;
  channels: number | null;
  /** 'routed': laid out by ELK and drawn along its route; 'arc': a dense edge drawn beside its block; 'hidden': layout only. */
  draw: 'routed' | 'arc' | 'hidden';
  /** Payload edges folded into this one (parallel edges between the same visible items). */
  count: number;
}

export interface VisibleGraph {
  items: VisibleItem[];
  compounds: VisibleCompound[];
  edges: VisibleEdge[];
  /** For any node or group id: the id of the item or compound that shows it. */
  ownerOf: Map<string, string>;
}

/** Effective collapse of each group: the user's choice where made, else the payload's default. */
export function collapseState(payload: GraphPayload, overrides: Record<string, boolean>): Map<string, boolean> {
  const state = new Map<string, boolean>();
  for (const group of payload.groups) state.set(group.id, Object.prototype.hasOwnProperty.call(overrides, group.id) ? overrides[group.id] : group.collapsed);
  return state;
}

export function computeVisible(payload: GraphPayload, collapsed: Map<string, boolean>): VisibleGraph {
  const groupById = new Map(payload.groups.map((g) => [g.id, g]));
  // The outermost collapsed ancestor (or the group itself) of each group, or null if all are open.
  const closedOwner = new Map<string, string | null>();
  const ownerOfGroup = (id: string | null): string | null => {
    if (!id) return null;
    const known = closedOwner.get(id);
    if (known !== undefined) return known;
    const group = groupById.get(id);
    const outer = group ? ownerOfGroup(group.parent) : null;
    const owner = outer ?? (collapsed.get(id) ? id : null);
    closedOwner.set(id, owner);
    return owner;
  };

  const items: VisibleItem[] = [];
  const compounds: VisibleCompound[] = [];
  const ownerOf = new Map<string, string>();
  for (const group of payload.groups) {
    const owner = ownerOfGroup(group.id);
    if (owner === group.id) items.push({ kind: 'collapsed', id: group.id, group, parent: group.parent });
    else if (owner === null) compounds.push({ id: group.id, group, parent: group.parent });
    ownerOf.set(group.id, owner ?? group.id);
  }
  for (const node of payload.nodes) {
    const owner = ownerOfGroup(node.group);
    if (owner === null) items.push({ kind: 'node', id: node.id, node, parent: node.group });
    ownerOf.set(node.id, owner ?? node.id);
  }

  // Parallel edges fold into one; a drawn data edge wins over a dense arc, which wins over a hidden chain edge.
  const rank = { routed: 2, arc: 1, hidden: 0 } as const;
  const edges = new Map<string, VisibleEdge>();
  const add = (edge: PayloadEdge): void => {
    const source = ownerOf.get(edge.source);
    const target = ownerOf.get(edge.target);
    if (!source || !target || source === target) return;
    const draw = edge.kind === 'data' ? 'routed' : edge.kind === 'dense' ? 'arc' : 'hidden';
    const key = `${source}\u0000${target}`;
    const existing = edges.get(key);
    if (!existing) {
      edges.set(key, { id: source === edge.source && target === edge.target ? edge.id : `${source}->${target}`, source, target, channels: edge.channels, draw, count: 1 });
      return;
    }
    existing.count++;
    if (rank[draw] > rank[existing.draw]) {
      existing.draw = draw;
      existing.channels = edge.channels;
    }
  };
  for (const edge of payload.edges) add(edge);
  return { items, compounds, edges: [...edges.values()], ownerOf };
}
