import type { Analysis } from '../analyze';
import type { BlockDecl } from '../ast';
import { LAYERS } from '../layers';
import { formatValue } from '../values';
import { cursorContext, type CallContext, type CursorContext } from './cursorContext';
import { labelsInScope, scopeAt, sourceIndex, type Scope } from './sourceIndex';
import {
  allLayers,
  argumentWords,
  blockSignatureInfo,
  blockSnippet,
  FUNCTION_SIGNATURES,
  FUNCTIONS,
  functionSignature,
  layerSignature,
  layerSnippet,
  TRAIN_SETTINGS,
  type SignatureInfo,
} from './vocabulary';

export type CompletionKind = 'layer' | 'block' | 'reference' | 'keyword' | 'argument' | 'value' | 'parameter' | 'function' | 'setting' | 'snippet';

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  detail: string;
  documentation?: string;
  /** Text to insert; a snippet (with ${1:...} tab stops) when `snippet` is true. */
  insertText: string;
  snippet: boolean;
  /** Sorts the entries that fit best first ("0…" before "1…"). */
  sortText: string;
}

/**
 * Completion at `offset`: layer kinds with argument snippets, block names, tensor names in scope,
 * keyword arguments of the layer or block being called, values, and train-section keys and values.
 * The editor filters by the word being typed (from `cursorContext(...).wordStart`).
 */
export function completionsAt(analysis: Analysis, offset: number): CompletionEntry[] {
  const context = cursorContext(analysis, offset);
  switch (context.position) {
    case 'top':
      return topLevel();
    case 'statement-start':
      return [...elements(analysis, context, offset, true), ...statementKeywords(context)];
    case 'after-label':
      return [...elements(analysis, context, offset, true), keyword('repeat', 'repeat ${1:n} ', 'repeat an element or a { body } n times')];
    case 'element-start':
      return elements(analysis, context, offset, false);
    case 'argument':
      return context.call ? argumentCompletions(analysis, context, context.call, offset) : [];
    case 'train-key':
      return TRAIN_SETTINGS.filter((s) => !context.trainKeysGiven.includes(s.key)).map((s, i) => ({
        label: s.key,
        kind: 'setting',
        detail: 'training setting',
        documentation: s.doc,
        insertText: `${s.key}: \${1:${s.example}}`,
        snippet: true,
        sortText: `0${String(i).padStart(2, '0')}`,
      }));
    case 'train-value': {
      const setting = TRAIN_SETTINGS.find((s) => s.key === context.trainKey);
      const values = (setting?.values ?? []).map((v) => entry(v.value, 'value', `${setting!.key} value`, v.value, v.doc));
      if (setting?.key === 'dataset') values.push({ ...entry('"folder"', 'value', 'a folder of images, one sub-folder per class', '"${1:data/train}"'), snippet: true });
      return values;
    }
    case 'none':
      return [];
  }
}

function entry(label: string, kind: CompletionKind, detail: string, insertText = label, documentation?: string, rank = 1): CompletionEntry {
  return { label, kind, detail, documentation, insertText, snippet: false, sortText: `${rank}${label}` };
}

function keyword(label: string, snippet: string, detail: string): CompletionEntry {
  return { label, kind: 'keyword', detail, insertText: snippet, snippet: true, sortText: `3${label}` };
}

function topLevel(): CompletionEntry[] {
  return [
    keyword('block', 'block ${1:name}(${2:planes}) {\n\t$0\n}', 'define a reusable block of layers'),
    keyword('model', 'model ${1:name}(${2:32x32x3}) {\n\t$0\n}', 'define a model with its input shape (H×W×C)'),
  ];
}

function statementKeywords(context: CursorContext): CompletionEntry[] {
  const items = [keyword('repeat', 'repeat ${1:n} ', 'repeat an element or a { body } n times')];
  const declaration = context.declaration;
  if (declaration?.kind === 'model' && !declaration.train) {
    const body = TRAIN_SETTINGS.filter((s) => s.key !== 'momentum' && s.key !== 'weight_decay' && s.key !== 'data')
      .map((s, i) => `\t${s.key}: \${${i + 1}:${s.example}}`)
      .join('\n');
    items.push(keyword('train', `train {\n${body}\n}`, 'how "Train here" trains this model'));
  }
  return items;
}

/** Layers and blocks (and, at the start of a chain, tensor names) for the element being typed. */
function elements(analysis: Analysis, context: CursorContext, offset: number, withReferences: boolean): CompletionEntry[] {
  // Layers in their table order (conv before concat), the order "Did you mean" suggestions follow too.
  const items: CompletionEntry[] = allLayers().map((spec, index) => ({
    label: spec.kind,
    kind: 'layer',
    detail: 'layer',
    documentation: spec.doc,
    insertText: layerSnippet(spec),
    snippet: true,
    sortText: `1${String(index).padStart(2, '0')}`,
  }));
  for (const block of analysis.file.blocks) {
    if (LAYERS.has(block.name) || context.declaration === block) continue;
    items.push({
      label: block.name,
      kind: 'block',
      detail: `block ${block.name}(${block.params.map((p) => p.name).join(', ')})`,
      insertText: blockSnippet(block),
      snippet: true,
      sortText: `0${block.name}`,
    });
  }
  if (withReferences) items.push(...references(analysis, context, offset));
  return items;
}

function references(analysis: Analysis, context: CursorContext, offset: number): CompletionEntry[] {
  const items = [
    entry('in', 'reference', context.declaration?.kind === 'block' ? "the block's input" : "the model's input", 'in', undefined, 2),
    entry('_', 'reference', 'the tensor before this one', '_', undefined, 2),
  ];
  const scope = innermostScope(analysis, context, offset);
  if (scope) {
    for (const label of labelsInScope(analysis, scope, offset)) {
      const line = analysis.lines.positionAt(label.range.start).line + 1;
      items.push(entry(label.name, 'reference', `tensor labelled on line ${line}`, label.name, undefined, 0));
    }
  }
  return items;
}

function innermostScope(analysis: Analysis, context: CursorContext, offset: number): Scope | undefined {
  const found = scopeAt(analysis, offset);
  if (found) return found;
  // Typing at the end of a body the parser could not close: use the declaration's own scope.
  return sourceIndex(analysis).scopes.find((s) => s.declaration === context.declaration && s.parent === null);
}

function argumentCompletions(analysis: Analysis, context: CursorContext, call: CallContext, offset: number): CompletionEntry[] {
  const spec = LAYERS.get(call.callee);
  if (spec?.merge) return references(analysis, context, offset);
  const block = spec ? undefined : analysis.blocks.get(call.callee);
  const items: CompletionEntry[] = [];
  if (call.atArgumentStart && (spec || block)) {
    const names = spec ? spec.args.map((a) => ({ name: a.name, doc: `${a.doc}${a.default === undefined ? '' : ` (default ${formatValue(a.default)})`}` })) : block!.params.map((p) => ({ name: p.name, doc: p.default ? 'optional' : 'required' }));
    // Positional arguments already fill the first parameters.
    names.slice(call.positionalBefore).forEach(({ name, doc }, i) => {
      if (call.keywordsGiven.includes(name)) return;
      items.push({ label: `${name}=`, kind: 'argument', detail: `argument of ${call.callee}`, documentation: doc, insertText: `${name}=`, snippet: false, sortText: `0${String(i).padStart(2, '0')}` });
    });
  }
  if (spec && (call.atArgumentStart || call.afterEquals)) {
    const arg = call.keyword ? spec.args.find((a) => a.name === call.keyword) : call.atArgumentStart ? spec.args[call.positionalBefore] : undefined;
    if (arg) for (const word of argumentWords(arg)) items.push(entry(word, 'value', `value for ${arg.name}`, word, undefined, 0));
  }
  if (call.atArgumentStart || call.afterEquals || !spec) items.push(...expressionNames(context.declaration?.kind === 'block' ? context.declaration : undefined));
  return items;
}

/** Names usable in an argument expression: the enclosing block's parameters, `channels`, functions. */
function expressionNames(block: BlockDecl | undefined): CompletionEntry[] {
  const items: CompletionEntry[] = (block?.params ?? []).map((p) => entry(p.name, 'parameter', `parameter of block ${block!.name}`, p.name, undefined, 1));
  items.push(entry('channels', 'value', 'channels of the tensor flowing into this layer or block', 'channels', undefined, 2));
  for (const name of FUNCTIONS) {
    items.push({ ...entry(name, 'function', `${name}(${FUNCTION_SIGNATURES[name]?.join(', ') ?? ''})`, `${name}($1)`, undefined, 3), snippet: true });
  }
  return items;
}

export interface SignatureHelpResult {
  signature: SignatureInfo;
  /** Index into signature.parameters of the argument being typed. */
  activeParameter: number;
}

/**
 * Signature help inside the parentheses of a layer, block or function call: the parameters with
 * defaults, and which one the cursor is on (keyword arguments pick theirs by name).
 */
export function signatureHelpAt(analysis: Analysis, offset: number): SignatureHelpResult | undefined {
  const call = cursorContext(analysis, offset).call;
  if (!call || call.role !== 'call') return undefined;
  const spec = LAYERS.get(call.callee);
  const block = spec ? undefined : analysis.blocks.get(call.callee);
  const signature = spec ? layerSignature(spec) : block ? blockSignatureInfo(block, analysis.text) : functionSignature(call.callee);
  if (!signature) return undefined;
  const count = signature.parameters.length;
  let active: number;
  if (call.keyword) {
    const names = spec ? spec.args.map((a) => a.name) : block ? block.params.map((p) => p.name) : [];
    active = names.indexOf(call.keyword);
  } else active = signature.variadic ? Math.min(call.argumentIndex, count - 1) : call.positionalBefore;
  // Past the last parameter (too many arguments): no parameter is highlighted.
  if (active >= count) active = -1;
  return { signature, activeParameter: active };
}
