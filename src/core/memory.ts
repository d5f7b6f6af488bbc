import { broadcastShapes } from './familyLayers';
import type { GraphNode, ModelGraph, TrainingConfig } from './graph';
import { exactElementCount } from './values';

export { formatBytes, formatCompact, formatCount, formatMacs, formatMacsExact, pluralize, type Quantity } from './format';

export const BYTES_PER_FLOAT = 4;
/** max-pool indices and batch norm's num_batches_tracked are int64 in PyTorch. */
const BYTES_PER_INT64 = 8;

/** Bytes of one training step (bigint: exact past 2^53), float32 unless said. */
export interface TrainingMemory {
  batch: number;
  /** Trainable parameters × 4. */
  weights: bigint;
  /** Batch-norm running mean and variance (× 4) and num_batches_tracked (int64, 8 per layer): kept, not trained. */
  buffers: bigint;
  gradients: bigint;
  optimizerState: bigint;
  /** What autograd keeps for the backward pass (see `savedForBackward`): batch × per sample + per step. */
  activations: bigint;
  total: bigint;
}

/** The activation term of a training step, split by how it grows with the batch. */
export interface SavedActivations {
  /** Bytes kept per sample: layer inputs and outputs that backward reads, masks, max-pool indices. */
  perSample: bigint;
  /** Bytes kept once per step, whatever the batch: each batch norm's batch mean and inverse std (2·C floats). */
  perStep: bigint;
}

/** Slots of optimizer state per parameter (SGD keeps none, momentum one velocity, Adam two moments). */
export function optimizerSlots(optimizer: TrainingConfig['optimizer']): number {
  return optimizer === 'adam' ? 2 : optimizer === 'momentum' ? 1 : 0;
}

/** Bytes of one node's output for one sample, in float32 (0 for views, which share their input's memory). */
export function activationBytes(node: GraphNode): bigint {
  return node.view ? 0n : node.outputElements * BigInt(BYTES_PER_FLOAT);
}

/** Which of its tensors a layer kind hands to autograd, as PyTorch 1.13 does (measured with saved_tensors_hooks). */
type Keeps = 'input' | 'output' | 'nothing';
const KEEPS: Record<string, Keeps> = {
  conv: 'input', // and its weight, a parameter
  convtranspose: 'input', // and its weight
  dense: 'input', // and its weight
  bn: 'input', // and weight, running statistics (buffers) and the batch statistics, per step
  relu: 'output',
  sigmoid: 'output',
  tanh: 'output',
  softmax: 'output',
  leakyrelu: 'input',
  gelu: 'input',
  relu6: 'input', // nn.ReLU6 is hardtanh(0, 6), whose backward reads its input
  silu: 'input',
  hardswish: 'input',
  hardsigmoid: 'input',
  maxpool: 'input', // and the int64 indices of every output element
  avgpool: 'input',
  gap: 'input', // x.mean(dim=(2, 3)) keeps x
  dropout: 'nothing', // only its mask: float32 on the CPU, one per output element
  patchify: 'input', // a convolution
  layernorm: 'input', // and the mean and 1/std of each token
  mean_tokens: 'input', // x.mean(dim=1): PyTorch 1.13's MeanBackward1 keeps x, as gap's mean does
  attention: 'nothing', // a copy of its input, q, k, v, the attention weights and the heads' output (sequenceSaved)
};

/**
 * Bytes per sample a sequence layer keeps beyond its input, by nn.MultiheadAttention's training path in PyTorch
 * 1.13 (F.multi_head_attention_forward, batch_first, need_weights=False), measured with saved_tensors_hooks:
 * - attention keeps 5·T·D + heads·T·T floats: the in-projection's input, which is a copy because batch_first
 *   transposes it to T×N×D, q, kᵀ, v (3·T·D), the softmax's heads·T·T weights, the heads' T·D output that
 *   out_proj reads; with dropout p > 0 also the dropout mask and the dropped weights (2·heads·T·T). At batch 1
 *   the transpose is contiguous, so the in-projection keeps the input itself (`inputIsCopy` false): 4·T·D here,
 *   and the input is kept as a tensor, shared with any other layer that keeps it;
 * - layernorm keeps a mean and 1/std per token (2·T).
 */
function sequenceSaved(node: GraphNode, inputIsCopy = true): bigint {
  if (node.shape === null) return 0n;
  const [t, d] = node.shape.map(BigInt);
  if (node.kind === 'attention') {
    const heads = BigInt(typeof node.args.heads === 'number' ? node.args.heads : 1);
    const dropout = typeof node.args.dropout === 'number' && node.args.dropout > 0 ? 2n : 0n;
    return ((inputIsCopy ? 5n : 4n) * t * d + (1n + dropout) * heads * t * t) * BigInt(BYTES_PER_FLOAT);
  }
  if (node.kind === 'layernorm' && node.shape.length === 2) return 2n * t * BigInt(BYTES_PER_FLOAT);
  return 0n;
}

/** Bytes per step: attention's query scaling 1/√(D/heads), a float64 scalar that the division keeps. */
const ATTENTION_SCALAR_BYTES = 8n;

/**
 * The bytes autograd keeps for the backward pass of one training step in PyTorch 1.13 (float32, train
 * mode): for each layer the tensors its backward reads (conv and linear their input; batch norm its input
 * plus the batch mean and inverse std per channel; relu, sigmoid, tanh and softmax their output; leaky ReLU,
 * GELU, ReLU6, SiLU, hard swish, hard sigmoid, average and global pooling, the mean over tokens and transposed convolutions their input
 * (upsampling keeps nothing; products see `productSaved`); max pooling its input and int64 indices; dropout its mask),
 * each distinct tensor counted once: a ReLU's output that the next convolution also keeps is one tensor,
 * and views (identity, flatten, dropout with p = 0) are their input. add, concat and zeropad keep nothing.
 * Layers before the first parameter keep nothing (no input requires grad), except that a conv, dense or
 * batch norm keeps the input batch itself. Weights and buffers that autograd also keeps are not counted
 * here: they are in `TrainingMemory.weights` and `buffers`. The loss is not part of the model and not counted.
 * test/reference/saved_tensors.py measures the same thing on the PyTorch export. `batch` matters only at 1, where
 * attention keeps its input itself instead of a copy (see `sequenceSaved`); without it, batch ≥ 2 is assumed.
 */
export function savedForBackward(model: ModelGraph, batch?: number): SavedActivations {
  const saved = savedTensors(model, batch);
  let perSample = saved.extraPerSample;
  for (const id of saved.kept) perSample += (model.nodeById.get(id)?.outputElements ?? 0n) * BigInt(BYTES_PER_FLOAT);
  return { perSample, perStep: saved.perStep };
}

/** The tensors behind `savedForBackward`, for models of other ways to keep them (see `memoryEfficientSaved`). */
export interface SavedTensors {
  /** Ids of the nodes whose outputs autograd keeps (a view's storage is its input's node). */
  kept: Set<string>;
  /** Node id → the node whose output memory it is: itself, or its input's storage for a view. */
  storage: Map<string, string>;
  /** Bytes per sample kept besides layer outputs: max-pool indices and dropout masks. */
  extraPerSample: bigint;
  /** Bytes per step: each batch norm's batch mean and inverse std, and each attention's float64 query scaling. */
  perStep: bigint;
}

/** Which tensors autograd keeps for the backward pass (the rules of `savedForBackward`; `batch` as there). */
export function savedTensors(model: ModelGraph, batch?: number): SavedTensors {
  const float = BigInt(BYTES_PER_FLOAT);
  const storage = new Map<string, string>();
  const requiresGrad = new Map<string, boolean>();
  const kept = new Set<string>();
  let extra = 0n;
  let perStep = 0n;
  const keep = (id: string): void => void kept.add(storage.get(id) ?? id);
  for (const node of model.nodes) {
    const input = node.inputs[0];
    // token(i) is x[:, i], a strided view of the sequence (its values differ from its input's, so it is no `view`
    // layer elsewhere): a layer that keeps it for its backward keeps the whole T×D storage.
    const aliased = node.view || node.kind === 'token' || (node.kind === 'dropout' && node.args.p === 0);
    storage.set(node.id, aliased && input !== undefined ? (storage.get(input) ?? input) : node.id);
    const gradIn = node.inputs.some((id) => requiresGrad.get(id) === true);
    // A tied layer's weights are its original's parameters: they require grad there and here alike.
    const weighted = node.params > 0n || (node.sharedWith !== null && (model.nodeById.get(node.sharedWith)?.params ?? 0n) > 0n);
    requiresGrad.set(node.id, gradIn || weighted);
    if (node.shape === null || input === undefined) continue;
    const keeps = KEEPS[node.kind];
    const always = weighted; // conv, dense and bn keep their input for the weight's gradient
    if (node.kind === 'mul' || node.kind === 'gate') {
      extra += productSaved(model, node.kind, node.inputs, (id) => requiresGrad.get(id) === true, keep);
      continue;
    }
    if (keeps === undefined || (!always && !gradIn)) continue;
    if (keeps === 'input') keep(input);
    else if (keeps === 'output') keep(node.id);
    if (node.kind === 'maxpool') extra += node.outputElements * BigInt(BYTES_PER_INT64);
    if (node.kind === 'dropout' && !aliased) extra += node.outputElements * float;
    if (node.kind === 'bn') perStep += 2n * BigInt(node.shape[node.shape.length - 1]) * float;
    // At batch 1 attention's in-projection keeps its input's storage, which another reader may keep too: once.
    if (node.kind === 'attention' && batch === 1) keep(input);
    extra += sequenceSaved(node, batch !== 1);
    if (node.kind === 'attention') perStep += ATTENTION_SCALAR_BYTES;
  }
  return { kept, storage, extraPerSample: extra, perStep };
}

/**
 * What the products of `mul` and `gate` keep. `mul(a, b, c)` is exported as (a·b)·c: each product keeps one
 * factor where the other requires grad, and a running product (a·b) it keeps is a temporary of its own, whose
 * bytes this returns. `gate(h, t, x)` is torch.lerp(x, h, t), whose backward reads t where h or x requires grad
 * and h and x where t does (derivatives.yaml, lerp.Tensor).
 */
function productSaved(model: ModelGraph, kind: 'mul' | 'gate', inputs: string[], requiresGrad: (id: string) => boolean, keep: (id: string) => void): bigint {
  if (kind === 'gate') {
    const [h, t, x] = inputs;
    if (requiresGrad(h) || requiresGrad(x)) keep(t);
    if (requiresGrad(t)) (keep(h), keep(x));
    return 0n;
  }
  let temporary = 0n;
  let leftGrad = requiresGrad(inputs[0]);
  let leftShape = model.nodeById.get(inputs[0])?.shape ?? [];
  inputs.slice(1).forEach((right, index) => {
    const rightGrad = requiresGrad(right);
    if (rightGrad) {
      if (index === 0) keep(inputs[0]);
      else temporary += exactElementCount(leftShape) * BigInt(BYTES_PER_FLOAT);
    }
    if (leftGrad) keep(right);
    leftGrad ||= rightGrad;
    leftShape = broadcastShapes([leftShape, model.nodeById.get(right)?.shape ?? []]) ?? leftShape;
  });
  return temporary;
}

/**
 * Estimated memory of one training step at `batch`: weights, batch-norm buffers, gradients, optimizer
 * state and the activations autograd keeps (`savedForBackward`), all in bytes. Kernel workspaces and the
 * allocator's temporaries are not included.
 */
export function trainingMemory(model: ModelGraph, batch = model.training.batch, optimizer = model.training.optimizer): TrainingMemory {
  const float = BigInt(BYTES_PER_FLOAT);
  const weights = model.totals.params * float;
  const normLayers = BigInt(model.nodes.filter((n) => n.kind === 'bn' && n.shape !== null).length);
  const buffers = model.totals.buffers * float + normLayers * BigInt(BYTES_PER_INT64);
  const gradients = weights;
  const optimizerState = weights * BigInt(optimizerSlots(optimizer));
  const saved = savedForBackward(model, batch);
  const activations = BigInt(batch) * saved.perSample + saved.perStep;
  return { batch, weights, buffers, gradients, optimizerState, activations, total: weights + buffers + gradients + optimizerState + activations };
}

/**
 * Per-image bytes of a TensorFlow.js training step over the per-sample bytes PyTorch's autograd keeps
 * (`savedForBackward`). A TensorFlow.js step's tape holds every intermediate of every op (batch norm's
 * composite ops, a dense block's concatenations and their slices in the backward) and the backward's
 * temporaries live until the step frees them; measured with tf.profile's peakBytes on the cpu backend
 * (`npm run bench:train-memory`) the ratio is 7.5 (Plain-20), 7.7 (DenseNet-40), 8.5 (ResNet-20) and 9.1
 * (mnist_resnet), rounded up with room for the wasm heap's fragmentation.
 */
export const TFJS_SAVED_FACTOR = 10n;

/**
 * Bytes of one training step of the browser engine (TensorFlow.js) at `batch`: `trainingMemory`'s fixed part
 * (weights, buffers, gradients, optimizer state, batch-norm statistics per step) plus batch × the per-sample
 * bytes autograd keeps × `TFJS_SAVED_FACTOR`. `trainingMemory` itself is the PyTorch engine's figure.
 */
export function tfjsStepBytes(graph: ModelGraph, batch: number, optimizer: TrainingConfig['optimizer']): bigint {
  const fixed = trainingMemory(graph, 0, optimizer).total;
  return fixed + BigInt(batch) * savedForBackward(graph).perSample * TFJS_SAVED_FACTOR;
}
