import * as vscode from 'vscode';
import { modelLenses } from '../core/language';
import { AnalysisCache, DiagnosticsController, SKIPNET_SELECTOR, toVsRange } from './documents';
import { registerLanguageProviders } from './languageProviders';
import { registerQuickFixes } from './quickFixes';
import { TrainingStatusBar } from './trainingStatus';

/** Command ids the CodeLens and editor title use; the graph and training code registers them. */
export const COMMANDS = {
  showGraph: 'skipnet.showGraph',
  showGraphToSide: 'skipnet.showGraphToSide',
  train: 'skipnet.train',
  stopTraining: 'skipnet.stopTraining',
  exportGraphSvg: 'skipnet.exportGraphSvg',
  exportGraphPng: 'skipnet.exportGraphPng',
  compareModels: 'skipnet.compareModels',
} as const;

export function defaultBatchSize(scope?: vscode.Uri): number {
  const value = vscode.workspace.getConfiguration('skipnet', scope).get<number>('training.defaultBatchSize', 32);
  return Number.isInteger(value) && value > 0 ? value : 32;
}

/**
 * Above each model: "$(play) Train here", "$(type-hierarchy) Show graph", "$(diff) Compare" and a one-line summary
 * (parameters, MACs, training memory at the model's batch, else skipnet.training.defaultBatchSize).
 * Both commands receive (document uri, model name).
 */
export class ModelCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly analyses: AnalysisCache) {
    this.subscriptions = [
      this.changed,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('skipnet.training.defaultBatchSize')) this.changed.fire();
      }),
    ];
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const analysis = this.analyses.get(document);
    const lenses: vscode.CodeLens[] = [];
    for (const lens of modelLenses(analysis, defaultBatchSize(document.uri))) {
      const line = toVsRange(analysis.lines, lens.nameRange).start.line;
      const range = new vscode.Range(line, 0, line, 0);
      const args = [document.uri, lens.model];
      lenses.push(
        new vscode.CodeLens(range, { title: '$(play) Train here', tooltip: `Train ${lens.model} in the graph view`, command: COMMANDS.train, arguments: args }),
        new vscode.CodeLens(range, { title: '$(type-hierarchy) Show graph', tooltip: `Show the graph of ${lens.model}`, command: COMMANDS.showGraph, arguments: args }),
        new vscode.CodeLens(range, { title: '$(diff) Compare', tooltip: `Compare ${lens.model} with another model or with itself without skip connections`, command: COMMANDS.compareModels, arguments: args }),
        // An empty command id makes a lens plain text: the summary is information, not an action.
        new vscode.CodeLens(range, { title: lens.summary, tooltip: `Training memory estimated at batch ${lens.batch}`, command: '' }),
      );
    }
    return lenses;
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }
}

export function registerCodeLens(analyses: AnalysisCache): vscode.Disposable[] {
  const provider = new ModelCodeLensProvider(analyses);
  return [provider, vscode.languages.registerCodeLensProvider(SKIPNET_SELECTOR, provider)];
}

/** What the editor features share with the rest of the extension (the graph view and training). */
export interface EditorServices {
  /** One analysis per document version; use it instead of calling analyze() again. */
  analyses: AnalysisCache;
  /** Call update() while a model trains and clear() when it stops. */
  trainingStatus: TrainingStatusBar;
}

/** Registers diagnostics, all language providers, Quick Fixes, the CodeLens and the training status bar item. */
export function registerEditorFeatures(context: vscode.ExtensionContext): EditorServices {
  const analyses = new AnalysisCache();
  const item = vscode.window.createStatusBarItem('skipnet.training', vscode.StatusBarAlignment.Left, 100);
  item.name = 'SkipNet training';
  const trainingStatus = new TrainingStatusBar(item);
  context.subscriptions.push(
    analyses,
    new DiagnosticsController(analyses),
    ...registerLanguageProviders(analyses),
    registerQuickFixes(analyses),
    ...registerCodeLens(analyses),
    trainingStatus,
  );
  return { analyses, trainingStatus };
}
