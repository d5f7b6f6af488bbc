import type { Analysis } from '../analyze';
import type { BlockDecl } from '../ast';
import { LAYERS, RESERVED_NAMES } from '../layers';
import type { Range } from '../text';
import { isBuiltInTensor, sourceIndex, symbolAt, type LabelDefinition, type SymbolTarget } from './sourceIndex';

/** Something with a definition and uses that can be renamed together. */
export type NamedSymbol =
  | { kind: 'block'; name: string; block: BlockDecl }
  | { kind: 'label'; name: string; label: LabelDefinition }
  | { kind: 'parameter'; name: string; block: BlockDecl };

export interface TextEdit {
  range: Range;
  newText: string;
}

export type RenameResult = { edits: TextEdit[] } | { error: string };
export type PrepareRenameResult = { range: Range; placeholder: string } | { error: string };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The block, label or block parameter named at `offset`, or why there is none. */
export function namedSymbolAt(analysis: Analysis, offset: number): { symbol: NamedSymbol; range: Range } | { error: string } {
  const target = symbolAt(analysis, offset);
  if (!target) return { error: 'Put the cursor on a block, a label or a block parameter.' };
  const symbol = symbolOf(analysis, target);
  return typeof symbol === 'string' ? { error: symbol } : { symbol, range: target.range };
}

function symbolOf(analysis: Analysis, target: SymbolTarget): NamedSymbol | string {
  switch (target.kind) {
    case 'block':
      return { kind: 'block', name: target.block.name, block: analysis.blocks.get(target.block.name) ?? target.block };
    case 'block-call': {
      const block = analysis.blocks.get(target.call.block);
      return block ? { kind: 'block', name: block.name, block } : `Unknown block '${target.call.block}'.`;
    }
    case 'label':
      return { kind: 'label', name: target.label.name, label: target.label };
    case 'reference':
      if (isBuiltInTensor(target.reference.name)) return `'${target.reference.name}' is built into the language and cannot be renamed.`;
      return target.reference.definition
        ? { kind: 'label', name: target.reference.name, label: target.reference.definition }
        : `'${target.reference.name}' is not defined, so there is nothing to rename.`;
    case 'parameter':
      return { kind: 'parameter', name: target.name, block: target.block };
    case 'layer':
      return `'${target.element.name}' is a built-in layer and cannot be renamed.`;
    case 'layer-argument':
      return `'${target.name}' is an argument of the built-in layer '${target.layer}' and cannot be renamed.`;
    case 'model':
      return 'A model name is used by nothing else in the file; edit it in place.';
    case 'train-setting':
      return `'${target.setting.key}' is a training setting and cannot be renamed.`;
    case 'channels':
      return `'channels' is built into the language (the channel count flowing into the call) and cannot be renamed.`;
  }
}

/** Where a symbol is defined and every place it is used, definition first, then in source order. */
export function occurrences(analysis: Analysis, symbol: NamedSymbol): { definition: Range; uses: Range[] } {
  const index = sourceIndex(analysis);
  switch (symbol.kind) {
    case 'block':
      return {
        definition: symbol.block.nameRange,
        uses: index.blockCalls.filter((c) => c.block === symbol.name).map((c) => c.element.nameRange),
      };
    case 'label':
      return {
        definition: symbol.label.range,
        uses: index.references.filter((r) => r.definition === symbol.label).map((r) => r.range),
      };
    case 'parameter': {
      const param = symbol.block.params.find((p) => p.name === symbol.name)!;
      return {
        definition: param.nameRange,
        uses: index.parameterUses.filter((u) => u.block === symbol.block && u.name === symbol.name).map((u) => u.range),
      };
    }
  }
}

/** Go to definition: the block's name, the label, the parameter, or the model input for `in`. */
export function definitionAt(analysis: Analysis, offset: number): Range | undefined {
  const target = symbolAt(analysis, offset);
  if (target?.kind === 'reference' && (target.reference.name === 'in' || target.reference.name === 'input')) {
    const declaration = target.reference.scope.declaration;
    return declaration.kind === 'model' ? declaration.inputRange : declaration.nameRange;
  }
  const found = namedSymbolAt(analysis, offset);
  return 'symbol' in found ? occurrences(analysis, found.symbol).definition : undefined;
}

/** Find references: every use, and the definition too when asked. */
export function referencesAt(analysis: Analysis, offset: number, includeDeclaration: boolean): Range[] {
  const found = namedSymbolAt(analysis, offset);
  if (!('symbol' in found)) return [];
  const { definition, uses } = occurrences(analysis, found.symbol);
  const ranges = includeDeclaration ? [definition, ...uses] : uses;
  return ranges.sort((a, b) => a.start - b.start);
}

export function prepareRename(analysis: Analysis, offset: number): PrepareRenameResult {
  const found = namedSymbolAt(analysis, offset);
  if (!('symbol' in found)) return found;
  return { range: found.range, placeholder: found.symbol.name };
}

/** Why `newName` cannot be the new name of `symbol`, or undefined when it can. */
export function renameProblem(analysis: Analysis, symbol: NamedSymbol, newName: string): string | undefined {
  const what = symbol.kind === 'parameter' ? 'parameter' : symbol.kind;
  if (!IDENTIFIER.test(newName)) return `'${newName}' is not a valid name: use letters, digits and _, starting with a letter or _.`;
  if (RESERVED_NAMES.has(newName)) return `'${newName}' is reserved in SkipNet and cannot name a ${what}.`;
  if (LAYERS.has(newName)) return `'${newName}' is a built-in layer; choose another name for this ${what}.`;
  if (newName === symbol.name) return undefined;
  const index = sourceIndex(analysis);
  switch (symbol.kind) {
    case 'block':
      if (analysis.blocks.has(newName)) return `A block named '${newName}' already exists.`;
      if (index.labels.some((l) => l.name === newName)) return `'${newName}' is already a label; a block of that name would take its place in chains.`;
      return undefined;
    case 'label':
      if (analysis.blocks.has(newName)) return `'${newName}' is a block; a label of that name would be read as a call to it.`;
      if (index.labels.some((l) => l.name === newName && l.scope === symbol.label.scope)) return `The name '${newName}' is already used in this scope.`;
      return undefined;
    case 'parameter':
      if (symbol.block.params.some((p) => p.name === newName)) return `Block '${symbol.block.name}' already has a parameter '${newName}'.`;
      return undefined;
  }
}

/** Rename a block, label or block parameter everywhere in the file, or say why not. */
export function renameAt(analysis: Analysis, offset: number, newName: string): RenameResult {
  const found = namedSymbolAt(analysis, offset);
  if (!('symbol' in found)) return found;
  const problem = renameProblem(analysis, found.symbol, newName);
  if (problem) return { error: problem };
  const { definition, uses } = occurrences(analysis, found.symbol);
  const edits = [definition, ...uses].sort((a, b) => a.start - b.start).map((range) => ({ range, newText: newName }));
  return { edits };
}
