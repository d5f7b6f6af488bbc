import type { Expr } from '../core/ast';
import { DiagnosticSink } from '../core/diagnostics';
import { evaluate } from '../core/evaluate';
import type { Value } from '../core/values';
import { SEQUENCE_MODULE_NAMES } from './sequenceModules';

/** Python 3 keywords and soft keywords: never usable as a variable (`match`, `case` and `_` are kept out for clarity). */
const KEYWORDS = 'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case _'.split(' ');

/** Python's builtins (`dir(builtins)`, 3.11): a local of one of these names would hide it from the generated code. */
const BUILTINS = (
  'ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError BrokenPipeError BufferError BytesWarning ' +
  'ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError Ellipsis ' +
  'EncodingWarning EnvironmentError Exception ExceptionGroup FileExistsError FileNotFoundError FloatingPointError FutureWarning GeneratorExit ' +
  'IOError ImportError ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError ' +
  'MemoryError ModuleNotFoundError NameError NotADirectoryError NotImplemented NotImplementedError OSError OverflowError ' +
  'PendingDeprecationWarning PermissionError ProcessLookupError RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning ' +
  'StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError TypeError UnboundLocalError ' +
  'UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning ZeroDivisionError ' +
  'abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr classmethod compile complex copyright credits delattr dict ' +
  'dir divmod enumerate eval exec exit filter float format frozenset getattr globals hasattr hash help hex id input int isinstance issubclass ' +
  'iter len license list locals map max memoryview min next object oct open ord pow print property quit range repr reversed round set ' +
  'setattr slice sorted staticmethod str sum super tuple type vars zip __name__ __file__ __doc__ __builtins__ __spec__ __loader__ __package__'
).split(' ');

/** Module-level names of the generated file (imports and the preamble's helpers). */
const MODULE_NAMES = [
  'math', 'torch', 'nn', 'F', 'whole', 'conv_shape', 'pad_sides', 'flat_size', 'copy_name', 'ZeroPad', 'GlobalAvgPool',
  'transpose_shape', 'upsample_shape', 'softmax_dim', 'as_maps', 'broadcast_mul', 'broadcast_shape', 'channels_of', ...SEQUENCE_MODULE_NAMES,
];

/** Names a SkipNet name must not take in the generated Python scope: keywords, builtins and the module's own names. */
export const PYTHON_RESERVED: ReadonlySet<string> = new Set([...KEYWORDS, ...BUILTINS, ...MODULE_NAMES]);

/**
 * Attributes every generated module has (nn.Module's own, PyTorch 1.13, plus `in_shape`, `out_shape` and
 * `counts`): a submodule cannot be registered under one of these names.
 */
const MODULE_ATTRIBUTES = new Set(
  (
    'T_destination add_module apply bfloat16 buffers children cpu cuda double dump_patches eval extra_repr float forward get_buffer ' +
    'get_extra_state get_parameter get_submodule half ipu load_state_dict modules named_buffers named_children named_modules named_parameters ' +
    'parameters register_backward_hook register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook ' +
    'register_load_state_dict_post_hook register_module register_parameter requires_grad_ set_extra_state share_memory state_dict to to_empty ' +
    'train training type xpu zero_grad in_shape out_shape counts'
  ).split(' '),
);

/**
 * The submodule name PyTorch gets for a SkipNet node name: the same name, so `model.named_modules()` reads like
 * SkipNet's node ids, except where nn.Module already has an attribute of that name (`forward`, `eval`, `to`):
 * then a trailing `_`.
 */
export function attributeName(name: string): string {
  return MODULE_ATTRIBUTES.has(name) ? `${name}_` : name;
}

/** `self.conv1`, or getattr where the name is not written as a plain attribute (`if`, `__x`: mangled in a class). */
export function attributeRef(owner: string, name: string): string {
  return KEYWORDS.includes(name) || name.startsWith('__') ? `getattr(${owner}, ${JSON.stringify(name)})` : `${owner}.${name}`;
}

/** A Python identifier for a SkipNet name used as a local or parameter: a trailing `_` where Python has the name already. */
export function pythonName(name: string): string {
  return PYTHON_RESERVED.has(name) ? `${name}_` : name;
}

/** `dense_layer` → `DenseLayer`, never a builtin or module-level name, nor one in `taken`. */
export function className(name: string, taken: Set<string>): string {
  let result = name
    .split('_')
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
  if (!/^[A-Za-z]/.test(result)) result = `Net${result}`;
  while (taken.has(result) || PYTHON_RESERVED.has(result)) result += 'Block';
  return result;
}

/** What a SkipNet expression gives in Python: an int, a number that may be a float, or something else (tuple, bool, str). */
export type PyType = 'int' | 'float' | 'other';

/** The Python side of one scope: how block parameters are spelt and typed, and how `channels` reads. */
export interface PyScope {
  /** SkipNet parameter name → its Python name and type, for the parameters of the enclosing block. */
  params: ReadonlyMap<string, { name: string; type: PyType }>;
  /** The Python shape expression (C, H, W) or (N,) of the tensor flowing in: `channels` is its element 0. */
  shape: string;
}

/** Folds an expression that needs no parameter and no `channels` into its value, exactly as SkipNet computes it. */
export function constantValue(expr: Expr, scope: PyScope): Value | undefined {
  if (mentions(expr, (name) => scope.params.has(name) || name === 'channels')) return undefined;
  return evaluate(expr, { lookup: () => undefined, channels: () => undefined }, new DiagnosticSink());
}

function mentions(expr: Expr, test: (name: string) => boolean): boolean {
  switch (expr.kind) {
    case 'name':
      return test(expr.name);
    case 'unary':
      return mentions(expr.operand, test);
    case 'binary':
      return mentions(expr.left, test) || mentions(expr.right, test);
    case 'call':
      return expr.args.some((a) => mentions(a.value, test));
    default:
      return false;
  }
}

/** A SkipNet value as a Python literal. */
export function pythonValue(value: Value | undefined): string {
  if (value === undefined) return 'None';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if ('symbol' in value) return JSON.stringify(value.symbol);
  if ('text' in value) return JSON.stringify(value.text);
  return `(${value.dims.join(', ')})`;
}

/** The Python type of an expression: `int` where every value it can take is a Python int. */
export function pythonType(expr: Expr, scope: PyScope): PyType {
  const constant = constantValue(expr, scope);
  if (constant !== undefined) return typeof constant === 'number' ? (Number.isInteger(constant) ? 'int' : 'float') : 'other';
  switch (expr.kind) {
    case 'name':
      if (expr.name === 'channels') return 'int';
      return scope.params.get(expr.name)?.type ?? 'other';
    case 'unary':
      return pythonType(expr.operand, scope);
    case 'binary': {
      if (expr.op === '/') return 'float';
      if (expr.op === '//') return 'int';
      const left = pythonType(expr.left, scope);
      const right = pythonType(expr.right, scope);
      return left === 'int' && right === 'int' ? 'int' : left === 'other' || right === 'other' ? 'other' : 'float';
    }
    case 'call':
      if (['floor', 'ceil', 'round'].includes(expr.callee)) return 'int';
      return expr.args.every((a) => pythonType(a.value, scope) === 'int') ? 'int' : 'float';
    default:
      return 'other';
  }
}

/**
 * Translates a SkipNet argument expression to Python with SkipNet's value: constant parts are folded, `/` is
 * real division, `//` and `%` are written with math.floor as SkipNet computes them (Python's float `//` and `%`
 * differ at the edges), `round` is half up (JavaScript's Math.round). With `asInt` (a size: an int, kernel,
 * stride or padding argument), a result that may be a float is wrapped in int(), SkipNet having checked that it
 * is a whole number; one whose type is known only per call (a parameter that is `2 / channels` in one call and
 * `1x1` or `same` in another) is wrapped in the preamble's whole(), which converts floats only.
 */
export function pythonExpr(expr: Expr, scope: PyScope, asInt = false): string {
  const text = translate(expr, scope);
  if (!asInt) return text;
  const type = pythonType(expr, scope);
  if (type === 'float') return `int(${text})`;
  return type === 'other' && constantValue(expr, scope) === undefined ? `whole(${text})` : text;
}

function translate(expr: Expr, scope: PyScope): string {
  const constant = constantValue(expr, scope);
  if (constant !== undefined) return pythonValue(constant);
  switch (expr.kind) {
    case 'number':
    case 'shape':
    case 'string':
    case 'error':
      return pythonValue(undefined);
    case 'name': {
      const param = scope.params.get(expr.name);
      if (param) return param.name;
      if (expr.name === 'channels') return `channels_of(${scope.shape})`;
      return JSON.stringify(expr.name);
    }
    case 'unary':
      return `${expr.op}${wrap(expr.operand, scope)}`;
    case 'binary': {
      const left = wrap(expr.left, scope);
      const right = wrap(expr.right, scope);
      if (expr.op === '//') return `math.floor(${left} / ${right})`;
      if (expr.op === '%') return pythonType(expr, scope) === 'int' ? `${left} % ${right}` : `(${left} - ${right} * math.floor(${left} / ${right}))`;
      return `${left} ${expr.op} ${right}`;
    }
    case 'call': {
      const args = expr.args.map((a) => translate(a.value, scope));
      switch (expr.callee) {
        case 'floor':
        case 'ceil':
          return `math.${expr.callee}(${args[0]})`;
        case 'round':
          return `math.floor(${args[0]} + 0.5)`;
        default:
          return `${expr.callee}(${args.join(', ')})`;
      }
    }
  }
}

/** An operand in parentheses unless it is atomic in Python (a literal ≥ 0, a name, a call). */
function wrap(expr: Expr, scope: PyScope): string {
  const text = translate(expr, scope);
  const atomic = constantValue(expr, scope) !== undefined || expr.kind === 'name' || expr.kind === 'call' || (expr.kind === 'binary' && expr.op === '//');
  return atomic && !text.startsWith('-') ? text : `(${text})`;
}

/**
 * The nn module and output-shape expression of a layer of the skip-connection family that maps to one PyTorch
 * module (convtranspose, upsample, relu6, silu, hardswish, hardsigmoid): `value(name)` is an argument's Python text
 * (given or default), `keyword(name, pyName)` its `pyName=…` when written, `shape` the input's (C, H, W).
 */
export function familyModule(kind: string, value: (name: string) => string, keyword: (name: string, pyName?: string) => string[], shape: string): [string, string] {
  switch (kind) {
    case 'convtranspose': {
      const extra = [...keyword('stride'), ...keyword('pad', 'padding'), ...keyword('output_pad', 'output_padding'), ...keyword('groups'), ...keyword('bias'), ...keyword('dilation')];
      return [
        `nn.ConvTranspose2d(${[`${shape}[0]`, value('filters'), value('kernel'), ...extra].join(', ')})`,
        `transpose_shape(${shape}, ${value('filters')}, ${value('kernel')}, ${value('stride')}, ${value('pad')}, ${value('output_pad')}, ${value('dilation')})`,
      ];
    }
    case 'upsample': {
      const mode = value('mode');
      return [`nn.Upsample(scale_factor=${value('scale')}, mode=${mode}${mode === '"nearest"' ? '' : ', align_corners=False'})`, `upsample_shape(${shape}, ${value('scale')})`];
    }
    case 'relu6':
      return ['nn.ReLU6()', shape];
    case 'silu':
      return ['nn.SiLU()', shape];
    case 'hardswish':
      return ['nn.Hardswish()', shape];
    case 'hardsigmoid':
      return ['nn.Hardsigmoid()', shape];
    default:
      // Only the kinds above are routed here (layerModule's switch).
      throw new Error(`familyModule: '${kind}' is not one of the family's single-module layers.`);
  }
}

export const PREAMBLE = `import math

import torch
import torch.nn.functional as F
from torch import nn


def whole(size):
    """A size SkipNet has checked is whole, as an int where Python holds it as a float (2 / 2 is 1.0); a tuple
    (1, 7) or "same" passes unchanged."""
    return int(size) if isinstance(size, float) else size


def pad_sides(padding, kernel, dilation=1):
    """SkipNet's pad= (N, (H, W), "same" or "valid") as F.pad's (left, right, top, bottom).

    "same" pads d*(k-1) per axis, the smaller half before, as torch.nn.Conv2d(padding="same") does.
    """
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    if padding == "same":
        th, tw = dilation * (kh - 1), dilation * (kw - 1)
        return (tw // 2, tw - tw // 2, th // 2, th - th // 2)
    padding = 0 if padding == "valid" else padding
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    return (pw, pw, ph, ph)


def conv_shape(shape, filters, kernel, stride=1, padding=0, dilation=1, ceil=False):
    """Output (C, H, W) of a convolution or pooling window over an input (C, H, W); ceil is pooling's ceil_mode
    (round up, but the last window must start inside the input or its leading padding)."""
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    left, right, top, bottom = pad_sides(padding, kernel, dilation)

    def axis(size, before, after, k, s):
        out = (size + before + after - dilation * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
        return out - 1 if ceil and (out - 1) * s >= size + before else out

    return (filters, axis(shape[1], top, bottom, kh, sh), axis(shape[2], left, right, kw, sw))


def transpose_shape(shape, filters, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """Output (C, H, W) of nn.ConvTranspose2d: (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1."""
    pairs = [v if isinstance(v, tuple) else (v, v) for v in (kernel, stride, padding, output_padding)]
    return (filters, *((shape[1 + a] - 1) * pairs[1][a] - 2 * pairs[2][a] + dilation * (pairs[0][a] - 1) + pairs[3][a] + 1 for a in (0, 1)))


def upsample_shape(shape, scale):
    sh, sw = scale if isinstance(scale, tuple) else (scale, scale)
    return (shape[0], shape[1] * sh, shape[2] * sw)


def softmax_dim(axis, shape):
    """SkipNet's softmax axis (of H, W, C without the batch axis; negative from the end) as an NCHW dim; a
    flat or (T, D) tensor keeps its axes."""
    return (2, 3, 1)[axis % 3] if len(shape) == 3 else axis % len(shape) + 1


def as_maps(tensors):
    """Flat (N, C) gates beside images (N, C, H, W) as views (N, C, 1, 1), so that they scale every pixel."""
    rank = max(t.dim() for t in tensors)
    return [t[:, :, None, None] if t.dim() == 2 and rank == 4 else t for t in tensors]


def broadcast_mul(tensors):
    """SkipNet's mul: the product of its inputs, left to right, broadcast as as_maps lines them up."""
    tensors = as_maps(tensors)
    out = tensors[0]
    for t in tensors[1:]:
        out = out * t
    return out


def broadcast_shape(shapes):
    """The (C, H, W) or (N,) shape of mul and gate: a flat C-vector beside an image counts as (C, 1, 1)."""
    rank = max(len(s) for s in shapes)
    shapes = [(s[0], 1, 1) if len(s) == 1 and rank == 3 else s for s in shapes]
    return tuple(max(d) for d in zip(*shapes))


def channels_of(shape):
    """SkipNet's \`channels\`: C of an image (C, H, W), D of a sequence (T, D), N of a flat (N,)."""
    return shape[0] if len(shape) == 3 else shape[-1]


def flat_size(shape):
    return math.prod(shape)


def copy_name(label, copy, first=None):
    """SkipNet's name for run \`copy\` (from 0) of a labelled layer inside a repeat: label, label_2, label_3, ...
    (\`first\` where nn.Module has the label as an attribute already)."""
    return (first or label) if copy == 0 else f"{label}_{copy + 1}"


class ZeroPad(nn.Module):
    """ResNet "option A" shortcut: keep every stride-th pixel, pad channels with zeros (half before, half after)."""

    def __init__(self, channels, stride=1):
        super().__init__()
        self.channels = channels
        self.stride = stride

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        extra = self.channels - x.shape[1]
        return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))


class GlobalAvgPool(nn.Module):
    """Global average pooling: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with keep."""

    def __init__(self, keep=False):
        super().__init__()
        self.keep = keep

    def forward(self, x):
        return x.mean(dim=(2, 3), keepdim=self.keep)
`;
