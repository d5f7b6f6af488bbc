/**
 * A seeded generator of valid SkipNet models for the export tests: every layer kind, arguments written as
 * expressions that SkipNet evaluates to the intended whole number (`channels / 2`, `2 / 2`, `floor(0.5 * 4)`),
 * statement and link labels (including names Python or the generated module use: `range`, `super`, `self`,
 * `forward`, and names of the form `conv1`), blocks with defaults in any order, parameters used as sizes, repeat
 * counts and slopes, every `repeat` form and add/concat merges. It tracks shapes (H×W×C or N) as it writes,
 * so almost every model is valid; `generateModel` retries with the next sub-seed when the analysis disagrees.
 */
import { analyze } from '../../src/core';

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

type Shape = number[];

interface Scope {
  /** Visible tensor labels and their shapes. */
  tensors: Map<string, Shape>;
  /** Names labelled in this scope (labels must be unique in a scope). */
  labels: Set<string>;
  /** Block parameters and their values in the instance being generated. */
  params: Map<string, number>;
  input: Shape;
  /** Inside a block: labels of the form kind+digits are avoided there when the block loops over a parameter. */
  inBlock: boolean;
  depth: number;
}

const SAFE_LABELS = ['a', 'b', 'skip', 'branch', 'range', 'super', 'self', 'x', 'h', 'i', 'forward', 'eval', 'lambda', 'class', 'F', 'nn', 'torch', 'math', 'in_shape', 'out_shape', 'counts', 's_a', 'print', 'int', 'len', 'copy_name', 'conv_shape', 'ZeroPad', '__y', 'None', 'if', 'to', 'training'];
const KIND_LABELS = ['conv1', 'conv2', 'relu1', 'relu2', 'bn1', 'add1', 'concat1', 'dense1', 'conv', 'relu', 'b1', 'b11'];
const PARAM_NAMES = ['super', 'range', 'width', 'kernel_size', 'self', 'x', 'i', 'in_shape', 'lambda', 'n', 'k', 'torch', 'F', 'min', 'channels_out'];
const BLOCK_NAMES = ['b', 'f', 'zero_pad', 'global_avg_pool', 'range', 'torch', 'nn', 'int', 'forward', 'stage', 'unit', 'math'];
const ACTIVATIONS = ['relu', 'gelu', 'sigmoid', 'tanh', 'identity', 'bn', 'leakyrelu', 'dropout(p=0.25)', 'leakyrelu(alpha=0.2)'];

class Writer {
  readonly blocks: string[] = [];
  private blockCount = 0;
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

  label(scope: Scope): string | undefined {
    const pool = scope.inBlock ? SAFE_LABELS : [...SAFE_LABELS, ...KIND_LABELS];
    for (let tries = 0; tries < 4; tries++) {
      const name = this.rng.pick(pool);
      if (!scope.labels.has(name) && !scope.tensors.has(name)) {
        scope.labels.add(name);
        return name;
      }
    }
    return undefined;
  }

  /** One layer that takes `shape`; returns its text and output shape. */
  layer(shape: Shape, scope: Scope, preserve: boolean): [string, Shape] {
    const r = this.rng;
    if (shape.length === 1) {
      const n = shape[0];
      if (!preserve && r.chance(0.35)) {
        const units = r.int(1, 5);
        return [`dense(${this.intExpr(units, scope, n)}${r.chance(0.3) ? ', bias=false' : ''})`, [units]];
      }
      return [r.pick([...ACTIVATIONS, 'softmax']), shape];
    }
    const [h, w, c] = shape;
    const kind = preserve ? r.pick(['act', 'act', 'conv-same']) : r.pick(['act', 'conv', 'conv', 'conv-same', 'pool', 'zeropad', 'gap', 'flatten']);
    switch (kind) {
      case 'conv-same':
        return [`conv(${this.intExpr(c, scope, c)}, ${r.pick(['1', '3'])}${r.chance(0.5) ? '' : ', bias=false'})`.replace(', 3', ', 3, pad=1'), shape];
      case 'conv': {
        const kh = r.int(1, Math.min(3, h));
        const kw = r.chance(0.7) ? kh : r.int(1, Math.min(3, w));
        if (kw > w) return [`conv(${this.intExpr(c, scope, c)}, 1)`, shape];
        const pad = r.int(0, Math.floor(Math.min(kh, kw) / 2));
        const stride = r.int(1, 2);
        const filters = r.int(1, 4);
        const divisors = [1, 2, 3, 4].filter((g) => c % g === 0 && filters % g === 0);
        const groups = r.pick(divisors);
        const dilation = r.chance(0.2) && 2 * (kh - 1) + 1 <= h + 2 * pad && 2 * (kw - 1) + 1 <= w + 2 * pad ? 2 : 1;
        const kernel = kh === kw ? this.intExpr(kh, scope) : `${kh}x${kw}`;
        const args = [this.intExpr(filters, scope, c), kernel];
        if (stride > 1 || r.chance(0.2)) args.push(`stride=${this.intExpr(stride, scope)}`);
        if (pad > 0 || r.chance(0.2)) args.push(`pad=${this.intExpr(pad, scope)}`);
        if (groups > 1) args.push(`groups=${this.intExpr(groups, scope)}`);
        if (dilation > 1) args.push(`dilation=${dilation}`);
        if (r.chance(0.3)) args.push(`bias=${r.pick(['true', 'false'])}`);
        const out = (size: number, k: number): number => Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
        return [`conv(${args.join(', ')})`, [out(h, kh), out(w, kw), filters]];
      }
      case 'pool': {
        const k = r.int(1, Math.min(3, h, w));
        const stride = r.chance(0.5) ? k : r.int(1, 2);
        const pad = r.int(0, Math.floor(k / 2));
        const args = [this.intExpr(k, scope)];
        if (stride !== k || r.chance(0.3)) args.push(`stride=${this.intExpr(stride, scope)}`);
        if (pad > 0) args.push(`pad=${pad}`);
        const out = (size: number): number => Math.floor((size + 2 * pad - k) / stride) + 1;
        return [`${r.pick(['maxpool', 'avgpool'])}(${args.join(', ')})`, [out(h), out(w), c]];
      }
      case 'zeropad': {
        const channels = c + r.int(0, 3);
        const stride = r.int(1, 2);
        return [`zeropad(${this.intExpr(channels, scope, c)}${stride > 1 ? `, stride=${stride}` : ''})`, [Math.ceil(h / stride), Math.ceil(w / stride), channels]];
      }
      case 'gap':
        return ['gap', [c]];
      case 'flatten':
        return ['flatten', [h * w * c]];
      default:
        return [r.pick(ACTIVATIONS), shape];
    }
  }

  /** A chain of 1-3 links; returns the statement text and the output shape. */
  chain(shape: Shape, scope: Scope, preserve: boolean, labelLinks: boolean): [string, Shape] {
    const links: string[] = [];
    let current = shape;
    const n = this.rng.int(1, 3);
    for (let j = 0; j < n; j++) {
      let text: string;
      if (!preserve && scope.depth < 2 && this.rng.chance(0.12)) [text, current] = this.blockCall(current, scope, false);
      else [text, current] = this.layer(current, scope, preserve);
      const label = j > 0 && labelLinks && this.rng.chance(0.2) ? this.label(scope) : undefined;
      links.push(label ? `${label}: ${text}` : text);
      if (label) scope.tensors.set(label, current);
    }
    return [links.join(' -> '), current];
  }

  /** A merge of the current tensor with a visible one of a fitting shape, if there is one. */
  merge(shape: Shape, scope: Scope): string | undefined {
    const same = [...scope.tensors].filter(([, s]) => s.join('x') === shape.join('x')).map(([name]) => name);
    if (scope.input.join('x') === shape.join('x')) same.push('in');
    if (same.length === 0) return undefined;
    return `add(${this.rng.pick(same)}, _${this.rng.chance(0.3) ? `, ${this.rng.pick(same)}` : ''})`;
  }

  /** Statements of a scope; returns their lines and the output shape. */
  statements(shape: Shape, scope: Scope, count: number, preserve: boolean): [string[], Shape] {
    const lines: string[] = [];
    let current = shape;
    for (let s = 0; s < count; s++) {
      const r = this.rng;
      const form = r.pick(['chain', 'chain', 'chain', 'labelled', 'merge', 'concat', 'repeat', 'repeat', 'block']);
      if (form === 'merge' || form === 'concat') {
        if (form === 'concat' && current.length === 3 && !preserve) {
          const label = this.label(scope);
          const [text, out] = this.layer(current, scope, true);
          if (label) {
            lines.push(`${label}: ${text}`);
            scope.tensors.set(label, out);
            lines.push(`concat(${label}, in)`.replace('in)', current.join('x') === scope.input.join('x') ? 'in)' : '_)'));
            current = [current[0], current[1], current[2] * 2];
            continue;
          }
        }
        const merge = this.merge(current, scope);
        if (merge) lines.push(merge);
        continue;
      }
      if (form === 'repeat' && current.length > 0) {
        lines.push(...this.repeat(current, scope));
        continue;
      }
      if (form === 'block' && scope.depth < 2) {
        const label = r.chance(0.4) ? this.label(scope) : undefined;
        const [text, out] = this.blockCall(current, scope, preserve);
        lines.push(label ? `${label}: ${text}` : text);
        current = out;
        if (label) scope.tensors.set(label, current);
        continue;
      }
      const label = form === 'labelled' ? this.label(scope) : undefined;
      const [text, out] = this.chain(current, scope, preserve, true);
      lines.push(label ? `${label}: ${text}` : text);
      current = out;
      if (label) scope.tensors.set(label, current);
    }
    return [lines, current];
  }

  /** A shape-keeping repeat in one of its four forms; the count is an expression, maybe a parameter. */
  repeat(shape: Shape, scope: Scope): string[] {
    const r = this.rng;
    const value = r.int(0, 3);
    const paramCount = [...scope.params].filter(([, v]) => v === value && Number.isInteger(v)).map(([name]) => name);
    // In a block, `channels` is known only in PyTorch too: a count from it is a loop as well.
    const channels = shape[shape.length - 1];
    if (scope.inBlock && channels >= value) paramCount.push(channels === value ? 'channels' : `channels - ${channels - value}`);
    const dynamic = paramCount.length > 0 && r.chance(0.7);
    const count = dynamic ? r.pick(paramCount) : r.pick([`${value}`, `${2 * value} / 2`, `${value + 1} - 1`]);
    // A loop's own labels are never of the form kind+digits, and a loop has no labelled body (both refused by the export, see its tests).
    const label = r.chance(0.5) ? this.label({ ...scope, inBlock: scope.inBlock || dynamic }) : undefined;
    const head = `${label ? `${label}: ` : ''}repeat ${count}`;
    if (label) scope.tensors.set(label, shape);
    if (r.chance(0.5) || (dynamic && label)) return [`${head} ${this.chain(shape, { ...scope, tensors: new Map(scope.tensors), inBlock: scope.inBlock || dynamic }, true, true)[0]}`];
    const inner: Scope = { ...scope, tensors: new Map(scope.tensors), inBlock: scope.inBlock || dynamic, ...(label ? { labels: new Set<string>() } : {}) };
    const lines: string[] = [];
    if (r.chance(0.5)) {
      const name = this.label(inner);
      if (name) {
        lines.push(`${name}: ${this.layer(shape, inner, true)[0]}`, this.layer(shape, inner, true)[0], `add(${name}, _)`);
        inner.tensors.set(name, shape);
      }
    }
    lines.push(this.chain(shape, inner, true, true)[0]);
    return [`${head} {`, ...lines.map((l) => `  ${l}`), '}'];
  }

  /** Defines a new block for this input and calls it; returns the call's text and output shape. */
  blockCall(shape: Shape, scope: Scope, preserve: boolean): [string, Shape] {
    const r = this.rng;
    // Distinct names that end in a letter: a block numbered inside a loop (name1, name2, …) never takes a label's name.
    const index = this.blockCount++;
    const name = `${r.pick(BLOCK_NAMES)}${index === 0 ? '' : `_${'abcdefgh'[index % 8]}${'abcdefgh'[Math.floor(index / 8) % 8]}`}`;
    const names = [...new Set(Array.from({ length: r.int(1, 3) }, () => r.pick(PARAM_NAMES)))];
    const params = names.map((p) => ({ name: p, value: r.chance(0.2) ? r.pick([0.5, 0.25]) : r.int(0, 3), default: r.chance(0.5) }));
    const values = new Map(params.map((p) => [p.name, p.value]));
    const body: Scope = { tensors: new Map(), labels: new Set(), params: values, input: shape, inBlock: true, depth: scope.depth + 1 };
    const [lines, out] = this.statements(shape, body, r.int(1, 3), preserve);
    const signature = params.map((p) => (p.default ? `${p.name}=${p.value}` : p.name));
    this.blocks.push(`block ${name}(${signature.join(', ')}) {\n${lines.map((l) => `  ${l}`).join('\n')}\n}`);
    const args: string[] = [];
    let positional = true;
    for (const p of params) {
      if (p.default && r.chance(0.5)) {
        positional = false;
        continue;
      }
      const text = Number.isInteger(p.value) ? this.intExpr(p.value, scope, shape[shape.length - 1]) : String(p.value);
      positional = positional && r.chance(0.6);
      args.push(positional ? text : `${p.name}=${text}`);
    }
    return [`${name}(${args.join(', ')})`, out];
  }
}

/**
 * One model file for `seed` (blocks first, then `model`) that SkipNet analyses without errors, and how many
 * drafts were rejected on the way (the tests keep that small, so the generator stays right by construction).
 */
export function generateModel(seed: number): { text: string; rejected: number } {
  for (let attempt = 0; attempt < 64; attempt++) {
    const text = draft(seed * 64 + attempt);
    if (analyze(text).diagnostics.every((d) => d.severity !== 'error')) return { text, rejected: attempt };
  }
  throw new Error(`No valid model for seed ${seed} in 64 drafts: the generator is wrong.`);
}

/** One draft: right by construction except where a block's reuse or an argument's spelling trips the analysis. */
export function draft(seed: number): string {
  const rng = new Random(seed);
  const writer = new Writer(rng);
  const shape: Shape = rng.chance(0.15) ? [rng.int(1, 6)] : [rng.int(1, 6), rng.int(1, 6), rng.int(1, 4)];
  const scope: Scope = { tensors: new Map(), labels: new Set(), params: new Map(), input: shape, inBlock: false, depth: 0 };
  const [lines] = writer.statements(shape, scope, rng.int(2, 6), false);
  const name = rng.pick(['m', 'f', 'nn', 'math', 'model_1', 'net']);
  return `${writer.blocks.join('\n\n')}\n\nmodel ${name}(${shape.join('x')}) {\n${lines.map((l) => `  ${l}`).join('\n')}\n}\n`;
}
