import type { ModelGraph } from '../../core/graph';
import { MergePlan, shortcutBranch } from '../statsPlan';
import { lesionUnits, type LesionUnit } from '../experiments/lesionPlan';
import { PERTURBED_ROLES } from '../experiments/landscapePlan';
import { modulePath, torchParamKey } from './weights';

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
 * - the lesion study's blocks (Veit, Wilber & Belongie 2016, §4; lesionPlan.ts lesionUnits), each with the modules
 *   whose outputs (or whose inputs' channels) the runner replaces by zeros to remove it. The browser engine zeroes the merge's branch input
 *   (a gate on that edge); merges are expressions in the exported forward(), so the runner zeroes the outputs of
 *   the modules that make that input instead (branchZeroing): the branch's last layer where it feeds the merge
 *   alone (a residual branch's last layer, a dense layer's new channels, the identity an ablation left), or
 *   where the branch ends in another merge, the modules that make that merge zero; a skip concatenation's skip
 *   (which also feeds the encoder on) is cut where the concat is read (concatCuts);
 * - the loss landscape's perturbed weights (Li et al. 2018, §4): exactly the parameters the browser engine moves
 *   (landscapePlan.ts PERTURBED_ROLES: conv, transposed conv, dense and patchify kernels, attention's in_proj_weight and
 *   out_proj.weight, pos_embedding, class_token), as PyTorch state keys, each with how it splits into filters.
 *   Biases and batch-norm and layer-norm parameters do not move (the paper's ignore='biasbn').
 */

/**
 * A lesion block as the runner removes it: `modules` are the modules whose outputs the runner replaces by zeros
 * (null, with `why`, where no set of modules zeroes the branch alone).
 */
export interface TorchLesionUnit {
  node: string;
  label: string;
  kind: LesionUnit['kind'];
  modules: string[] | null;
  /**
   * A concat's inputs cut where it is read instead: each module reading the concat gets `channels` channels from
   * `offset` on `axis` of its input (1: NCHW maps and flat features; −1: a sequence's features) as zeros. Used
   * for a skip concatenation (its skip also feeds the encoder on), or a concat input no module set zeroes alone.
   */
  cuts?: TorchChannelCut[];
  why?: string;
}

/** Channels of a module's input replaced by zeros (a forward pre-hook), see TorchLesionUnit.cuts. */
export interface TorchChannelCut {
  module: string;
  axis: 1 | -1;
  offset: number;
  channels: number;
}

export interface TorchExperimentPlan {
  /** The model's name, as lesion results carry it. */
  model: string;
  units: TorchLesionUnit[];
  /**
   * The weights the landscape perturbs, in graph order, as PyTorch state keys (e.g. `stem_conv1.weight`), each with
   * its filters (landscapePlan.ts filterLayout): `output`, one per index of axis 0 (a conv's output channel, a linear
   * layer's unit, a row of an attention projection; a transposed conv's input channel), or `token`, one per vector
   * along the last axis (pos_embedding [1, T, D]: T filters; class_token [1, 1, D]: one).
   */
  weights: TorchPerturbedWeight[];
}

/** One weight the PyTorch landscape moves: its state key and how it splits into filters. */
export interface TorchPerturbedWeight {
  key: string;
  filters: 'output' | 'token';
}

/** Merges: expressions in the exported forward(), so no hook sees their output. */
const MERGES = new Set(['add', 'concat', 'mul', 'gate']);

/**
 * The modules whose outputs, replaced by zeros, make input `index` of `merge` zero and change no value outside
 * that branch, so removing them equals the browser engine's gate on the edge. The branch's own nodes are those all
 * of whose uses lie in the branch (the last one feeds the merge alone, on that input); zeroing any of them reaches
 * the output only through the merge's branch input. A module in it is zeroed directly; a merge in it is zero when
 * its inputs are: every input of an add or concat, the h and x of gate(h, t, x) = h·t + x·(1 − t), any one
 * factor of a mul. Returns the reason instead where the branch cannot be zeroed that way (a value it needs also
 * feeds layers outside the branch, or a tied layer whose module other calls share).
 */
function branchZeroing(graph: ModelGraph, merge: string, index: number, uses: Map<string, { id: string; index: number }[]>): { modules: string[] } | { why: string } {
  const producer = graph.nodeById.get(graph.nodeById.get(merge)!.inputs[index]);
  if (!producer) return { why: 'its branch ends in no layer' };
  const own = (id: string, u: { id: string; index: number }[] | undefined): boolean => id !== graph.output && (u ?? []).length > 0;
  const only = uses.get(producer.id) ?? [];
  if (!own(producer.id, only) || only.length !== 1 || only[0].id !== merge || only[0].index !== index) return { why: `its branch's last layer ${producer.id} also feeds other layers` };
  const branch = new Set([producer.id]);
  for (let i = graph.nodes.indexOf(producer) - 1; i >= 0; i--) {
    const id = graph.nodes[i].id;
    const u = uses.get(id);
    if (own(id, u) && u!.every((use) => branch.has(use.id))) branch.add(id);
  }
  const tied = new Set(graph.nodes.flatMap((n) => (n.sharedWith !== null ? [n.id, n.sharedWith] : [])));
  let why = '';
  const zero = (id: string): string[] | null => {
    const node = graph.nodeById.get(id)!;
    if (!branch.has(id) || node.kind === 'input') {
      why ||= `its branch ends in the ${producer.kind} ${producer.id}, whose input ${id} also feeds layers outside the branch`;
      return null;
    }
    if (tied.has(id)) {
      why ||= `its branch needs ${id} zeroed, a tied layer whose module other calls share`;
      return null;
    }
    if (!MERGES.has(node.kind)) return [modulePath(id)];
    if (node.kind === 'mul') {
      for (const input of node.inputs) {
        const found = zero(input);
        if (found) return found;
      }
      return null;
    }
    const needed = node.kind === 'gate' ? [node.inputs[0], node.inputs[2]] : node.inputs;
    const parts = needed.map(zero);
    return parts.every((part) => part !== null) ? [...new Set(parts.flat() as string[])] : null;
  };
  const modules = zero(producer.id);
  return modules ? { modules } : { why };
}

/**
 * A concat's inputs `indices` cut at its readers: every reader must be a module (not a merge, not the model's
 * output) with its own weights, so that zeroing those channels of its input equals zeroing the concat's inputs.
 */
function concatCuts(graph: ModelGraph, concat: string, indices: number[], uses: Map<string, { id: string; index: number }[]>): { cuts: TorchChannelCut[] } | { why: string } {
  const node = graph.nodeById.get(concat)!;
  const readers = uses.get(concat) ?? [];
  const merge = readers.find((r) => MERGES.has(graph.nodeById.get(r.id)!.kind));
  if (concat === graph.output || readers.length === 0) return { why: `its concat ${concat} is the model's output` };
  if (merge) return { why: `its concat ${concat} feeds the ${graph.nodeById.get(merge.id)!.kind} ${merge.id}, which is no module` };
  const tied = readers.find((r) => graph.nodeById.get(r.id)!.sharedWith !== null || graph.nodes.some((n) => n.sharedWith === r.id));
  if (tied) return { why: `its concat ${concat} feeds ${tied.id}, a tied layer whose module other calls share` };
  const widths = node.inputs.map((input) => graph.nodeById.get(input)?.shape?.at(-1) ?? 0);
  const axis = node.shape?.length === 2 ? -1 : 1;
  const cuts = readers.flatMap((r) =>
    indices.map((i): TorchChannelCut => ({ module: modulePath(r.id), axis, offset: widths.slice(0, i).reduce((a, b) => a + b, 0), channels: widths[i] })),
  );
  return { cuts };
}

/** The runner's experiment plan for a graph (see the file's comment). */
export function torchExperimentPlan(graph: ModelGraph): TorchExperimentPlan {
  const uses = new Map<string, { id: string; index: number }[]>();
  for (const node of graph.nodes) node.inputs.forEach((input, index) => uses.set(input, [...(uses.get(input) ?? []), { id: node.id, index }]));
  const units = lesionUnits(graph).map((unit): TorchLesionUnit => {
    const common = { node: unit.node, label: unit.label, kind: unit.kind };
    if (unit.kind === 'plain') return { ...common, modules: [modulePath(unit.node)] };
    const indices = unit.edges.map((edge) => Number(edge.split(':').at(-1)));
    const zeroing = unit.kind === 'skip-concat' || indices.length !== 1 ? null : branchZeroing(graph, unit.node, indices[0], uses);
    if (zeroing && 'modules' in zeroing) return { ...common, modules: zeroing.modules };
    const cuts = unit.kind === 'residual' ? null : concatCuts(graph, unit.node, indices, uses);
    if (cuts && 'cuts' in cuts) return { ...common, modules: [], cuts: cuts.cuts };
    return { ...common, modules: null, why: (zeroing && 'why' in zeroing ? zeroing.why : cuts?.why) ?? 'no module makes its branch' };
  });
  // The browser engine's roles through the weight carrier's own names, so both engines move the same set; a tied
  // layer (`shared`) has no parameters of its own.
  const weights: TorchPerturbedWeight[] = [];
  for (const node of graph.nodes) {
    if (node.sharedWith !== null) continue;
    for (const role of PERTURBED_ROLES) {
      const key = torchParamKey(node.kind, node.id, role);
      if (key) weights.push({ key, filters: role === 'pos_embedding' || role === 'class_token' ? 'token' : 'output' });
    }
  }
  return { model: graph.name, units, weights };
}
