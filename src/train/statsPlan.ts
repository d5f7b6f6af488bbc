import type { ChannelSegment, ModelGraph } from '../core';

/**
 * What the live training statistics measure, worked out from the graph alone: no TensorFlow.js and no
 * PyTorch, so both engines (src/train/stats.ts computes them in TensorFlow.js, python/skipnet_stats.py in
 * PyTorch from the plan `torchStatisticsPlan` sends) share one definition of every merge split and reuse map.
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
   * from s, or for a grouped convolution, whose kernel slices do not line up with the sources. Both engines measure
   * it (the PyTorch runner in python/skipnet_algebra.py).
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
  /** Identity-shortcut stages (both engines measure them; absent from older runners' events). */
  residual?: ResidualShareMap[];
}

export interface AddPlan {
  node: string;
  fork: string | null;
  /**
   * `probe`: where the branch's gradient is read. `edge:START:0` is the gradient entering the branch's first layer
   * (its share of dL/d(fork)); `edge:ADD:INDEX` (a bare identity branch) the gradient of the add's input, which is
   * dL/d(add output) itself since an add passes its gradient to each input unchanged.
   */
  branches: { input: string; start: string; probe: string; layers: number }[];
}

export interface ReuseTarget {
  conv: string;
  /** Provenance of the conv's input, in channel order. */
  segments: ChannelSegment[];
  /** Targets with the same key (the source of their first channels) form one heat map. */
  key: string;
}

const PASS_THROUGH = new Set(['bn', 'relu', 'leakyrelu', 'gelu', 'sigmoid', 'tanh', 'dropout', 'identity']);

/** The adds, concats and reuse targets of a graph, in graph order. */
export class MergePlan {
  readonly adds: AddPlan[] = [];
  readonly concats: string[] = [];
  readonly reuseTargets: ReuseTarget[] = [];

  constructor(readonly graph: ModelGraph) {
    for (const node of graph.nodes) {
      if (node.kind === 'add') this.planAdd(node.id);
      if (node.kind === 'concat') this.concats.push(node.id);
      if (node.kind === 'conv') this.planReuse(node.id);
    }
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

  /** The slices of a concat's output, one per provenance segment, with their channel offsets. */
  concatSlices(id: string): { source: string; offset: number; channels: number }[] {
    let offset = 0;
    return this.graph.nodeById.get(id)!.provenance.map((segment) => {
      const slice = { source: segment.source, offset, channels: segment.channels };
      offset += segment.channels;
      return slice;
    });
  }

  /** Reuse targets grouped into heat maps: the target indices of each map, its sources (columns), groups and title. */
  reuseMaps(): { block: string; groups: string[]; sources: string[]; targets: number[] }[] {
    const byKey = new Map<string, number[]>();
    this.reuseTargets.forEach((t, i) => byKey.set(t.key, [...(byKey.get(t.key) ?? []), i]));
    return [...byKey.values()].map((targets) => {
      const sources: string[] = [];
      for (const i of targets) for (const s of this.reuseTargets[i].segments) if (s.source !== '' && !sources.includes(s.source)) sources.push(s.source);
      const groups: string[] = [];
      for (const i of targets) {
        const conv = this.reuseTargets[i].conv;
        const group = topGroup(this.graph, this.graph.nodeById.get(conv)?.group ?? null) ?? conv;
        if (!groups.includes(group)) groups.push(group);
      }
      return { block: groups[0], groups, sources, targets };
    });
  }

  /**
   * The heat maps from each target's mean |w| per input channel (`channelMean(target, channel)`): a cell is the
   * mean over the channels its source contributes to that conv's input, null where the source is not read.
   * `contribution(target, source)`, where the engine measures it, fills each row's `contributions`.
   */
  reuseHeatMaps(channelMean: (target: number, channel: number) => number, contribution?: (target: number, source: string) => number | null): ReuseHeatMap[] {
    return this.reuseMaps().map(({ block, groups, sources, targets }) => {
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
        const values = sources.map((s) => (sums.has(s) ? sums.get(s)!.sum / sums.get(s)!.count : null));
        return contribution ? { conv: target.conv, values, contributions: sources.map((s) => (sums.has(s) ? contribution(i, s) : null)) } : { conv: target.conv, values };
      });
      return { block, groups, sources, rows };
    });
  }
}

/** The outermost block instance holding group `id` (null for none). */
export function topGroup(graph: ModelGraph, id: string | null): string | null {
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
