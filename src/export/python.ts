import type { Expr } from '../core/ast';

const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case'.split(' '),
);

/** Names the generated code itself uses, or that nn.Module defines: a label with one of these gets a trailing `_`. */
const TAKEN = new Set([
  'self', 'x', 'torch', 'nn', 'F', 'math', 'in_shape', 'out_shape', 'conv_shape', 'pad_sides', 'flat_size',
  'forward', 'training', 'train', 'eval', 'parameters', 'modules', 'children', 'state_dict', 'apply', 'to', 'cuda', 'cpu',
  'float', 'half', 'double', 'type', 'zero_grad', 'register_buffer', 'add_module', 'named_modules', 'buffers',
]);

export function pythonName(name: string): string {
  return PYTHON_KEYWORDS.has(name) || TAKEN.has(name) ? `${name}_` : name;
}

/** `dense_layer` → `DenseLayer`; avoids the helper classes of the generated preamble. */
export function className(name: string, taken: Set<string>): string {
  let result = name
    .split('_')
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
  if (!/^[A-Za-z]/.test(result)) result = `Net${result}`;
  while (taken.has(result)) result += 'Block';
  return result;
}

/**
 * Translates a SkipNet argument expression to Python. `channels` becomes the channel count of the
 * shape variable flowing in; JavaScript's Math.round (half up) is kept exact with floor(x + 0.5).
 */
export function pythonExpr(expr: Expr, params: Set<string>, shapeVar: string): string {
  switch (expr.kind) {
    case 'number':
      return Number.isInteger(expr.value) ? String(expr.value) : String(expr.value);
    case 'shape':
      return `(${expr.dims.join(', ')})`;
    case 'string':
      return JSON.stringify(expr.value);
    case 'error':
      return 'None';
    case 'name':
      if (expr.name === 'true') return 'True';
      if (expr.name === 'false') return 'False';
      if (params.has(expr.name)) return pythonName(expr.name);
      if (expr.name === 'channels') return `${shapeVar}[0]`;
      return JSON.stringify(expr.name);
    case 'unary':
      return `${expr.op}${wrap(expr.operand, params, shapeVar)}`;
    case 'binary':
      return `${wrap(expr.left, params, shapeVar)} ${expr.op} ${wrap(expr.right, params, shapeVar)}`;
    case 'call': {
      const args = expr.args.map((a) => pythonExpr(a.value, params, shapeVar));
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

function wrap(expr: Expr, params: Set<string>, shapeVar: string): string {
  const text = pythonExpr(expr, params, shapeVar);
  return expr.kind === 'binary' || expr.kind === 'unary' ? `(${text})` : text;
}

export const PREAMBLE = `import math

import torch
import torch.nn.functional as F
from torch import nn


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


def conv_shape(shape, filters, kernel, stride=1, padding=0, dilation=1):
    """Output (C, H, W) of a convolution or pooling window over an input (C, H, W)."""
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    left, right, top, bottom = pad_sides(padding, kernel, dilation)
    return (
        filters,
        (shape[1] + top + bottom - dilation * (kh - 1) - 1) // sh + 1,
        (shape[2] + left + right - dilation * (kw - 1) - 1) // sw + 1,
    )


def flat_size(shape):
    return math.prod(shape)


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
    """Global average pooling: (N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return x.mean(dim=(2, 3))
`;
