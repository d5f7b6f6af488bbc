import type { Shape, Value } from './values';
import { channelsOf, describeShape, elementCount, formatShape, formatValue, isSymbol } from './values';
import { ACTIVATIONS, CONV_TRANSPOSE, GATE_MERGES, int, needImage, pair, pass, UPSAMPLE } from './familyLayers';
import { SEQUENCE_LAYERS } from './sequenceLayers';

/**
 * `choice`: one of the bare words in `choices` (`mode=bilinear`); `axis`: a whole number, negative from the end
 * (`softmax(axis=-1)`).
 */
export type ArgType = 'int' | 'number' | 'bool' | 'padding' | 'kernel' | 'probability' | 'choice' | 'axis';

export interface ArgSpec {
  name: string;
  type: ArgType;
  /** Undefined: the argument is required. */
  default?: Value;
  doc: string;
  /** The words a `choice` argument takes. */
  choices?: string[];
  /**
   * Set on a first argument that is a float hyper-parameter where PyTorch's module of the same layer takes the
   * feature count first (`BatchNorm2d(num_features)`): a whole number ≥ 1 written here is then warned about.
   */
  torchFeatureCount?: string;
}

/** The resolved arguments of one layer, after defaults and type checks. */
export type LayerArgs = Record<string, Value>;

/**
 * What a layer makes of its input shape(s): the output, or a message saying why it cannot. Parameters,
 * buffers and MACs (per sample) are bigint so they stay exact past 2^53.
 */
export type Inference =
  | { ok: true; shape: Shape; params: bigint; buffers: bigint; macs: bigint; provenance: Provenance }
  | {
      ok: false;
      message: string;
      code: 'invalid-shape' | 'shape-mismatch' | 'spatial-mismatch' | 'invalid-size' | 'invalid-padding';
      /** The argument at fault, whose range the diagnostic then points at (default: the whole layer). */
      argument?: string;
    };

/**
 * How a layer's output channels relate to its inputs' (see fillNode): `pass` keeps the first input's, `same`
 * keeps those of the input whose shape is the output's (a gate's feature map, not its C-vector).
 */
export type Provenance = 'pass' | 'new' | 'concat' | 'zeropad' | 'scaled' | 'same';

export interface LayerSpec {
  kind: string;
  /** One line for hovers and completion. */
  doc: string;
  args: ArgSpec[];
  /** Merge layers take tensor references as positional arguments instead of sizes. */
  merge?: boolean;
  /** Layers that need no memory of their own: a view of the input. */
  view?: boolean;
  infer(inputs: Shape[], args: LayerArgs): Inference;
}

/**
 * Zero (or, for max pooling, −∞) rows and columns added around an image before a window slides over it,
 * in pixels per side: `top`/`bottom` are rows (H), `left`/`right` columns (W).
 */
export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export type PaddingResult = { ok: true; padding: Padding } | { ok: false; message: string };

/** A height and width pair, as `3` or `3x5` are written for kernels and strides: [H, W]. */
export type AxisPair = [number, number];

/**
 * The padding `pad=` asks for, per side, for a window of `kernel` taps (H×W) moving by `stride` with
 * `dilation` between taps:
 * - `N`: N on every side; `AxB`: A rows above and below, B columns left and right (PyTorch's `padding=(A, B)`);
 * - `valid`: none;
 * - `same`: the output keeps the input's height and width. That needs stride 1 on both axes (PyTorch:
 *   "padding='same' is not supported for strided convolutions"), and pads d·(k−1) per axis, half of it
 *   (rounded down) before and the rest after, exactly as torch.nn.Conv2d(padding='same') does: an even
 *   kernel gets its extra row at the bottom and its extra column at the right.
 * Returns a message instead when `same` meets a stride other than 1.
 */
export function resolvePadding(value: Value | undefined, kernel: AxisPair, stride: AxisPair, dilation = 1): PaddingResult {
  if (value === undefined) return { ok: true, padding: symmetric(0, 0) };
  if (typeof value === 'number') return { ok: true, padding: symmetric(value, value) };
  if (typeof value === 'object' && 'dims' in value) return { ok: true, padding: symmetric(value.dims[0], value.dims[1]) };
  if (isSymbol(value) && value.symbol === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      return {
        ok: false,
        message: `pad=same keeps the height and width, which needs stride 1 (as in PyTorch), not stride ${stride[0] === stride[1] ? stride[0] : stride.join('x')}; give the padding as a number or HxW.`,
      };
    }
    const [th, tw] = [dilation * (kernel[0] - 1), dilation * (kernel[1] - 1)];
    const [top, left] = [Math.floor(th / 2), Math.floor(tw / 2)];
    return { ok: true, padding: { top, bottom: th - top, left, right: tw - left } };
  }
  // `valid`, and anything the argument check has already refused.
  return { ok: true, padding: symmetric(0, 0) };
}

function symmetric(rows: number, columns: number): Padding {
  return { top: rows, bottom: rows, left: columns, right: columns };
}

/** True when both sides of each axis get the same padding (what PyTorch layers' own padding= can express). */
export function isSymmetricPadding(p: Padding): boolean {
  return p.top === p.bottom && p.left === p.right;
}

/** `1`, `0x3`, or `top 0, bottom 1, left 1, right 2` for an asymmetric one. */
export function formatPadding(p: Padding): string {
  if (!isSymmetricPadding(p)) return `top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}`;
  return p.top === p.left ? String(p.top) : `${p.top}x${p.left}`;
}

/** ` with padding 0x3` for messages, or nothing when there is none. */
const paddedBy = (p: Padding): string => (p.top || p.bottom || p.left || p.right ? ` with padding ${formatPadding(p)}` : '');

/**
 * Output size along one axis of a window sliding over `size` pixels padded by `before` and `after`:
 * ⌊(size + before + after − d·(k−1) − 1) / s⌋ + 1 (PyTorch's Conv2d/MaxPool2d formula). With `ceil` (pooling's
 * ceil_mode) the division rounds up, and a last window that would start past the input and its leading padding
 * is dropped: PyTorch's pooling_output_shape, ATen/native/Pool.h (1.13), "ensure that the last pooling starts
 * inside the image".
 */
export function windowOutput(size: number, kernel: number, stride: number, before: number, after: number, dilation = 1, ceil = false): number {
  // Computed exactly (sizes may be near 2^53); BigInt division truncates toward zero, so floor negative spans.
  const span = BigInt(size) + BigInt(before) + BigInt(after) - BigInt(dilation) * BigInt(kernel - 1) - 1n + (ceil ? BigInt(stride - 1) : 0n);
  const quotient = span / BigInt(stride) - (span < 0n && span % BigInt(stride) !== 0n ? 1n : 0n);
  let out = quotient + 1n;
  if (ceil && (out - 1n) * BigInt(stride) >= BigInt(size) + BigInt(before)) out -= 1n;
  return Number(out);
}

/** Why a `pad=` value is not padding (a whole number ≥ 0, HxW of those, `same` or `valid`), or undefined. */
export function paddingProblem(value: Value): string | undefined {
  if (isSymbol(value) && (value.symbol === 'same' || value.symbol === 'valid')) return undefined;
  const whole = (v: number): boolean => Number.isInteger(v) && v >= 0;
  if (typeof value === 'number' && whole(value)) return undefined;
  if (typeof value === 'object' && 'dims' in value && value.dims.length === 2 && value.dims.every(whole)) return undefined;
  return `must be a whole number ≥ 0, HxW of those (e.g. 0x3), same or valid, not ${formatValue(value)}.`;
}


function pooling(kind: string): LayerSpec {
  return {
    kind,
    doc: `${kind === 'maxpool' ? 'Max' : 'Average'} pooling over a kernel×kernel window (stride defaults to the kernel).`,
    args: [
      { name: 'kernel', type: 'kernel', doc: 'window size, e.g. 2 or 3x3' },
      { name: 'stride', type: 'kernel', default: { symbol: 'kernel' }, doc: 'step between windows (default: the kernel)' },
      { name: 'pad', type: 'padding', default: 0, doc: `${kind === 'maxpool' ? '−∞' : 'zero'} padding: N on every side, HxW per axis, same (stride 1) or valid` },
      { name: 'ceil', type: 'bool', default: false, doc: "round the output size up (PyTorch's ceil_mode): a last, partial window is kept" },
    ],
    infer([input], args) {
      const bad = needImage(kind, input);
      if (bad) return bad;
      const [kh, kw] = pair(args.kernel);
      const [sh, sw] = isSymbol(args.stride ?? 0) ? [kh, kw] : pair(args.stride);
      const resolved = resolvePadding(args.pad, [kh, kw], [sh, sw]);
      if (!resolved.ok) return { ok: false, code: 'invalid-padding', message: resolved.message, argument: 'pad' };
      const pad = resolved.padding;
      // PyTorch's MaxPool2d/AvgPool2d refuse more (a window could then hold padding only).
      const [rows, columns] = [Math.max(pad.top, pad.bottom), Math.max(pad.left, pad.right)];
      if (2 * rows > kh || 2 * columns > kw) {
        const axis = 2 * rows > kh ? `${rows} row${rows > 1 ? 's' : ''} for its height ${kh}` : `${columns} column${columns > 1 ? 's' : ''} for its width ${kw}`;
        return { ok: false, code: 'invalid-padding', argument: 'pad', message: `Padding ${formatPadding(pad)} is more than half the ${kh}×${kw} window (${axis}); PyTorch's pooling allows at most half the window per axis.` };
      }
      const ceil = args.ceil === true;
      const h = windowOutput(input[0], kh, sh, pad.top, pad.bottom, 1, ceil);
      const w = windowOutput(input[1], kw, sw, pad.left, pad.right, 1, ceil);
      if (h < 1 || w < 1) return { ok: false, code: 'invalid-shape', message: `A ${kh}×${kw} window does not fit the ${input[0]}×${input[1]} input${paddedBy(pad)}.` };
      return { ok: true, shape: [h, w, input[2]], params: 0n, buffers: 0n, macs: 0n, provenance: 'pass' };
    },
  };
}

function activation(kind: string, doc: string, args: ArgSpec[] = []): LayerSpec {
  return { kind, doc, args, infer: ([input]) => pass(input) };
}

function merge(kind: 'add' | 'concat'): LayerSpec {
  return {
    kind,
    merge: true,
    doc:
      kind === 'add'
        ? 'Element-wise sum of two or more tensors of the same shape (a residual connection, as in ResNet).'
        : 'Concatenation of two or more tensors along channels (a dense connection, as in DenseNet).',
    args: [],
    infer(inputs) {
      if (inputs.length < 2) return { ok: false, code: 'invalid-shape', message: `${kind} needs at least two inputs, e.g. ${kind}(in, _).` };
      const first = inputs[0];
      if (kind === 'add') {
        for (const shape of inputs) {
          if (shape.length !== first.length || shape.some((d, i) => d !== first[i])) {
            return { ok: false, code: 'shape-mismatch', message: `add needs inputs of one shape but gets ${inputs.map(formatShape).join(' and ')}.` };
          }
        }
        return { ok: true, shape: first, params: 0n, buffers: 0n, macs: 0n, provenance: 'new' };
      }
      for (const shape of inputs) {
        if (shape.length !== first.length || shape.slice(0, -1).some((d, i) => d !== first[i])) {
          return {
            ok: false,
            code: 'spatial-mismatch',
            message: `concat joins channels, so the other sizes must agree, but it gets ${inputs.map(formatShape).join(' and ')}; crop the larger or pad the smaller to one height and width (in a U-Net, an input size divisible by 2 at every pooling keeps them equal).`,
          };
        }
      }
      const channels = inputs.reduce((sum, shape) => sum + channelsOf(shape), 0);
      return { ok: true, shape: [...first.slice(0, -1), channels], params: 0n, buffers: 0n, macs: 0n, provenance: 'concat' };
    },
  };
}

const SPECS: LayerSpec[] = [
  {
    kind: 'conv',
    doc: '2-D convolution: conv(filters, kernel, stride=1, pad=0, groups=1, bias=true, dilation=1).',
    args: [
      { name: 'filters', type: 'int', doc: 'number of output feature maps' },
      { name: 'kernel', type: 'kernel', doc: 'kernel size, e.g. 3 or 1x7' },
      { name: 'stride', type: 'kernel', default: 1, doc: 'step of the kernel' },
      { name: 'pad', type: 'padding', default: 0, doc: 'zero padding: N on every side, HxW per axis, same (stride 1) or valid' },
      { name: 'groups', type: 'int', default: 1, doc: 'grouped convolution: input and output channels split into this many groups' },
      { name: 'bias', type: 'bool', default: true, doc: 'add a learned bias per output channel' },
      { name: 'dilation', type: 'int', default: 1, doc: 'spacing between kernel taps' },
    ],
    infer([input], args) {
      const bad = needImage('conv', input);
      if (bad) return bad;
      const filters = int(args.filters);
      const groups = int(args.groups);
      const dilation = int(args.dilation);
      const [kh, kw] = pair(args.kernel);
      const [sh, sw] = pair(args.stride);
      const cin = input[2];
      if (cin % groups !== 0 || filters % groups !== 0) {
        return { ok: false, code: 'invalid-size', message: `groups=${groups} must divide both the input channels (${cin}) and the filters (${filters}).` };
      }
      const resolved = resolvePadding(args.pad, [kh, kw], [sh, sw], dilation);
      if (!resolved.ok) return { ok: false, code: 'invalid-padding', message: resolved.message, argument: 'pad' };
      const pad = resolved.padding;
      const h = windowOutput(input[0], kh, sh, pad.top, pad.bottom, dilation);
      const w = windowOutput(input[1], kw, sw, pad.left, pad.right, dilation);
      if (h < 1 || w < 1) {
        return { ok: false, code: 'invalid-shape', message: `A ${kh}×${kw} kernel${dilation > 1 ? ` (dilation ${dilation})` : ''} does not fit the ${input[0]}×${input[1]} input${paddedBy(pad)}.` };
      }
      const perOutput = BigInt(kh) * BigInt(kw) * BigInt(cin / groups);
      const params = perOutput * BigInt(filters) + (args.bias === true ? BigInt(filters) : 0n);
      return { ok: true, shape: [h, w, filters], params, buffers: 0n, macs: BigInt(h) * BigInt(w) * BigInt(filters) * perOutput, provenance: 'new' };
    },
  },
  CONV_TRANSPOSE,
  {
    kind: 'bn',
    doc: 'Batch normalization: learned scale γ and shift β per channel (trainable), running mean and variance (buffers).',
    args: [
      { name: 'eps', type: 'number', default: 1e-5, doc: 'added to the variance', torchFeatureCount: 'BatchNorm2d(num_features)' },
      { name: 'momentum', type: 'number', default: 0.1, doc: 'running-statistics momentum (PyTorch convention)' },
    ],
    infer([input]) {
      if (input.length === 2) {
        return { ok: false, code: 'invalid-shape', message: `bn normalises channels over the batch and the image but gets ${describeShape(input)}; use layernorm on tokens.` };
      }
      const channels = BigInt(channelsOf(input));
      return { ok: true, shape: input, params: 2n * channels, buffers: 2n * channels, macs: 0n, provenance: 'pass' };
    },
  },
  activation('relu', 'Rectified linear unit: max(0, x).'),
  activation('leakyrelu', 'Leaky ReLU: x if x > 0, else alpha·x.', [{ name: 'alpha', type: 'number', default: 0.01, doc: 'slope for negative inputs' }]),
  activation('gelu', 'Gaussian error linear unit.'),
  activation('sigmoid', 'Logistic sigmoid.'),
  activation('tanh', 'Hyperbolic tangent.'),
  ...ACTIVATIONS,
  pooling('maxpool'),
  pooling('avgpool'),
  UPSAMPLE,
  {
    kind: 'gap',
    doc: 'Global average pooling: H×W×C → C, or 1×1×C with keep=true.',
    args: [{ name: 'keep', type: 'bool', default: false, doc: 'keep the height and width as 1×1 (for a 1×1 conv after it, as in squeeze-and-excitation)' }],
    infer([input], args) {
      const bad = needImage('gap', input);
      if (bad) return bad;
      return { ok: true, shape: args.keep === true ? [1, 1, input[2]] : [input[2]], params: 0n, buffers: 0n, macs: 0n, provenance: 'pass' };
    },
  },
  {
    kind: 'flatten',
    doc: 'Flattens H×W×C into one vector of H·W·C features.',
    args: [],
    view: true,
    infer([input]) {
      return { ok: true, shape: [elementCount(input)], params: 0n, buffers: 0n, macs: 0n, provenance: 'scaled' };
    },
  },
  {
    kind: 'dense',
    doc: 'Fully connected layer: dense(units, bias=true); on a sequence, applied to each token (nn.Linear).',
    args: [
      { name: 'units', type: 'int', doc: 'number of outputs' },
      { name: 'bias', type: 'bool', default: true, doc: 'add a learned bias per output' },
    ],
    infer([input], args) {
      if (input.length === 3) {
        return { ok: false, code: 'invalid-shape', message: `dense needs a flat input or a sequence but gets ${describeShape(input)}; put gap or flatten before it.` };
      }
      // On a sequence T×D: the same weights for every token, T times the MACs (nn.Linear on the last axis).
      const units = BigInt(int(args.units));
      const weights = BigInt(channelsOf(input)) * units;
      const tokens = input.length === 2 ? input[0] : 1;
      const shape = input.length === 2 ? [input[0], int(args.units)] : [int(args.units)];
      return { ok: true, shape, params: weights + (args.bias === true ? units : 0n), buffers: 0n, macs: weights * BigInt(tokens), provenance: 'new' };
    },
  },
  {
    kind: 'dropout',
    doc: 'Dropout: zeroes a fraction p of activations while training.',
    args: [{ name: 'p', type: 'probability', default: 0.5, doc: 'probability of dropping an activation' }],
    infer: ([input]) => pass(input),
  },
  { kind: 'identity', doc: 'Passes its input through unchanged.', args: [], view: true, infer: ([input]) => pass(input) },
  {
    kind: 'zeropad',
    doc: 'ResNet "option A" shortcut: keeps every stride-th pixel and pads channels with zeros up to the given count.',
    args: [
      { name: 'channels', type: 'int', doc: 'output channels (at least the input channels)' },
      { name: 'stride', type: 'int', default: 1, doc: 'spatial subsampling step' },
    ],
    infer([input], args) {
      const bad = needImage('zeropad', input);
      if (bad) return bad;
      const channels = int(args.channels);
      const stride = int(args.stride);
      if (channels < input[2]) return { ok: false, code: 'invalid-size', message: `zeropad can only add channels: ${channels} is fewer than the input's ${input[2]}.` };
      return { ok: true, shape: [Math.ceil(input[0] / stride), Math.ceil(input[1] / stride), channels], params: 0n, buffers: 0n, macs: 0n, provenance: 'zeropad' };
    },
  },
  merge('add'),
  merge('concat'),
  ...GATE_MERGES,
  ...SEQUENCE_LAYERS,
];

export const LAYERS: ReadonlyMap<string, LayerSpec> = new Map(SPECS.map((spec) => [spec.kind, spec]));

/** Names with a fixed meaning in a body: they cannot name a layer, a block or a tensor. */
export const RESERVED_NAMES = new Set(['in', 'input', '_', 'repeat', 'block', 'model', 'train', 'channels', 'true', 'false', 'shared']);
