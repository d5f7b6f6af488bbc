import * as vscode from 'vscode';
import {
  completionsAt,
  cursorContext,
  definitionAt,
  documentSymbols,
  hoverAt,
  prepareRename,
  referencesAt,
  renameAt,
  signatureHelpAt,
  type CompletionKind,
  type OutlineKind,
  type OutlineSymbol,
} from '../core/language';
import type { LineIndex } from '../core';
import { SKIPNET_SELECTOR, toOffset, toVsRange, type AnalysisCache } from './documents';

/**
 * Thin adapters from VS Code's provider interfaces to the pure functions in src/core/language:
 * each converts positions to offsets, asks the shared analysis of this document version, and
 * converts the answer back. No language knowledge lives here.
 */

const COMPLETION_KIND: Record<CompletionKind, vscode.CompletionItemKind> = {
  layer: vscode.CompletionItemKind.Function,
  block: vscode.CompletionItemKind.Module,
  reference: vscode.CompletionItemKind.Variable,
  keyword: vscode.CompletionItemKind.Keyword,
  argument: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.EnumMember,
  parameter: vscode.CompletionItemKind.Variable,
  function: vscode.CompletionItemKind.Function,
  setting: vscode.CompletionItemKind.Property,
  snippet: vscode.CompletionItemKind.Snippet,
};

const SYMBOL_KIND: Record<OutlineKind, vscode.SymbolKind> = {
  model: vscode.SymbolKind.Class,
  block: vscode.SymbolKind.Function,
  label: vscode.SymbolKind.Variable,
  repeat: vscode.SymbolKind.Array,
  train: vscode.SymbolKind.Object,
};

export function registerLanguageProviders(analyses: AnalysisCache): vscode.Disposable[] {
  const at = (document: vscode.TextDocument, position: vscode.Position) => {
    const analysis = analyses.get(document);
    return { analysis, offset: toOffset(analysis.lines, position) };
  };

  const hover: vscode.HoverProvider = {
    provideHover(document, position) {
      const { analysis, offset } = at(document, position);
      const result = hoverAt(analysis, offset);
      if (!result) return undefined;
      return new vscode.Hover(new vscode.MarkdownString(result.markdown), toVsRange(analysis.lines, result.range));
    },
  };

  const completion: vscode.CompletionItemProvider = {
    provideCompletionItems(document, position) {
      const { analysis, offset } = at(document, position);
      const wordStart = cursorContext(analysis, offset).wordStart;
      const replace = toVsRange(analysis.lines, { start: wordStart, end: offset });
      return completionsAt(analysis, offset).map((entry) => {
        const item = new vscode.CompletionItem(entry.label, COMPLETION_KIND[entry.kind]);
        item.detail = entry.detail;
        if (entry.documentation) item.documentation = new vscode.MarkdownString(entry.documentation);
        item.insertText = entry.snippet ? new vscode.SnippetString(entry.insertText) : entry.insertText;
        item.sortText = entry.sortText;
        item.range = replace;
        // Accepting `stride=` or `conv(` should offer what comes next right away.
        if (entry.kind === 'argument' || (entry.snippet && entry.insertText.includes('('))) {
          item.command = { title: 'Signature help', command: 'editor.action.triggerParameterHints' };
        }
        return item;
      });
    },
  };

  const signature: vscode.SignatureHelpProvider = {
    provideSignatureHelp(document, position) {
      const { analysis, offset } = at(document, position);
      const result = signatureHelpAt(analysis, offset);
      if (!result) return undefined;
      const info = new vscode.SignatureInformation(result.signature.label, new vscode.MarkdownString(result.signature.documentation));
      info.parameters = result.signature.parameters.map((p) => new vscode.ParameterInformation(p.offsets, p.documentation || undefined));
      const help = new vscode.SignatureHelp();
      help.signatures = [info];
      help.activeSignature = 0;
      help.activeParameter = result.activeParameter;
      return help;
    },
  };

  const symbols: vscode.DocumentSymbolProvider = {
    provideDocumentSymbols(document) {
      const analysis = analyses.get(document);
      return documentSymbols(analysis).map((symbol) => toDocumentSymbol(analysis.lines, symbol));
    },
  };

  const definition: vscode.DefinitionProvider = {
    provideDefinition(document, position) {
      const { analysis, offset } = at(document, position);
      const range = definitionAt(analysis, offset);
      return range ? new vscode.Location(document.uri, toVsRange(analysis.lines, range)) : undefined;
    },
  };

  const references: vscode.ReferenceProvider = {
    provideReferences(document, position, context) {
      const { analysis, offset } = at(document, position);
      return referencesAt(analysis, offset, context.includeDeclaration).map((range) => new vscode.Location(document.uri, toVsRange(analysis.lines, range)));
    },
  };

  const rename: vscode.RenameProvider = {
    prepareRename(document, position) {
      const { analysis, offset } = at(document, position);
      const result = prepareRename(analysis, offset);
      // Throwing is how a rename provider tells VS Code to show the reason instead of the input box.
      if ('error' in result) throw new Error(result.error);
      return { range: toVsRange(analysis.lines, result.range), placeholder: result.placeholder };
    },
    provideRenameEdits(document, position, newName) {
      const { analysis, offset } = at(document, position);
      const result = renameAt(analysis, offset, newName);
      if ('error' in result) throw new Error(result.error);
      const edit = new vscode.WorkspaceEdit();
      for (const change of result.edits) edit.replace(document.uri, toVsRange(analysis.lines, change.range), change.newText);
      return edit;
    },
  };

  return [
    vscode.languages.registerHoverProvider(SKIPNET_SELECTOR, hover),
    vscode.languages.registerCompletionItemProvider(SKIPNET_SELECTOR, completion, '(', ',', '=', '>', ':'),
    vscode.languages.registerSignatureHelpProvider(SKIPNET_SELECTOR, signature, { triggerCharacters: ['(', ','], retriggerCharacters: ['='] }),
    vscode.languages.registerDocumentSymbolProvider(SKIPNET_SELECTOR, symbols, { label: 'SkipNet' }),
    vscode.languages.registerDefinitionProvider(SKIPNET_SELECTOR, definition),
    vscode.languages.registerReferenceProvider(SKIPNET_SELECTOR, references),
    vscode.languages.registerRenameProvider(SKIPNET_SELECTOR, rename),
  ];
}

function toDocumentSymbol(lines: LineIndex, symbol: OutlineSymbol): vscode.DocumentSymbol {
  const range = toVsRange(lines, symbol.range);
  // VS Code requires the selection range to lie inside the full range.
  const selection = range.intersection(toVsRange(lines, symbol.selectionRange)) ?? range;
  const result = new vscode.DocumentSymbol(symbol.name, symbol.detail, SYMBOL_KIND[symbol.kind], range, selection);
  result.children = symbol.children.map((child) => toDocumentSymbol(lines, child));
  return result;
}
