import * as tf from '@tensorflow/tfjs-core';
import type { TfModel } from './model';
import type { SeededRandom } from './rng';
import type { BatchMoments } from './shard';

/** The loss and gradients of one training step on this worker's images, before any exchange. */
export interface StepGradients {
  /** The loss this worker contributes (a scalar); times `weight` it is its share of the whole batch's mean loss. */
  loss: tf.Scalar;
  /**
   * Factor that turns `loss` and `grads` into this worker's share of the whole batch's mean loss and its
   * gradients: its slice's share of the batch when the slices are independent (1 when it has the whole
   * batch), and 1 when they already are shares (synchronised batch norm).
   */
  weight: number;
  /** Pre-softmax scores for this worker's images [n, classes]. */
  logits: tf.Tensor;
  /** Every node's output by id (only when asked for, for statistics). */
  activations?: Map<string, tf.Tensor>;
  /** Mean and biased variance per bn layer of the values it normalised (the whole batch's when alone or synchronised). */
  moments: BatchMoments;
  /** Parameter gradients in model.params order (zeros for a parameter that does not reach the loss). */
  grads: tf.Tensor[];
  /** Gradients of the probes by key (zeros where none reaches the loss). */
  probeGrads: Map<string, tf.Tensor>;
  /** Every tensor this step made, for the caller to dispose once the update is done. */
  owned: tf.Tensor[];
}

export interface StepOptions {
  /** Zero tensors added at statistics points (see ForwardOptions.probes). */
  probes: ReadonlyMap<string, tf.Tensor>;
  random: SeededRandom;
  /** Where this worker's images lie in the whole batch (see ForwardOptions.rows); absent when it has the whole batch. */
  rows?: { start: number; total: number };
  /** Keep every node's output (for statistics). */
  activations: boolean;
}

/**
 * Cross-entropy of softmax(logits) against one-hot `y`, both [n, classes] or, per pixel, [n, H, W, classes]: summed
 * over the images (and pixels) and divided by `divisor` images × the pixels per image; without a divisor, the mean
 * over the images (and pixels). Per-pixel: Long, Shelhamer & Darrell 2015, "Fully Convolutional Networks for
 * Semantic Segmentation", §3 (the loss averaged over the spatial positions), as PyTorch's F.cross_entropy on N×C×H×W.
 */
export function crossEntropy(logits: tf.Tensor, y: tf.Tensor, divisor?: number): tf.Scalar {
  const perPosition = tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1);
  return (divisor === undefined ? tf.neg(tf.mean(perPosition)) : tf.div(tf.neg(tf.sum(perPosition)), divisor * positionsPerImage(logits))) as tf.Scalar;
}

/** Class decisions per image: 1 for logits [n, classes], H·W for per-pixel logits [n, H, W, classes]. */
export function positionsPerImage(logits: tf.Tensor): number {
  return logits.shape.slice(1, -1).reduce((a, b) => a * b, 1);
}

/** Number of decisions (images, or pixels) whose highest score is the one-hot `y`'s class, as a float32 scalar. */
export function correctCount(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)), 'float32'));
}

/**
 * Loss and gradients of the mean loss over this worker's images [n, ...] with one-hot labels `y` [n, classes],
 * in one taped forward and backward pass; batch norm uses these images' own statistics.
 */
export function localGradients(model: TfModel, x: tf.Tensor, y: tf.Tensor, options: StepOptions): StepGradients {
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(tf.keep(t));
    return t;
  };
  const { probes } = options;
  let moments: BatchMoments = new Map();
  let activations: Map<string, tf.Tensor> | undefined;
  let logits: tf.Tensor | undefined;
  const variables = model.variables;
  const { value, grads } = tf.engine().gradients(
    () => {
      const result = model.forward(x, { training: true, probes, random: options.random, rows: options.rows });
      moments = result.batchStats;
      for (const s of moments.values()) {
        keep(s.mean);
        keep(s.variance);
      }
      if (options.activations) {
        activations = result.activations;
        for (const t of activations.values()) keep(t);
      }
      logits = keep(result.logits);
      return crossEntropy(logits, y);
    },
    [...variables, ...probes.values()],
    undefined,
    true,
  );
  owned.push(value, ...grads.filter((g): g is tf.Tensor => g != null));
  const zerosFor = (t: tf.Tensor): tf.Tensor => {
    const zeros = tf.zerosLike(t);
    owned.push(zeros);
    return zeros;
  };
  const keys = [...probes.keys()];
  return {
    loss: value as tf.Scalar,
    weight: options.rows ? x.shape[0] / options.rows.total : 1,
    logits: logits!,
    activations,
    moments,
    grads: variables.map((v, i) => grads[i] ?? zerosFor(v)),
    probeGrads: new Map(keys.map((key, i) => [key, grads[variables.length + i] ?? zerosFor(probes.get(key)!)])),
    owned,
  };
}
