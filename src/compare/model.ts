/**
 * What the Compare view shows, computed from the two documents' text: each side's graph payload (as
 * written or with every skip connection removed), the problems the ablation reports, its size knobs,
 * the comparison rows of `skipnet compare`, and parameter-matched suggestions with their edits. Pure
 * (no `vscode`), so the host panel stays thin and tests use exactly what the panel sends.
 */
import { comparisonRows } from '../cli/compare';
import { type Analysis, analyze, type ModelGraph, matchParameterCount, type ParameterMatch, sizeKnobs, withoutSkipConnections } from '../core';
import { buildGraphPayload, buildPairFindings } from '../protocol/payload';
import { COMPARE_PROTOCOL_VERSION, type CompareSidePayload, type HostToCompare, MATCH_TOLERANCE, type ParameterSuggestion } from '../protocol/compare-messages';

export interface SideSpec {
  uri: string;
  /** Shown in headers; usually the file's base name. */
  file: string;
  model: string;
  withoutSkips: boolean;
}

export interface BuiltSide {
  payload: CompareSidePayload;
  graph: ModelGraph | undefined;
}

export interface CompareOptions {
  collapseThreshold: number;
  direction: 'down' | 'right';
  /** Batch for the training-memory row; defaults to side A's training batch. */
  batch?: number;
}

function problemsOf(analysis: Analysis): CompareSidePayload['problems'] {
  return analysis.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => {
      const position = analysis.lines.positionAt(d.range.start);
      return { line: position.line + 1, column: position.character + 1, code: d.code, message: d.message };
    });
}

/** Parameters that set geometry rather than width (a stride does not change the parameter count). */
const GEOMETRY = /^(stride|pad|padding|dilation|kernel|size|groups)$/i;

/** Width-like knobs (growth rate, planes, channels) first: the one a suggestion should start with. */
function orderKnobs<K extends { param: string }>(knobs: K[]): K[] {
  return [...knobs.filter((k) => !GEOMETRY.test(k.param)), ...knobs.filter((k) => GEOMETRY.test(k.param))];
}

/** One side: the model as written, or its ablation (the core re-infers shapes and reports what no longer fits). */
export function buildSide(spec: SideSpec, text: string, collapseThreshold: number): BuiltSide {
  const analysis = spec.withoutSkips ? withoutSkipConnections(text) : analyze(text);
  const graph = analysis.models.find((m) => m.name === spec.model);
  const problems = problemsOf(analysis);
  if (!graph) {
    const names = analysis.models.map((m) => m.name).join(', ') || 'none';
    problems.unshift({ line: 1, column: 1, code: 'no-such-model', message: `No model '${spec.model}' in ${spec.file} (models: ${names}).` });
  }
  const knobs = graph && !spec.withoutSkips ? orderKnobs(sizeKnobs(analysis, spec.model)).map((k) => ({ id: k.id, block: k.block, param: k.param, values: k.literals.map((l) => l.value) })) : [];
  return {
    graph,
    payload: {
      label: spec.withoutSkips ? `${spec.model} without skips` : spec.model,
      file: spec.file,
      uri: spec.uri,
      model: spec.model,
      withoutSkips: spec.withoutSkips,
      params: (graph?.totals.params ?? 0n).toString(),
      graph: graph ? buildGraphPayload(graph, analysis.lines, { collapseThreshold, models: analysis.models.map((m) => m.name) }) : null,
      problems,
      knobs,
    },
  };
}

/** The `compare` message for two sides and their texts. */
export function buildCompareMessage(specs: [SideSpec, SideSpec], texts: [string, string], revision: number, options: CompareOptions): Extract<HostToCompare, { type: 'compare' }> {
  const a = buildSide(specs[0], texts[0], options.collapseThreshold);
  const b = buildSide(specs[1], texts[1], options.collapseThreshold);
  const batch = options.batch ?? a.graph?.training.batch ?? b.graph?.training.batch ?? 32;
  const rows = a.graph && b.graph ? comparisonRows({ label: a.payload.label, model: a.graph }, { label: b.payload.label, model: b.graph }, batch) : [];
  const findings = a.graph && b.graph ? buildPairFindings(a.graph, b.graph, [a.payload.label, b.payload.label], batch) : undefined;
  return { type: 'compare', revision, protocol: COMPARE_PROTOCOL_VERSION, direction: options.direction, batch, sides: [a.payload, b.payload], rows, ...(findings ? { findings } : {}) };
}

/**
 * The knob value that gives this side the other side's parameter count (core `matchParameterCount`),
 * with the edits that write it back. `target` is the other side's count as shown.
 */
export function suggestMatch(text: string, spec: SideSpec, knob: string, target: bigint): { suggestion: ParameterSuggestion; edits: ParameterMatch['edits'] } | { error: string } {
  if (spec.withoutSkips) return { error: 'Turn the ablation off to resize this model: suggestions edit the model as written.' };
  if (target <= 0n) return { error: 'The other model has no parameter count to match (it does not analyse).' };
  const current = sizeKnobs(analyze(text), spec.model).find((k) => k.id === knob);
  if (!current) return { error: `Model '${spec.model}' has no size knob '${knob}'.` };
  const match = matchParameterCount(text, spec.model, knob, target);
  if ('error' in match) return match;
  return {
    edits: match.edits,
    suggestion: {
      knob,
      current: current.literals.map((l) => l.value),
      values: match.values,
      params: match.params.toString(),
      target: target.toString(),
      difference: match.difference,
      withinTolerance: Math.abs(match.difference) <= MATCH_TOLERANCE,
    },
  };
}

/** Applies offset edits to a text (last first), as a WorkspaceEdit would. */
export function applyEdits(text: string, edits: ParameterMatch['edits']): string {
  let edited = text;
  for (const edit of [...edits].sort((x, y) => y.range.start - x.range.start)) edited = edited.slice(0, edit.range.start) + edit.newText + edited.slice(edit.range.end);
  return edited;
}
