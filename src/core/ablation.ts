import { analyze, type Analysis } from './analyze';
import type { Expr, Statement } from './ast';
import { forEachElement } from './checks';
import type { ModelGraph } from './graph';
import type { Range } from './text';

/** A number in the text that sets a model's size, e.g. a DenseNet growth rate or a ResNet stage width. */
export interface SizeKnob {
  /** "dense_block.k": the block parameter the numbers feed. */
  id: string;
  block: string;
  param: string;
  /** Every integer literal written for that parameter in calls the model makes (and its default). */
  literals: { range: Range; value: number }[];
}

export interface ParameterMatch {
  knob: string;
  /** Factor applied to every literal of the knob (1 = as written). */
  scale: number;
  values: number[];
  /** Exact counts (bigint). */
  params: bigint;
  target: bigint;
  /** params / target − 1. */
  difference: number;
  edits: { range: Range; newText: string }[];
}

/** The analysis of the same model with every skip connection removed (see ExpansionOptions.withoutSkips). */
export function withoutSkipConnections(text: string): Analysis {
  return analyze(text, { withoutSkips: true });
}

/** Every block a body calls, directly or not (iterative: call chains may be long). */
function blocksCalled(analysis: Analysis, body: Statement[]): Set<string> {
  const seen = new Set<string>();
  const pending = [body];
  while (pending.length > 0) {
    forEachElement(pending.pop()!, (element) => {
      const block = analysis.blocks.get(element.name);
      if (block && !seen.has(block.name)) {
        seen.add(block.name);
        pending.push(block.body);
      }
    });
  }
  return seen;
}

/** Size knobs of a model: block parameters that receive integer literals, from the model or its blocks. */
export function sizeKnobs(analysis: Analysis, modelName: string): SizeKnob[] {
  const model = analysis.file.models.find((m) => m.name === modelName);
  if (!model) return [];
  const used = blocksCalled(analysis, model.body);
  const knobs = new Map<string, SizeKnob>();
  const literal = (expr: Expr | undefined): { range: Range; value: number } | undefined =>
    expr?.kind === 'number' && Number.isInteger(expr.value) && expr.value > 0 ? { range: expr.range, value: expr.value } : undefined;
  const knob = (block: string, param: string): SizeKnob => {
    const id = `${block}.${param}`;
    if (!knobs.has(id)) knobs.set(id, { id, block, param, literals: [] });
    return knobs.get(id)!;
  };
  for (const name of used) {
    const block = analysis.blocks.get(name)!;
    for (const param of block.params) {
      const value = literal(param.default);
      if (value) knob(name, param.name).literals.push(value);
    }
  }
  const visitCalls = (body: Statement[]): void =>
    forEachElement(body, (element) => {
      const block = analysis.blocks.get(element.name);
      if (!block || !element.args) return;
      let position = 0;
      for (const arg of element.args) {
        const param = arg.name ? block.params.find((p) => p.name === arg.name) : block.params[position++];
        const value = literal(arg.value);
        if (param && value) knob(block.name, param.name).literals.push(value);
      }
    });
  visitCalls(model.body);
  for (const name of used) visitCalls(analysis.blocks.get(name)!.body);
  return [...knobs.values()].filter((k) => k.literals.length > 0);
}

/**
 * Finds the scale of one knob that brings the model's parameter count closest to `target`
 * (e.g. the growth rate that gives a DenseNet as many parameters as a ResNet). The edits write it back.
 */
export function matchParameterCount(text: string, modelName: string, knobId: string, target: bigint): ParameterMatch | { error: string } {
  const analysis = analyze(text);
  const knob = sizeKnobs(analysis, modelName).find((k) => k.id === knobId);
  if (!knob) return { error: `Model '${modelName}' has no size knob '${knobId}'.` };
  const base = Math.min(...knob.literals.map((l) => l.value));
  const tryValue = (smallest: number): ParameterMatch | undefined => {
    const scale = smallest / base;
    const values = knob.literals.map((l) => Math.max(1, Math.round(l.value * scale)));
    const edits = knob.literals.map((l, i) => ({ range: l.range, newText: String(values[i]) })).sort((a, b) => b.range.start - a.range.start);
    let edited = text;
    for (const edit of edits) edited = edited.slice(0, edit.range.start) + edit.newText + edited.slice(edit.range.end);
    const result = analyze(edited);
    const model: ModelGraph | undefined = result.models.find((m) => m.name === modelName);
    if (!model || result.diagnostics.some((d) => d.severity === 'error')) return undefined;
    return { knob: knobId, scale, values, params: model.totals.params, target, difference: relativeDifference(model.totals.params, target), edits: edits.reverse() };
  };
  // Parameter counts grow with width: double until past the target, then bisect on the smallest literal.
  let low = 1;
  let high = base;
  const below = (match: ParameterMatch | undefined): boolean => match !== undefined && match.params < target;
  while (below(tryValue(high)) && high < 1 << 16) high *= 2;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (below(tryValue(middle))) low = middle;
    else high = middle;
  }
  const candidates = [tryValue(low), tryValue(high)].filter((c): c is ParameterMatch => c !== undefined);
  if (candidates.length === 0) return { error: `No value of ${knobId} gives a valid model.` };
  return candidates.reduce((best, c) => (Math.abs(c.difference) < Math.abs(best.difference) ? c : best));
}

/** params / target − 1 as a double, from the exact counts: the quotient is taken in millionths first, so counts past 2^53 lose nothing that shows. */
function relativeDifference(params: bigint, target: bigint): number {
  return target === 0n ? Infinity : Number(((params - target) * 1_000_000n) / target) / 1_000_000;
}
