import type { GraphNode, ModelGraph } from './graph';

/**
 * How the channel width evolves through a model's merges, stage by stage: an `add` keeps the width it is
 * given, a `concat` grows it by the channels of its other inputs (DenseNet's growth rate k per layer).
 */

/** The merges of one stage: consecutive `add`/`concat` nodes whose outputs have the same spatial size. */
export interface StageWidth {
  /** The top-level block instance holding every merge of the stage (`block1`), or the size (`28×28`, `flat`). */
  label: string;
  /** Channels entering the stage: those of the tensor its first merge branches from (its immediate dominator). */
  input: number;
  /** Channels of the stage's last merge. */
  output: number;
  /** Ids of the stage's merge nodes, in graph order. */
  merges: string[];
  adds: number;
  concats: number;
  /** Channels each concat adds: its output minus its widest input (k for `concat(in, conv(k))`). */
  growth: number[];
  /** Id of the node the first merge branches from. */
  entry: string;
}

/**
 * The model's stages of merges with their width in → out (channels, the last axis of NHWC). Nodes with an
 * unknown shape are left out. Empty when the model has no `add` or `concat`.
 */
export function stageWidths(model: ModelGraph): StageWidth[] {
  const dominators = immediateDominators(model);
  const channels = (node: GraphNode | undefined): number | undefined => (node?.shape ? node.shape[node.shape.length - 1] : undefined);
  const sizeOf = (node: GraphNode): string => (node.shape!.length === 3 ? `${node.shape![0]}×${node.shape![1]}` : 'flat');
  const stages: { size: string; nodes: GraphNode[] }[] = [];
  for (const node of model.nodes) {
    if ((node.kind !== 'add' && node.kind !== 'concat') || node.shape === null) continue;
    const size = sizeOf(node);
    const last = stages[stages.length - 1];
    if (last && last.size === size) last.nodes.push(node);
    else stages.push({ size, nodes: [node] });
  }
  const result: StageWidth[] = [];
  for (const { size, nodes } of stages) {
    const entry = dominators.get(nodes[0].id) ?? nodes[0].inputs[0];
    const input = channels(model.nodeById.get(entry));
    const output = channels(nodes[nodes.length - 1]);
    if (input === undefined || output === undefined) continue;
    const growth = nodes
      .filter((n) => n.kind === 'concat')
      .map((n) => channels(n)! - Math.max(...n.inputs.map((id) => channels(model.nodeById.get(id)) ?? 0)));
    const tops = new Set(nodes.map((n) => topGroup(model, n)));
    const [top] = tops;
    result.push({
      label: tops.size === 1 && top !== null ? top : size,
      input,
      output,
      merges: nodes.map((n) => n.id),
      adds: nodes.length - growth.length,
      concats: growth.length,
      growth,
      entry,
    });
  }
  return result;
}

/** The outermost block instance holding a node, or null at model level. */
function topGroup(model: ModelGraph, node: GraphNode): string | null {
  let id = node.group;
  while (id !== null) {
    const parent = model.groupById.get(id)?.parent ?? null;
    if (parent === null) return id;
    id = parent;
  }
  return null;
}

/**
 * Immediate dominator of every node reachable from the input (Cooper, Harvey & Kennedy 2001, "A simple,
 * fast dominance algorithm", one pass since the nodes are in topological order): the last node that every
 * path from the input to it passes, i.e. where a merge's branches split.
 */
export function immediateDominators(model: ModelGraph): Map<string, string> {
  // Every input hangs off one virtual root (order −1), so branches from two inputs (a Siamese pair) meet there
  // instead of walking past an input that has no dominator; nodes dominated only by that root get no entry.
  const ROOT = '';
  const order = new Map<string, number>([[ROOT, -1], ...model.nodes.map((n, i): [string, number] => [n.id, i])]);
  const idom = new Map<string, string>();
  const reached = new Set<string>();
  const intersect = (a: string, b: string): string => {
    while (a !== b) {
      while (order.get(a)! > order.get(b)!) a = idom.get(a)!;
      while (order.get(b)! > order.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (const node of model.nodes) {
    if (node.kind === 'input') {
      reached.add(node.id);
      idom.set(node.id, ROOT);
      continue;
    }
    const inputs = node.inputs.filter((id) => reached.has(id));
    if (inputs.length === 0) continue;
    reached.add(node.id);
    idom.set(node.id, inputs.reduce(intersect));
  }
  for (const [id, dominator] of idom) if (dominator === ROOT) idom.delete(id);
  return idom;
}
