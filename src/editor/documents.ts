import * as vscode from 'vscode';
import { analyze, type Analysis, type Diagnostic, type LineIndex, type Range } from '../core';

/**
 * One analysis per document version, shared by diagnostics, every language provider, the CodeLens
 * and the graph: typing once re-analyses once, however many features ask afterwards.
 */
export class AnalysisCache implements vscode.Disposable {
  private readonly entries = new Map<string, { version: number; analysis: Analysis }>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document was analysed at a new version. */
  readonly onDidAnalyze = this.changed.event;

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidCloseTextDocument((document) => this.entries.delete(document.uri.toString())),
      this.changed,
    );
  }

  /** The analysis of the document's current text, computed at most once per version. */
  get(document: vscode.TextDocument): Analysis {
    const key = document.uri.toString();
    const cached = this.entries.get(key);
    if (cached && cached.version === document.version) return cached.analysis;
    const analysis = analyze(document.getText());
    this.entries.set(key, { version: document.version, analysis });
    this.changed.fire(document.uri);
    return analysis;
  }

  /** The last analysis of a document by URI, without re-analysing (undefined if never analysed or closed). */
  peek(uri: vscode.Uri): { version: number; analysis: Analysis } | undefined {
    return this.entries.get(uri.toString());
  }

  dispose(): void {
    this.entries.clear();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

/** A core range (UTF-16 offsets) as a VS Code range, using the analysed text's own line index. */
export function toVsRange(lines: LineIndex, range: Range): vscode.Range {
  const start = lines.positionAt(range.start);
  const end = lines.positionAt(range.end);
  return new vscode.Range(start.line, start.character, end.line, end.character);
}

export function toOffset(lines: LineIndex, position: vscode.Position): number {
  return lines.offsetAt({ line: position.line, character: position.character });
}

export const SKIPNET_SELECTOR: vscode.DocumentSelector = { language: 'skipnet' };

const SEVERITY: Record<Diagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The core's diagnostics as VS Code diagnostics: same code and range, related ranges as relatedInformation. */
export function toVsDiagnostics(uri: vscode.Uri, analysis: Analysis): vscode.Diagnostic[] {
  return analysis.diagnostics.map((d) => {
    const item = new vscode.Diagnostic(toVsRange(analysis.lines, d.range), d.message, SEVERITY[d.severity]);
    item.code = d.code;
    item.source = 'skipnet';
    // Dead layers are faded like unused code, the way editors show what has no effect.
    if (d.code === 'dead-layer' || d.code === 'unused-input') item.tags = [vscode.DiagnosticTag.Unnecessary];
    if (d.related?.length) {
      item.relatedInformation = d.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toVsRange(analysis.lines, r.range)), r.message));
    }
    return item;
  });
}

/**
 * Keeps the Problems panel in step with the text: documents are analysed when opened and, while the
 * person types, once typing pauses for skipnet.diagnostics.debounceMs. A result for a version that is
 * no longer the document's is dropped.
 */
export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('skipnet');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly analyses: AnalysisCache) {
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((document) => this.refreshNow(document)),
      vscode.workspace.onDidChangeTextDocument((event) => this.schedule(event.document)),
      vscode.workspace.onDidCloseTextDocument((document) => {
        this.cancel(document.uri);
        this.collection.delete(document.uri);
      }),
    );
    vscode.workspace.textDocuments.forEach((document) => this.refreshNow(document));
  }

  /** Analyses and publishes now (documents just opened need no debounce). */
  refreshNow(document: vscode.TextDocument): void {
    if (document.languageId !== 'skipnet') return;
    this.cancel(document.uri);
    this.publish(document, document.version);
  }

  schedule(document: vscode.TextDocument): void {
    if (document.languageId !== 'skipnet') return;
    this.cancel(document.uri);
    const version = document.version;
    const delay = Math.max(0, vscode.workspace.getConfiguration('skipnet', document.uri).get<number>('diagnostics.debounceMs', 150));
    const key = document.uri.toString();
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.publish(document, version);
      }, delay),
    );
  }

  private publish(document: vscode.TextDocument, version: number): void {
    // Stale: the text changed after this run was scheduled, or the document was closed meanwhile.
    if (document.isClosed || document.version !== version) return;
    const analysis = this.analyses.get(document);
    this.collection.set(document.uri, toVsDiagnostics(document.uri, analysis));
  }

  private cancel(uri: vscode.Uri): void {
    const key = uri.toString();
    const timer = this.timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(key);
  }

  dispose(): void {
    this.timers.forEach((timer) => clearTimeout(timer));
    this.timers.clear();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
