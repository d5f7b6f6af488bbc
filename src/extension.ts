import * as vscode from 'vscode';
import { analyze } from './core';
import { registerCompareView } from './compare/register';
import { registerGraphView } from './graph/register';

/** Activation: diagnostics for .skipnet documents from the shared core. */
export function activate(context: vscode.ExtensionContext): void {
  registerGraphView(context);
  registerCompareView(context);
  const collection = vscode.languages.createDiagnosticCollection('skipnet');
  context.subscriptions.push(collection);
  const refresh = (document: vscode.TextDocument): void => {
    if (document.languageId !== 'skipnet') return;
    const analysis = analyze(document.getText());
    collection.set(
      document.uri,
      analysis.diagnostics.map((d) => {
        const range = new vscode.Range(document.positionAt(d.range.start), document.positionAt(d.range.end));
        const item = new vscode.Diagnostic(range, d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        item.code = d.code;
        item.source = 'skipnet';
        return item;
      }),
    );
  };
  vscode.workspace.textDocuments.forEach(refresh);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => refresh(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => collection.delete(d.uri)),
  );
}

export function deactivate(): void {}
