import type { Analysis } from '../analyze';
import type { Argument, BlockDecl, ChainStatement, Element, Expr, ModelDecl, RepeatStatement, Statement, TrainSetting } from '../ast';
import { LAYERS } from '../layers';
import type { Range } from '../text';

/**
 * A syntactic index of one analysed file for the editor: every name written in it, what it names and
 * where that is defined. Built from the core's AST (never a second parser), once per Analysis.
 */

export type Declaration = BlockDecl | ModelDecl;

/** A naming scope: a block or model body, or the body of a labelled repeat (which also sees the names around it). */
export interface Scope {
  declaration: Declaration;
  parent: Scope | null;
  range: Range;
}

export interface LabelDefinition {
  name: string;
  range: Range;
  scope: Scope;
  /** The element whose output the label names, or the labelled repeat. */
  target: { kind: 'element'; element: Element } | { kind: 'repeat'; statement: RepeatStatement };
}

export interface TensorReference {
  name: string;
  range: Range;
  scope: Scope;
  /** A reference starts a chain (`shortcut -> relu`) or is a tensor argument of add/concat. */
  site: { kind: 'chain-start'; chain: ChainStatement; element: Element } | { kind: 'merge-argument'; element: Element; index: number };
  /** The label it refers to; undefined for `in`, `input`, `_` and unknown names. */
  definition?: LabelDefinition;
}

export interface BlockCall {
  block: string;
  element: Element;
  scope: Scope;
}

export interface ParameterUse {
  block: BlockDecl;
  name: string;
  range: Range;
  /** 'value': used in an expression inside the block; 'keyword': `name=` at a call of the block. */
  kind: 'value' | 'keyword';
}

/** What a position in the text is: the union every language feature dispatches on. */
export type SymbolTarget =
  | { kind: 'model'; model: ModelDecl; range: Range }
  | { kind: 'block'; block: BlockDecl; range: Range }
  | { kind: 'block-call'; call: BlockCall; range: Range }
  | { kind: 'layer'; element: Element; scope: Scope; range: Range }
  | { kind: 'label'; label: LabelDefinition; range: Range }
  | { kind: 'reference'; reference: TensorReference; range: Range }
  | { kind: 'parameter'; block: BlockDecl; name: string; range: Range; use?: ParameterUse }
  | { kind: 'layer-argument'; layer: string; name: string; range: Range }
  /** `channels` in a call's arguments: the channel count flowing into that call (per instance). */
  | { kind: 'channels'; element: Element; range: Range }
  | { kind: 'train-setting'; model: ModelDecl; setting: TrainSetting; range: Range };

export interface SourceIndex {
  scopes: Scope[];
  labels: LabelDefinition[];
  references: TensorReference[];
  blockCalls: BlockCall[];
  layerUses: { element: Element; scope: Scope }[];
  parameterUses: ParameterUse[];
  /** Every target, sorted by start; symbolAt picks the smallest range containing an offset. */
  targets: SymbolTarget[];
}

const BUILT_IN_TENSORS = new Set(['in', 'input', '_']);

const cache = new WeakMap<Analysis, SourceIndex>();

/** The index of an analysis, built on first use and kept as long as the analysis lives. */
export function sourceIndex(analysis: Analysis): SourceIndex {
  let index = cache.get(analysis);
  if (!index) {
    index = buildIndex(analysis);
    cache.set(analysis, index);
  }
  return index;
}

function buildIndex(analysis: Analysis): SourceIndex {
  const index: SourceIndex = { scopes: [], labels: [], references: [], blockCalls: [], layerUses: [], parameterUses: [], targets: [] };
  const { blocks, file } = analysis;

  // `call`: the layer or block call whose arguments hold the expression (where `channels` has a value).
  const visitExpr = (expr: Expr, block: BlockDecl | undefined, call?: Element): void => {
    switch (expr.kind) {
      case 'name':
        if (block?.params.some((p) => p.name === expr.name)) index.parameterUses.push({ block, name: expr.name, range: expr.range, kind: 'value' });
        else if (expr.name === 'channels' && call) index.targets.push({ kind: 'channels', element: call, range: expr.range });
        break;
      case 'unary':
        visitExpr(expr.operand, block, call);
        break;
      case 'binary':
        visitExpr(expr.left, block, call);
        visitExpr(expr.right, block, call);
        break;
      case 'call':
        expr.args.forEach((arg) => visitExpr(arg.value, block, call));
        break;
    }
  };

  const visitArguments = (element: Element, scope: Scope, block: BlockDecl | undefined): void => {
    const args: Argument[] = element.args ?? [];
    const spec = LAYERS.get(element.name);
    const callee = spec ? undefined : blocks.get(element.name);
    args.forEach((arg, position) => {
      if (spec?.merge && !arg.name && arg.value.kind === 'name') {
        index.references.push({ name: arg.value.name, range: arg.value.range, scope, site: { kind: 'merge-argument', element, index: position } });
        return;
      }
      if (arg.name && arg.nameRange) {
        if (callee && callee.params.some((p) => p.name === arg.name)) {
          index.parameterUses.push({ block: callee, name: arg.name, range: arg.nameRange, kind: 'keyword' });
        } else if (spec) index.targets.push({ kind: 'layer-argument', layer: spec.kind, name: arg.name, range: arg.nameRange });
      }
      visitExpr(arg.value, block, element);
    });
  };

  const visitChain = (chain: ChainStatement, scope: Scope, block: BlockDecl | undefined, chainLabel: boolean): void => {
    chain.elements.forEach((element, position) => {
      if (element.label && element.labelRange) {
        index.labels.push({ name: element.label, range: element.labelRange, scope, target: { kind: 'element', element } });
      }
      if (LAYERS.has(element.name)) index.layerUses.push({ element, scope });
      else if (blocks.has(element.name)) index.blockCalls.push({ block: element.name, element, scope });
      else if (position === 0 && !element.args) {
        index.references.push({ name: element.name, range: element.nameRange, scope, site: { kind: 'chain-start', chain, element } });
      }
      visitArguments(element, scope, block);
    });
    const last = chain.elements[chain.elements.length - 1];
    if (chainLabel && chain.label && chain.labelRange && last) {
      index.labels.push({ name: chain.label, range: chain.labelRange, scope, target: { kind: 'element', element: last } });
    }
  };

  const visitStatements = (statements: Statement[], scope: Scope, block: BlockDecl | undefined): void => {
    for (const statement of statements) {
      if (statement.kind === 'chain') {
        visitChain(statement, scope, block, true);
        continue;
      }
      visitExpr(statement.count, block);
      if (statement.label && statement.labelRange) {
        index.labels.push({ name: statement.label, range: statement.labelRange, scope, target: { kind: 'repeat', statement } });
      }
      if (!Array.isArray(statement.body)) visitChain(statement.body, scope, block, true);
      else if (statement.label) {
        const child: Scope = { declaration: scope.declaration, parent: scope, range: statement.range };
        index.scopes.push(child);
        visitStatements(statement.body, child, block);
      } else visitStatements(statement.body, scope, block);
    }
  };

  for (const block of file.blocks) {
    const scope: Scope = { declaration: block, parent: null, range: block.range };
    index.scopes.push(scope);
    index.targets.push({ kind: 'block', block, range: block.nameRange });
    for (const param of block.params) {
      index.targets.push({ kind: 'parameter', block, name: param.name, range: param.nameRange });
      if (param.default) visitExpr(param.default, block);
    }
    visitStatements(block.body, scope, block);
  }
  for (const model of file.models) {
    const scope: Scope = { declaration: model, parent: null, range: model.range };
    index.scopes.push(scope);
    index.targets.push({ kind: 'model', model, range: model.nameRange });
    visitStatements(model.body, scope, undefined);
    for (const setting of model.train?.settings ?? []) index.targets.push({ kind: 'train-setting', model, setting, range: setting.keyRange });
  }

  for (const reference of index.references) reference.definition = resolveLabel(index.labels, reference.name, reference.scope, reference.range.start);
  for (const label of index.labels) index.targets.push({ kind: 'label', label, range: label.range });
  for (const reference of index.references) index.targets.push({ kind: 'reference', reference, range: reference.range });
  for (const call of index.blockCalls) index.targets.push({ kind: 'block-call', call, range: call.element.nameRange });
  for (const use of index.layerUses) index.targets.push({ kind: 'layer', element: use.element, scope: use.scope, range: use.element.nameRange });
  for (const use of index.parameterUses) index.targets.push({ kind: 'parameter', block: use.block, name: use.name, range: use.range, use });
  index.targets.sort((a, b) => a.range.start - b.range.start);
  return index;
}

/**
 * The label a tensor name refers to from `scope` at `offset`: the nearest one written before it in
 * the scope or the scopes around it (a later one only when none comes before, as in a repeat body).
 */
export function resolveLabel(labels: LabelDefinition[], name: string, scope: Scope, offset: number): LabelDefinition | undefined {
  if (BUILT_IN_TENSORS.has(name)) return undefined;
  let fallback: LabelDefinition | undefined;
  for (let current: Scope | null = scope; current; current = current.parent) {
    let best: LabelDefinition | undefined;
    for (const label of labels) {
      if (label.name !== name || label.scope !== current) continue;
      if (label.range.start < offset) {
        if (!best || label.range.start > best.range.start) best = label;
      } else fallback ??= label;
    }
    if (best) return best;
  }
  return fallback;
}

/** What the text at `offset` names, innermost first; undefined over whitespace, comments and numbers. */
export function symbolAt(analysis: Analysis, offset: number): SymbolTarget | undefined {
  let best: SymbolTarget | undefined;
  for (const target of sourceIndex(analysis).targets) {
    if (target.range.start > offset) break;
    if (offset > target.range.end) continue;
    if (!best || target.range.end - target.range.start < best.range.end - best.range.start) best = target;
  }
  return best;
}

/** The innermost scope whose range contains `offset`, if any. */
export function scopeAt(analysis: Analysis, offset: number): Scope | undefined {
  let best: Scope | undefined;
  for (const scope of sourceIndex(analysis).scopes) {
    if (offset < scope.range.start || offset > scope.range.end) continue;
    if (!best || scope.range.end - scope.range.start < best.range.end - best.range.start) best = scope;
  }
  return best;
}

/** Labels visible as tensor names at `offset` in `scope`: those written before it there or in the scopes around it. */
export function labelsInScope(analysis: Analysis, scope: Scope, offset: number): LabelDefinition[] {
  const visible = new Map<string, LabelDefinition>();
  // A label on the cursor's own line names the statement being written, not a tensor it can read.
  const lineStart = analysis.lines.offsetAt({ line: analysis.lines.positionAt(offset).line, character: 0 });
  for (let current: Scope | null = scope; current; current = current.parent) {
    for (const label of sourceIndex(analysis).labels) {
      if (label.scope === current && label.range.end < lineStart && !visible.has(label.name)) visible.set(label.name, label);
    }
  }
  return [...visible.values()];
}

export function isBuiltInTensor(name: string): boolean {
  return BUILT_IN_TENSORS.has(name);
}
