import type { GraphNode, ModelGraph, TrainingConfig } from './graph';

export const BYTES_PER_FLOAT = 4;

export interface TrainingMemory {
  batch: number;
  weights: number;
  gradients: number;
  optimizerState: number;
  /** Activations kept for the backward pass: every non-view output (plus the input batch), × batch. */
  activations: number;
  total: number;
}

/** Slots of optimizer state per parameter (SGD keeps none, momentum one velocity, Adam two moments). */
export function optimizerSlots(optimizer: TrainingConfig['optimizer']): number {
  return optimizer === 'adam' ? 2 : optimizer === 'momentum' ? 1 : 0;
}

/** Bytes of one node's output for one sample, in float32. */
export function activationBytes(node: GraphNode): number {
  return node.view ? 0 : node.outputElements * BYTES_PER_FLOAT;
}

/**
 * Estimated memory of one training step in float32: weights (and BN buffers), gradients, optimizer
 * state, and the activations autograd keeps. Workspace of individual kernels is not included.
 */
export function trainingMemory(model: ModelGraph, batch = model.training.batch, optimizer = model.training.optimizer): TrainingMemory {
  const weights = (model.totals.params + model.totals.buffers) * BYTES_PER_FLOAT;
  const gradients = model.totals.params * BYTES_PER_FLOAT;
  const optimizerState = model.totals.params * BYTES_PER_FLOAT * optimizerSlots(optimizer);
  const activations = model.totals.activationElements * BYTES_PER_FLOAT * batch;
  return { batch, weights, gradients, optimizerState, activations, total: weights + gradients + optimizerState + activations };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1024;
    unit++;
  } while (value >= 1024 && unit < units.length - 1);
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${units[unit]}`;
}

/** 11689512 → "11,689,512". */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** 1.82e9 → "1.82 G". */
export function formatMacs(macs: number): string {
  if (macs >= 1e9) return `${(macs / 1e9).toFixed(2)} G`;
  if (macs >= 1e6) return `${(macs / 1e6).toFixed(2)} M`;
  if (macs >= 1e3) return `${(macs / 1e3).toFixed(1)} K`;
  return String(macs);
}
