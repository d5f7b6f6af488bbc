import type { ArgSpec, Inference, LayerSpec } from './layers';
import { describeShape, formatShape, isSymbol, type Shape, type Value } from './values';

/*
 * The skip-connection family's layers beyond ResNet and DenseNet: resampling (U-Net's decoder), gates
 * (squeeze-and-excitation, Highway) and the activations of MobileNet and EfficientNet. Names, arguments and
 * every count follow PyTorch 1.13's modules of the same meaning; docs/language.md gives each formula.
 */

/* Small argument and shape helpers, shared with layers.ts (which imports this file, never the reverse). */
/** A checked whole-number argument (0 where the argument is not a number, which the type check has refused). */
export const int = (value: Value | undefined): number => (typeof value === 'number' ? value : 0);

/** A size written `3` or `3x5`, as [H, W]. */
export const pair = (value: Value | undefined): [number, number] =>
  typeof value === 'object' && 'dims' in value ? [value.dims[0], value.dims[1]] : [int(value), int(value)];

/** A layer that keeps its input's shape and channels and has no weights. */
export const pass = (shape: Shape): Inference => ({ ok: true, shape, params: 0n, buffers: 0n, macs: 0n, provenance: 'pass' });

/** The error for a layer that needs H×W×C but gets a flat tensor or a sequence, or undefined. */
export const needImage = (kind: string, shape: Shape): Inference | undefined =>
  shape.length === 3
    ? undefined
    : {
        ok: false,
        code: 'invalid-shape',
        message: `${kind} needs an image-shaped input (H×W×C) but gets ${describeShape(shape)}; ${shape.length === 2 ? 'a sequence takes dense, layernorm, attention, token or mean_tokens (mean_tokens is its gap)' : 'it cannot follow gap, flatten or dense'}.`,
      };

function activation(kind: string, doc: string, args: ArgSpec[] = []): LayerSpec {
  return { kind, doc, args, infer: ([input]) => pass(input) };
}

/**
 * The activations after relu (whose table order completion keeps): relu6 = min(max(0, x), 6) (MobileNetV2,
 * Sandler et al. 2018), silu = x·σ(x) (Elfwing et al. 2018, Ramachandran et al.'s Swish), hardswish =
 * x·relu6(x + 3)/6 and hardsigmoid = relu6(x + 3)/6 (MobileNetV3, Howard et al. 2019, section 5.2), and softmax
 * over one axis of the tensor without its batch axis: 0 = H, 1 = W, 2 (or −1, the default) = channels.
 */
export const ACTIVATIONS: LayerSpec[] = [
  activation('relu6', 'ReLU6: min(max(0, x), 6), as in MobileNetV2.'),
  activation('silu', 'SiLU (Swish): x·sigmoid(x).'),
  activation('hardswish', 'Hard swish: x·relu6(x + 3)/6, as in MobileNetV3.'),
  activation('hardsigmoid', 'Hard sigmoid: relu6(x + 3)/6, as in MobileNetV3.'),
  {
    kind: 'softmax',
    doc: 'Softmax over one axis: softmax(axis=-1) — channels by default; 0 = height, 1 = width on an H×W×C map.',
    args: [{ name: 'axis', type: 'axis', default: -1, doc: 'axis of the H×W×C (or flat) tensor, negative from the end; -1 is channels' }],
    infer([input], args) {
      const axis = int(args.axis);
      if (axis < -input.length || axis >= input.length) {
        return { ok: false, code: 'invalid-shape', argument: 'axis', message: `softmax: axis ${axis} is outside the ${formatShape(input)} input, which has axes ${-input.length} to ${input.length - 1}.` };
      }
      return pass(input);
    },
  },
];

/**
 * nn.Upsample(scale_factor=s, mode=…): H×W×C → (s_h·H)×(s_w·W)×C. `bilinear` uses align_corners=False (PyTorch's
 * default), `nearest` repeats pixels. No weights, no MACs (only convolutions and dense layers count).
 */
export const UPSAMPLE: LayerSpec = {
  kind: 'upsample',
  doc: 'Upsampling by a whole factor: upsample(scale, mode=nearest) — nearest or bilinear (align_corners=False).',
  args: [
    { name: 'scale', type: 'kernel', doc: 'factor for height and width, e.g. 2 or 2x1' },
    { name: 'mode', type: 'choice', choices: ['nearest', 'bilinear'], default: { symbol: 'nearest' }, doc: 'nearest or bilinear' },
  ],
  infer([input], args) {
    const bad = needImage('upsample', input);
    if (bad) return bad;
    const [sh, sw] = pair(args.scale);
    return { ok: true, shape: [input[0] * sh, input[1] * sw, input[2]], params: 0n, buffers: 0n, macs: 0n, provenance: 'pass' };
  },
};

/**
 * nn.ConvTranspose2d: out = (in − 1)·s − 2·p + d·(k − 1) + output_pad + 1 per axis (PyTorch's documented
 * formula). Weights (C_in, filters/groups, k_h, k_w) (+ filters biases). MACs = H_in·W_in·C_in·(filters/groups)·k_h·k_w:
 * each input pixel scatters its kernel once, the count fvcore's conv handle gives a transposed convolution.
 * PyTorch refuses output_pad not smaller than the stride or the dilation ("output padding must be smaller
 * than either stride or dilation").
 */
export const CONV_TRANSPOSE: LayerSpec = {
  kind: 'convtranspose',
  doc: 'Transposed 2-D convolution (U-Net up-convolution): convtranspose(filters, kernel, stride=1, pad=0, output_pad=0, groups=1, bias=true, dilation=1).',
  args: [
    { name: 'filters', type: 'int', doc: 'number of output feature maps' },
    { name: 'kernel', type: 'kernel', doc: 'kernel size, e.g. 2 or 3x3' },
    { name: 'stride', type: 'kernel', default: 1, doc: 'upsampling step' },
    { name: 'pad', type: 'padding', default: 0, doc: 'rows and columns removed from each side of the full output: N or HxW' },
    { name: 'output_pad', type: 'padding', default: 0, doc: 'rows and columns added at the bottom and right (smaller than the stride)' },
    { name: 'groups', type: 'int', default: 1, doc: 'grouped convolution: input and output channels split into this many groups' },
    { name: 'bias', type: 'bool', default: true, doc: 'add a learned bias per output channel' },
    { name: 'dilation', type: 'int', default: 1, doc: 'spacing between kernel taps' },
  ],
  infer([input], args) {
    const bad = needImage('convtranspose', input);
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
    for (const [name, value] of [['pad', args.pad], ['output_pad', args.output_pad]] as const) {
      if (value !== undefined && isSymbol(value)) {
        return { ok: false, code: 'invalid-padding', argument: name, message: `convtranspose takes ${name} as a number or HxW, not ${value.symbol} (nn.ConvTranspose2d has no padding="${value.symbol}").` };
      }
    }
    const [ph, pw] = pair(args.pad);
    const [oh, ow] = pair(args.output_pad);
    if ((oh >= sh && oh >= dilation) || (ow >= sw && ow >= dilation)) {
      return {
        ok: false,
        code: 'invalid-padding',
        argument: 'output_pad',
        message: `output_pad ${oh === ow ? oh : `${oh}x${ow}`} must be smaller than the stride ${sh === sw ? sh : `${sh}x${sw}`} (or the dilation ${dilation}) on each axis, as PyTorch requires.`,
      };
    }
    const h = (input[0] - 1) * sh - 2 * ph + dilation * (kh - 1) + oh + 1;
    const w = (input[1] - 1) * sw - 2 * pw + dilation * (kw - 1) + ow + 1;
    if (h < 1 || w < 1) {
      return { ok: false, code: 'invalid-shape', argument: 'pad', message: `Padding ${ph === pw ? ph : `${ph}x${pw}`} removes the whole ${h + 2 * ph}×${w + 2 * pw} output of convtranspose on the ${input[0]}×${input[1]} input.` };
    }
    const perInput = BigInt(kh) * BigInt(kw) * BigInt(filters / groups);
    const params = perInput * BigInt(cin) + (args.bias === true ? BigInt(filters) : 0n);
    return { ok: true, shape: [h, w, filters], params, buffers: 0n, macs: BigInt(input[0]) * BigInt(input[1]) * BigInt(cin) * perInput, provenance: 'new' };
  },
};

/**
 * Broadcasts shapes as PyTorch does, after reading a flat C-vector beside an image as 1×1×C (a squeeze-and-
 * excitation gate, Hu et al. 2018, section 3.2): each axis equal or 1. Returns the output shape, or undefined.
 */
export function broadcastShapes(shapes: Shape[]): Shape | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const lifted = shapes.map((s) => (s.length === rank ? s : s.length === 1 && rank === 3 ? [1, 1, s[0]] : undefined));
  if (lifted.some((s) => s === undefined)) return undefined;
  const out: Shape = [];
  for (let axis = 0; axis < rank; axis++) {
    const sizes = new Set(lifted.map((s) => s![axis]).filter((d) => d !== 1));
    if (sizes.size > 1) return undefined;
    out.push(sizes.size === 0 ? 1 : [...sizes][0]);
  }
  return out;
}

function gateMerge(kind: 'mul' | 'gate'): LayerSpec {
  const count = kind === 'gate' ? 3 : undefined;
  return {
    kind,
    merge: true,
    doc:
      kind === 'mul'
        ? 'Element-wise product of two or more tensors; a C-vector (or 1×1×C map) scales every pixel of an H×W×C map (squeeze-and-excitation).'
        : 'Highway gate: gate(h, t, x) = h·t + x·(1 − t), the transform h carried where the gate t is open, the input x elsewhere.',
    args: [],
    infer(inputs) {
      if (count !== undefined && inputs.length !== count) return { ok: false, code: 'invalid-shape', message: `gate takes exactly three tensors, gate(h, t, x) = h·t + x·(1 − t), not ${inputs.length}.` };
      if (inputs.length < 2) return { ok: false, code: 'invalid-shape', message: `${kind} needs at least two inputs, e.g. ${kind}(in, _).` };
      const shape = broadcastShapes(inputs);
      if (!shape) {
        return {
          ok: false,
          code: 'shape-mismatch',
          message: `${kind} multiplies element by element, but ${inputs.map(formatShape).join(' and ')} do not broadcast: each axis must agree or be 1 (a flat C-vector scales an H×W×C map with the same C).`,
        };
      }
      const keeps = inputs.some((s) => s.length === shape.length && s.every((d, i) => d === shape[i]));
      return { ok: true, shape, params: 0n, buffers: 0n, macs: 0n, provenance: kind === 'mul' && keeps ? 'same' : 'new' };
    },
  };
}

/** `mul` and `gate`, merges that multiply (after add and concat in the table). */
export const GATE_MERGES: LayerSpec[] = [gateMerge('mul'), gateMerge('gate')];
