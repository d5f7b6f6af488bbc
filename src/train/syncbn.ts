import * as tf from '@tensorflow/tfjs-core';
import { channelAffine, meanPerChannel } from './batchnorm';
import type { ShardPeer } from './shard';

/**
 * Batch normalisation synchronised across data-parallel replicas, as PyTorch's SyncBatchNorm
 * (torch/nn/modules/_functions.py): every replica normalises its slice with the statistics of the whole
 * batch, and the backward pass uses the whole batch's gradient sums, so the group computes exactly what one
 * worker computes on the whole batch. Per bn layer the forward needs one exchange (the moments) and the
 * backward one more (two per-channel gradient sums). Tensors are [n, ..., C] (NHWC, or [n, C] flat).
 */

/** Whole-batch statistics of one bn layer's input. */
export interface GlobalMoments {
  /** Mean per channel [C]. */
  mean: tf.Tensor1D;
  /** Biased variance per channel [C] (divided by the count, as batch norm normalises). */
  variance: tf.Tensor1D;
  /** Values per channel in the whole batch (batch × H × W). */
  count: number;
}

/** Values per channel in a [n, ..., C] tensor. */
function perChannelCount(x: tf.Tensor): number {
  return x.size / x.shape[x.shape.length - 1];
}

/**
 * The whole batch's mean and biased variance per channel of `x` (this replica's slice). Each replica sends
 * its count, mean and sum of squared deviations M2 into its own rank's slots of a zero vector, so the sum
 * all-reduce is an exact gather; every replica then combines them in float64 in rank order (Chan et al.'s
 * parallel variance: M2 = Σ M2ᵣ + Σ nᵣ(meanᵣ − mean)²), with no E[x²] − mean² cancellation, as
 * torch.batch_norm_gather_stats_with_counts does.
 */
export async function gatherMoments(peer: ShardPeer, x: tf.Tensor): Promise<GlobalMoments> {
  const channels = x.shape[x.shape.length - 1];
  const count = perChannelCount(x);
  const local = tf.tidy(() => {
    const mean = meanPerChannel(x);
    // Two passes (mean first, then squared deviations), as the single-worker kernel computes them.
    const centred = channelAffine(x, tf.onesLike(mean), tf.neg(mean));
    return tf.concat([mean, tf.mul(meanPerChannel(tf.square(centred)), count)]);
  });
  const values = (await local.data()) as Float32Array;
  local.dispose();
  const slot = 1 + 2 * channels;
  const send = new Float32Array(peer.size * slot);
  send[peer.rank * slot] = count;
  send.set(values, peer.rank * slot + 1);
  const all = await peer.allReduce(send);
  let total = 0;
  const sum = new Float64Array(channels);
  for (let r = 0; r < peer.size; r++) {
    const n = all[r * slot];
    total += n;
    for (let c = 0; c < channels; c++) sum[c] += n * all[r * slot + 1 + c];
  }
  const mean = sum.map((s) => s / total);
  const m2 = new Float64Array(channels);
  for (let r = 0; r < peer.size; r++) {
    const n = all[r * slot];
    for (let c = 0; c < channels; c++) {
      const d = all[r * slot + 1 + c] - mean[c];
      m2[c] += all[r * slot + 1 + channels + c] + n * d * d;
    }
  }
  return { mean: tf.tensor1d(Float32Array.from(mean)), variance: tf.tensor1d(Float32Array.from(m2, (v) => v / total)), count: total };
}

/** y = γ·(x − mean)/√(variance + eps) + β with the whole batch's statistics (not differentiated: see syncBatchNormBackward). */
export function syncBatchNormForward(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, moments: GlobalMoments, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const centred = channelAffine(x, tf.onesLike(moments.mean), tf.neg(moments.mean));
    return channelAffine(centred, tf.mul(gamma, tf.rsqrt(tf.add(moments.variance, eps))), beta);
  });
}

/**
 * The backward pass of synchronised batch norm for this replica's slice, given dy = ∂L/∂y on it:
 *
 *   x̂ = (x − μ)·σ⁻¹,  dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γσ⁻¹ · (dy − ΣB dy/M − x̂·ΣB dy·x̂/M)
 *
 * where ΣB sums over the whole batch (one exchange of the two per-channel sums) and M = moments.count.
 * dγ and dβ are this slice's parts (the replicas' parameter gradients are summed afterwards).
 */
export async function syncBatchNormBackward(
  peer: ShardPeer,
  dy: tf.Tensor,
  x: tf.Tensor,
  gamma: tf.Tensor,
  moments: GlobalMoments,
  eps: number,
): Promise<{ dx: tf.Tensor; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D }> {
  const channels = x.shape[x.shape.length - 1];
  const count = perChannelCount(x);
  const [xhat, dbeta, dgamma, local] = tf.tidy(() => {
    const invStd = tf.rsqrt(tf.add(moments.variance, eps));
    const normalised = channelAffine(channelAffine(x, tf.onesLike(invStd), tf.neg(moments.mean)), invStd, tf.zerosLike(invStd));
    const sumDy = tf.mul(meanPerChannel(dy), count) as tf.Tensor1D;
    const sumDyXhat = tf.mul(meanPerChannel(tf.mul(dy, normalised)), count) as tf.Tensor1D;
    return [normalised, sumDy, sumDyXhat, tf.concat([sumDy, sumDyXhat])];
  });
  const values = (await local.data()) as Float32Array;
  local.dispose();
  let sums: Float32Array;
  try {
    sums = await peer.allReduce(values);
  } catch (error) {
    tf.dispose([xhat, dbeta, dgamma]);
    throw error;
  }
  const dx = tf.tidy(() => {
    const a = tf.mul(gamma, tf.rsqrt(tf.add(moments.variance, eps)));
    const meanDy = tf.tensor1d(sums.subarray(0, channels).map((s) => s / moments.count));
    const meanDyXhat = tf.tensor1d(sums.subarray(channels).map((s) => s / moments.count));
    return tf.add(channelAffine(dy, a, tf.neg(tf.mul(a, meanDy))), channelAffine(xhat, tf.neg(tf.mul(a, meanDyXhat)), tf.zerosLike(a)));
  });
  xhat.dispose();
  return { dx, dgamma: dgamma as tf.Tensor1D, dbeta: dbeta as tf.Tensor1D };
}
