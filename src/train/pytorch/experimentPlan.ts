import type { ModelGraph } from '../../core/graph';
import { lesionUnits, type LesionUnit } from '../experiments/lesionPlan';
import { modulePath } from './weights';

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

const MODULELESS = new Set(['input', 'add', 'concat']);
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
