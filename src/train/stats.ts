import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, ModelGraph } from '../core';
import { residualShares, residualStages, type ResidualStage } from '../core/algebra';
import { pairOf } from './init';
import { paddingOf, type TfModel } from './model';
import { conv2d } from './ops';
import { type AddPlan, type LayerStatistics, MergePlan, type MergeFlow, type ResidualShareMap, type ReuseTarget, shortcutBranch, topGroup, type TrainingStatistics } from './statsPlan';

/**
 * Live training statistics: what the graph view paints. Everything is computed on the backend and
 * concatenated into one vector, so an update costs one read back (see `StatisticsPlan.compute`).
 */

export type { AddBranchFlow, ConcatSliceFlow, LayerStatistics, MergeFlow, ResidualShareMap, ReuseHeatMap, TrainingStatistics } from './statsPlan';
export { shortcutBranch } from './statsPlan';

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

/** What to measure for one model, worked out once from its graph. */
export class StatisticsPlan {
  readonly residualStages: ResidualStage[];
  private readonly plan: MergePlan;

  constructor(
    private readonly model: TfModel,
    private readonly graph: ModelGraph = model.graph,
  ) {
    this.plan = new MergePlan(graph);
    this.residualStages = residualStages(graph);
  }

  get adds(): readonly AddPlan[] {
    return this.plan.adds;
  }

  get concats(): readonly string[] {
    return this.plan.concats;
  }

  get reuseTargets(): readonly ReuseTarget[] {
    return this.plan.reuseTargets;
  }

  /** Probe keys whose gradients the statistics need (see ForwardOptions.probes). */
  get probeKeys(): string[] {
    return [...this.adds.flatMap((a) => a.branches.map((b) => b.probe)), ...this.concats.map((id) => `node:${id}`)];
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
      return { step: stepNumber, layers, merges, reuse: this.plan.reuseHeatMaps((slot, c) => at(reuseSlots[slot], c), contribution), residual };
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
