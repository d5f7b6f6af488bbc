import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered by this side-effect module only (tfjs-core's own index leaves them out).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Padding } from '../core/layers';
import { batchNormTraining, channelAffine } from './batchnorm';

/**
 * Layer operations with exactly the semantics the core's shape inference assumes (and PyTorch uses):
 * explicit padding per side (asymmetric for `same` with even kernels), floor output sizes, grouped and
 * dilated convolutions, average pooling that counts padded zeros. All tensors are NHWC.
 */

export interface ConvOptions {
  stride: [number, number];
  /** Rows above and below, columns left and right (see resolvePadding in core/layers). */
  pad: Padding;
  dilation: number;
  groups: number;
}

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Padding per side in tfjs's explicit NHWC form. (A plain number is not enough: tfjs 4.22 then computes
 * the output width with the kernel height and row stride, wrong for 1×3 kernels or 2×1 strides.)
 */
export function explicitPad(pad: Padding): ExplicitPadding {
  return [[0, 0], [pad.top, pad.bottom], [pad.left, pad.right], [0, 0]];
}

/** No padding on any side. */
export const NO_PADDING: Padding = { top: 0, bottom: 0, left: 0, right: 0 };

function hasPadding(pad: Padding): boolean {
  return pad.top > 0 || pad.bottom > 0 || pad.left > 0 || pad.right > 0;
}

/** Tests set this to check the hand-written convolution gradients against tfjs's own on the CPU backend. */
export const convGradientPolicy = { forceCustom: false };

/** True when the active backend can differentiate conv2d itself (the wasm backend of tfjs 4.22 cannot). */
function nativeFilterGradient(): boolean {
  return tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;
}

/** Convolution with any stride, padding, dilation and group count, differentiable on every backend. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, options: ConvOptions): tf.Tensor4D {
  const { groups } = options;
  if (groups === 1) return singleConv(x, filter, options);
  const inPerGroup = x.shape[3] / groups;
  const outPerGroup = filter.shape[3] / groups;
  const outputs: tf.Tensor4D[] = [];
  for (let g = 0; g < groups; g++) {
    const xg = tf.slice(x, [0, 0, 0, g * inPerGroup], [-1, -1, -1, inPerGroup]);
    const wg = tf.slice(filter, [0, 0, 0, g * outPerGroup], [-1, -1, -1, outPerGroup]);
    outputs.push(singleConv(xg, wg, options));
  }
  return concatChannels(outputs) as tf.Tensor4D;
}

function singleConv(x: tf.Tensor4D, filter: tf.Tensor4D, options: ConvOptions): tf.Tensor4D {
  const { stride, pad, dilation } = options;
  if (dilation > 1 && (stride[0] > 1 || stride[1] > 1)) {
    // tfjs's conv2d takes a stride or a dilation, not both (PyTorch takes both): the stride-1 output at
    // every stride-th row and column is the strided one, and its gradient flows back through both.
    const full = singleConv(x, filter, { ...options, stride: [1, 1] });
    return tf.avgPool(full, 1, stride, 'valid');
  }
  if (dilation === 1 && !convGradientPolicy.forceCustom && nativeFilterGradient()) {
    return tf.conv2d(x, filter, stride, explicitPad(pad), 'NHWC', 1);
  }
  // tfjs has no gradient for dilated convolutions and the wasm backend lacks the filter gradient
  // kernel, so the backward pass is written out here from ops every backend has.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, weights, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([input, weights]);
    return {
      value: tf.conv2d(input, weights, stride, explicitPad(pad), 'NHWC', dilation),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        const grad = dy as tf.Tensor4D;
        return [convInputGradient(grad, sx, sw, options), convFilterGradient(grad, sx, sw.shape, options)];
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}

/**
 * dL/dx of a convolution as a forward convolution (fast on every backend, unlike the wasm backend's
 * Conv2DBackpropInput): dy with zeros inserted between rows/columns (stride), padded so the result
 * is x-sized, convolved with the kernel flipped and its channel axes swapped, at the same dilation.
 * The padding is the convolution's own (explicit, per side: no separate pad pass over dy).
 */
export function convInputGradient(dy: tf.Tensor4D, x: tf.Tensor4D, filter: tf.Tensor4D, options: ConvOptions): tf.Tensor4D {
  const { stride, pad, dilation } = options;
  const [kh, kw] = filter.shape;
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const spread = insertZeros(dy, stride);
  // Rows of x past the last window get no gradient: they are the extra padding at the bottom/right.
  const restH = h + pad.top + pad.bottom - ((oh - 1) * stride[0] + dilation * (kh - 1) + 1);
  const restW = w + pad.left + pad.right - ((ow - 1) * stride[1] + dilation * (kw - 1) + 1);
  // The transposed convolution pads each side by d·(k−1) minus the forward padding of that side.
  const [fh, fw] = [dilation * (kh - 1), dilation * (kw - 1)];
  // insertZeros leaves stride − 1 zero rows (columns) after the last one: they count as bottom (right) padding.
  const rows: [number, number] = [fh - pad.top, fh - pad.bottom + restH - (stride[0] - 1)];
  const cols: [number, number] = [fw - pad.left, fw - pad.right + restW - (stride[1] - 1)];
  const cropped = crop(spread, rows, cols);
  const padding: ExplicitPadding = [[0, 0], [Math.max(0, rows[0]), Math.max(0, rows[1])], [Math.max(0, cols[0]), Math.max(0, cols[1])], [0, 0]];
  return tf.conv2d(cropped, flippedFilter(filter), 1, padding, 'NHWC', dilation);
}

/** The kernel rotated by 180° with its channel axes swapped: [kh, kw, cout, cin]. */
function flippedFilter(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  if (kh * kw === 1) return tf.transpose(filter, [0, 1, 3, 2]);
  // Reversing both spatial axes reverses their flattened index: rows of [kh·kw, cin·cout] taken in reverse
  // order by a product with the anti-identity, exact (×1, +0) and on wasm 20× faster than Reverse or a
  // row gather (1 ms for 3×3×64×64). Only a non-finite weight would spread (NaN·0), when training has failed anyway.
  const taps = kh * kw;
  const antiIdentity = tf.tensor2d(Array.from({ length: taps * taps }, (_, i) => (i % taps === taps - 1 - Math.floor(i / taps) ? 1 : 0)), [taps, taps]);
  const rotated = tf.reshape(tf.matMul(antiIdentity, tf.reshape(filter, [taps, cin * cout]) as tf.Tensor2D), [kh, kw, cin, cout]);
  return tf.transpose(rotated, [0, 1, 3, 2]) as tf.Tensor4D;
}

/**
 * dy[:, i, j, :] moved to (i·sh, j·sw) with zeros between and stride − 1 zero rows (columns) after the
 * last: the input of a strided convolution's transpose. Pads and reshapes only (a slice here cost up to 29 ms on wasm).
 */
function insertZeros(dy: tf.Tensor4D, stride: [number, number]): tf.Tensor4D {
  const [n, oh, ow, c] = dy.shape;
  let out = dy;
  if (stride[0] > 1) {
    const rows = tf.pad(tf.reshape(out, [n * oh, 1, ow, c]), [[0, 0], [0, stride[0] - 1], [0, 0], [0, 0]]);
    out = tf.reshape(rows, [n, oh * stride[0], ow, c]);
  }
  if (stride[1] > 1) {
    const height = out.shape[1];
    const cols = tf.pad(tf.reshape(out, [n * height * ow, 1, c]), [[0, 0], [0, stride[1] - 1], [0, 0]]);
    out = tf.reshape(cols, [n, height, ow * stride[1], c]);
  }
  return out;
}

/** Cuts rows [before, after] and columns [before, after] where those are negative (positive ones are padding). */
function crop(x: tf.Tensor4D, rows: [number, number], cols: [number, number]): tf.Tensor4D {
  const cut = [Math.max(0, -rows[0]), Math.max(0, -rows[1]), Math.max(0, -cols[0]), Math.max(0, -cols[1])];
  if (!cut.some((v) => v > 0)) return x;
  return tf.slice(x, [0, cut[0], cut[2], 0], [-1, x.shape[1] - cut[0] - cut[1], x.shape[2] - cut[2] - cut[3], -1]);
}

/**
 * dL/dW of a convolution as one forward convolution: the input with channels as the batch
 * ([cin, H, W, N]) convolved with dy as the kernel ([oh, ow, N, cout]), stride = the dilation and
 * dilation = the stride of the original, the padding the convolution's own. Uses only transpose,
 * slice and conv2d, which every backend has, and runs on the wasm backend's fast (XNNPACK) convolution.
 */
export function convFilterGradient(dy: tf.Tensor4D, x: tf.Tensor4D, filterShape: number[], options: ConvOptions): tf.Tensor4D {
  const { stride, pad, dilation } = options;
  const [kh, kw, cin, cout] = filterShape;
  const channelsAsBatch = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [cin, H, W, N]
  const gradAsKernel = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [oh, ow, N, cout]
  const full = tf.conv2d(channelsAsBatch, gradAsKernel, [dilation, dilation], explicitPad(pad), 'NHWC', stride); // [cin, ≥kh, ≥kw, cout]
  const cut = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [cin, kh, kw, cout]);
  return tf.transpose(cut, [1, 2, 0, 3]) as tf.Tensor4D;
}

export interface BatchNormResult {
  output: tf.Tensor;
  /** Batch mean and (biased) variance per channel, for the running statistics; absent in inference. */
  mean?: tf.Tensor1D;
  variance?: tf.Tensor1D;
}

/**
 * Batch normalisation over every axis but the last (channels), with batch statistics when training
 * (one kernel with a closed-form gradient, see ./batchnorm).
 */
export function batchNorm(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  running: { mean: tf.Tensor; variance: tf.Tensor },
  eps: number,
  training: boolean,
): BatchNormResult {
  if (!training) {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(running.variance, eps)));
    return { output: channelAffine(x, scale, tf.sub(beta, tf.mul(running.mean, scale))) };
  }
  return batchNormTraining(x, gamma, beta, eps);
}

/**
 * Dropout (rate p, survivors scaled by 1/(1−p)) of rows [start, start + n) of a batch of `total`: the mask
 * is drawn for the whole [total, ...] batch from `seed`, as tf.dropout draws it, and cut to these rows, so
 * replicas sharing a batch drop exactly the activations one worker would. The whole batch is tf.dropout itself.
 */
export function dropoutRows(x: tf.Tensor, p: number, seed: number, start: number, total: number): tf.Tensor {
  if (start === 0 && total === x.shape[0]) return tf.dropout(x, p, undefined, seed);
  const keep = 1 - p;
  const uniform = tf.randomUniform([total, ...x.shape.slice(1)], 0, 1, 'float32', seed);
  const rows = tf.slice(uniform, [start], [x.shape[0]]);
  // tf.dropout's own formula: ⌊u + keep⌋ is 1 with probability keep.
  return tf.mul(x, tf.div(tf.floor(tf.add(rows, keep)), keep));
}

/** Max pooling; padded positions never win (like PyTorch). */
export function maxPool(x: tf.Tensor4D, kernel: [number, number], stride: [number, number], pad: Padding): tf.Tensor4D {
  // The wasm backend's MaxPoolGrad of tfjs 4.22 sends gradients to the wrong pixels (e.g. 2×2 stride 2).
  if (tf.getBackend() === 'wasm' || convGradientPolicy.forceCustom) return windowMax(x, kernel, stride, pad);
  return tf.maxPool(x, kernel, stride, hasPadding(pad) ? explicitPad(pad) : 'valid');
}

/**
 * Max pooling as the element-wise maximum of the kh·kw shifted, subsampled views of the input. Its
 * gradient (through maximum, slice and reshape) goes to the first maximum of each window, like PyTorch's.
 */
export function windowMax(x: tf.Tensor4D, kernel: [number, number], stride: [number, number], pad: Padding): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const oh = Math.floor((h + pad.top + pad.bottom - kernel[0]) / stride[0]) + 1;
  const ow = Math.floor((w + pad.left + pad.right - kernel[1]) / stride[1]) + 1;
  // Room for every view to be cut to a whole number of strides (rows past the bottom padding are never picked).
  const needH = (kernel[0] - 1) + oh * stride[0];
  const needW = (kernel[1] - 1) + ow * stride[1];
  const padded = tf.pad(x, [[0, 0], [pad.top, Math.max(0, needH - h - pad.top)], [pad.left, Math.max(0, needW - w - pad.left)], [0, 0]], -3.4e38);
  let result: tf.Tensor4D | null = null;
  for (let i = 0; i < kernel[0]; i++) {
    for (let j = 0; j < kernel[1]; j++) {
      const view = tf.slice(padded, [0, i, j, 0], [n, oh * stride[0], ow * stride[1], c]);
      const rows = tf.slice(tf.reshape(view, [n * oh, stride[0], ow * stride[1], c]), [0, 0, 0, 0], [-1, 1, -1, -1]);
      const picked = tf.reshape(tf.slice(tf.reshape(rows, [n * oh * ow, stride[1], c]), [0, 0, 0], [-1, 1, -1]), [n, oh, ow, c]) as tf.Tensor4D;
      result = result ? (tf.maximum(result, picked) as tf.Tensor4D) : picked;
    }
  }
  return result!;
}

/** Average pooling that counts padded zeros in the average (PyTorch's default count_include_pad). */
export function avgPool(x: tf.Tensor4D, kernel: [number, number], stride: [number, number], pad: Padding): tf.Tensor4D {
  const padded = hasPadding(pad) ? tf.pad(x, explicitPad(pad)) : x;
  return tf.avgPool(padded, kernel, stride, 'valid');
}

/** ResNet option-A shortcut: every stride-th pixel, channels zero-padded (half before, rounded down). */
export function zeroPadShortcut(x: tf.Tensor4D, channels: number, stride: number): tf.Tensor4D {
  const c = x.shape[3];
  const sub = stride > 1 ? subsample(x, stride) : x;
  const added = channels - c;
  if (added === 0) return sub;
  const before = Math.floor(added / 2);
  // The gradient of a pad is a slice, which tfjs's wasm backend copies row by row in JavaScript (5 ms at
  // 32×16×16×32): here it is a strided slice, one wasm call.
  const pad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    return {
      value: tf.pad(input, [[0, 0], [0, 0], [0, 0], [before, added - before]]),
      gradFunc: (dy: tf.Tensor) => [channelRange(dy, before, c)],
    };
  });
  return pad(sub) as tf.Tensor4D;
}

/**
 * Channels [begin, begin + size) along the last axis as a strided slice: 2–3× faster than tf.slice or
 * tf.split on wasm. stridedSlice has no gradient in tfjs: only for use inside gradient functions.
 */
function channelRange(x: tf.Tensor, begin: number, size: number): tf.Tensor {
  const last = x.rank - 1;
  return tf.stridedSlice(
    x,
    x.shape.map((_, axis) => (axis === last ? begin : 0)),
    x.shape.map((extent, axis) => (axis === last ? begin + size : extent)),
    x.shape.map(() => 1),
  );
}

/** Concatenation along the last (channel) axis; its gradient splits dy with strided slices (see channelRange). */
export function concatChannels(inputs: tf.Tensor[]): tf.Tensor {
  if (inputs.length === 1) return inputs[0];
  const axis = inputs[0].rank - 1;
  const sizes = inputs.map((t) => t.shape[axis]);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const parts = args.slice(0, inputs.length) as tf.Tensor[];
    return {
      value: tf.concat(parts, axis),
      gradFunc: (dy: tf.Tensor) => {
        let offset = 0;
        return sizes.map((size) => {
          const piece = channelRange(dy, offset, size);
          offset += size;
          return piece;
        });
      },
    };
  });
  return op(...inputs);
}

/**
 * x[:, ::s, ::s, :] (output ceil(H/s)×ceil(W/s)) as an average pool over 1×1 windows: exact, with a
 * gradient on every backend (tfjs's stridedSlice has none), and far cheaper than reshape-and-slice
 * (wasm 0.15 vs 2.1 ms at 32×32×32×16; cpu 1.2 vs 68 ms).
 */
export function subsample(x: tf.Tensor4D, s: number): tf.Tensor4D {
  return tf.avgPool(x, 1, s, 'valid');
}

/** GELU, exact (erf) form as in PyTorch's default. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** What a transposed convolution takes besides its input and kernel (PyTorch's nn.ConvTranspose2d arguments). */
export interface TransposeOptions {
  stride: [number, number];
  /** Rows (columns) removed from each side of the full output: PyTorch's `padding`. */
  pad: [number, number];
  /** Rows (columns) added at the bottom (right): PyTorch's `output_padding`. */
  outputPad: [number, number];
  dilation: number;
  groups: number;
}

/**
 * Transposed convolution (nn.ConvTranspose2d) of x [N, H, W, C_in] with a kernel [kh, kw, filters/groups, C_in]:
 * output (H − 1)·s − 2p + d(k − 1) + output_pad + 1 per axis. Written as the convolution it is the input gradient
 * of (Dumoulin & Visin 2016, "A guide to convolution arithmetic", section 4): x with s − 1 zeros between pixels,
 * padded by d(k − 1) − p (plus output_pad at the bottom and right), convolved with the kernel rotated by 180° and its
 * channel axes swapped, at dilation d. Only pads, reshapes, slices and convolutions, so it trains on every backend.
 */
export function convTranspose2d(x: tf.Tensor4D, kernel: tf.Tensor4D, options: TransposeOptions): tf.Tensor4D {
  const { stride, pad, outputPad, dilation, groups } = options;
  const [kh, kw, outPerGroup, cin] = kernel.shape;
  // insertZeros leaves stride − 1 zero rows (columns) after the last pixel: they count towards the bottom (right).
  const rows: [number, number] = [dilation * (kh - 1) - pad[0], dilation * (kh - 1) - pad[0] + outputPad[0] - (stride[0] - 1)];
  const cols: [number, number] = [dilation * (kw - 1) - pad[1], dilation * (kw - 1) - pad[1] + outputPad[1] - (stride[1] - 1)];
  const spread = crop(insertZeros(x, stride), rows, cols);
  const padding: Padding = { top: Math.max(0, rows[0]), bottom: Math.max(0, rows[1]), left: Math.max(0, cols[0]), right: Math.max(0, cols[1]) };
  const inPerGroup = cin / groups;
  const outputs: tf.Tensor4D[] = [];
  for (let g = 0; g < groups; g++) {
    const xg = groups === 1 ? spread : tf.slice(spread, [0, 0, 0, g * inPerGroup], [-1, -1, -1, inPerGroup]);
    const kg = groups === 1 ? kernel : tf.slice(kernel, [0, 0, 0, g * inPerGroup], [-1, -1, outPerGroup, inPerGroup]);
    outputs.push(conv2d(xg, flippedFilter(kg), { stride: [1, 1], pad: padding, dilation, groups: 1 }));
  }
  return concatChannels(outputs) as tf.Tensor4D;
}

/**
 * The (out × in) matrix of one axis of nn.Upsample(scale_factor=s): `nearest` takes source ⌊o/s⌋; `bilinear`
 * with align_corners=False reads source (o + 0.5)/s − 0.5, clamped at 0, between its two neighbours
 * (ATen's area_pixel_compute_source_index and upsample_bilinear2d).
 */
export function upsampleMatrix(size: number, scale: number, bilinear: boolean): number[][] {
  return Array.from({ length: size * scale }, (_, o) => {
    const row = new Array<number>(size).fill(0);
    if (!bilinear) {
      row[Math.floor(o / scale)] = 1;
      return row;
    }
    const source = Math.max(0, (o + 0.5) / scale - 0.5);
    const low = Math.floor(source);
    const high = Math.min(low + 1, size - 1);
    const frac = source - low;
    row[low] += 1 - frac;
    row[high] += frac;
    return row;
  });
}

/** nn.Upsample over NHWC: each spatial axis multiplied by its interpolation matrix (exact, differentiable anywhere). */
export function upsample(x: tf.Tensor4D, scale: [number, number], bilinear: boolean): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const rows = tf.tensor2d(upsampleMatrix(h, scale[0], bilinear));
  const cols = tf.tensor2d(upsampleMatrix(w, scale[1], bilinear));
  // H last, times rowsᵀ; then W last, times colsᵀ.
  const byRow = tf.matMul(tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [n * w * c, h]), rows, false, true);
  const tall = tf.transpose(tf.reshape(byRow, [n, w, c, h * scale[0]]), [0, 3, 2, 1]); // [n, H', c, w]
  const byCol = tf.matMul(tf.reshape(tall, [n * h * scale[0] * c, w]), cols, false, true);
  return tf.transpose(tf.reshape(byCol, [n, h * scale[0], c, w * scale[1]]), [0, 1, 3, 2]) as tf.Tensor4D;
}

/** Softmax over any axis (tfjs's own takes the last only): exp(x − logsumexp(x)). */
export function softmaxAxis(x: tf.Tensor, axis: number): tf.Tensor {
  if (axis === x.rank - 1) return tf.softmax(x);
  return tf.exp(tf.sub(x, tf.logSumExp(x, axis, true)));
}

/**
 * Rows and columns a ceil-mode pool adds at the bottom and right so that a floor-mode window over them makes its
 * `out` × `out` output (PyTorch's ceil_mode: the last window may hang over the input's end).
 */
export function ceilExtra(size: [number, number], out: [number, number], kernel: [number, number], stride: [number, number], pad: Padding): [number, number] {
  const extra = (axis: 0 | 1, before: number, after: number): number => Math.max(0, (out[axis] - 1) * stride[axis] + kernel[axis] - (size[axis] + before + after));
  return [extra(0, pad.top, pad.bottom), extra(1, pad.left, pad.right)];
}

/**
 * Average pooling in ceil mode, counting padded zeros but not the overhang past the padding: PyTorch's
 * avg_pool2d divides each window by (min(start + k, H + pad) − start) per axis (count_include_pad=True).
 */
export function avgPoolCeil(x: tf.Tensor4D, kernel: [number, number], stride: [number, number], pad: Padding, out: [number, number]): tf.Tensor4D {
  const [, h, w] = x.shape;
  const [eh, ew] = ceilExtra([h, w], out, kernel, stride, pad);
  const pooled = avgPool(x, kernel, stride, { ...pad, bottom: pad.bottom + eh, right: pad.right + ew });
  if (eh === 0 && ew === 0) return pooled;
  const counted = (n: number, k: number, s: number, before: number, limit: number): number[] =>
    Array.from({ length: n }, (_, i) => Math.min(i * s - before + k, limit) - (i * s - before));
  const rows = counted(out[0], kernel[0], stride[0], pad.top, h + pad.bottom);
  const cols = counted(out[1], kernel[1], stride[1], pad.left, w + pad.right);
  const scale = tf.tensor4d(rows.flatMap((r) => cols.map((c) => (kernel[0] * kernel[1]) / (r * c))), [1, out[0], out[1], 1]);
  return tf.mul(pooled, scale) as tf.Tensor4D;
}

/** A flat [N, C] gate as [N, 1, 1, C] beside NHWC maps, so that it scales every pixel (SkipNet's mul and gate). */
export function asMaps(inputs: tf.Tensor[]): tf.Tensor[] {
  const rank = Math.max(...inputs.map((t) => t.rank));
  return inputs.map((t) => (t.rank === 2 && rank === 4 ? tf.reshape(t, [t.shape[0], 1, 1, t.shape[1] ?? 1]) : t));
}
