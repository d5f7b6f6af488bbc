import * as vscode from 'vscode';
import { quickFixesAt } from '../core/language';
import { SKIPNET_SELECTOR, toOffset, toVsRange, type AnalysisCache } from './documents';

/**
 * The light bulb on SkipNet diagnostics that carry a replacement ("Did you mean 'relu'?", "SkipNet writes
 * this as 'conv(16, 3)'", a missing ')'): a thin adapter over quickFixesAt in src/core/language.
 */
export class SkipnetQuickFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly analyses: AnalysisCache) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const analysis = this.analyses.get(document);
    const fixes = quickFixesAt(analysis, { start: toOffset(analysis.lines, range.start), end: toOffset(analysis.lines, range.end) });
    return fixes.map((fix) => {
      const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(document.uri, toVsRange(analysis.lines, fix.edit.range), fix.edit.newText);
      const diagnosticRange = toVsRange(analysis.lines, fix.diagnostic.range);
      // Link the action to the editor's copy of the diagnostic, so the Problems panel offers it too.
      action.diagnostics = context.diagnostics.filter((d) => d.source === 'skipnet' && d.code === fix.diagnostic.code && d.range.isEqual(diagnosticRange));
      action.isPreferred = fixes.filter((f) => f.diagnostic === fix.diagnostic).length === 1;
      return action;
    });
  }
}

export function registerQuickFixes(analyses: AnalysisCache): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(SKIPNET_SELECTOR, new SkipnetQuickFixProvider(analyses), SkipnetQuickFixProvider.metadata);
}
