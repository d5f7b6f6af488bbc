/**
 * Synthetic but realistic `TrainingStatistics` for the example models: the structure (which layers,
 * which add branches with which roles, which concat slices, which heat-map rows and sources) is the
 * engine's own (`StatisticsPlan` over the real graph, and the same grouping the engine's decoder uses),
 * so every id matches the graph payload; the numbers are smooth deterministic functions of depth and
 * step in the ranges a real run shows (gradient norms spanning decades, update ratios near 1e-3, ReLU
 * zero fractions near one half).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type ModelGraph } from '../../src/core';
import { residualShares } from '../../src/core/algebra';
import type { TfModel } from '../../src/train/model';
import { type LayerStatistics, type MergeFlow, type ReuseHeatMap, shortcutBranch, StatisticsPlan, type TrainingStatistics } from '../../src/train/stats';

export function exampleGraph(name: string): ModelGraph {
  return analyze(readFileSync(join('examples', `${name}.skipnet`), 'utf8')).models[0];
}

/** The plan's constructor reads only the graph; statistics values never come from a model here. */
function planOf(graph: ModelGraph): StatisticsPlan {
  return new StatisticsPlan({ graph } as unknown as TfModel, graph);
}

export function syntheticStatistics(graph: ModelGraph, step: number): TrainingStatistics {
  const plan = planOf(graph);
  const decay = 1 / (1 + step / 200);
  const layers: LayerStatistics[] = [];
  graph.nodes.forEach((node, depth) => {
    if (node.kind === 'input' || node.view) return;
    const wave = Math.sin(depth * 1.7 + step * 0.05);
    const stats: LayerStatistics = {
      node: node.id,
      kind: node.kind,
      activationMean: node.kind === 'relu' ? 0.39 + 0.05 * wave : 0.2 * Math.sin(depth * 0.9 + step * 0.01),
      activationStd: 0.5 + 0.45 * Math.abs(Math.cos(depth + step * 0.02)),
    };
    if (node.kind === 'relu') stats.zeroFraction = 0.48 + 0.12 * wave;
    if (node.params > 0) {
      stats.weightNorm = (node.kind === 'bn' ? 4 : 2 + Math.sqrt(Number(node.params)) / 20) * (1 + 0.001 * step);
      // Gradients shrink towards the input, over about two decades, and as training goes on.
      stats.gradNorm = 0.6 * Math.exp((depth - graph.nodes.length) / (graph.nodes.length / 4)) * (1 + 0.3 * wave) * decay;
      stats.updateRatio = 1e-3 * (1 + 0.5 * wave) * decay;
    }
    layers.push(stats);
  });
  const merges: MergeFlow[] = [];
  plan.adds.forEach((add, i) => {
    const shortcut = shortcutBranch(add.branches);
    merges.push({
      node: add.node,
      kind: 'add',
      fork: add.fork,
      branches: add.branches.map((b, j) => ({
        input: b.input,
        start: b.start,
        role: j === shortcut ? 'shortcut' : 'residual',
        layers: b.layers,
        gradNorm: (j === shortcut ? 0.8 : 0.3) * (1 + 0.2 * Math.sin(i + step * 0.1)) * decay,
      })),
    });
  });
  for (const id of plan.concats) {
    const node = graph.nodeById.get(id)!;
    let offset = 0;
    merges.push({
      node: id,
      kind: 'concat',
      slices: node.provenance.map((segment, k) => {
        const slice = { source: segment.source, offset, channels: segment.channels, gradNorm: (0.05 + 0.1 / (node.provenance.length - k)) * decay };
        offset += segment.channels;
        return slice;
      }),
    });
  }
  const residual = plan.residualStages.map((stage) => {
    // x_0 dominates and each F_i adds a little less than the last, as in a trained ResNet.
    const norms = [4, ...stage.residuals.map((_, i) => 2 / (i + 1))];
    return { block: topOf(graph, stage.adds[0]), adds: stage.adds, sources: [stage.input, ...stage.residuals], norms, shares: residualShares(norms[0], norms.slice(1)), approximate: stage.approximate };
  });
  return { step, layers, merges, reuse: reuseMaps(graph, plan, step), residual };
}

function topOf(graph: ModelGraph, id: string): string {
  let group = graph.nodeById.get(id)?.group ?? null;
  while (group && graph.groupById.get(group)?.parent) group = graph.groupById.get(group)!.parent;
  return group ?? id;
}

/** The engine's heat-map grouping (targets by the source of their first channels), synthetic values. */
function reuseMaps(graph: ModelGraph, plan: StatisticsPlan, step: number): ReuseHeatMap[] {
  const byKey = new Map<string, number[]>();
  plan.reuseTargets.forEach((t, i) => byKey.set(t.key, [...(byKey.get(t.key) ?? []), i]));
  return [...byKey.values()].map((targets) => {
    const sources: string[] = [];
    for (const i of targets) for (const s of plan.reuseTargets[i].segments) if (s.source !== '' && !sources.includes(s.source)) sources.push(s.source);
    const rows = targets.map((i, r) => {
      const present = new Set(plan.reuseTargets[i].segments.map((s) => s.source));
      // Recent sources and the block input weigh most, as in the paper's figure.
      const values = sources.map((s, c) => (present.has(s) ? 0.01 + (c === 0 ? 0.03 : 0.04 * Math.exp(-(r - c + 1) / 3)) * (1 + 0.001 * step) : null));
      // ‖H^s * X_s‖ grows with the weights and with how many channels s brings: a smooth stand-in.
      return { conv: plan.reuseTargets[i].conv, values, contributions: values.map((v, c) => (v === null ? null : 10 * v * (1 + 0.1 * c))) };
    });
    const groups: string[] = [];
    for (const i of targets) {
      let group = graph.nodeById.get(plan.reuseTargets[i].conv)?.group ?? null;
      while (group && graph.groupById.get(group)?.parent) group = graph.groupById.get(group)!.parent;
      const top = group ?? plan.reuseTargets[i].conv;
      if (!groups.includes(top)) groups.push(top);
    }
    return { block: groups[0], groups, sources, rows };
  });
}
