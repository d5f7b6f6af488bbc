import { findings, formatCount, formatShare, describePaths, pathCounts, pluralize, WEIGHTED_KINDS_TEXT, type Finding, type ModelGraph, type PathStatistics } from '../core';
import { compareSides, type CompareSide } from './compare';
import { renderTable } from './table';

/**
 * `skipnet paths` and `skipnet explain`: the path-length distribution (Veit et al. 2016) and the findings
 * in words. JSON output writes exact counts as strings of decimal digits, like `summary --json`.
 */

/** The JSON form of `pathCounts`: counts as decimal strings, shares as text. */
export function pathsJson(model: ModelGraph, stats: PathStatistics): object {
  return {
    model: model.name,
    total: stats.total.toString(),
    lengths: stats.lengths.map((l) => ({ length: l.length, count: l.count.toString(), share: formatShare(l.count, stats.total) })),
    shortest: stats.shortest,
    longest: stats.longest,
    mean: stats.mean,
    median: stats.median,
    ranges: stats.ranges.map((r) => ({ percent: r.percent, from: r.from, to: r.to, count: r.count.toString() })),
    shortestPath: stats.shortestPath,
    longestPath: stats.longestPath,
    reading: describePaths(stats),
  };
}

/** The text of `skipnet paths` for one model: length → count (every digit) → share, and a reading. */
export function renderPaths(model: ModelGraph, stats: PathStatistics): string {
  const lines = [`Model ${model.name}: input → output paths by length (weighted layers: ${WEIGHTED_KINDS_TEXT})`];
  if (stats.total > 0n) {
    const rows = stats.lengths.map((l) => [String(l.length), formatCount(l.count), formatShare(l.count, stats.total)]);
    rows.push(['all', formatCount(stats.total), '100%']);
    lines.push(renderTable(['Length', 'Paths', 'Share'], rows, [true, true, true]));
  }
  lines.push(describePaths(stats));
  if (stats.lengths.length > 1) {
    const wide = stats.ranges[1];
    lines.push(`Mean length ${Number(stats.mean.toFixed(2))}, median ${stats.median}; at least 95% (${formatShare(wide.count, stats.total)}) are ${wide.from === wide.to ? wide.from : `${wide.from}–${wide.to}`} ${pluralize(wide.to, 'layer')} long.`);
  }
  return lines.join('\n');
}

/** Output of `skipnet paths` for the chosen models (several are separated by a blank line, or a JSON array). */
export function pathsOutput(models: ModelGraph[], json: boolean): string {
  const results = models.map((m) => ({ model: m, stats: pathCounts(m) }));
  if (json) {
    const objects = results.map((r) => pathsJson(r.model, r.stats));
    return JSON.stringify(objects.length === 1 ? objects[0] : objects, null, 2);
  }
  return results.map((r) => renderPaths(r.model, r.stats)).join('\n\n');
}

/**
 * The sides `skipnet explain` speaks of: one `FILE[:MODEL]` (its first model, or MODEL), two of them, or
 * one with `ablate` (the model and its no-skip ablation). Reads files through `read`, which may throw.
 */
export function explainSides(specs: string[], read: (path: string) => string, ablate: boolean, model?: string): { sides: CompareSide[]; problems: string[] } | { error: string } {
  if (specs.length === 1 && !ablate) {
    // compareSides with one file picks its first two models; explain wants one: read it as a pair with itself.
    const spec = model !== undefined && !specs[0].includes(':') ? `${specs[0]}:${model}` : specs[0];
    const result = compareSides([spec, spec], read, false);
    return 'error' in result ? result : { sides: [result.sides[0]], problems: result.problems };
  }
  if (specs.length === 0 || specs.length > 2) return { error: 'explain takes one or two FILE[:MODEL] arguments' };
  const named = model !== undefined && specs.length === 1 && !specs[0].includes(':') ? [`${specs[0]}:${model}`] : specs;
  return compareSides(named, read, ablate);
}

/** `skipnet explain` output: one finding per line (text), or `{ models, findings }` (JSON). */
export function explainOutput(sides: CompareSide[], batch: number | undefined, json: boolean): string {
  const list: Finding[] =
    sides.length === 1 ? findings(sides[0].model, undefined, { batch }) : findings(sides[0].model, sides[1].model, { batch, labels: [sides[0].label, sides[1].label] });
  if (json) return JSON.stringify({ models: sides.map((s) => s.label), findings: list }, null, 2);
  return list.map((f) => `- ${f.text}`).join('\n');
}
