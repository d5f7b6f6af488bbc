import * as tf from '@tensorflow/tfjs-core';
import { conv2d, dropoutRows, NO_PADDING } from './ops';

/*
 * The Vision Transformer's layers as TensorFlow.js ops (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words",
 * section 3.1), with exactly the semantics of the PyTorch modules the export writes (src/export/sequenceModules.ts):
 * a sequence is [N, T, D], batch first, as torchvision's VisionTransformer holds its tokens. Every op is built from
 * differentiable tfjs ops, so autodiff gives the backward pass on every backend.
 */

/**
 * patchify(patch, dim): x [N, H, W, C] through a patch×patch convolution with stride patch (kernel
 * [patch, patch, C, dim], bias [dim]), its H/patch × W/patch grid flattened row by row to [N, T, dim],
 * T = (H/patch)·(W/patch) — torchvision's conv_proj then `flatten(2).transpose(1, 2)` (ViT eq. 1, x_p E).
 */
export function patchify(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor3D {
  const patch = kernel.shape[0];
  const grid = conv2d(x, kernel, { stride: [patch, patch], pad: NO_PADDING, dilation: 1, groups: 1 });
  const [n, gh, gw, dim] = grid.shape;
  return tf.add(tf.reshape(grid, [n, gh * gw, dim]), bias) as tf.Tensor3D;
}

/** cls_token(): the learned class token [D] prepended as token 0 of every sample, [N, T, D] → [N, T + 1, D] (ViT eq. 1). */
export function prependClassToken(x: tf.Tensor3D, token: tf.Tensor1D): tf.Tensor3D {
  const [n, , d] = x.shape;
  const tokens = tf.tile(tf.reshape(token, [1, 1, d]), [n, 1, 1]);
  return tf.concat([tokens, x], 1) as tf.Tensor3D;
}

/**
 * LayerNorm over the last axis (Ba, Kiros & Hinton 2016, eq. 4; nn.LayerNorm): (x − μ)/√(σ² + eps)·γ + β with the
 * biased variance σ² of each token's (or flat sample's) D features. x [N, ..., D], gamma and beta [D].
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const axis = x.rank - 1;
  const { mean, variance } = tf.moments(x, axis, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** A dense layer on the last axis of x [N, ..., in] with kernel [in, out] (nn.Linear's x Wᵀ + b): [N, ..., out]. */
export function denseLastAxis(x: tf.Tensor, kernel: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const [fanIn, units] = kernel.shape;
  const rows = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, fanIn]);
  let y: tf.Tensor = tf.matMul(rows as tf.Tensor2D, kernel);
  if (bias) y = tf.add(y, bias);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), units]);
}

/** The weights of one attention layer, in tfjs layouts: PyTorch's in_proj_weight [3D, D] transposed to [D, 3D], out_proj.weight [D, D] to [D, D]ᵀ. */
export interface AttentionWeights {
  /** [D, 3D]: the query, key and value projections side by side (PyTorch's in_proj_weight, transposed). */
  inKernel: tf.Tensor2D;
  /** [3D]: PyTorch's in_proj_bias. */
  inBias: tf.Tensor1D;
  /** [D, D]: PyTorch's out_proj.weight, transposed. */
  outKernel: tf.Tensor2D;
  /** [D]: PyTorch's out_proj.bias. */
  outBias: tf.Tensor1D;
}

/** How attention drops its weights while training: probability, seed and the rows of the whole batch (see dropoutRows). */
export interface AttentionDropout {
  p: number;
  seed: number;
  start: number;
  total: number;
}

/**
 * Multi-head self-attention on x [N, T, D] with `heads` heads of D/heads features (Vaswani et al. 2017, section
 * 3.2.2, "Multi-Head Attention"): Q, K, V = x W_in + b_in split in three; per head softmax(Q Kᵀ / √(D/heads)) V;
 * the heads joined and projected by W_out + b_out. As nn.MultiheadAttention(batch_first=True)(x, x, x) of
 * PyTorch 1.13, including dropout on the attention weights while training (`dropout`, absent when p = 0).
 */
export function selfAttention(x: tf.Tensor3D, heads: number, w: AttentionWeights, dropout?: AttentionDropout): tf.Tensor3D {
  const [n, t, d] = x.shape;
  const dh = d / heads;
  const qkv = denseLastAxis(x, w.inKernel, w.inBias); // [N, T, 3D]
  // [N, T, 3, H, dh] → [3, N, H, T, dh]: one transpose brings every head of q, k and v to its own matrix.
  const split = tf.transpose(tf.reshape(qkv, [n, t, 3, heads, dh]), [2, 0, 3, 1, 4]);
  const part = (i: number): tf.Tensor3D => tf.reshape(tf.slice(split, [i, 0, 0, 0, 0], [1, n, heads, t, dh]), [n * heads, t, dh]);
  // PyTorch scales q before the product; the same scale here keeps the rounding close to its.
  const q = tf.mul(part(0), 1 / Math.sqrt(dh)) as tf.Tensor3D;
  let weights: tf.Tensor3D = tf.softmax(tf.matMul(q, part(1), false, true)) as tf.Tensor3D; // [N·H, T, T]
  if (dropout && dropout.p > 0) {
    // Masks per sample: the rows of sample i are [i·H, (i + 1)·H) of the [N·H, T, T] weights.
    const perSample = tf.reshape(weights, [n, heads, t, t]);
    weights = tf.reshape(dropoutRows(perSample, dropout.p, dropout.seed, dropout.start, dropout.total), [n * heads, t, t]);
  }
  const attended = tf.matMul(weights, part(2)); // [N·H, T, dh]
  const joined = tf.reshape(tf.transpose(tf.reshape(attended, [n, heads, t, dh]), [0, 2, 1, 3]), [n, t, d]);
  return denseLastAxis(joined, w.outKernel, w.outBias) as tf.Tensor3D;
}

/** token(index): one token of x [N, T, D] as [N, D]; a negative index counts from the end (PyTorch's x[:, index]). */
export function selectToken(x: tf.Tensor3D, index: number): tf.Tensor2D {
  const [n, t, d] = x.shape;
  const at = index < 0 ? index + t : index;
  return tf.reshape(tf.slice(x, [0, at, 0], [n, 1, d]), [n, d]);
}

/** mean_tokens(): the mean over tokens, [N, T, D] → [N, D] (PyTorch's x.mean(dim=1)). */
export function meanTokens(x: tf.Tensor3D): tf.Tensor2D {
  return tf.mean(x, 1) as tf.Tensor2D;
}
