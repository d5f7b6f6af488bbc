/**
 * Convolutions and pools for the model generator (test/support/generate.ts): the padding forms SkipNet accepts
 * (N, AxB, `same`, `valid`), the sides they give and the output size — worked out here independently of the
 * core, so the generator keeps its models valid by construction and a draft the analysis rejects means the two
 * disagree — and a writer of convolutions and pools with every kernel, stride, dilation and padding that fits,
 * spelt as literals, expressions or block parameters.
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

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; the same seed gives the same model on every machine. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A whole number in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** H×W×C of an image, or [N] of a flat tensor (SkipNet's shapes, no batch axis). */
export type Shape = number[];

/** What the generator knows where it writes: tensors, labels and block parameters in sight. */
export interface Scope {
  /** Visible tensor labels and their shapes. */
  tensors: Map<string, Shape>;
  /** Names labelled in this scope (labels must be unique in a scope). */
  labels: Set<string>;
  /** Block parameters used as sizes, counts and slopes, and their values in the instance being generated. */
  params: Map<string, number>;
  /** Block parameters used as padding (`pad=p`), and their values in the instance being generated. */
  pads: Map<string, PadValue>;
  input: Shape;
  /** Inside a block: labels of the form kind+digits are avoided there when the block loops over a parameter. */
  inBlock: boolean;
  depth: number;
}

/** Writes sizes, paddings, convolutions and pools into a scope; generate.ts's Writer adds chains, blocks and repeats. */
export class WindowWriter {
  constructor(readonly rng: Random) {}

  /** Text that SkipNet evaluates to the whole number `v` (≥ 0) in this scope. */
  intExpr(v: number, scope: Scope, channels?: number): string {
    const r = this.rng;
    const options = [`${v}`, `${v}`, `${2 * v} / 2`, `${v + 1} - 1`, `${2 * v} // 2`, `floor(${v}.5)`, `round(${v} + 0.25)`, `ceil(${v} - 0.5)`, `max(${v}, 0)`, `min(${v}, ${v + 2})`, `abs(${v})`];
    if (v < 7) options.push(`(${v + 7}) % 7`);
    if (channels !== undefined) {
      if (channels === v) options.push('channels', 'channels');
      if (channels === 2 * v) options.push('channels / 2', 'channels // 2', 'floor(0.5 * channels)');
      if (channels * 2 === v) options.push('channels * 2');
    }
    for (const [name, value] of scope.params) {
      if (value === v) options.push(name, name);
      if (Number.isInteger(value) && value * 2 === v) options.push(`${name} * 2`);
      if (Number.isInteger(value) && value === 2 * v) options.push(`${name} / 2`);
      if (Number.isInteger(value) && value > v) options.push(`${name} - ${value - v}`);
      if (!Number.isInteger(value) && v > 0) options.push(`floor(${name} * ${v / value})`);
    }
    return r.pick(options.filter((o) => !o.includes('undefined')));
  }

  /**
   * Text that SkipNet reads as the padding `pad` in this scope: a spelling of it, or a parameter that holds it;
   * undefined when there is none (`same` where a parameter named `same` holds another padding).
   */
  padText(pad: PadValue, scope: Scope, channels?: number): string | undefined {
    const options = padSpellings(pad).filter((o) => !scope.params.has(o) && !scope.pads.has(o));
    if (typeof pad === 'number') options.push(this.intExpr(pad, scope, channels), this.intExpr(pad, scope, channels));
    // A float in Python that SkipNet has checked is whole.
    if (typeof pad === 'number' && channels !== undefined) options.push(`${pad} * channels / channels`, `${pad} * channels / channels`);
    for (const [name, value] of scope.pads) if (samePadding(value, pad)) options.push(name, name, name);
    return options.length > 0 ? this.rng.pick(options) : undefined;
  }

  /** A kernel: square (odd or even), non-square, or Inception's 1×K / K×1. */
  kernel(most: number): Pair {
    const r = this.rng;
    const k = r.int(1, most);
    switch (r.pick(['square', 'square', 'even', 'pair', 'long'])) {
      case 'even':
        return r.pick([[2, 2], [4, 4]] as const);
      case 'pair':
        return [r.int(1, most), r.int(1, most)];
      case 'long': {
        const long = r.pick([3, 5, 7]);
        return r.chance(0.5) ? [1, long] : [long, 1];
      }
      default:
        return [k, k];
    }
  }

  /**
   * A padding for a window of `kernel` taps: a block parameter's (half the time when there is one), or none,
   * `same`, `valid`, N or AxB (up to half the window per axis, d·(k−1)/2 for a convolution, k/2 for a pool).
   */
  padding(scope: Scope, kernel: Pair, dilation: number, channels: number): { value: PadValue; text: string } | undefined {
    const r = this.rng;
    if (scope.pads.size > 0 && r.chance(0.7)) {
      const [name, value] = r.pick([...scope.pads]);
      return { value, text: name };
    }
    const [mh, mw] = kernel.map((k) => Math.floor((dilation * (k - 1) + 1) / 2));
    const choice = r.pick(['none', 'same', 'same', 'valid', 'n', 'pair', 'pair']);
    let value: PadValue;
    if (choice === 'none') return undefined;
    if (choice === 'same' || choice === 'valid') value = choice;
    else if (choice === 'n') value = r.int(0, Math.min(mh, mw));
    else value = [r.int(0, mh), r.int(0, mw)];
    const text = this.padText(value, scope, channels);
    return text === undefined ? undefined : { value, text };
  }

  /** A convolution over H×W×C with any kernel, stride, dilation, groups and padding that fit; falls back to 1×1. */
  conv(shape: Shape, scope: Scope): [string, Shape] {
    const r = this.rng;
    const [h, w, c] = shape;
    for (let attempt = 0; attempt < 8; attempt++) {
      const kernel = this.kernel(3);
      const dilation = r.chance(0.7) ? 1 : r.int(2, 3);
      const pad = this.padding(scope, kernel, dilation, c);
      const s = r.int(2, 3);
      const stride: Pair = pad?.value === 'same' || r.chance(0.45) ? [1, 1] : r.chance(0.8) ? [s, s] : r.pick([[1, 2], [2, 1]] as const);
      const sides = padSides(pad?.value, kernel, stride, dilation);
      const out = sides && windowOutput([h, w], kernel, stride, sides, dilation);
      if (!out) continue;
      const filters = r.int(1, 4);
      const groups = r.pick([1, 2, 3, 4].filter((g) => c % g === 0 && filters % g === 0));
      const kernelText = kernel[0] === kernel[1] ? this.intExpr(kernel[0], scope) : pairText(kernel);
      const strideText = stride[0] === stride[1] ? this.intExpr(stride[0], scope) : pairText(stride);
      const head = [this.intExpr(filters, scope, c), kernelText];
      const rest: string[] = [];
      if (pad && r.chance(0.15)) head.push(strideText, pad.text);
      else {
        if (stride[0] > 1 || stride[1] > 1 || r.chance(0.2)) rest.push(`stride=${strideText}`);
        if (pad) rest.push(`pad=${pad.text}`);
      }
      if (groups > 1) rest.push(`groups=${this.intExpr(groups, scope)}`);
      if (dilation > 1 || r.chance(0.1)) rest.push(`dilation=${this.intExpr(dilation, scope)}`);
      if (r.chance(0.3)) rest.push(`bias=${r.pick(['true', 'false'])}`);
      return [`conv(${[...head, ...rest].join(', ')})`, [out[0], out[1], filters]];
    }
    return [`conv(${this.intExpr(c, scope, c)}, 1)`, shape];
  }

  /** A max or average pool over H×W×C with a padding PyTorch's pools take (at most half the window); falls back to 1×1. */
  pool(shape: Shape, scope: Scope): [string, Shape] {
    const r = this.rng;
    const [h, w, c] = shape;
    const kind = r.pick(['maxpool', 'avgpool']);
    for (let attempt = 0; attempt < 8; attempt++) {
      const k = r.int(1, 3);
      const kernel: Pair = r.chance(0.75) ? [k, k] : this.kernel(3);
      const pad = this.padding(scope, kernel, 1, c);
      // The stride defaults to the window; `same` needs 1 written (unless the window is 1×1).
      const s = r.int(1, 2);
      let written: Pair | undefined = r.chance(0.5) ? undefined : r.chance(0.8) ? [s, s] : r.pick([[1, 2], [2, 1]] as const);
      if (pad?.value === 'same') written = kernel[0] * kernel[1] === 1 && r.chance(0.5) ? undefined : [1, 1];
      const stride = written ?? kernel;
      const sides = padSides(pad?.value, kernel, stride);
      if (!sides || !poolPaddingFits(sides, kernel)) continue;
      const out = windowOutput([h, w], kernel, stride, sides);
      if (!out) continue;
      const kernelText = kernel[0] === kernel[1] ? this.intExpr(kernel[0], scope) : pairText(kernel);
      const strideText = written && (written[0] === written[1] ? this.intExpr(written[0], scope) : pairText(written));
      const args = [kernelText];
      if (strideText && pad && r.chance(0.2)) args.push(strideText, pad.text);
      else {
        if (strideText) args.push(`stride=${strideText}`);
        if (pad) args.push(`pad=${pad.text}`);
      }
      return [`${kind}(${args.join(', ')})`, [out[0], out[1], c]];
    }
    return [`${kind}(1)`, shape];
  }

  /**
   * A convolution that keeps H×W and the C channels: 1×1, `same` (any kernel and dilation, stride 1 sometimes
   * written), an odd kernel with half of it as padding (`3, pad=1`, `1x7, pad=0x3`, `3, dilation=2, pad=2`),
   * or the kernel that a padding parameter keeps the shape with.
   */
  convKeep(c: number, scope: Scope): string {
    const r = this.rng;
    const filters = this.intExpr(c, scope, c);
    const bias = r.chance(0.5) ? '' : ', bias=false';
    const [kernel, dilation, pad] = this.keeping(scope, 3, c);
    const args = [filters, pairText(kernel)];
    if (pad === undefined) return `conv(${args.join(', ')}${bias})`;
    if (r.chance(0.2)) args.push('stride=1');
    args.push(`pad=${pad}`);
    if (dilation > 1) args.push(`dilation=${dilation}`);
    return `conv(${args.join(', ')}${bias})`;
  }

  /** A max or average pool that keeps the shape: stride 1 with `same` or half an odd window as padding. */
  poolKeep(c: number, scope: Scope): string {
    const r = this.rng;
    const [kernel, , pad] = this.keeping(scope, 1, c);
    const one = kernel[0] === 1 && kernel[1] === 1;
    const stride = one && r.chance(0.5) ? '' : `, stride=${r.pick(['1', '1', '1x1', '2 / 2'])}`;
    return `${r.pick(['maxpool', 'avgpool'])}(${pairText(kernel)}${stride}${pad === undefined ? '' : `, pad=${pad}`})`;
  }

  /** A kernel, dilation (up to `maxDilation`) and padding text that keep H×W at stride 1. */
  keeping(scope: Scope, maxDilation: number, channels: number): [Pair, number, string | undefined] {
    const r = this.rng;
    if (scope.pads.size > 0 && r.chance(0.7)) {
      const [name, value] = r.pick([...scope.pads]);
      if (value === 'same') return [this.kernel(4), r.int(1, maxDilation), name];
      if (value === 'valid') return [[1, 1], 1, name];
      const [ph, pw] = typeof value === 'number' ? [value, value] : value;
      return [[2 * ph + 1, 2 * pw + 1], 1, name];
    }
    const dilation = r.chance(0.7) ? 1 : r.int(1, maxDilation);
    switch (r.pick(['one', 'same', 'same', 'odd'])) {
      case 'one':
        return [[1, 1], 1, r.chance(0.7) ? undefined : this.padText(r.pick(['valid', 0] as const), scope, channels)];
      case 'same':
        const same = this.padText('same', scope);
        return same === undefined ? [[1, 1], 1, undefined] : [this.kernel(4), dilation, same];
      default: {
        const [kh, kw] = this.kernel(3);
        const kernel: Pair = [kh | 1, kw | 1];
        const [ph, pw] = [(dilation * (kernel[0] - 1)) / 2, (dilation * (kernel[1] - 1)) / 2];
        return [kernel, dilation, this.padText(ph === pw ? ph : [ph, pw], scope, channels)];
      }
    }
  }
}
