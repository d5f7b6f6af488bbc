/**
 * Data-parallel training across replicas (two training workers in the webview): every replica holds the
 * same weights, steps on its slice of every batch, and the replicas sum their gradients, losses and
 * batch-norm moments before each applies the same update, so the weights stay identical. Batch norm
 * normalises with each slice's own statistics (like PyTorch's DistributedDataParallel without SyncBatchNorm);
 * the running statistics are updated from the whole batch's moments. No DOM, no Node: the peer is any
 * transport that can sum a Float32Array across replicas.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface ShardPeer {
  /** This replica's index, 0..size-1; replica 0 reports progress, statistics and evaluations. */
  readonly rank: number;
  readonly size: number;
  /**
   * Sums `values` element-wise over all replicas, adding them in rank order so every replica gets the
   * same bits. Rejects (ShardEnded) when another replica has ended its run.
   */
  allReduce(values: Float32Array): Promise<Float32Array>;
  /** Tells the other replicas this one has ended (they stop at their next exchange). */
  end(): void;
}

export class ShardEnded extends Error {
  constructor() {
    super('another training replica ended the run');
  }
}

/** This replica's part of a batch: a contiguous slice, the first `batch % size` replicas one longer. */
export function shardSlice(indices: Int32Array, rank: number, size: number): Int32Array {
  const start = Math.floor((rank * indices.length) / size);
  const end = Math.floor(((rank + 1) * indices.length) / size);
  return indices.subarray(start, end);
}

export type BatchMoments = Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }>;

export interface LocalStep {
  /** Mean loss over this replica's slice (a scalar). */
  loss: tf.Tensor;
  /** Correct predictions in the slice (a scalar). */
  correct: tf.Tensor;
  /** 0 when every local gradient is finite, else NaN (a scalar). */
  gradCheck: tf.Tensor;
  /** Gradients of the slice's mean loss, in parameter order. */
  grads: tf.Tensor[];
  moments: BatchMoments;
  /** Images in this slice and in the whole batch. */
  count: number;
  total: number;
}

export interface ReducedStep {
  loss: number;
  correct: number;
  gradCheck: number;
  /** Gradients of the whole batch's mean loss (new tensors; the caller disposes them). */
  grads: tf.Tensor[];
  /** The whole batch's mean and (biased) variance per batch norm (new tensors). */
  moments: BatchMoments;
}

/**
 * One exchange per step: the local results are packed on the backend into one vector (weighted by the
 * slice's share of the batch), read once, summed across replicas, and unpacked into tensors.
 */
export async function reduceStep(peer: ShardPeer, local: LocalStep): Promise<ReducedStep> {
  const share = local.count / local.total;
  const momentIds = [...local.moments.keys()];
  const packed = tf.tidy(() => {
    const parts: tf.Tensor[] = [tf.stack([tf.mul(local.loss, share), local.correct, local.gradCheck])];
    for (const g of local.grads) parts.push(tf.mul(tf.reshape(g, [-1]), share));
    for (const id of momentIds) {
      const { mean, variance } = local.moments.get(id)!;
      // Σ share·mean is the batch mean; Σ share·(var + mean²) is the batch's E[x²].
      parts.push(tf.mul(mean, share), tf.mul(tf.add(variance, tf.square(mean)), share));
    }
    return tf.concat(parts);
  });
  const values = (await packed.data()) as Float32Array;
  packed.dispose();
  const sum = await peer.allReduce(values);
  let offset = 3;
  const take = (size: number): Float32Array => {
    const part = sum.subarray(offset, offset + size);
    offset += size;
    return part;
  };
  const grads = local.grads.map((g) => tf.tensor(take(g.size), g.shape, 'float32'));
  const moments: BatchMoments = new Map();
  for (const id of momentIds) {
    const channels = local.moments.get(id)!.mean.size;
    const mean = take(channels);
    const meanSquare = take(channels);
    const variance = meanSquare.map((m2, c) => Math.max(0, m2 - mean[c] * mean[c]));
    moments.set(id, { mean: tf.tensor1d(mean), variance: tf.tensor1d(variance) });
  }
  return { loss: sum[0], correct: sum[1], gradCheck: sum[2], grads, moments };
}

/** The other end of a MessagePort-like channel, as the workers see it. */
export interface ShardPort {
  postMessage(message: ShardMessage): void;
  onmessage: ((event: { data: ShardMessage }) => void) | null;
}

export type ShardMessage = { type: 'values'; exchange: number; values: Float32Array } | { type: 'end' };

/** A ShardPeer for two replicas joined by a message port (replica 0 on one end, replica 1 on the other). */
export function portPeer(port: ShardPort, rank: 0 | 1): ShardPeer {
  const received = new Map<number, Float32Array>();
  let ended = false;
  let waiting: { exchange: number; resolve(values: Float32Array): void; reject(error: Error): void } | null = null;
  let exchange = 0;
  port.onmessage = ({ data }) => {
    if (data.type === 'end') {
      ended = true;
      waiting?.reject(new ShardEnded());
      waiting = null;
      return;
    }
    if (waiting && waiting.exchange === data.exchange) {
      const w = waiting;
      waiting = null;
      w.resolve(data.values);
    } else received.set(data.exchange, data.values);
  };
  return {
    rank,
    size: 2,
    async allReduce(values) {
      if (ended) throw new ShardEnded();
      const id = exchange++;
      port.postMessage({ type: 'values', exchange: id, values: values.slice() });
      const theirs =
        received.get(id) ??
        (await new Promise<Float32Array>((resolve, reject) => {
          waiting = { exchange: id, resolve, reject };
        }));
      received.delete(id);
      if (theirs.length !== values.length) throw new Error(`training replicas disagree on the model (${values.length} vs ${theirs.length} values)`);
      const [first, second] = rank === 0 ? [values, theirs] : [theirs, values];
      const sum = new Float32Array(values.length);
      for (let i = 0; i < sum.length; i++) sum[i] = first[i] + second[i];
      return sum;
    },
    end() {
      if (ended) return;
      ended = true;
      port.postMessage({ type: 'end' });
    },
  };
}
