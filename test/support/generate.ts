/**
 * A seeded generator of valid SkipNet models for the export tests: every layer kind, arguments written as
 * expressions that SkipNet evaluates to the intended whole number (`channels / 2`, `2 / 2`, `floor(0.5 * 4)`),
 * statement and link labels (including names Python or the generated module use: `range`, `super`, `self`,
 * `forward`, and names of the form `conv1`), blocks with defaults in any order, parameters used as sizes, repeat
 * counts and slopes, every `repeat` form and add/concat merges, and every padding form of convolutions and
 * pools (`pad=N`, `AxB`, `same` with odd, even and non-square kernels and dilation, `valid`, positional or by
 * keyword, and through block parameters, passed on under other spellings when a block is called again). It
 * tracks shapes (H×W×C or N) as it writes, so almost every model is valid; `generateModel` retries with the next
 * sub-seed when the analysis disagrees.
 */
import { analyze } from '../../src/core';
import { type PadValue, Random, type Scope, type Shape, WindowWriter } from './generateWindows';

export { Random };

const SAFE_LABELS = ['a', 'b', 'skip', 'branch', 'range', 'super', 'self', 'x', 'h', 'i', 'forward', 'eval', 'lambda', 'class', 'F', 'nn', 'torch', 'math', 'in_shape', 'out_shape', 'counts', 's_a', 'print', 'int', 'len', 'copy_name', 'conv_shape', 'ZeroPad', '__y', 'None', 'if', 'to', 'training'];
const KIND_LABELS = ['conv1', 'conv2', 'relu1', 'relu2', 'bn1', 'add1', 'concat1', 'dense1', 'conv', 'relu', 'b1', 'b11'];
const PARAM_NAMES = ['super', 'range', 'width', 'kernel_size', 'self', 'x', 'i', 'in_shape', 'lambda', 'n', 'k', 'torch', 'F', 'min', 'channels_out'];
const PAD_NAMES = ['p', 'pad', 'padding', 'q', 'pool_pad', 'sides', 'same_pad', 'math', 'pad_sides', 'same', 'valid'];
const PAD_VALUES: PadValue[] = [0, 1, 2, [0, 1], [1, 0], [0, 3], [3, 0], [1, 2], 'same', 'same', 'valid'];
const BLOCK_NAMES = ['b', 'f', 'zero_pad', 'global_avg_pool', 'range', 'torch', 'nn', 'int', 'forward', 'stage', 'unit', 'math'];
const ACTIVATIONS = ['relu', 'gelu', 'sigmoid', 'tanh', 'identity', 'bn', 'leakyrelu', 'dropout(p=0.25)', 'leakyrelu(alpha=0.2)'];

/** One parameter of a generated block: a size (or count, or slope) or a padding, with its value in every call. */
type BlockParam = { name: string; default: boolean } & ({ kind: 'size'; value: number } | { kind: 'pad'; value: PadValue });

/** A block already written, which a later call on the same input shape may use again. */
interface BlockDef {
  name: string;
  params: BlockParam[];
  input: Shape;
  output: Shape;
}

class Writer extends WindowWriter {
  readonly blocks: string[] = [];
  private readonly defined: BlockDef[] = [];
  private blockCount = 0;

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
    // A block with padding parameters mostly uses them.
    const windows = scope.pads.size > 0 ? 3 : 1;
    const kinds = preserve ? ['act', 'act', ...Array<string>(windows).fill('conv-same'), 'conv-same', 'pool-same'] : ['act', 'conv', 'conv-same', 'pool-same', 'zeropad', 'gap', 'flatten', ...Array<string>(windows).fill('conv'), ...Array<string>(windows).fill('pool')];
    const kind = r.pick(kinds);
    switch (kind) {
      case 'conv-same':
        return [this.convKeep(c, scope), shape];
      case 'pool-same':
        return [this.poolKeep(c, scope), shape];
      case 'conv':
        return this.conv(shape, scope);
      case 'pool':
        return this.pool(shape, scope);
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
        const again = this.defined.filter((d) => d.input.join('x') === current.join('x') && (!preserve || d.output.join('x') === current.join('x')));
        const def = again.length > 0 && r.chance(0.5) ? r.pick(again) : undefined;
        const args = def && this.blockArguments(def.params, scope, current, true);
        if (def && args) {
          lines.push(`${def.name}(${args.join(', ')})`);
          current = def.output;
        }
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
    // A block written before for this input shape, called again: its arguments get other spellings (`1`, `1x1`,
    // `2 / 2`), so a parameter may take an int, a float and a tuple in Python.
    const again = this.defined.filter((d) => d.input.join('x') === shape.join('x') && (!preserve || d.output.join('x') === shape.join('x')));
    const def = again.length > 0 && r.chance(0.3) ? r.pick(again) : undefined;
    const args = def && this.blockArguments(def.params, scope, shape, true);
    if (def && args) return [`${def.name}(${args.join(', ')})`, def.output];
    // Distinct names that end in a letter: a block numbered inside a loop (name1, name2, …) never takes a label's name.
    const index = this.blockCount++;
    const name = `${r.pick(BLOCK_NAMES)}${index === 0 ? '' : `_${'abcdefgh'[index % 8]}${'abcdefgh'[Math.floor(index / 8) % 8]}`}`;
    const names = [...new Set(Array.from({ length: r.int(1, 3) }, () => r.pick(PARAM_NAMES)))];
    const params: BlockParam[] = names.map((p) => ({ name: p, kind: 'size', value: r.chance(0.2) ? r.pick([0.5, 0.25]) : r.int(0, 3), default: r.chance(0.5) }));
    // Padding parameters, some passing the caller's padding on.
    const padNames = shape.length === 3 && r.chance(0.6) ? [...new Set(Array.from({ length: r.int(1, 2) }, () => r.pick(PAD_NAMES)))].filter((p) => !names.includes(p)) : [];
    for (const p of padNames) {
      const value = scope.pads.size > 0 && r.chance(0.4) ? r.pick([...scope.pads.values()]) : r.pick(PAD_VALUES);
      // The caller must be able to write it (`same` is not, where its own parameter `same` holds another padding).
      params.push({ name: p, kind: 'pad', value: this.padText(value, scope) === undefined ? 0 : value, default: r.chance(0.5) });
    }
    const sizes = new Map(params.flatMap((p) => (p.kind === 'size' ? [[p.name, p.value] as const] : [])));
    const pads = new Map(params.flatMap((p) => (p.kind === 'pad' ? [[p.name, p.value] as const] : [])));
    const body: Scope = { tensors: new Map(), labels: new Set(), params: sizes, pads, input: shape, inBlock: true, depth: scope.depth + 1 };
    const [lines, out] = this.statements(shape, body, r.int(1, 3), preserve);
    const signature = params.map((p, i) => {
      if (!p.default) return p.name;
      if (p.kind === 'size') return `${p.name}=${p.value}`;
      // A default may name an earlier parameter; a later one's name is a plain word there (`q=valid, valid=1`).
      const earlier: Scope = { ...body, params: new Map(), pads: new Map([...pads].filter(([n]) => params.findIndex((q) => q.name === n) < i)) };
      const text = this.padText(p.value, earlier);
      if (text === undefined) p.default = false;
      return text === undefined ? p.name : `${p.name}=${text}`;
    });
    this.blocks.push(`block ${name}(${signature.join(', ')}) {\n${lines.map((l) => `  ${l}`).join('\n')}\n}`);
    this.defined.push({ name, params, input: shape, output: out });
    return [`${name}(${this.blockArguments(params, scope, shape)!.join(', ')})`, out];
  }

  /**
   * Arguments that give `params` their values from the caller's scope: positional while it can, defaults sometimes
   * left out. `again` (a block called before) gives a whole-number padding half the time as a tuple or as a float
   * (`1x1`, `1 * channels / channels`), so over its calls a parameter takes several Python types. Undefined when
   * the caller cannot write a value its block needs (see padText).
   */
  blockArguments(params: BlockParam[], scope: Scope, shape: Shape, again = false): string[] | undefined {
    const r = this.rng;
    const args: string[] = [];
    let positional = true;
    for (const p of params) {
      const spelt = p.kind === 'pad' ? this.padText(p.value, scope, shape[shape.length - 1]) : '';
      if (p.default && (spelt === undefined || r.chance(0.5))) {
        positional = false;
        continue;
      }
      if (spelt === undefined) return undefined;
      const whole = p.kind === 'pad' && (typeof p.value === 'number' || p.value === 'valid') ? (p.value === 'valid' ? 0 : p.value) : undefined;
      const retyped = again && whole !== undefined && r.chance(0.5) ? r.pick([`${whole}x${whole}`, `${whole} * channels / channels`]) : undefined;
      const text = retyped ?? (p.kind === 'pad' ? spelt : Number.isInteger(p.value) ? this.intExpr(p.value, scope, shape[shape.length - 1]) : String(p.value));
      positional = positional && r.chance(0.6);
      args.push(positional ? text : `${p.name}=${text}`);
    }
    return args;
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
  const shape: Shape = rng.chance(0.15) ? [rng.int(1, 6)] : [rng.int(1, 8), rng.int(1, 8), rng.int(1, 4)];
  const scope: Scope = { tensors: new Map(), labels: new Set(), params: new Map(), pads: new Map(), input: shape, inBlock: false, depth: 0 };
  const [lines] = writer.statements(shape, scope, rng.int(2, 6), false);
  const name = rng.pick(['m', 'f', 'nn', 'math', 'model_1', 'net']);
  return `${writer.blocks.join('\n\n')}\n\nmodel ${name}(${shape.join('x')}) {\n${lines.map((l) => `  ${l}`).join('\n')}\n}\n`;
}
