import { endianness } from 'node:os';
import type { ModelGraph } from '../../core';
import { attributeName } from '../../export/python';
import { TrainError } from '../errors';
import type { ParamRole } from '../init';

/**
 * Carrying SkipNet's weights into the module `skipnet export --pytorch` writes: which submodule holds each
 * graph node, PyTorch's name of each parameter, and the layouts. SkipNet keeps the TensorFlow.js layouts (NHWC;
 * conv kernel [kh, kw, cin/groups, cout]; dense kernel [in, out]); PyTorch has conv weight [cout, cin/groups, kh,
 * kw] and linear weight [out, in]. Flat tensors differ in order too: SkipNet flattens H×W×C maps in H, W, C order,
 * the export's nn.Flatten in C, H, W order, so a dense (or bn) after a flatten sees its inputs permuted.
 */

/** The export's submodule path of a graph node: `stage1/basic2/conv1` → `stage1.basic2.conv1` (nn.Module's own names get a `_`). */
export function modulePath(id: string): string {
  return id
    .split('/')
    .map((part) => attributeName(part))
    .join('.');
}

/** PyTorch's name of each SkipNet weight, by layer kind. */
const TORCH_NAMES: Readonly<Record<string, Readonly<Partial<Record<ParamRole | 'running_mean' | 'running_var', string>>>>> = {
  conv: { kernel: 'weight', bias: 'bias' },
  convtranspose: { kernel: 'weight', bias: 'bias' },
  dense: { kernel: 'weight', bias: 'bias' },
  bn: { gamma: 'weight', beta: 'bias', running_mean: 'running_mean', running_var: 'running_var' },
  // The sequence modules of src/export/sequenceModules.ts (torchvision 0.14's names where it has the layer).
  patchify: { kernel: 'proj.weight', bias: 'proj.bias' },
  cls_token: { class_token: 'class_token' },
  pos_embed: { pos_embedding: 'pos_embedding' },
  layernorm: { gamma: 'weight', beta: 'bias' },
  attention: { in_proj_kernel: 'in_proj_weight', in_proj_bias: 'in_proj_bias', out_proj_kernel: 'out_proj.weight', out_proj_bias: 'out_proj.bias' },
};

/** The exported module's state key of a layer's parameter (`stage1/conv1`, `kernel` → `stage1.conv1.weight`); undefined where the kind has no such parameter. */
export function torchParamKey(kind: string, id: string, role: ParamRole): string | undefined {
  const name = TORCH_NAMES[kind]?.[role];
  return name === undefined ? undefined : `${modulePath(id)}.${name}`;
}

/** A row-major [rows, cols] matrix transposed: a tfjs [in, out] kernel as PyTorch's [out, in] weight. */
function transposed(values: ArrayLike<number>, rows: number, cols: number, order: Int32Array | null = null): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let o = 0; o < cols; o++) for (let j = 0; j < rows; j++) out[o * rows + j] = values[(order ? order[j] : j) * cols + o];
  return out;
}

/** A tensor of the exported module's state_dict: its key, shape and values in PyTorch's layout (row-major). */
export interface TorchTensor {
  key: string;
  shape: number[];
  values: Float32Array;
}

/** One SkipNet weight (a parameter `node/role` or a bn running statistic `node/running_mean|running_var`), row-major in its tfjs layout. */
export interface SkipNetWeight {
  name: string;
  /** The tfjs layout's shape. */
  shape: readonly number[];
  values: ArrayLike<number>;
}

/**
 * For each flat (rank-1) tensor of the graph, where PyTorch's feature j lives in SkipNet's order: `order[j]`, or
 * null where both orders agree. `conflicts` names the merges of flat tensors whose orders disagree (an add of a
 * flattened map and a dense output): no permutation of weights makes PyTorch compute what SkipNet does there.
 */
export function featureOrders(graph: ModelGraph): { orders: Map<string, Int32Array | null>; conflicts: Set<string> } {
  const orders = new Map<string, Int32Array | null>();
  const conflicts = new Set<string>();
  const same = (a: Int32Array | null, b: Int32Array | null): boolean => (a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]));
  for (const node of graph.nodes) {
    if (node.shape?.length !== 1) continue;
    const inputs = node.inputs.map((i) => ({ shape: graph.nodeById.get(i)?.shape, order: orders.get(i) ?? null, conflict: conflicts.has(i) }));
    if (inputs.some((i) => i.conflict)) {
      conflicts.add(node.id);
      continue;
    }
    const from = inputs[0];
    if (node.kind === 'flatten' && from?.shape?.length === 3) {
      const [h, w, c] = from.shape;
      if (c === 1 || h * w === 1) orders.set(node.id, null);
      else orders.set(node.id, Int32Array.from({ length: h * w * c }, (_, j) => ((Math.floor(j / w) % h) * w + (j % w)) * c + Math.floor(j / (h * w))));
    } else if (node.kind === 'concat') {
      if (inputs.every((i) => i.order === null)) orders.set(node.id, null);
      else {
        const joined: number[] = [];
        let offset = 0;
        for (const i of inputs) {
          const size = i.shape?.[0] ?? 0;
          for (let j = 0; j < size; j++) joined.push(offset + (i.order ? i.order[j] : j));
          offset += size;
        }
        orders.set(node.id, Int32Array.from(joined));
      }
    } else if (node.kind === 'add') {
      if (inputs.every((i) => same(i.order, from.order))) orders.set(node.id, from.order);
      else conflicts.add(node.id);
    } else if (node.kind === 'dense' || node.kind === 'gap' || node.kind === 'input') orders.set(node.id, null);
    else orders.set(node.id, from?.order ?? null);
  }
  return { orders, conflicts };
}

/**
 * SkipNet weights as the exported module's state_dict entries (PyTorch layouts and feature orders). Throws a
 * TrainError for a name the graph does not have, a wrong number of values, or a weight whose flat input has
 * no PyTorch counterpart (see featureOrders).
 */
export function torchTensors(graph: ModelGraph, weights: readonly SkipNetWeight[]): TorchTensor[] {
  const { orders, conflicts } = featureOrders(graph);
  return weights.map(({ name, shape, values }) => {
    const cut = name.lastIndexOf('/');
    const id = name.slice(0, cut);
    const role = name.slice(cut + 1);
    const node = graph.nodeById.get(id);
    const torchName = node ? Object.entries(TORCH_NAMES[node.kind] ?? {}).find(([r]) => r === role)?.[1] : undefined;
    if (!node || torchName === undefined || (role === 'bias' && node.kind !== 'patchify' && node.args.bias !== true)) throw new TrainError(`No parameter named ${name} in model ${graph.name}.`, 'unsupported');
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new TrainError(`${name} has ${size} values, not ${values.length}.`, 'unsupported');
    const key = `${modulePath(id)}.${torchName}`;
    const input = node.inputs[0];
    const flatInput = graph.nodeById.get(input)?.shape?.length === 1;
    if (flatInput && conflicts.has(input) && (node.kind === 'dense' || node.kind === 'bn')) {
      throw new TrainError(`Layer ${id} reads flat features that PyTorch orders differently from SkipNet (after ${input}), so ${name} cannot be carried over to PyTorch.`, 'unsupported');
    }
    const order = flatInput ? (orders.get(input) ?? null) : null;
    // A convtranspose kernel [kh, kw, filters/groups, cin] goes to PyTorch's (cin, filters/groups, kh, kw) the same way.
    if ((node.kind === 'conv' || node.kind === 'convtranspose' || node.kind === 'patchify') && role === 'kernel') {
      const [kh, kw, cin, cout] = shape;
      const out = new Float32Array(size);
      for (let o = 0; o < cout; o++)
        for (let i = 0; i < cin; i++)
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((o * cin + i) * kh + y) * kw + x] = values[((y * kw + x) * cin + i) * cout + o];
      return { key, shape: [cout, cin, kh, kw], values: out };
    }
    if ((node.kind === 'dense' && role === 'kernel') || role === 'in_proj_kernel' || role === 'out_proj_kernel') {
      const [fanIn, units] = shape;
      return { key, shape: [units, fanIn], values: transposed(values, fanIn, units, order) };
    }
    // nn.Parameter(1, 1, D) and (1, T, D): the batch axis PyTorch broadcasts over.
    if (role === 'class_token' || role === 'pos_embedding') return { key, shape: [1, ...(role === 'class_token' ? [1] : []), ...shape], values: Float32Array.from(values) };
    // bn on flat features: per-feature vectors follow the input's order; everything else keeps its layout.
    const permute = node.kind === 'bn' && order !== null;
    return { key, shape: [...shape], values: permute ? Float32Array.from(order, (j) => values[j]) : Float32Array.from(values) };
  });
}

/** The tensors as one little-endian float32 file and its index (offsets in floats), as python/skipnet_train.py reads them. */
export function packTensors(tensors: readonly TorchTensor[]): { index: { key: string; shape: number[]; offset: number }[]; bytes: Buffer } {
  const all = new Float32Array(tensors.reduce((sum, t) => sum + t.values.length, 0));
  const index: { key: string; shape: number[]; offset: number }[] = [];
  let offset = 0;
  for (const t of tensors) {
    index.push({ key: t.key, shape: t.shape, offset });
    all.set(t.values, offset);
    offset += t.values.length;
  }
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  if (endianness() === 'BE') bytes.swap32();
  return { index, bytes };
}
