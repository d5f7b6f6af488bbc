/** A value an argument expression can evaluate to. Symbols are bare words such as `same` or `adam`. */
export type Value = number | boolean | { symbol: string } | { text: string } | { dims: number[] };

export function isSymbol(value: Value): value is { symbol: string } {
  return typeof value === 'object' && 'symbol' in value;
}

export function formatValue(value: Value): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(+value.toPrecision(6));
  if (typeof value === 'boolean') return String(value);
  if ('symbol' in value) return value.symbol;
  if ('text' in value) return JSON.stringify(value.text);
  return value.dims.join('x');
}

/**
 * Tensor shapes are NHWC without the batch axis: [H, W, C] for images, [N] for flat vectors, [T, D] for sequences
 * (T tokens of D features, as a Vision Transformer's).
 */
export type Shape = number[];

/** `32×32×3`, `10`, or `197 tokens × 768` for a sequence. */
export function formatShape(shape: Shape | null | undefined): string {
  if (!shape) return '?';
  return shape.length === 2 ? `${shape[0]} token${shape[0] === 1 ? '' : 's'} × ${shape[1]}` : shape.join('×');
}

/** What a shape is, for messages: `a 14×14×768 feature map`, `a flat vector of 10`, `a sequence of 197 tokens × 768`. */
export function describeShape(shape: Shape): string {
  // "an 8×8×3", "an 11×11×…", "an 18×…": the article as the number is spoken.
  if (shape.length === 3) return `${/^(8|11|18)/.test(String(shape[0])) ? 'an' : 'a'} ${shape.join('×')} feature map`;
  if (shape.length === 2) return `a sequence of ${formatShape(shape)}`;
  return `a flat vector of ${shape.join('×')}`;
}

export function channelsOf(shape: Shape): number {
  return shape[shape.length - 1];
}

/** Elements of a tensor of this shape, as a double: exact only while the product stays below 2^53. */
export function elementCount(shape: Shape): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/** Elements of a tensor of this shape, exact at any size (every dimension is a safe integer). */
export function exactElementCount(shape: Shape): bigint {
  let count = 1n;
  for (const dim of shape) count *= BigInt(dim);
  return count;
}

/** The largest size a dimension may have: every dimension is a double, so it must be a safe integer. */
export const MAX_DIMENSION = Number.MAX_SAFE_INTEGER;
