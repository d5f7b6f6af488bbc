import type { GraphNode, ModelGraph, Value } from '../core';
import { SeededRandom } from './rng';

/**
 * SkipNet's seeded initialisation of a model's trainable parameters, as plain arrays: the TensorFlow.js model
 * (model.ts) loads them into variables and the PyTorch engine (pytorch/weights.ts) into the exported module, so
 * one seed starts both engines from the same weights. No tfjs here.
 */

export type ParamRole = 'kernel' | 'bias' | 'gamma' | 'beta';

export interface InitialParameter {
  /** `${node id}/${role}`, as ModelParam names it. */
  name: string;
  node: string;
  role: ParamRole;
  /**
   * TensorFlow.js layout: conv kernel [kh, kw, cin/groups, filters], dense kernel [in, units] (inputs in SkipNet's
   * H, W, C flattening order), bias [filters | units], bn gamma/beta [channels].
   */
  shape: number[];
  values: Float32Array;
}

/**
 * Every trainable parameter of `graph` in node order (kernel before bias, gamma before beta), drawn from one
 * SeededRandom(seed) stream:
 * - conv kernel: normal with std √(2 / fan_in), fan_in = kh·kw·cin/groups (He et al. 2015, "Delving Deep into
 *   Rectifiers"); conv bias: 0; convtranspose alike with fan_in = kh·kw·filters/groups (kernel [kh, kw, filters/groups, cin]);
 * - dense kernel and bias: uniform in ±1/√fan_in (PyTorch's nn.Linear default bound);
 * - bn gamma 1, beta 0.
 * Throws Error when a node's or an input's shape is unknown (check `graph.complete` first).
 */
export function initialParameters(graph: ModelGraph, seed: number): InitialParameter[] {
  const random = new SeededRandom(seed);
  const params: InitialParameter[] = [];
  const shapeOf = (id: string): number[] => {
    const shape = graph.nodeById.get(id)?.shape;
    if (!shape) throw new Error(`Layer ${id} has no known shape.`);
    return shape;
  };
  const add = (node: GraphNode, role: ParamRole, shape: number[], value: (i: number) => number): void => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = value(i);
    params.push({ name: `${node.id}/${role}`, node: node.id, role, shape, values });
  };
  for (const node of graph.nodes) {
    // Tied weights (`shared(label)`) are the first application's, made once.
    if (node.sharedWith !== null) continue;
    switch (node.kind) {
      case 'conv': {
        const cin = shapeOf(node.inputs[0]).at(-1)!;
        const [kh, kw] = pairOf(node.args.kernel, 1);
        const groups = numberArg(node, 'groups', 1);
        const filters = numberArg(node, 'filters', 1);
        const std = Math.sqrt(2 / (kh * kw * (cin / groups)));
        add(node, 'kernel', [kh, kw, cin / groups, filters], () => random.normal() * std);
        if (node.args.bias === true) add(node, 'bias', [filters], () => 0);
        break;
      }
      case 'convtranspose': {
        // Kernel [kh, kw, filters/groups, cin]: PyTorch's (cin, filters/groups, kh, kw) read as a conv's. Fan-in as
        // PyTorch computes it for this weight (dimension 1 times the taps).
        const cin = shapeOf(node.inputs[0]).at(-1)!;
        const [kh, kw] = pairOf(node.args.kernel, 1);
        const groups = numberArg(node, 'groups', 1);
        const filters = numberArg(node, 'filters', 1);
        const std = Math.sqrt(2 / (kh * kw * (filters / groups)));
        add(node, 'kernel', [kh, kw, filters / groups, cin], () => random.normal() * std);
        if (node.args.bias === true) add(node, 'bias', [filters], () => 0);
        break;
      }
      case 'dense': {
        const fanIn = shapeOf(node.inputs[0])[0];
        const units = numberArg(node, 'units', 1);
        const bound = 1 / Math.sqrt(fanIn);
        add(node, 'kernel', [fanIn, units], () => (2 * random.next() - 1) * bound);
        if (node.args.bias === true) add(node, 'bias', [units], () => (2 * random.next() - 1) * bound);
        break;
      }
      case 'bn': {
        const channels = shapeOf(node.id).at(-1)!;
        add(node, 'gamma', [channels], () => 1);
        add(node, 'beta', [channels], () => 0);
        break;
      }
      default:
        break;
    }
  }
  return params;
}

function numberArg(node: GraphNode, name: string, fallback: number): number {
  const value = node.args[name];
  return typeof value === 'number' ? value : fallback;
}

/** [a, b] from a kernel/stride value (`3` or `3x5`); `fallback` for anything else. */
export function pairOf(value: Value | undefined, fallback: number): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (value && typeof value === 'object' && 'dims' in value) return [value.dims[0], value.dims[1] ?? value.dims[0]];
  return [fallback, fallback];
}
