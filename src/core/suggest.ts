import type { Argument, Element, Expr } from './ast';
import type { DiagnosticFix } from './diagnostics';
import type { LayerSpec } from './layers';
import type { Range } from './text';

/* What a person probably meant by a name SkipNet does not know: a close name, or the SkipNet spelling of a
   PyTorch or Keras layer. */

/**
 * "Did you mean …?": the one ranking both diagnostics and completion follow, so the name a diagnostic
 * suggests for `co` is the name completion lists first for `co`.
 *
 * 1. A name that differs only in case (`ReLU` → `relu`).
 * 2. The first name the typed text begins (`co` → `conv`, listed before `concat`), two characters typed or more.
 * 3. The smallest optimal-string-alignment distance (Levenshtein plus adjacent transpositions, so
 *    `rleu` → `relu` is one edit), at most max(1, ⌊length / 3⌋) edits so a short word is never "corrected"
 *    into an unrelated one (`co` is not `in`).
 * Ties go to the candidate listed first. Callers list names in completion's order (labels and blocks by
 * name, then layers in their table order, then `in` and `_`), so both features agree.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const typed = name.toLowerCase();
  const list = [...candidates];
  const exact = list.find((c) => c.toLowerCase() === typed);
  if (exact !== undefined) return exact;
  if (typed.length >= 2) {
    const prefixed = list.find((c) => c.toLowerCase().startsWith(typed));
    if (prefixed !== undefined) return prefixed;
  }
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of list) {
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1);
    }
    rows.push(row);
  }
  return rows[a.length][b.length];
}

/** " Did you mean 'x'?" or '', for messages that offer no Quick Fix. */
export function suggestion(name: string, candidates: Iterable<string>): string {
  const close = closestName(name, candidates);
  return close ? ` Did you mean '${close}'?` : '';
}

/**
 * The suggestion as message text and as a Quick Fix that writes it over `range` (the misspelt name).
 * Both are empty when no candidate is close enough.
 */
export function suggest(name: string, candidates: Iterable<string>, range: Range): { hint: string; fix?: DiagnosticFix } {
  const close = closestName(name, candidates);
  if (close === undefined) return { hint: '' };
  return { hint: ` Did you mean '${close}'?`, fix: { title: `Change '${name}' to '${close}'`, range, text: close } };
}

/**
 * PyTorch (torch.nn, torch) and Keras (keras.layers) names people type out of habit, and how SkipNet
 * writes the same layer. The call is translated, not only renamed, where the two libraries order their
 * arguments differently from SkipNet: PyTorch's Conv2d, Linear and BatchNorm2d take the input size first,
 * which SkipNet infers, so that argument is dropped.
 */
interface Alias {
  layer: string;
  /** Whose name it is; absent for a SkipNet name in other case or with underscores (`ReLU`, `max_pool`). */
  library?: 'PyTorch' | 'Keras' | 'PyTorch/Keras';
  /** Leading positional arguments with no SkipNet counterpart (in_channels, in_features, num_features). */
  dropPositional?: number;
  /** Keyword renames; null drops the keyword (in_channels=, inplace=, dim=). */
  keywords?: Record<string, string | null>;
  /** Keras's batch-norm momentum weighs the old statistic (0.99); PyTorch's and SkipNet's the new one (0.01). */
  complement?: string[];
  /** What the dropped arguments were, for the message. */
  inferred?: string;
}

const CONV_TORCH: Alias = {
  layer: 'conv',
  library: 'PyTorch',
  dropPositional: 1,
  keywords: { in_channels: null, out_channels: 'filters', kernel_size: 'kernel', padding: 'pad' },
  inferred: 'input channels',
};
const CONV_KERAS: Alias = { layer: 'conv', library: 'Keras', keywords: { kernel_size: 'kernel', strides: 'stride', padding: 'pad', use_bias: 'bias', dilation_rate: 'dilation' } };
const POOL_TORCH = (layer: string): Alias => ({ layer, library: 'PyTorch', keywords: { kernel_size: 'kernel', padding: 'pad' } });
const POOL_KERAS = (layer: string): Alias => ({ layer, library: 'Keras', keywords: { pool_size: 'kernel', strides: 'stride', padding: 'pad' } });
const BN_TORCH: Alias = { layer: 'bn', library: 'PyTorch', dropPositional: 1, keywords: { num_features: null }, inferred: 'number of features' };
const LN_TORCH: Alias = { layer: 'layernorm', library: 'PyTorch', dropPositional: 1, keywords: { normalized_shape: null, elementwise_affine: null }, inferred: 'number of features' };
const GAP: Alias = { layer: 'gap', library: 'PyTorch', dropPositional: 1, keywords: { output_size: null } };
const MERGE = (layer: string, library: Alias['library']): Alias => ({ layer, library, keywords: { dim: null, axis: null } });
const ACTIVATION = (layer: string): Alias => ({ layer, library: 'PyTorch/Keras', dropPositional: 1, keywords: { inplace: null } });

/** Exact spellings first: PyTorch's Conv2d and Keras's Conv2D differ in case and in their arguments. */
const EXACT: Record<string, Alias> = {
  Conv2d: CONV_TORCH,
  LazyConv2d: { layer: 'conv', library: 'PyTorch', keywords: { out_channels: 'filters', kernel_size: 'kernel', padding: 'pad' } },
  Conv2D: CONV_KERAS,
  Convolution2D: CONV_KERAS,
  Linear: { layer: 'dense', library: 'PyTorch', dropPositional: 1, keywords: { in_features: null, out_features: 'units' }, inferred: 'input features' },
  LazyLinear: { layer: 'dense', library: 'PyTorch', keywords: { out_features: 'units' } },
  Dense: { layer: 'dense', library: 'Keras', keywords: { use_bias: 'bias' } },
  BatchNorm2d: BN_TORCH,
  BatchNorm1d: BN_TORCH,
  LazyBatchNorm2d: { layer: 'bn', library: 'PyTorch' },
  BatchNormalization: { layer: 'bn', library: 'Keras', keywords: { epsilon: 'eps' }, complement: ['momentum'] },
  LayerNorm: LN_TORCH,
  MultiheadAttention: { layer: 'attention', library: 'PyTorch', dropPositional: 1, keywords: { embed_dim: null, num_heads: 'heads', batch_first: null }, inferred: 'embedding dimension' },
  LayerNormalization: { layer: 'layernorm', library: 'Keras', keywords: { epsilon: 'eps', axis: null } },
  ReLU: ACTIVATION('relu'),
  ReLU6: ACTIVATION('relu6'),
  SiLU: ACTIVATION('silu'),
  Hardswish: ACTIVATION('hardswish'),
  Hardsigmoid: ACTIVATION('hardsigmoid'),
  ConvTranspose2d: { ...CONV_TORCH, layer: 'convtranspose', keywords: { ...CONV_TORCH.keywords, output_padding: 'output_pad' } },
  Conv2DTranspose: { layer: 'convtranspose', library: 'Keras', keywords: { kernel_size: 'kernel', strides: 'stride', padding: 'pad', use_bias: 'bias', dilation_rate: 'dilation', output_padding: 'output_pad' } },
  Upsample: { layer: 'upsample', library: 'PyTorch', keywords: { scale_factor: 'scale', align_corners: null } },
  UpSampling2D: { layer: 'upsample', library: 'Keras', keywords: { size: 'scale', interpolation: 'mode' } },
  Multiply: MERGE('mul', 'Keras'),
  GELU: { layer: 'gelu', library: 'PyTorch' },
  Sigmoid: { layer: 'sigmoid', library: 'PyTorch' },
  Tanh: { layer: 'tanh', library: 'PyTorch' },
  Softmax: { layer: 'softmax', library: 'PyTorch/Keras', dropPositional: 1, keywords: { dim: null, axis: null } },
  LeakyReLU: { layer: 'leakyrelu', library: 'PyTorch/Keras', keywords: { negative_slope: 'alpha', inplace: null } },
  MaxPool2d: POOL_TORCH('maxpool'),
  AvgPool2d: POOL_TORCH('avgpool'),
  MaxPool2D: POOL_KERAS('maxpool'),
  MaxPooling2D: POOL_KERAS('maxpool'),
  AvgPool2D: POOL_KERAS('avgpool'),
  AveragePooling2D: POOL_KERAS('avgpool'),
  AdaptiveAvgPool2d: GAP,
  GlobalAveragePooling2D: { layer: 'gap', library: 'Keras' },
  GlobalAvgPool2D: { layer: 'gap', library: 'Keras' },
  Flatten: { layer: 'flatten', library: 'PyTorch/Keras', keywords: { start_dim: null, end_dim: null } },
  Dropout: { layer: 'dropout', library: 'PyTorch/Keras', keywords: { rate: 'p', inplace: null } },
  Identity: { layer: 'identity', library: 'PyTorch' },
  Add: MERGE('add', 'Keras'),
  Concatenate: MERGE('concat', 'Keras'),
  cat: MERGE('concat', 'PyTorch'),
  concatenate: MERGE('concat', 'PyTorch'),
  sum: MERGE('add', 'PyTorch'),
};

/** Other spellings, compared without case and underscores: only the name changes. */
const LOOSE: Record<string, string> = {
  conv2d: 'conv',
  convolution2d: 'conv',
  linear: 'dense',
  batchnorm: 'bn',
  batchnorm1d: 'bn',
  batchnorm2d: 'bn',
  batchnormalization: 'bn',
  maxpool2d: 'maxpool',
  maxpooling2d: 'maxpool',
  avgpool2d: 'avgpool',
  averagepooling2d: 'avgpool',
  adaptiveavgpool2d: 'gap',
  globalaveragepooling2d: 'gap',
  globalavgpool2d: 'gap',
  cat: 'concat',
  concatenate: 'concat',
  sum: 'add',
  convtranspose2d: 'convtranspose',
  conv2dtranspose: 'convtranspose',
  upsampling2d: 'upsample',
  multiply: 'mul',
};

const loose = (name: string): string => name.toLowerCase().replace(/_/g, '');

/**
 * When `element` names a layer the way PyTorch or Keras does (`Conv2d(3, 16, 3, padding=1)`, `BatchNorm2d`,
 * `cat(a, b)`) or a SkipNet layer in other case (`ReLU`, `max_pool`), the message tail "SkipNet writes this
 * as …" and the fix that rewrites the whole element. `layers` are SkipNet's layers. Undefined otherwise.
 */
export function foreignName(element: Element, layers: ReadonlyMap<string, LayerSpec>): { hint: string; fix: DiagnosticFix } | undefined {
  const own = [...layers.keys()].find((layer) => loose(layer) === loose(element.name));
  const alias: Alias | undefined = EXACT[element.name] ?? (LOOSE[loose(element.name)] ? { layer: LOOSE[loose(element.name)] } : own ? { layer: own } : undefined);
  if (!alias) return undefined;
  const spec = layers.get(alias.layer);
  let drop = element.args ? droppable(element.args, alias, spec) : 0;
  // `batchnorm(16)`, `Layer_Norm(64)`: a feature count where SkipNet's first argument is eps is dropped too.
  const countDropped = element.args !== undefined && drop === 0 && featureCountAt(element.args, drop, spec);
  if (countDropped) drop++;
  const inferred = alias.inferred ?? (countDropped ? 'number of features' : undefined);
  const args = element.args ? translate(element.args, alias, drop) : undefined;
  const text = args && args.length > 0 ? `${alias.layer}(${args.join(', ')})` : alias.layer;
  const dropped = element.args && inferred && (drop > 0 || element.args.some((a) => a.name && alias.keywords?.[a.name] === null));
  const range = { start: element.nameRange.start, end: element.range.end };
  return {
    hint: `${alias.library ? ` '${element.name}' is a ${alias.library} name;` : ''} SkipNet writes this as '${text}'${dropped ? `; SkipNet infers the ${inferred}` : ''}.`,
    fix: { title: `Write '${text}'`, range, text },
  };
}

/**
 * How many leading positional arguments to drop: PyTorch's input size, but only when what is left still
 * gives the SkipNet layer its required arguments (`Linear(10)` was meant as `dense(10)`).
 */
function droppable(args: Argument[], alias: Alias, spec: LayerSpec | undefined): number {
  const drop = alias.dropPositional ?? 0;
  if (drop === 0 || !spec) return 0;
  const required = spec.args.filter((a) => a.default === undefined).map((a) => a.name);
  const positional = args.filter((a) => !a.name).length;
  const byKeyword = args.filter((a) => a.name && required.includes(alias.keywords?.[a.name] ?? a.name)).length;
  return positional - drop + byKeyword >= required.length ? drop : 0;
}

/**
 * Whether the positional argument after the first `drop` is a whole number ≥ 1 written where the SkipNet layer's
 * first argument is a float marked `torchFeatureCount` (PyTorch's feature count, not SkipNet's eps).
 */
function featureCountAt(args: Argument[], drop: number, spec: LayerSpec | undefined): boolean {
  if (spec?.args[0]?.torchFeatureCount === undefined) return false;
  const next = args.filter((a) => !a.name)[drop];
  return next !== undefined && next.value.kind === 'number' && Number.isInteger(next.value.value) && next.value.value >= 1;
}

function translate(args: Argument[], alias: Alias, drop: number): string[] {
  const out: string[] = [];
  let position = 0;
  for (const arg of args) {
    if (!arg.name) {
      if (position++ < drop) continue;
      out.push(printExpr(arg.value));
      continue;
    }
    const renamed = alias.keywords && arg.name in alias.keywords ? alias.keywords[arg.name] : arg.name;
    if (renamed === null) continue;
    const value = alias.complement?.includes(arg.name) ? `1 - ${printExpr(arg.value, 2)}` : printExpr(arg.value);
    out.push(`${renamed}=${value}`);
  }
  return out;
}

const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2, '//': 2, '%': 2 } as const;

/**
 * An argument as SkipNet text: Python's True/False become true/false and the strings 'same', 'valid', 'nearest'
 * and 'bilinear' bare words; parentheses only where precedence needs them (`outer` is the precedence around it).
 */
export function printExpr(expr: Expr, outer = 0): string {
  switch (expr.kind) {
    case 'number':
      return String(expr.value);
    case 'shape':
      return expr.dims.join('x');
    case 'string':
      return ['same', 'valid', 'nearest', 'bilinear'].includes(expr.value) ? expr.value : JSON.stringify(expr.value);
    case 'name':
      return expr.name === 'True' ? 'true' : expr.name === 'False' ? 'false' : expr.name;
    case 'unary':
      return `${expr.op}${printExpr(expr.operand, 3)}`;
    case 'binary': {
      const own = PRECEDENCE[expr.op];
      // The right operand binds tighter: a - (b - c) keeps its parentheses.
      const text = `${printExpr(expr.left, own)} ${expr.op} ${printExpr(expr.right, own + 1)}`;
      return own < outer ? `(${text})` : text;
    }
    case 'call':
      return `${expr.callee}(${expr.args.map((a) => (a.name ? `${a.name}=${printExpr(a.value)}` : printExpr(a.value))).join(', ')})`;
    case 'error':
      return '';
  }
}
