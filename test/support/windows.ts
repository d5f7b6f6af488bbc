/**
 * Sliding windows for the model generator (test/support/generate.ts): the padding forms SkipNet accepts, the
 * sides they give and the output size, written here independently of the core so the generator can keep its
 * models valid by construction (the analysis rejecting a draft then means the two disagree).
 */

/** A `pad=` value as written: N on every side, [rows, columns] (`AxB`), `same` or `valid`. */
export type PadValue = number | readonly [number, number] | 'same' | 'valid';

/** Padding per side, in pixels. */
export interface Sides {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** [H, W] of a kernel, stride or padding written `3` or `1x7`. */
export type Pair = readonly [number, number];

/**
 * The sides `pad` gives a window of `kernel` taps moving by `stride` with `dilation` between taps, or undefined
 * where SkipNet (like PyTorch) refuses it: `same` with a stride other than 1. `same` pads d·(k−1) per axis, the
 * smaller half before (torch.nn.Conv2d(padding="same")).
 */
export function padSides(pad: PadValue | undefined, kernel: Pair, stride: Pair, dilation = 1): Sides | undefined {
  if (pad === undefined || pad === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (typeof pad === 'number') return { top: pad, bottom: pad, left: pad, right: pad };
  if (pad !== 'same') return { top: pad[0], bottom: pad[0], left: pad[1], right: pad[1] };
  if (stride[0] !== 1 || stride[1] !== 1) return undefined;
  const [th, tw] = [dilation * (kernel[0] - 1), dilation * (kernel[1] - 1)];
  return { top: Math.floor(th / 2), bottom: th - Math.floor(th / 2), left: Math.floor(tw / 2), right: tw - Math.floor(tw / 2) };
}

/** ⌊(size + before + after − d·(k−1) − 1) / s⌋ + 1: PyTorch's output size of Conv2d and the pools (ceil_mode off). */
export function windowSize(size: number, kernel: number, stride: number, before: number, after: number, dilation = 1): number {
  return Math.floor((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Output [H, W] of a window over [h, w], or undefined when it does not fit (some axis below 1). */
export function windowOutput(hw: Pair, kernel: Pair, stride: Pair, sides: Sides, dilation = 1): Pair | undefined {
  const h = windowSize(hw[0], kernel[0], stride[0], sides.top, sides.bottom, dilation);
  const w = windowSize(hw[1], kernel[1], stride[1], sides.left, sides.right, dilation);
  return h >= 1 && w >= 1 ? [h, w] : undefined;
}

/** PyTorch's pooling rule, which SkipNet keeps: at most half the window per axis on every side. */
export function poolPaddingFits(sides: Sides, kernel: Pair): boolean {
  return 2 * Math.max(sides.top, sides.bottom) <= kernel[0] && 2 * Math.max(sides.left, sides.right) <= kernel[1];
}

/**
 * Whether two pad values mean the same padding for every window: `valid` = 0 = 0x0, N = NxN; `same` only itself.
 * Block arguments use this to pass a padding on under another spelling (and another Python type).
 */
export function samePadding(a: PadValue, b: PadValue): boolean {
  const canonical = (p: PadValue): string => (p === 'same' ? 'same' : p === 'valid' ? '0x0' : typeof p === 'number' ? `${p}x${p}` : `${p[0]}x${p[1]}`);
  return canonical(a) === canonical(b);
}

/**
 * Literal spellings of a padding that SkipNet reads as it: `1`, `1x1`, `2 / 2` (a float in Python), `valid`,
 * `0x0`, `same`.
 */
export function padSpellings(pad: PadValue): string[] {
  if (pad === 'same') return ['same'];
  if (pad === 'valid' || pad === 0) return ['valid', '0', '0x0'];
  if (typeof pad === 'number') return [`${pad}`, `${pad}x${pad}`, `${pad}x${pad}`, `${2 * pad} / 2`, `floor(${pad}.5)`];
  return pad[0] === pad[1] ? [`${pad[0]}x${pad[1]}`, `${pad[0]}`] : [`${pad[0]}x${pad[1]}`];
}

/** `3`, or `1x7` for a pair whose axes differ. */
export function pairText(pair: Pair): string {
  return pair[0] === pair[1] ? `${pair[0]}` : `${pair[0]}x${pair[1]}`;
}
