import * as tf from '@tensorflow/tfjs-core';
import type { ChannelSegment, GraphNode, ModelGraph } from '../core';
import { residualShares, residualStages, type ResidualStage } from '../core/algebra';
import { pairOf } from './init';
import { paddingOf, type TfModel } from './model';
import { conv2d } from './ops';

/**
 * Live training statistics: what the graph view paints. Everything is computed on the backend and
 * concatenated into one vector, so an update costs one read back (see `StatisticsPlan.compute`).
 */

export interface LayerStatistics {
  node: string;
  kind: string;
  /** L2 norm of all the layer's trainable parameters after this step's update; absent for layers without any. */
  weightNorm?: number;
  gradNorm?: number;
  /** ‖ΔW‖ / ‖W‖ of this step's update. */
  updateRatio?: number;
  activationMean: number;
  activationStd: number;
  /** Fraction of exactly-zero outputs (relu layers only). */
  zeroFraction?: number;
}

export interface AddBranchFlow {
  /** The add's input this branch ends in. */
  input: string;
  /** First layer of the branch after the fork (the add itself for a bare identity shortcut). */
  start: string;
  /** The branch with fewer layers is the shortcut (identity, option-A or projection); the other the residual. */
  role: 'shortcut' | 'residual';
  layers: number;
  /** Norm of the gradient this branch sends back to the fork (its share of dL/d(fork output)). */
  gradNorm: number;
}

export interface ConcatSliceFlow {
  /** Node that produced these channels ('' for zero padding). */
  source: string;
  offset: number;
  channels: number;
  /** Norm of dL/d(concat output) over these channels. */
  gradNorm: number;
}

export type MergeFlow =
  | { node: string; kind: 'add'; fork: string | null; branches: AddBranchFlow[] }
  | { node: string; kind: 'concat'; slices: ConcatSliceFlow[] };

/** The DenseNet paper's Figure 5 for one dense block: mean |w| of each layer's first conv per source. */
export interface ReuseHeatMap {
  /** Top-level block instance holding the first target: the map's title. */
  block: string;
  /** Every top-level block instance the rows come from, in order (e.g. the dense layers of a labelled repeat, then the transition). */
  groups: string[];
  /** Sources in channel order (columns). */
  sources: string[];
  /**
   * values[s]: mean |w| of the target's kernel over source s's input channels (after this step's update).
   * contributions[s]: ‖H_ℓ^s * X_s‖, the per-sample L2 norm (√(Σ y² / batch)) of what source s adds to the
   * target's convolution in this step's forward pass (DenseNet's f_ℓ = Σ_s H_ℓ^s * X_s; Huang et al. 2017,
   * section 3), with the kernel before the update and without the bias; null where the target reads nothing
   * from s, or for a grouped convolution, whose kernel slices do not line up with the sources. Absent from
   * engines that do not measure it (the PyTorch runner).
   */
  rows: { conv: string; values: (number | null)[]; contributions?: (number | null)[] }[];
}

/**
 * One identity-shortcut stage of a ResNet as a target × source matrix (core `residualStages`): row i is
 * the stream after block i's add, x_{i+1} = x_0 + Σ_{j≤i} F_j(x_j) (He et al. 2016, "Identity Mappings",
 * eq. 4); column 0 is x_0, column j + 1 is F_j.
 */
export interface ResidualShareMap {
  /** Top-level block instance holding the first add: the map's title. */
  block: string;
  /** Row labels: the adds, in order. */
  adds: string[];
  /** Column nodes: x_0's node, then each block's residual output F_i's node. */
  sources: string[];
  /** Per-sample L2 norms (√(Σ v² / batch)) of x_0 and each F_i(x_i) in this step's forward pass. */
  norms: number[];
  /** shares[i][s] = norms[s] / Σ_{t≤i+1} norms[t], null above the diagonal (core `residualShares`). */
  shares: (number | null)[][];
  /** True when a ReLU after the adds makes x_0 + Σ F_i only approximately the stream (the original ResNet). */
  approximate: boolean;
}

export interface TrainingStatistics {
  step: number;
  layers: LayerStatistics[];
  merges: MergeFlow[];
  reuse: ReuseHeatMap[];
  /** Identity-shortcut stages (absent from engines that do not measure them, the PyTorch runner). */
  residual?: ResidualShareMap[];
}

/** Tensors of one training step that statistics need. */
export interface StepTensors {
  activations: ReadonlyMap<string, tf.Tensor>;
  /** Gradients by parameter name. */
  grads: ReadonlyMap<string, tf.Tensor>;
  /** Gradients of the probes by probe key. */
  probeGrads: ReadonlyMap<string, tf.Tensor>;
  /** Parameter values before this step's update, by parameter name (absent: no update ratios). */
  before?: ReadonlyMap<string, tf.Tensor>;
}

interface AddPlan {
  node: string;
  fork: string | null;
  branches: { input: string; start: string; probe: string; layers: number }[];
}

interface ReuseTarget {
  conv: string;
  segments: ChannelSegment[];
  key: string;
}

const PASS_THROUGH = new Set(['bn', 'relu', 'leakyrelu', 'gelu', 'sigmoid', 'tanh', 'dropout', 'identity']);

/** What to measure for one model, worked out once from its graph. */
export class StatisticsPlan {
  readonly adds: AddPlan[] = [];
  readonly concats: string[] = [];
  readonly reuseTargets: ReuseTarget[] = [];
  readonly residualStages: ResidualStage[];

  constructor(
    private readonly model: TfModel,
    private readonly graph: ModelGraph = model.graph,
  ) {
    for (const node of graph.nodes) {
      if (node.kind === 'add') this.planAdd(node.id);
      if (node.kind === 'concat') this.concats.push(node.id);
      if (node.kind === 'conv') this.planReuse(node.id);
    }
    this.residualStages = residualStages(graph);
  }

  /** Probe keys whose gradients the statistics need (see ForwardOptions.probes). */
  get probeKeys(): string[] {
    return [...this.adds.flatMap((a) => a.branches.map((b) => b.probe)), ...this.concats.map((id) => `node:${id}`)];
  }

  /** Walks back from an add's inputs along single-input chains to the tensor both branches start from. */
  private planAdd(id: string): void {
    const node = this.graph.nodeById.get(id)!;
    const chains = node.inputs.map((input) => {
      const chain = [input];
      for (let current = this.graph.nodeById.get(input); current && current.inputs.length === 1; current = this.graph.nodeById.get(current.inputs[0])) {
        chain.push(current.inputs[0]);
      }
      return chain;
    });
    const shared = chains.slice(1).reduce((set, chain) => new Set(chain.filter((n) => set.has(n))), new Set(chains[0]));
    const fork = chains[0].find((n) => shared.has(n)) ?? null;
    const branches = chains.map((chain, index) => {
      const at = fork ? chain.indexOf(fork) : -1;
      if (at <= 0) return { input: node.inputs[index], start: id, probe: `edge:${id}:${index}`, layers: 0 };
      const start = chain[at - 1];
      return { input: node.inputs[index], start, probe: `edge:${start}:0`, layers: at };
    });
    this.adds.push({ node: id, fork, branches });
  }

  /** A conv reads several sources when its input (through bn/relu/…) has several provenance segments. */
  private planReuse(id: string): void {
    const conv = this.graph.nodeById.get(id)!;
    let reading = this.graph.nodeById.get(conv.inputs[0]);
    while (reading && PASS_THROUGH.has(reading.kind) && reading.inputs.length === 1) reading = this.graph.nodeById.get(reading.inputs[0]);
    const segments = this.graph.nodeById.get(conv.inputs[0])?.provenance ?? [];
    if (!reading) return;
    // The first layer of a dense block reads only the block's input, which later layers concatenate.
    const startsBlock = this.graph.nodes.some((n) => n.kind === 'concat' && n.inputs.includes(reading!.id));
    if (reading.kind !== 'concat' && !startsBlock) return;
    // Layers of one dense block and the transition after it all read channels starting with the block's input.
    this.reuseTargets.push({ conv: id, segments, key: segments[0].source });
  }

  /** Queues every statistic as one flat tensor; `decode` turns its values into typed results. */
  compute(step: StepTensors): { values: tf.Tensor1D; decode: (data: Float32Array, stepNumber: number) => TrainingStatistics } {
    const pieces: tf.Tensor[] = [];
    const push = (t: tf.Tensor): number => {
      pieces.push(tf.reshape(t, [-1]));
      return pieces.length - 1;
    };
    const sumSquares = (list: tf.Tensor[]): tf.Tensor => (list.length === 1 ? tf.sum(tf.square(list[0])) : tf.addN(list.map((t) => tf.sum(tf.square(t)))));

    const layerSlots: { node: string; kind: string; w?: number; g?: number; d?: number; moments: number; zero?: number }[] = [];
    for (const node of this.graph.nodes) {
      if (node.kind === 'input' || node.view) continue;
      const activation = step.activations.get(node.id);
      if (!activation) continue;
      const { mean, variance } = tf.moments(activation);
      const slot: (typeof layerSlots)[number] = { node: node.id, kind: node.kind, moments: push(tf.stack([mean, tf.sqrt(variance)])) };
      if (node.kind === 'relu') slot.zero = push(tf.mean(tf.cast(tf.equal(activation, 0), 'float32')));
      const params = this.model.paramsByNode.get(node.id) ?? [];
      if (params.length > 0) {
        slot.w = push(sumSquares(params.map((p) => p.variable)));
        const grads = params.map((p) => step.grads.get(p.name)).filter((g): g is tf.Tensor => g !== undefined);
        if (grads.length > 0) slot.g = push(sumSquares(grads));
        const before = step.before;
        if (before) slot.d = push(sumSquares(params.map((p) => tf.sub(p.variable, before.get(p.name)!))));
      }
      layerSlots.push(slot);
    }

    const addSlots = this.adds.map((add) => add.branches.map((b) => push(tf.sqrt(sumSquares([step.probeGrads.get(b.probe)!])))));
    const concatSlots = this.concats.map((id) => {
      const grad = step.probeGrads.get(`node:${id}`)!;
      const node = this.graph.nodeById.get(id)!;
      let offset = 0;
      return node.provenance.map((segment) => {
        const begin = grad.shape.map((_, axis) => (axis === grad.rank - 1 ? offset : 0));
        const size = grad.shape.map((_, axis) => (axis === grad.rank - 1 ? segment.channels : -1));
        const slice = tf.slice(grad, begin, size);
        const result = { segment, offset, index: push(tf.sqrt(tf.sum(tf.square(slice)))) };
        offset += segment.channels;
        return result;
      });
    });
    const reuseSlots = this.reuseTargets.map((target) => {
      const kernel = this.model.paramsByNode.get(target.conv)!.find((p) => p.role === 'kernel')!.variable;
      return push(tf.mean(tf.abs(kernel), [0, 1, 3]));
    });
    const contributionSlots = this.reuseTargets.map((target) => this.contributions(target, step, push));
    const perSampleNorm = (t: tf.Tensor): tf.Tensor => tf.sqrt(tf.div(tf.sum(tf.square(t)), t.shape[0] ?? 1));
    const residualSlots = this.residualStages.map((stage) =>
      [stage.input, ...stage.residuals].map((id) => {
        const activation = step.activations.get(id);
        return activation ? push(perSampleNorm(activation)) : undefined;
      }),
    );

    const offsets: number[] = [];
    let total = 0;
    for (const p of pieces) {
      offsets.push(total);
      total += p.size;
    }
    const values = tf.concat(pieces) as tf.Tensor1D;

    const decode = (data: Float32Array, stepNumber: number): TrainingStatistics => {
      const at = (slot: number, i = 0) => data[offsets[slot] + i];
      const layers: LayerStatistics[] = layerSlots.map((s) => {
        const stats: LayerStatistics = { node: s.node, kind: s.kind, activationMean: at(s.moments, 0), activationStd: at(s.moments, 1) };
        if (s.zero !== undefined) stats.zeroFraction = at(s.zero);
        if (s.w !== undefined) stats.weightNorm = Math.sqrt(at(s.w));
        if (s.g !== undefined) stats.gradNorm = Math.sqrt(at(s.g));
        if (s.d !== undefined && stats.weightNorm !== undefined) stats.updateRatio = stats.weightNorm > 0 ? Math.sqrt(at(s.d)) / stats.weightNorm : 0;
        return stats;
      });
      const merges: MergeFlow[] = [];
      this.adds.forEach((add, i) => {
        const shortcutIndex = shortcutBranch(add.branches);
        merges.push({
          node: add.node,
          kind: 'add',
          fork: add.fork,
          branches: add.branches.map((b, j) => ({
            input: b.input,
            start: b.start,
            role: j === shortcutIndex ? 'shortcut' : 'residual',
            layers: b.layers,
            gradNorm: at(addSlots[i][j]),
          })),
        });
      });
      this.concats.forEach((id, i) => {
        merges.push({ node: id, kind: 'concat', slices: concatSlots[i].map((s) => ({ source: s.segment.source, offset: s.offset, channels: s.segment.channels, gradNorm: at(s.index) })) });
      });
      const contribution = (target: number, source: string): number | null => {
        const slot = contributionSlots[target]?.get(source);
        return slot === undefined ? null : at(slot);
      };
      const residual = this.residualStages.flatMap((stage, i): ResidualShareMap[] => {
        const slots = residualSlots[i];
        if (slots.some((slot) => slot === undefined)) return [];
        const norms = slots.map((slot) => at(slot!));
        if (!norms.every((n) => Number.isFinite(n) && n >= 0)) return [];
        const block = topGroup(this.graph, this.graph.nodeById.get(stage.adds[0])?.group ?? null) ?? stage.adds[0];
        return [{ block, adds: stage.adds, sources: [stage.input, ...stage.residuals], norms, shares: residualShares(norms[0], norms.slice(1)), approximate: stage.approximate }];
      });
      return { step: stepNumber, layers, merges, reuse: this.decodeReuse((slot, c) => at(reuseSlots[slot], c), contribution), residual };
    };
    return { values, decode };
  }

  /**
   * Queues ‖H^s * X_s‖ for each source s of one reuse target: the target's input channels from s convolved
   * with the matching kernel slice (the weights this step's forward pass used), as a per-sample L2 norm.
   */
  private contributions(target: ReuseTarget, step: StepTensors, push: (t: tf.Tensor) => number): Map<string, number> {
    const slots = new Map<string, number>();
    const conv = this.graph.nodeById.get(target.conv)!;
    const input = step.activations.get(conv.inputs[0]);
    const param = this.model.paramsByNode.get(target.conv)!.find((p) => p.role === 'kernel')!;
    const kernel = step.before?.get(param.name) ?? param.variable;
    if (!input || input.rank !== 4 || numberArg(conv, 'groups', 1) !== 1) return slots;
    const options = convOptions(conv);
    const channelsOf = new Map<string, number[]>();
    let channel = 0;
    for (const segment of target.segments) {
      const list = channelsOf.get(segment.source) ?? [];
      for (let c = 0; c < segment.channels; c++) list.push(channel + c);
      channelsOf.set(segment.source, list);
      channel += segment.channels;
    }
    for (const [source, channels] of channelsOf) {
      if (source === '') continue;
      const indices = tf.tensor1d(channels, 'int32');
      const y = conv2d(tf.gather(input, indices, 3) as tf.Tensor4D, tf.gather(kernel, indices, 2) as tf.Tensor4D, options);
      slots.set(source, push(tf.sqrt(tf.div(tf.sum(tf.square(y)), input.shape[0]))));
    }
    return slots;
  }

  private decodeReuse(channelMean: (target: number, channel: number) => number, contribution: (target: number, source: string) => number | null): ReuseHeatMap[] {
    const maps = new Map<string, { targets: number[] }>();
    this.reuseTargets.forEach((t, i) => {
      const entry = maps.get(t.key) ?? { targets: [] };
      entry.targets.push(i);
      maps.set(t.key, entry);
    });
    const result: ReuseHeatMap[] = [];
    for (const { targets } of maps.values()) {
      const sources: string[] = [];
      for (const i of targets) for (const s of this.reuseTargets[i].segments) if (s.source !== '' && !sources.includes(s.source)) sources.push(s.source);
      const rows = targets.map((i) => {
        const target = this.reuseTargets[i];
        const sums = new Map<string, { sum: number; count: number }>();
        let channel = 0;
        for (const segment of target.segments) {
          const entry = sums.get(segment.source) ?? { sum: 0, count: 0 };
          for (let c = 0; c < segment.channels; c++) entry.sum += channelMean(i, channel + c);
          entry.count += segment.channels;
          sums.set(segment.source, entry);
          channel += segment.channels;
        }
        return {
          conv: target.conv,
          values: sources.map((s) => (sums.has(s) ? sums.get(s)!.sum / sums.get(s)!.count : null)),
          contributions: sources.map((s) => (sums.has(s) ? contribution(i, s) : null)),
        };
      });
      const groups: string[] = [];
      for (const i of targets) {
        const conv = this.reuseTargets[i].conv;
        const group = topGroup(this.graph, this.graph.nodeById.get(conv)?.group ?? null) ?? conv;
        if (!groups.includes(group)) groups.push(group);
      }
      result.push({ block: groups[0], groups, sources, rows });
    }
    return result;
  }
}

function numberArg(node: GraphNode, name: string, fallback: number): number {
  const value = node.args[name];
  return typeof value === 'number' ? value : fallback;
}

/** The convolution the model runs for this node (see TfModel.applyNode), groups aside. */
function convOptions(node: GraphNode): Parameters<typeof conv2d>[2] {
  const dilation = numberArg(node, 'dilation', 1);
  const stride = pairOf(node.args.stride, 1);
  return { stride, pad: paddingOf(node.args.pad, pairOf(node.args.kernel, 1), stride, dilation), dilation, groups: 1 };
}

function topGroup(graph: ModelGraph, id: string | null): string | null {
  let current = id;
  while (current) {
    const group = graph.groupById.get(current);
    if (!group?.parent) return current;
    current = group.parent;
  }
  return null;
}

/** Which input of an add is the shortcut: the one with the fewest layers since the fork (the last on a tie). */
export function shortcutBranch(branches: readonly { layers: number }[]): number {
  const fewest = Math.min(...branches.map((b) => b.layers));
  return branches.length - 1 - [...branches].reverse().findIndex((b) => b.layers === fewest);
}
