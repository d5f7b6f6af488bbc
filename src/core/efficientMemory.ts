import type { ModelGraph } from './graph';
import { BYTES_PER_FLOAT, savedTensors, trainingMemory } from './memory';

/**
 * Pleiss, Chen, Huang, Li, van der Maaten & Weinberger 2017, "Memory-efficient implementation of DenseNets":
 * a naive DenseNet writes every layer's concatenation and batch-norm output to new memory, so what autograd
 * keeps grows quadratically with depth; the efficient implementation writes them into two shared buffers
 * ("shared memory storage" 1 and 2, the ReLU working in place on the second) and recomputes them in the
 * backward pass, keeping only the feature maps the layers produce, which grow linearly.
 */

/** Layers that the recomputation redoes after a concatenation: batch norm and element-wise activations. */
const RECOMPUTED_AFTER_CONCAT: ReadonlySet<string> = new Set(['bn', 'relu', 'sigmoid', 'tanh', 'leakyrelu', 'gelu']);

/** Bytes per sample (float32) of the activations in the memory-efficient implementation, and their parts. */
export interface MemoryEfficientSaved {
  /** stored + concatBuffer + normBuffer: what the backward pass needs, per sample. */
  perSample: bigint;
  /** Per step, whatever the batch: each batch norm's batch mean and inverse std, as in `savedForBackward`. */
  perStep: bigint;
  /** Tensors kept as in PyTorch, minus the recomputed ones, plus every concatenation's inputs, plus masks and indices. */
  stored: bigint;
  /** Shared storage 1: the largest recomputed concatenation output. */
  concatBuffer: bigint;
  /** Shared storage 2: the largest recomputed batch-norm or activation output. */
  normBuffer: bigint;
  /** Ids of the nodes whose outputs are recomputed instead of kept, in graph order. */
  recomputed: string[];
}

/**
 * What the backward pass keeps per sample when concatenations and the batch norms and activations that
 * follow them are recomputed (Pleiss et al. 2017, section 3). With K the tensors `savedForBackward` counts,
 * S the inputs of every `concat` (the feature maps each layer produces, and each block's input), R the
 * outputs of every `concat` and of every `bn`, `relu`, `sigmoid`, `tanh`, `leakyrelu` or `gelu` that reads
 * an R or S tensor (views of R are R: in DenseNet the BN-ReLU before each layer's convolution, the first
 * layer's included, which reads the block's input), in bytes per sample:
 *
 *   perSample = Σ_{t ∈ (K ∪ S) \ R} 4·|t| + masks and indices + max_{concat c ∈ R} 4·|c| + max_{other t ∈ R} 4·|t|
 *
 * The two maxima are the shared buffers; the recomputation needs nothing else, since every R tensor is
 * computed from S by the layers in between. A model without `concat` keeps exactly `savedForBackward`.
 * Counts exactly (bigint); weights, gradients and optimizer state are unchanged, so
 * `trainingMemory(model).total − activations + batch · perSample + perStep` is the training step's memory.
 */
export function memoryEfficientSaved(model: ModelGraph): MemoryEfficientSaved {
  const float = BigInt(BYTES_PER_FLOAT);
  const saved = savedTensors(model);
  const storageOf = (id: string): string => saved.storage.get(id) ?? id;
  const recomputed = new Set<string>();
  const sources = new Set<string>();
  for (const node of model.nodes) if (node.kind === 'concat' && node.shape !== null) for (const id of node.inputs) sources.add(storageOf(id));
  let concatBuffer = 0n;
  let normBuffer = 0n;
  for (const node of model.nodes) {
    const input = node.inputs[0] === undefined ? undefined : storageOf(node.inputs[0]);
    // A layer's first batch norm reads its block's input, which a concatenation also reads: it is kept anyway.
    const fromRecomputed = input !== undefined && (recomputed.has(input) || sources.has(input));
    if (node.kind === 'concat' && node.shape !== null) {
      recomputed.add(node.id);
      concatBuffer = max(concatBuffer, node.outputElements * float);
    } else if (fromRecomputed && RECOMPUTED_AFTER_CONCAT.has(node.kind) && node.shape !== null) {
      recomputed.add(node.id);
      normBuffer = max(normBuffer, node.outputElements * float);
    }
  }
  const kept = new Set<string>();
  for (const id of saved.kept) if (!recomputed.has(id)) kept.add(id);
  for (const id of sources) if (!recomputed.has(id)) kept.add(id);
  let stored = saved.extraPerSample;
  for (const id of kept) stored += (model.nodeById.get(id)?.outputElements ?? 0n) * float;
  return {
    perSample: stored + concatBuffer + normBuffer,
    perStep: saved.perStep,
    stored,
    concatBuffer,
    normBuffer,
    recomputed: model.nodes.filter((n) => recomputed.has(n.id)).map((n) => n.id),
  };
}

/** Bytes of one training step at `batch` with the memory-efficient activations (see `memoryEfficientSaved`). */
export function memoryEfficientTraining(model: ModelGraph, batch = model.training.batch): bigint {
  const naive = trainingMemory(model, batch);
  const efficient = memoryEfficientSaved(model);
  return naive.total - naive.activations + BigInt(batch) * efficient.perSample + efficient.perStep;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
