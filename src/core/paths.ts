import type { GraphNode, ModelGraph } from './graph';
import { pluralize } from './format';

/**
 * Input → output paths of a model graph, after Veit, Wilber & Belongie 2016, "Residual networks behave like
 * ensembles of relatively shallow networks": a network with skip connections is a collection of paths of
 * different lengths, and a ResNet of n residual blocks has 2^n of them.
 */

/**
 * Layer kinds with a weight matrix, which make a path longer: convolutions (transposed ones too), dense layers,
 * patchify (a convolution) and attention (its in- and out-projections). Batch and layer norm have parameters but
 * are per-feature scaling, and cls_token and pos_embed add learned vectors: none is a layer of depth.
 */
export const WEIGHTED_KINDS: ReadonlySet<string> = new Set(['conv', 'convtranspose', 'dense', 'patchify', 'attention']);

/** The weighted kinds as messages list them: "conv, convtranspose, dense, patchify, attention". */
export const WEIGHTED_KINDS_TEXT = [...WEIGHTED_KINDS].join(', ');

/** How many input → output paths have `length` weighted layers. */
export interface PathLengthCount {
  /** Weighted layers (WEIGHTED_KINDS) on the path. */
  length: number;
  /** Exact count (bigint: DenseNet-121 has 2^58 paths, past 2^53). */
  count: bigint;
}

/** The shortest range of lengths that holds at least `percent` % of all paths. */
export interface PathRange {
  percent: number;
  from: number;
  to: number;
  /** Paths whose length lies in from…to. */
  count: bigint;
}

/** The path-length distribution of one model and figures read from it. */
export interface PathStatistics {
  /** Counts by length, shortest first; lengths that no path has are left out. */
  lengths: PathLengthCount[];
  /** All input → output paths: the sum of `lengths`' counts. 0 when an error cut the output off from the input. */
  total: bigint;
  /** Fewest and most weighted layers on a path (0 when `total` is 0). */
  shortest: number;
  longest: number;
  /** Σ length · count / total, rounded to 6 decimals (0 when `total` is 0). */
  mean: number;
  /** The middle path's length, or the mean of the two middle ones when `total` is even. */
  median: number;
  /** `centralRange` for 50 % and 95 % (empty when `total` is 0). */
  ranges: PathRange[];
  /** Node ids of one shortest and one longest path, input first (the first input wins ties). */
  shortestPath: string[];
  longestPath: string[];
}

/** A polynomial Σ coeffs[i] · z^(offset + i): the path counts by length. Immutable, so a chain of layers shares one array. */
interface Counts {
  offset: number;
  coeffs: bigint[];
}

const NONE: Counts = { offset: 0, coeffs: [] };

function sum(parts: Counts[]): Counts {
  const present = parts.filter((p) => p.coeffs.length > 0);
  if (present.length <= 1) return present[0] ?? NONE;
  const offset = Math.min(...present.map((p) => p.offset));
  const end = Math.max(...present.map((p) => p.offset + p.coeffs.length));
  const coeffs = new Array<bigint>(end - offset).fill(0n);
  for (const part of present) part.coeffs.forEach((c, i) => (coeffs[part.offset - offset + i] += c));
  return { offset, coeffs };
}

/**
 * Exact path counts of a model, grouped by length. A path runs along the graph's edges from the input to the
 * output node; its length is the number of weighted layers on it (WEIGHTED_KINDS: conv, convtranspose, dense,
 * patchify, attention; add, concat, zeropad, pooling, activations and the norms add none). A merge that reads the same tensor twice counts two paths. Layers
 * that never reach the output lie on no path.
 *
 * Computed in one pass in topological order as generating polynomials: P(input) = 1,
 * P(node) = z^w(node) · Σ_{inputs} P(input), w = 1 for weighted layers, else 0, so ResNet's residual block
 * multiplies by (1 + z²) and DenseNet's layer, concat(in, conv(in)), by (1 + z): exact in bigint at any size.
 */
export function pathCounts(model: ModelGraph): PathStatistics {
  const counts = new Map<string, Counts>();
  const low = new Map<string, { length: number; from: string | null }>();
  const high = new Map<string, { length: number; from: string | null }>();
  for (const node of model.nodes) {
    const w = WEIGHTED_KINDS.has(node.kind) ? 1 : 0;
    if (node.kind === 'input') {
      counts.set(node.id, { offset: 0, coeffs: [1n] });
      low.set(node.id, { length: 0, from: null });
      high.set(node.id, { length: 0, from: null });
      continue;
    }
    const reached = node.inputs.filter((id) => (counts.get(id)?.coeffs.length ?? 0) > 0);
    if (reached.length === 0) continue;
    const total = sum(reached.map((id) => counts.get(id)!));
    counts.set(node.id, { offset: total.offset + w, coeffs: total.coeffs });
    low.set(node.id, extreme(reached, low, w, (a, b) => a < b));
    high.set(node.id, extreme(reached, high, w, (a, b) => a > b));
  }
  const out = counts.get(model.output) ?? NONE;
  const lengths: PathLengthCount[] = [];
  out.coeffs.forEach((count, i) => {
    if (count > 0n) lengths.push({ length: out.offset + i, count });
  });
  return pathStatistics(lengths, trace(model.output, low), trace(model.output, high));
}

function extreme(inputs: string[], best: Map<string, { length: number }>, w: number, better: (a: number, b: number) => boolean): { length: number; from: string } {
  let from = inputs[0];
  for (const id of inputs) if (better(best.get(id)!.length, best.get(from)!.length)) from = id;
  return { length: best.get(from)!.length + w, from };
}

function trace(output: string, best: Map<string, { from: string | null }>): string[] {
  if (!best.has(output)) return [];
  const path: string[] = [];
  for (let id: string | null = output; id !== null; id = best.get(id)!.from) path.push(id);
  return path.reverse();
}

/** Total, extremes, mean, median and central ranges of a length distribution (lengths ascending). */
export function pathStatistics(lengths: PathLengthCount[], shortestPath: string[] = [], longestPath: string[] = []): PathStatistics {
  const total = lengths.reduce((s, l) => s + l.count, 0n);
  if (total === 0n) return { lengths, total, shortest: 0, longest: 0, mean: 0, median: 0, ranges: [], shortestPath, longestPath };
  const weighted = lengths.reduce((s, l) => s + BigInt(l.length) * l.count, 0n);
  const million = 1_000_000n;
  const mean = Number((weighted * million * 2n + total) / (total * 2n)) / 1e6;
  const at = (index: bigint): number => {
    let seen = 0n;
    for (const l of lengths) {
      seen += l.count;
      if (seen > index) return l.length;
    }
    return lengths[lengths.length - 1].length;
  };
  const median = (at((total - 1n) / 2n) + at(total / 2n)) / 2;
  return {
    lengths,
    total,
    shortest: lengths[0].length,
    longest: lengths[lengths.length - 1].length,
    mean,
    median,
    ranges: [centralRange(lengths, 50), centralRange(lengths, 95)],
    shortestPath,
    longestPath,
  };
}

/**
 * The "effective depth" range: the narrowest range of lengths from…to (in layers) whose paths make at least
 * `percent` % of all paths (percent in (0, 100], compared exactly to a thousandth of a percent). Ties go to
 * the range with more paths, then to the shorter lengths. For ResNet-20 (binomial, 2 + 2·Bin(9, ½)) the
 * 50 % range is 8–12: 336 of 512 paths, as 10–12 holds only 252.
 * @throws RangeError when percent is outside (0, 100] or `lengths` holds no path.
 */
export function centralRange(lengths: PathLengthCount[], percent: number): PathRange {
  if (!(percent > 0 && percent <= 100)) throw new RangeError(`percent must be in (0, 100], not ${percent}`);
  const total = lengths.reduce((s, l) => s + l.count, 0n);
  if (total === 0n) throw new RangeError('no paths');
  const target = BigInt(Math.round(percent * 1000)) * total; // compared with count · 100,000
  let best: PathRange | undefined;
  let inside = 0n;
  let j = -1;
  for (let i = 0; i < lengths.length; i++) {
    while (inside * 100_000n < target && j + 1 < lengths.length) inside += lengths[++j].count;
    if (inside * 100_000n < target) break;
    const range: PathRange = { percent, from: lengths[i].length, to: lengths[j].length, count: inside };
    const width = range.to - range.from;
    if (!best || width < best.to - best.from || (width === best.to - best.from && inside > best.count)) best = range;
    inside -= lengths[i].count;
  }
  return best!;
}

/** count / total in percent for people: one decimal from 0.1 % up ("24.6%"), else three significant figures ("0.0977%", "3.47e-16%"), "0%" for none. */
export function formatShare(count: bigint, total: bigint): string {
  if (count === 0n || total === 0n) return '0%';
  const tenths = (count * 2000n + total) / (2n * total);
  if (count * 1000n >= total) return `${tenths / 10n}.${tenths % 10n}%`;
  // count/total · 100 = m · 10^e with 1 ≤ m < 10: find e exactly, then three figures of m.
  let exponent = -1;
  let scale = 10n; // 10^-exponent
  while (count * 100n * scale < total) {
    exponent--;
    scale *= 10n;
  }
  let figures = (count * 100n * scale * 100n * 2n + total) / (2n * total); // m · 100, rounded
  if (figures >= 1000n) {
    figures /= 10n;
    exponent++;
  }
  const text = figures.toString();
  // Down to a thousandth of a percent the digits read plainly (0.0977%); below, in scientific notation.
  return exponent >= -3 ? `0.${'0'.repeat(-exponent - 1)}${text}%` : `${text[0]}.${text.slice(1)}e${exponent}%`;
}

/** "1 path", "512 paths", with every digit. */
export function pathsWord(count: bigint): string {
  return `${count.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')} path${count === 1n ? '' : 's'}`;
}

/**
 * One sentence that reads the distribution: "512 paths; at least half (336, 65.6%) are 8–12 weighted layers
 * long; the longest, 20 layers, is 1 path of 512; the shortest has 2 layers."
 */
export function describePaths(stats: PathStatistics): string {
  if (stats.total === 0n) return 'No path joins the input to the output.';
  const all = pathsWord(stats.total);
  if (stats.lengths.length === 1) return `${stats.total === 1n ? 'One path' : all}, ${stats.longest} weighted ${pluralize(stats.longest, 'layer')} long.`;
  const half = stats.ranges[0];
  const span = half.from === half.to ? `${half.from}` : `${half.from}–${half.to}`;
  const longest = stats.lengths[stats.lengths.length - 1];
  const digits = (n: bigint): string => pathsWord(n).replace(/ paths?$/, '');
  return (
    `${all}; at least half (${digits(half.count)}, ${formatShare(half.count, stats.total)}) are ${span} weighted layers long; ` +
    `the longest, ${longest.length} ${pluralize(longest.length, 'layer')}, is ${pathsWord(longest.count)} of ${digits(stats.total)}; the shortest has ${stats.shortest} ${pluralize(stats.shortest, 'layer')}.`
  );
}

/** True for nodes that make a path longer. */
export function isWeighted(node: GraphNode): boolean {
  return WEIGHTED_KINDS.has(node.kind);
}
