import type { ModelGraph } from '../../core/graph';
import { MergePlan, shortcutBranch } from '../statsPlan';
import { lesionUnits, type LesionUnit } from '../experiments/lesionPlan';
import { modulePath } from './weights';

/**
 * The merge statistics the PyTorch runner computes (python/skipnet_stats.py MergeWatch), planned here from the
 * core's graph and provenance with the TensorFlow.js engine's own plan (src/train/statsPlan.ts), so that both
 * engines measure the same splits: the gradient each add branch sends back to its fork (He et al. 2016, §3.1:
 * identity vs residual), the gradient over each slice of a concat, and DenseNet's feature-reuse maps (Huang et al.
 * 2017, §5, Figure 5).
 *
 * Merges are expressions in the exported forward(), not modules, so no hook sees them. Their gradients are
 * assembled from what hooks do see: the gradient entering each consumer module (a forward pre-hook puts a view
 * of the input in front of it and keeps that view's gradient), the gradient of a consuming add (passed to every
 * input unchanged), a consuming concat's slice, or the loss's gradient when the merge is the model's output.
 */

/** Where a gradient is read: entering a module (its share only), or the whole gradient of a merge's output. */
export type GradientSource = { module: string } | { merge: string };

/** One consumer's part of dL/d(merge output). `offset`/`channels`: the merge's channels within a consuming concat (NCHW axis 1). */
export type GradientPart = { module: string } | { add: string } | { concat: string; offset: number; channels: number } | { output: true };

/** Where a merge's output value is read: a consumer module's input, a slice of a consuming concat's value, or the model's output. */
export type ValueSource = { module: string } | { concat: string; offset: number; channels: number } | { output: true };

export interface TorchStatisticsPlan {
  adds: { node: string; fork: string | null; branches: { input: string; start: string; role: 'shortcut' | 'residual'; layers: number; gradient: GradientSource }[] }[];
  concats: { node: string; slices: { source: string; offset: number; channels: number }[] }[];
  /** dL/d(output) of every merge the statistics read, as the sum of its consumers' parts. */
  merges: Record<string, GradientPart[]>;
  /** In graph order, each merge whose output value the hooks can see, for its activation mean and spread (as every layer has). */
  values: { node: string; kind: 'add' | 'concat'; source: ValueSource }[];
  /** Heat maps: per row the conv's module and its input channels as runs of one source (index into `sources`, -1 for zero padding). */
  reuse: { block: string; groups: string[]; sources: string[]; rows: { conv: string; module: string; runs: { source: number; channels: number }[] }[] }[];
}

const MODULELESS = new Set(['input', 'add', 'concat']);

/** The runner's statistics plan for a graph (see the file's comment); empty lists for a model without merges. */
export function torchStatisticsPlan(graph: ModelGraph): TorchStatisticsPlan {
  const plan = new MergePlan(graph);
  const consumers = new Map<string, { id: string; index: number }[]>();
  for (const node of graph.nodes) node.inputs.forEach((input, index) => consumers.set(input, [...(consumers.get(input) ?? []), { id: node.id, index }]));
  const merges: Record<string, GradientPart[]> = {};
  const need = (id: string): void => {
    if (merges[id]) return;
    merges[id] = [];
    const parts: GradientPart[] = [];
    for (const { id: consumer, index } of consumers.get(id) ?? []) {
      const node = graph.nodeById.get(consumer)!;
      if (!MODULELESS.has(node.kind)) parts.push({ module: modulePath(consumer) });
      else if (node.kind === 'add') {
        parts.push({ add: consumer });
        need(consumer);
      } else if (node.kind === 'concat') {
        const offset = node.inputs.slice(0, index).reduce((sum, input) => sum + (graph.nodeById.get(input)?.shape?.at(-1) ?? 0), 0);
        parts.push({ concat: consumer, offset, channels: graph.nodeById.get(id)?.shape?.at(-1) ?? 0 });
        need(consumer);
      }
    }
    if (id === graph.output) parts.push({ output: true });
    merges[id] = parts;
  };
  const sources: Record<string, ValueSource | null> = {};
  const valueOf = (id: string): ValueSource | null => {
    if (id in sources) return sources[id];
    sources[id] = null; // a repeated visit (never a cycle in a graph) finds nothing
    const uses = consumers.get(id) ?? [];
    const module = uses.find((u) => !MODULELESS.has(graph.nodeById.get(u.id)!.kind));
    let source: ValueSource | null = module ? { module: modulePath(module.id) } : id === graph.output ? { output: true } : null;
    for (const use of uses) {
      const node = graph.nodeById.get(use.id)!;
      if (source || node.kind !== 'concat' || valueOf(use.id) === null) continue;
      const offset = node.inputs.slice(0, use.index).reduce((sum, input) => sum + (graph.nodeById.get(input)?.shape?.at(-1) ?? 0), 0);
      source = { concat: use.id, offset, channels: graph.nodeById.get(id)?.shape?.at(-1) ?? 0 };
    }
    return (sources[id] = source);
  };
  const values: TorchStatisticsPlan['values'] = [];
  for (const node of graph.nodes) {
    if (node.kind !== 'add' && node.kind !== 'concat') continue;
    const source = valueOf(node.id);
    if (source) values.push({ node: node.id, kind: node.kind, source });
  }
  const adds = plan.adds.map((add) => {
    const shortcut = shortcutBranch(add.branches);
    return {
      node: add.node,
      fork: add.fork,
      branches: add.branches.map((b, j) => {
        if (b.layers === 0) need(add.node);
        return {
          input: b.input,
          start: b.start,
          role: j === shortcut ? ('shortcut' as const) : ('residual' as const),
          layers: b.layers,
          gradient: b.layers === 0 ? { merge: add.node } : { module: modulePath(b.start) },
        };
      }),
    };
  });
  const concats = plan.concats.map((id) => {
    need(id);
    return { node: id, slices: plan.concatSlices(id) };
  });
  const reuse = plan.reuseMaps().map(({ block, groups, sources, targets }) => ({
    block,
    groups,
    sources,
    rows: targets.map((i) => {
      const target = plan.reuseTargets[i];
      return { conv: target.conv, module: modulePath(target.conv), runs: target.segments.map((s) => ({ source: sources.indexOf(s.source), channels: s.channels })) };
    }),
  }));
  return { adds, concats, merges, values, reuse };
}

/**
 * What the PyTorch runner's experiments (python/skipnet_experiments.py) need to know of the graph, planned here
 * with the browser engine's own rules so both engines measure the same thing:
 *
 * - the lesion study's blocks (Veit, Wilber & Belongie 2016, §4; lesionPlan.ts lesionUnits), each with the module
 *   whose output the runner replaces by zeros to remove it. The browser engine zeroes the merge's branch input
 *   (a gate on that edge); merges are expressions in the exported forward(), so the runner zeroes the output of
 *   the module that produces that input instead, which is the same whenever that output feeds the merge alone
 *   (a residual branch's last layer, a dense layer's new channels, the identity an ablation left);
 * - the loss landscape's perturbed weights (Li et al. 2018, §4): every conv, transposed conv and dense kernel, as
 *   PyTorch state keys. Biases and batch-norm parameters do not move (the paper's ignore='biasbn').
 */

/** A lesion block as the runner removes it: `module` is null (with `why`) where no module's output is the branch alone. */
export interface TorchLesionUnit {
  node: string;
  label: string;
  kind: LesionUnit['kind'];
  module: string | null;
  why?: string;
}

export interface TorchExperimentPlan {
  /** The model's name, as lesion results carry it. */
  model: string;
  units: TorchLesionUnit[];
  /** State keys of the kernels the landscape perturbs, in graph order (e.g. `stem_conv1.weight`). */
  kernels: string[];
}

const KERNELS = new Set(['conv', 'convtranspose', 'dense']);

/** The runner's experiment plan for a graph (see the file's comment). */
export function torchExperimentPlan(graph: ModelGraph): TorchExperimentPlan {
  const consumers = new Map<string, number>();
  for (const node of graph.nodes) for (const input of node.inputs) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  const units = lesionUnits(graph).map((unit): TorchLesionUnit => {
    const common = { node: unit.node, label: unit.label, kind: unit.kind };
    const merge = graph.nodeById.get(unit.node)!;
    if (unit.kind === 'plain') return { ...common, module: modulePath(merge.id) };
    const branch = Number(unit.edges[0].split(':').at(-1));
    const producer = graph.nodeById.get(merge.inputs[branch]);
    if (!producer || MODULELESS.has(producer.kind)) return { ...common, module: null, why: `its branch ends in ${producer ? `the ${producer.kind} ${producer.id}` : 'no layer'}, which is no module` };
    if ((consumers.get(producer.id) ?? 0) > 1) return { ...common, module: null, why: `its branch's last layer ${producer.id} also feeds other layers` };
    return { ...common, module: modulePath(producer.id) };
  });
  const kernels = graph.nodes.filter((n) => KERNELS.has(n.kind)).map((n) => `${modulePath(n.id)}.weight`);
  return { model: graph.name, units, kernels };
}
