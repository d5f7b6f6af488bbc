import * as tf from '@tensorflow/tfjs-core';
import { channelAffine, channelScale, channelShift, meanPerChannel } from './batchnorm';
import type { ShardPeer } from './shard';

/**
 * Batch normalisation synchronised across data-parallel replicas, as PyTorch's SyncBatchNorm
 * (torch/nn/modules/_functions.py): every replica normalises its slice with the statistics of the whole
 * batch, and the backward pass uses the whole batch's gradient sums, so the group computes exactly what one
 * worker computes on the whole batch. Per bn layer the forward needs one exchange (the moments) and the
 * backward one more (two per-channel gradient sums). Tensors are [n, ..., C] (NHWC, or [n, C] flat).
 */

/** What one bn layer's synchronised forward leaves for its backward and for the running statistics. */
export interface SyncedBatchNorm {
  /** γ·x̂ + β, [n, ..., C]. */
  output: tf.Tensor;
  /** The normalised slice x̂ = (x − μ)/√(σ² + eps), [n, ..., C]. */
  xhat: tf.Tensor;
  /** The whole batch's mean μ per channel [C]. */
  mean: tf.Tensor1D;
  /** The whole batch's biased variance σ² per channel [C] (divided by the count, as batch norm normalises). */
  variance: tf.Tensor1D;
  /** 1/√(σ² + eps) per channel [C]. */
  invStd: tf.Tensor1D;
  /** Values per channel in the whole batch (batch × H × W). */
  count: number;
}

/** Values per channel in a [n, ..., C] tensor. */
function perChannelCount(x: tf.Tensor): number {
  return x.size / x.shape[x.shape.length - 1];
}

/**
 * The whole batch's moments from every replica's count n, mean and sum of squared deviations M2 (slot r of
 * `all` holds [n, mean(C), M2(C)] of replica r), combined in float64 in rank order by Chan et al.'s parallel
 * variance, M2 = Σ M2ᵣ + Σ nᵣ(meanᵣ − mean)² (no E[x²] − mean² cancellation), as
 * torch.batch_norm_gather_stats_with_counts combines them.
 */
export function combineMoments(all: Float32Array, size: number, channels: number): { count: number; mean: Float64Array; variance: Float64Array } {
  const slot = 1 + 2 * channels;
  let count = 0;
  const mean = new Float64Array(channels);
  for (let r = 0; r < size; r++) {
    const n = all[r * slot];
    count += n;
    for (let c = 0; c < channels; c++) mean[c] += n * all[r * slot + 1 + c];
  }
  for (let c = 0; c < channels; c++) mean[c] /= count;
  const variance = new Float64Array(channels);
  for (let r = 0; r < size; r++) {
    const n = all[r * slot];
    for (let c = 0; c < channels; c++) {
      const d = all[r * slot + 1 + c] - mean[c];
      variance[c] += all[r * slot + 1 + channels + c] + n * d * d;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] /= count;
  return { count, mean, variance };
}

/**
 * The forward pass of synchronised batch norm on this replica's slice `x`. Each replica sends its count, mean
 * and M2 into its own rank's slots of a zero vector, so the sum all-reduce is an exact gather and every
 * replica combines the same numbers (combineMoments). The slice is centred on its own mean first (two passes,
 * like the single-worker kernel) and shifted by (meanᵣ − μ) per channel afterwards.
 */
export async function syncBatchNormForward(peer: ShardPeer, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): Promise<SyncedBatchNorm> {
  const channels = x.shape[x.shape.length - 1];
  const count = perChannelCount(x);
  const [centred, local] = tf.tidy(() => {
    const mean = meanPerChannel(x);
    const centredSlice = channelShift(x, tf.neg(mean));
    return [centredSlice, tf.concat([mean, tf.mul(meanPerChannel(tf.square(centredSlice)), count)])];
  });
  let all: Float32Array;
  try {
    const values = (await local.data()) as Float32Array;
    const slot = 1 + 2 * channels;
    const send = new Float32Array(peer.size * slot);
    send[peer.rank * slot] = count;
    send.set(values, peer.rank * slot + 1);
    all = await peer.allReduce(send);
  } catch (error) {
    centred.dispose();
    throw error;
  } finally {
    local.dispose();
  }
  const global = combineMoments(all, peer.size, channels);
  const ownMean = all.subarray(peer.rank * (1 + 2 * channels) + 1);
  const invStd = global.variance.map((v) => 1 / Math.sqrt(v + eps));
  // x̂ = (x − meanᵣ)·σ⁻¹ + (meanᵣ − μ)·σ⁻¹: the per-channel shift is formed in float64.
  const shift = Float32Array.from(invStd, (s, c) => (ownMean[c] - global.mean[c]) * s);
  const invStdTensor = tf.tensor1d(Float32Array.from(invStd));
  const [xhat, output] = tf.tidy(() => {
    const normalised = channelAffine(centred, invStdTensor, tf.tensor1d(shift));
    return [normalised, channelAffine(normalised, gamma, beta)];
  });
  centred.dispose();
  return { output, xhat, mean: tf.tensor1d(Float32Array.from(global.mean)), variance: tf.tensor1d(Float32Array.from(global.variance)), invStd: invStdTensor, count: global.count };
}

/**
 * The backward pass of synchronised batch norm for this replica's slice, given dy = ∂L/∂y on it:
 *
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γσ⁻¹ · (dy − ΣB dy/M − x̂·ΣB dy·x̂/M)
 *
 * where ΣB sums over the whole batch (one exchange of the two per-channel sums) and M = forward.count.
 * dγ and dβ are this slice's parts (the replicas' parameter gradients are summed afterwards).
 */
export async function syncBatchNormBackward(peer: ShardPeer, dy: tf.Tensor, forward: SyncedBatchNorm, gamma: tf.Tensor): Promise<{ dx: tf.Tensor; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D }> {
  const channels = dy.shape[dy.shape.length - 1];
  const count = perChannelCount(dy);
  const [dbeta, dgamma, local] = tf.tidy(() => {
    const sumDy = tf.mul(meanPerChannel(dy), count) as tf.Tensor1D;
    const sumDyXhat = tf.mul(meanPerChannel(tf.mul(dy, forward.xhat)), count) as tf.Tensor1D;
    return [sumDy, sumDyXhat, tf.concat([sumDy, sumDyXhat])];
  });
  let sums: Float32Array;
  try {
    sums = await peer.allReduce((await local.data()) as Float32Array);
  } catch (error) {
    tf.dispose([dbeta, dgamma]);
    throw error;
  } finally {
    local.dispose();
  }
  const dx = tf.tidy(() => {
    const a = tf.mul(gamma, forward.invStd);
    const meanDy = tf.tensor1d(sums.subarray(0, channels).map((s) => s / forward.count));
    const meanDyXhat = tf.tensor1d(sums.subarray(channels).map((s) => s / forward.count));
    return tf.add(channelScale(dy, a), channelAffine(forward.xhat, tf.neg(tf.mul(a, meanDyXhat)), tf.neg(tf.mul(a, meanDy))));
  });
  return { dx, dgamma: dgamma as tf.Tensor1D, dbeta: dbeta as tf.Tensor1D };
}
