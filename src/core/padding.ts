import type { Value } from './values';
import { formatValue, isSymbol } from './values';

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

export function isSymmetricPadding(p: Padding): boolean {
  return p.top === p.bottom && p.left === p.right;
}

/** `1`, `0x3`, or `top 0, bottom 1, left 1, right 2` for an asymmetric one. */
export function formatPadding(p: Padding): string {
  if (!isSymmetricPadding(p)) return `top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}`;
  return p.top === p.left ? String(p.top) : `${p.top}x${p.left}`;
}

/**
 * Output size along one axis of a window sliding over `size` pixels padded by `before` and `after`:
 * ⌊(size + before + after − d·(k−1) − 1) / s⌋ + 1 (PyTorch's Conv2d/MaxPool2d formula, ceil_mode off).
 */
export function windowOutput(size: number, kernel: number, stride: number, before: number, after: number, dilation = 1): number {
  return Math.floor((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Why a `pad=` value is not padding (a whole number ≥ 0, HxW of those, `same` or `valid`), or undefined. */
export function paddingProblem(value: Value): string | undefined {
  if (isSymbol(value) && (value.symbol === 'same' || value.symbol === 'valid')) return undefined;
  const whole = (v: number): boolean => Number.isInteger(v) && v >= 0;
  if (typeof value === 'number' && whole(value)) return undefined;
  if (typeof value === 'object' && 'dims' in value && value.dims.length === 2 && value.dims.every(whole)) return undefined;
  return `must be a whole number ≥ 0, HxW of those (e.g. 0x3), same or valid, not ${formatValue(value)}.`;
}
