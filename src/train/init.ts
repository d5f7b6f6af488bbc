import type { GraphNode, ModelGraph, Value } from '../core';
import { SeededRandom } from './rng';

/**
 * SkipNet's seeded initialisation of a model's trainable parameters, as plain arrays: the TensorFlow.js model
 * (model.ts) loads them into variables and the PyTorch engine (pytorch/weights.ts) into the exported module, so
 * one seed starts both engines from the same weights. No tfjs here.
 */

/**
 * What a parameter is to its layer: conv, patchify and dense `kernel` and `bias`; bn and layernorm `gamma` and
 * `beta`; cls_token's `class_token` and pos_embed's `pos_embedding` (torchvision's names); attention's input
 * projection (query, key and value side by side) and output projection (nn.MultiheadAttention's in_proj, out_proj).
 */
export type ParamRole = 'kernel' | 'bias' | 'gamma' | 'beta' | 'class_token' | 'pos_embedding' | 'in_proj_kernel' | 'in_proj_bias' | 'out_proj_kernel' | 'out_proj_bias';

export interface InitialParameter {
  /** `${node id}/${role}`, as ModelParam names it. */
  name: string;
  node: string;
  role: ParamRole;
  /**
   * TensorFlow.js layout: conv kernel [kh, kw, cin/groups, filters], dense kernel [in, units] (inputs in SkipNet's
   * H, W, C flattening order; D for a sequence), bias [filters | units], bn and layernorm gamma/beta [channels | D],
   * patchify kernel [patch, patch, C, dim], class_token [D], pos_embedding [T, D], attention in_proj_kernel [D, 3D]
   * (PyTorch's in_proj_weight transposed), in_proj_bias [3D], out_proj_kernel [D, D] (transposed), out_proj_bias [D].
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
 * - bn and layernorm gamma 1, beta 0;
 * - the sequence layers as torchvision 0.14's VisionTransformer and PyTorch 1.13's nn.MultiheadAttention initialise
 *   them: patchify (conv_proj) kernel truncated normal (cut at ±2) with std √(1 / fan_in), fan_in = C·patch², bias 0;
 *   class_token 0; pos_embedding normal with std 0.02; attention in_proj xavier_uniform, bound √(6 / (D + 3D))
 *   (Glorot & Bengio 2010, eq. 16), in_proj_bias 0, out_proj kernel as nn.Linear's (±1/√D), out_proj_bias 0.
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
        // A sequence T×D is read per token: fan_in is D.
        const fanIn = shapeOf(node.inputs[0]).at(-1)!;
        const units = numberArg(node, 'units', 1);
        const bound = 1 / Math.sqrt(fanIn);
        add(node, 'kernel', [fanIn, units], () => (2 * random.next() - 1) * bound);
        if (node.args.bias === true) add(node, 'bias', [units], () => (2 * random.next() - 1) * bound);
        break;
      }
      case 'patchify': {
        const cin = shapeOf(node.inputs[0]).at(-1)!;
        const patch = numberArg(node, 'patch', 1);
        const dim = numberArg(node, 'dim', 1);
        const std = Math.sqrt(1 / (cin * patch * patch));
        add(node, 'kernel', [patch, patch, cin, dim], () => truncatedNormal(random, std));
        add(node, 'bias', [dim], () => 0);
        break;
      }
      case 'cls_token':
        add(node, 'class_token', [shapeOf(node.id).at(-1)!], () => 0);
        break;
      case 'pos_embed':
        add(node, 'pos_embedding', shapeOf(node.id), () => random.normal() * 0.02);
        break;
      case 'attention': {
        const d = shapeOf(node.id).at(-1)!;
        const xavier = Math.sqrt(6 / (d + 3 * d));
        add(node, 'in_proj_kernel', [d, 3 * d], () => (2 * random.next() - 1) * xavier);
        add(node, 'in_proj_bias', [3 * d], () => 0);
        const bound = 1 / Math.sqrt(d);
        add(node, 'out_proj_kernel', [d, d], () => (2 * random.next() - 1) * bound);
        add(node, 'out_proj_bias', [d], () => 0);
        break;
      }
      case 'bn':
      case 'layernorm': {
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

/** A normal draw with this std, redrawn until it lies in [−2, 2] (torch.nn.init.trunc_normal_'s default a, b). */
function truncatedNormal(random: SeededRandom, std: number): number {
  for (;;) {
    const value = random.normal() * std;
    if (value >= -2 && value <= 2) return value;
  }
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
