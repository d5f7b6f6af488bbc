/**
 * Gradient norm against depth, for the Compare view's vanishing-gradient plot: each weighted layer's
 * gradient norm from the engine's statistics, placed at its depth, the number of weighted layers on the
 * longest path from the input up to and including it (a skip connection does not make a layer shallower:
 * the plain path through the block still counts). Weighted layers are the convolutions and dense layers;
 * batch norm has parameters too but is not a unit of depth, and its small per-channel gradients would
 * zig-zag the plot between every pair of layers. Pure: no DOM, no TensorFlow.js.
 */
import type { DepthGradient } from '../../src/protocol/compare-messages';
import type { TrainingStatistics } from '../../src/train/stats';

/** What is needed of a graph: nodes (with their parameter counts, decimal digits as in the payload) and the edges between them. */
export interface DepthGraph {
  nodes: readonly { id: string; kind: string; params: string }[];
  edges: readonly { source: string; target: string }[];
}

/** Layers that count for depth: with parameters, normalisation excepted. */
export function countsForDepth(node: { kind: string; params: string }): boolean {
  return node.params !== '0' && node.kind !== 'bn';
}

/** Depth of every node: weighted layers on the longest input→node path, the node itself included. */
export function layerDepths(graph: DepthGraph): Map<string, number> {
  const weighted = new Map(graph.nodes.map((n) => [n.id, countsForDepth(n) ? 1 : 0]));
  const inputs = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (!weighted.has(edge.source) || !weighted.has(edge.target)) continue;
    const list = inputs.get(edge.target) ?? [];
    list.push(edge.source);
    inputs.set(edge.target, list);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  // Iterative post-order walk: a deep plain net would overflow a recursive one.
  for (const node of graph.nodes) {
    const stack: string[] = [node.id];
    while (stack.length > 0) {
      const id = stack[stack.length - 1];
      if (depth.has(id)) {
        stack.pop();
        continue;
      }
      const pending = (inputs.get(id) ?? []).filter((source) => !depth.has(source) && !visiting.has(source));
      if (pending.length > 0 && !visiting.has(id)) {
        visiting.add(id);
        stack.push(...pending);
        continue;
      }
      visiting.delete(id);
      const deepest = Math.max(0, ...(inputs.get(id) ?? []).map((source) => depth.get(source) ?? 0));
      depth.set(id, deepest + (weighted.get(id) ?? 0));
      stack.pop();
    }
  }
  return depth;
}

/** The layers with a gradient norm, ordered by depth (then by name for layers at the same depth). */
export function depthGradients(graph: DepthGraph, statistics: TrainingStatistics): DepthGradient[] {
  const depths = layerDepths(graph);
  const counted = new Set(graph.nodes.filter(countsForDepth).map((n) => n.id));
  const points: DepthGradient[] = [];
  for (const layer of statistics.layers) {
    const depth = depths.get(layer.node);
    if (!counted.has(layer.node) || depth === undefined || depth < 1 || layer.gradNorm === undefined || !Number.isFinite(layer.gradNorm) || layer.gradNorm < 0) continue;
    points.push({ depth, layer: layer.node, norm: layer.gradNorm });
  }
  return points.sort((a, b) => a.depth - b.depth || a.layer.localeCompare(b.layer));
}
