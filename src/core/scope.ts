import type { Argument, BlockDecl, Element, Statement } from './ast';
import { scopeLabels } from './checks';
import { DiagnosticSink } from './diagnostics';
import { evaluate, type EvalScope } from './evaluate';
import { pluralize } from './format';
import type { BlockGroup } from './graph';
import type { ArgSpec, LayerArgs, LayerSpec } from './layers';
import { checkType } from './nodes';
import { printExpr, suggest } from './suggest';
import type { Range } from './text';
import { formatValue, isSymbol, MAX_DIMENSION, type Shape, type Value } from './values';

/* The scopes of the expansion (src/core/expand.ts): what a block body, model or labelled repeat body sees, how its
   layers are named, and how a layer call's arguments are read; kept apart to keep the expansion short. */

export interface Frame {
  prefix: string;
  group: BlockGroup | null;
  params: Map<string, Value>;
  /** Labels in scope; null for a label whose statement failed (already reported, so uses stay silent). */
  tensors: Map<string, string | null>;
  /** Named repeat bodies see the names of the scope around them. */
  outer: Frame | null;
  input: string | null;
  current: string | null;
  usedNames: Set<string>;
  /** Labels written in this scope, claimed before it runs: an unlabelled layer above `conv1: …` is not numbered conv1. */
  claimed: Set<string>;
  counters: Map<string, number>;
  /** Which statement first claimed a label here: a second statement with the same label is an error, a repeat is not. */
  labelOwners: Map<string, number>;
  labelUses: Map<string, number>;
  stack: string[];
  /** Labelled layer and block calls in this scope, which `shared(label)` applies again with the same weights. */
  applied: Map<string, Applied>;
  /** The statements of this scope: a labelled repeat that is all of a block's body needs no group of its own. */
  body: Statement[];
}

/** A labelled layer or block call as it was made, to be applied again with tied weights. */
export type Applied =
  | { kind: 'layer'; node: string; input: string; spec: LayerSpec; args: LayerArgs; range: Range }
  | { kind: 'block'; group: BlockGroup; input: string; block: BlockDecl; params: Map<string, Value>; range: Range };

/** A fresh scope: `body` is read first for the labels it claims (an unlabelled layer above `conv1: …` is not conv1). */
export function newFrame(prefix: string, group: BlockGroup | null, params: Map<string, Value>, inputId: string | null, outer: Frame | null, stack: string[], body: Statement[]): Frame {
  return {
    prefix,
    group,
    params,
    tensors: new Map(),
    outer,
    input: inputId,
    current: inputId,
    usedNames: new Set(),
    claimed: scopeLabels(body, (count) => evaluate(count, { lookup: (name) => params.get(name), channels: () => undefined }, new DiagnosticSink())),
    counters: new Map(),
    labelOwners: new Map(),
    labelUses: new Map(),
    stack,
    applied: new Map(),
    body,
  };
}

/**
 * The name of a node or block instance in `frame`: its label, or its kind numbered in the scope (`conv3`); a label run
 * again by a repeat becomes `label_2`, `label_3`, … Reports a label used twice in one scope.
 */
export function localName(frame: Frame, base: string, label: string | undefined, labelRange: Range | undefined, sink: DiagnosticSink): string {
  if (label && labelRange) {
    const owner = frame.labelOwners.get(label);
    if (owner === undefined) {
      frame.labelOwners.set(label, labelRange.start);
      if (!frame.usedNames.has(label)) {
        frame.usedNames.add(label);
        return label;
      }
      // Only a repeat copy (`conv: repeat N …` makes conv1 … convN, `block1: …` block1_1 …) whose count was unknown before the scope ran.
      sink.add('duplicate-name', `The name '${label}' is already used in this scope by a layer numbered before it; choose another label.`, labelRange);
    } else if (owner !== labelRange.start) sink.add('duplicate-name', `The name '${label}' is already used in this scope.`, labelRange);
    // The same statement again (inside a repeat): number the copies.
    let uses = frame.labelUses.get(label) ?? 1;
    let name: string;
    do name = `${label}_${++uses}`;
    while (frame.usedNames.has(name));
    frame.labelUses.set(label, uses);
    frame.usedNames.add(name);
    return name;
  }
  let count = frame.counters.get(base) ?? 0;
  let name: string;
  do name = `${base}${++count}`;
  while (frame.usedNames.has(name) || frame.labelOwners.has(name) || frame.claimed.has(name));
  frame.counters.set(base, count);
  frame.usedNames.add(name);
  return name;
}

/**
 * A layer call's arguments, positional then keyword, checked against the layer's argument types, defaults filled
 * in; undefined after reporting what is wrong (unknown, repeated, missing or ill-typed arguments).
 */
export function layerArgs(spec: LayerSpec, element: Element, scope: EvalScope, params: string[], sink: DiagnosticSink): LayerArgs | undefined {
  const given = new Map<string, { value: Value; range: Range }>();
  // Arguments that were written but could not be evaluated: already reported, not "missing".
  const failed = new Set<string>();
  let ok = true;
  let position = 0;
  for (const arg of element.args ?? []) {
    const argSpec = arg.name ? spec.args.find((a) => a.name === arg.name) : spec.args[position++];
    if (!argSpec) {
      if (arg.name) {
        const nameRange = arg.nameRange ?? arg.range;
        const { hint, fix } = suggest(arg.name, spec.args.map((a) => a.name), nameRange);
        sink.add('unknown-argument', `${spec.kind} has no argument '${arg.name}'.${hint}`, nameRange, undefined, 'error', fix);
      } else sink.add('argument-count', spec.args.length ? `${spec.kind} takes at most ${spec.args.length} argument(s): ${spec.args.map((a) => a.name).join(', ')}.` : `${spec.kind} takes no arguments.`, arg.range);
      ok = false;
      continue;
    }
    if (given.has(argSpec.name)) {
      sink.add('duplicate-argument', `'${argSpec.name}' is given twice.`, arg.range);
      ok = false;
      continue;
    }
    const value = evaluate(arg.value, scope, sink);
    if (value === undefined) {
      ok = false;
      failed.add(argSpec.name);
    } else {
      given.set(argSpec.name, { value, range: arg.value.range });
      if (!arg.name) warnFeatureCount(spec, argSpec, element, arg, value, sink);
    }
  }
  const args: LayerArgs = {};
  for (const argSpec of spec.args) {
    const entry = given.get(argSpec.name);
    if (!entry) {
      if (failed.has(argSpec.name)) continue;
      if (argSpec.default === undefined) {
        sink.add('missing-argument', `${spec.kind} needs '${argSpec.name}' (${argSpec.doc}).`, element.range);
        ok = false;
      } else args[argSpec.name] = argSpec.default;
      continue;
    }
    const problem = checkType(argSpec.type, entry.value, argSpec.choices);
    if (problem) {
      if (isSymbol(entry.value)) {
        // A misspelt word (flase, sme) or block parameter (plane): the words this argument takes come first.
        const words = argSpec.type === 'bool' ? ['true', 'false'] : argSpec.type === 'padding' ? ['same', 'valid'] : (argSpec.choices ?? []);
        const { hint, fix } = suggest(entry.value.symbol, [...words, ...params, 'channels'], entry.range);
        sink.add('unknown-name', `Unknown name '${entry.value.symbol}'.${hint}`, entry.range, undefined, 'error', fix);
      } else sink.add(problem.startsWith('must be a whole') ? 'invalid-size' : 'argument-type', `${spec.kind}: ${argSpec.name} ${problem}`, entry.range);
      ok = false;
    } else args[argSpec.name] = entry.value;
  }
  return ok ? args : undefined;
}

/**
 * Warns where a whole number ≥ 1 is given by position to an argument marked `torchFeatureCount` (bn's and
 * layernorm's eps): PyTorch's BatchNorm2d(16) and LayerNorm(64) take the feature count there, which SkipNet infers,
 * so `bn(16)` would otherwise silently set eps = 16. The fix drops the argument and keeps the others.
 */
function warnFeatureCount(spec: LayerSpec, argSpec: ArgSpec, element: Element, arg: Argument, value: Value, sink: DiagnosticSink): void {
  if (argSpec.torchFeatureCount === undefined || typeof value !== 'number' || !Number.isInteger(value) || value < 1) return;
  const rest = (element.args ?? []).filter((other) => other !== arg).map((other) => (other.name ? `${other.name}=${printExpr(other.value)}` : printExpr(other.value)));
  const text = rest.length > 0 ? `${spec.kind}(${rest.join(', ')})` : spec.kind;
  sink.add(
    'feature-count-argument',
    `${spec.kind}(${printExpr(arg.value)}): the first argument is ${argSpec.name} (${typeof argSpec.default === 'number' && argSpec.default < 1e-3 ? argSpec.default.toExponential() : formatValue(argSpec.default ?? 0)} by default), not the feature count of PyTorch's ${argSpec.torchFeatureCount}; SkipNet infers the ${value} ${pluralize(value, 'feature')} from the input. Write \`${text}\` or \`${spec.kind}(${argSpec.name}=…)\`.`,
    arg.range,
    undefined,
    'warning',
    { title: `Write '${text}'`, range: { start: element.nameRange.start, end: element.range.end }, text },
  );
}

/** A model input's shape as written, H×W×C or N, each whole from 1 to 2^53 − 1; null after reporting it. */
export function inputShape(dims: number[], range: Range, sink: DiagnosticSink): Shape | null {
  if ((dims.length !== 1 && dims.length !== 3) || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    sink.add('invalid-size', `The input shape must be H×W×C (e.g. 32x32x3) or a single size, all whole numbers from 1 to ${MAX_DIMENSION.toLocaleString('en-US')}.`, range);
    return null;
  }
  return dims;
}
