import { analyze, exactRatio, formatBytes, formatCount, formatMacsExact, trainingMemory, withoutSkipConnections, type Analysis, type ModelGraph } from '../core';

export { exactRatio } from '../core';
import type { CompareRow } from '../protocol/compare-messages';
import { renderTable } from './table';

export interface CompareSide {
  label: string;
  model: ModelGraph;
}

/**
 * Rows of the side-by-side comparison: what the seed question is about, in numbers. `a` and `b` are the
 * figures as shown (counts with every digit, bytes in IEC units); `values` the exact quantities as decimal
 * digits (bytes in bytes), since the shown bytes are rounded.
 */
export function comparisonRows(a: CompareSide, b: CompareSide, batch: number): CompareRow[] {
  const memory = (m: ModelGraph): bigint => trainingMemory(m, batch).total;
  const count = (m: ModelGraph, kind: string): bigint => BigInt(m.nodes.filter((n) => n.kind === kind).length);
  const metrics: [string, (m: ModelGraph) => bigint, (v: bigint) => string][] = [
    ['trainable params', (m) => m.totals.params, formatCount],
    ['BN buffers', (m) => m.totals.buffers, formatCount],
    ['MACs per sample', (m) => m.totals.macs, formatMacsExact],
    ['layers', (m) => BigInt(m.totals.layers), String],
    ['add merges', (m) => count(m, 'add'), String],
    ['concat merges', (m) => count(m, 'concat'), String],
    ['activations per sample', (m) => m.totals.activationElements * 4n, formatBytes],
    [`training memory (batch ${batch})`, memory, formatBytes],
  ];
  return metrics.map(([metric, get, format]) => {
    const [x, y] = [get(a.model), get(b.model)];
    return { metric, a: format(x), b: format(y), ratio: exactRatio(x, y), values: [x.toString(), y.toString()] };
  });
}

export function renderComparison(a: CompareSide, b: CompareSide, batch: number): string {
  const rows = comparisonRows(a, b, batch);
  return renderTable(['', a.label, b.label, `${b.label} / ${a.label}`], rows.map((r) => [r.metric, r.a, r.b, r.ratio]), [false, true, true, true]);
}

/** Picks the two sides from `FILE[:MODEL]` arguments, or one file's first two models, or a model and its ablation. */
export function compareSides(
  specs: string[],
  read: (path: string) => string,
  ablate: boolean,
): { sides: [CompareSide, CompareSide]; problems: string[] } | { error: string } {
  const parsed = specs.map((spec) => {
    const [file, model] = spec.split(':');
    return { file, model };
  });
  const analyses = new Map<string, Analysis>();
  const load = (file: string, plain = false): Analysis => {
    const key = `${plain}|${file}`;
    if (!analyses.has(key)) analyses.set(key, plain ? withoutSkipConnections(read(file)) : analyze(read(file)));
    return analyses.get(key)!;
  };
  const pick = (file: string, name: string | undefined, index: number, plain = false): CompareSide | string => {
    const analysis = load(file, plain);
    const model = name ? analysis.models.find((m) => m.name === name) : analysis.models[index];
    if (!model) return name ? `no model '${name}' in ${file}` : `${file} has no model #${index + 1}`;
    return { label: plain ? `${model.name} without skips` : model.name, model };
  };
  let sides: (CompareSide | string)[];
  if (ablate) {
    if (parsed.length !== 1) return { error: '--without-skips compares one model with its ablation: give one FILE[:MODEL]' };
    sides = [pick(parsed[0].file, parsed[0].model, 0), pick(parsed[0].file, parsed[0].model, 0, true)];
  } else if (parsed.length === 1) {
    sides = [pick(parsed[0].file, undefined, 0), pick(parsed[0].file, undefined, 1)];
  } else if (parsed.length === 2) {
    sides = [pick(parsed[0].file, parsed[0].model, 0), pick(parsed[1].file, parsed[1].model, 0)];
  } else return { error: 'compare takes one or two FILE[:MODEL] arguments' };
  const error = sides.find((s): s is string => typeof s === 'string');
  if (error) return { error };
  const problems = [...analyses.entries()].flatMap(([key, analysis]) =>
    analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => `${key.split('|')[1]}: ${d.message}`),
  );
  return { sides: sides as [CompareSide, CompareSide], problems };
}
