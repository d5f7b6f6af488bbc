/**
 * One graph webview panel bound to one document (and one model in it). Re-analyses the text on edits
 * (throttled), posts graphs or error status, highlights what the cursor's line produced, reveals source
 * ranges on click, and answers export requests. Every message from the webview is validated first.
 */
import * as vscode from 'vscode';
import { type Analysis, analyze, type ModelGraph } from '../core';
import { buildGraphPayload, type DiagnosticsSummary, type ExportFormat, type ExportTheme, type GraphSettings, type GraphViewAction, type LayoutDirection, type HostToWebview, PROTOCOL_VERSION, type TrainingBackendChoice, type TrainingEngineChoice, validateWebviewMessage, type WebviewToHost } from '../protocol';
import { setUpSkipNetWebview } from './webviewSetup';
import { GRAPH_VIEW_TYPE, savedExportOffer } from './actions';
import { buildTrainingRun, readTrainProcesses, TrainingRefusal } from './training';
import { cifarFilesFor } from './cifarSource';
import { decideEngine, TorchRunHost } from './torchRun';

export { GRAPH_VIEW_TYPE };
const EDIT_THROTTLE_MS = 120;
const CURSOR_THROTTLE_MS = 60;
const EXPORT_TIMEOUT_MS = 30_000;

type Outgoing = HostToWebview extends infer M ? (M extends { uri: string; version: number } ? Omit<M, 'uri' | 'version'> : never) : never;

export function readGraphSettings(): GraphSettings {
  const config = vscode.workspace.getConfiguration('skipnet.graph');
  const direction = config.get<string>('direction') === 'right' ? 'right' : 'down';
  const threshold = config.get<number>('collapseThreshold');
  return { direction, collapseThreshold: typeof threshold === 'number' && Number.isFinite(threshold) && threshold >= 1 ? Math.floor(threshold) : 150 };
}

export function summarizeDiagnostics(analysis: Analysis): DiagnosticsSummary {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  return {
    errors: errors.length,
    warnings: analysis.diagnostics.filter((d) => d.severity === 'warning').length,
    firstError: first ? first.message : '',
    firstErrorLine: first ? analysis.lines.positionAt(first.range.start).line + 1 : 0,
  };
}

export class GraphPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private editTimer: ReturnType<typeof setTimeout> | undefined;
  private cursorTimer: ReturnType<typeof setTimeout> | undefined;
  private analysis: Analysis | null = null;
  private analysedVersion = -1;
  private ready = false;
  private nextExportId = 1;
  private readonly exports = new Map<number, { resolve: (data: string) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly onDisposeEmitter = new vscode.EventEmitter<void>();
  private readonly onTrainingEmitter = new vscode.EventEmitter<Extract<WebviewToHost, { type: 'trainingProgress' | 'trainingEnded' }>>();
  private readonly onDirectionEmitter = new vscode.EventEmitter<LayoutDirection>();
  private drawn: LayoutDirection | null = null;
  /** Fires when the panel closes. */
  readonly onDidDispose = this.onDisposeEmitter.event;
  /** Training progress and end reports from the webview (for the Train and Stop Training commands and the status bar). */
  readonly onTrainingMessage = this.onTrainingEmitter.event;
  /** Fires when the view has drawn the graph in a new direction (its first drawing included). */
  readonly onDidDrawDirection = this.onDirectionEmitter.event;
  /** A start asked for before the webview was ready (skipnet.train on a new panel): sent after `init`. */
  private pendingStart: { backend: TrainingBackendChoice | null; engine: TrainingEngineChoice | null } | null = null;
  private trainingNow = false;
  /** The engine of the latest run (for the speeds remembered per model). */
  private runEngine: 'browser' | 'pytorch' = 'browser';
  private readonly torch: TorchRunHost;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    readonly documentUri: vscode.Uri,
    private model: string,
    private readonly log: vscode.LogOutputChannel,
    state?: vscode.Memento,
  ) {
    this.torch = new TorchRunHost({ documentUri, log, state, postEvent: (run, line) => this.post({ type: 'trainingEvent', run, line }) });
    panel.title = `Graph: ${documentUri.path.split('/').pop() ?? 'model'}`;
    setUpSkipNetWebview(panel.webview, extensionUri, { script: 'main.js', documentUri: documentUri.toString(), model });
    this.disposables.push(
      this.onDisposeEmitter,
      this.onTrainingEmitter,
      this.onDirectionEmitter,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.uri.toString() !== this.documentUri.toString() || event.contentChanges.length === 0) return;
        // A PyTorch run trains the old text: its process group ends at the first edit (the view says why).
        this.torch.documentEdited();
        this.scheduleUpdate();
      }),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor.document.uri.toString() === this.documentUri.toString()) this.scheduleHighlight(event.textEditor);
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('skipnet.graph')) {
          this.post({ type: 'settings', settings: readGraphSettings() });
          this.analysedVersion = -1;
          void this.update();
        }
        if (event.affectsConfiguration('skipnet.train') || event.affectsConfiguration('skipnet.python')) void this.sendEngineInfo();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.sendEngineInfo()),
    );
  }

  get modelName(): string {
    return this.model;
  }

  reveal(toSide: boolean): void {
    this.panel.reveal(toSide ? vscode.ViewColumn.Beside : undefined);
  }

  /** Shows another model of the same file. */
  showModel(model: string): void {
    if (!model || model === this.model) return;
    this.model = model;
    this.analysedVersion = -1;
    void this.update();
  }

  /** The direction of the drawing on screen, as the view last reported it; null before its first drawing. */
  get drawnDirection(): LayoutDirection | null {
    return this.drawn;
  }

  /** Runs a view action (fit, direction, expand/collapse) in the webview, as its in-page control would. */
  viewAction(action: GraphViewAction): void {
    this.post({ type: 'viewAction', action });
  }

  /** Asks the webview for the drawing (`wrap`: cut into columns) and resolves with SVG text or PNG base64. */
  requestExport(format: ExportFormat, theme: ExportTheme, wrap = false): Promise<string> {
    const requestId = this.nextExportId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.exports.delete(requestId);
        reject(new Error('the graph view did not answer the export request'));
      }, EXPORT_TIMEOUT_MS);
      this.exports.set(requestId, { resolve, reject, timer });
      this.post({ type: 'exportRequest', requestId, format, theme, wrap });
    });
  }

  /** Sends a training command to the webview, where the engine runs. */
  train(action: 'start' | 'pause' | 'resume' | 'stop'): void {
    this.post({ type: 'train', action });
  }

  /** The PyTorch runner's process id while a PyTorch run of this panel is alive (tests check it is gone after). */
  get torchPid(): number | undefined {
    return this.torch.pid;
  }

  /** True between a run's first progress report and its end. */
  get isTraining(): boolean {
    return this.trainingNow;
  }

  /**
   * Starts training this panel's model on the document's current text (backend: the view's choice, else
   * the setting). Waits for the webview if it is still loading. Refusals (untrusted folder data, …) are
   * shown in the view.
   */
  async startTraining(backend: TrainingBackendChoice | null = null, engine: TrainingEngineChoice | null = null): Promise<void> {
    if (!this.ready) {
      this.pendingStart = { backend, engine };
      return;
    }
    const document = await this.openDocument();
    if (!document) return;
    // Analyse now, so that the message's version is the version of the text it carries.
    const { model } = this.analyse(document);
    if (!model) {
      this.post({ type: 'trainingRefused', message: 'The file declares no model to train.' });
      return;
    }
    try {
      const decision = await decideEngine(this.documentUri, engine, this.torch.knowsTorchSpeed(model.name));
      this.post({ type: 'trainingEngine', info: this.torch.info(decision, model.name) });
      if (decision.engine === 'none') {
        this.post({ type: 'trainingRefused', message: decision.message, offerBrowser: true });
        return;
      }
      const run = await buildTrainingRun({
        documentUri: this.documentUri,
        text: document.getText(),
        model: model.name,
        training: model.training,
        backend,
        webview: this.panel.webview,
        extensionUri: this.extensionUri,
      });
      if (this.analysedVersion !== document.version) this.analyse(document); // edited while the data was read
      const { analysis, model: current } = this.analyse(document);
      this.runEngine = decision.engine;
      if (decision.engine === 'browser' || !current) {
        this.post({ type: 'startTraining', run: { ...run, text: document.getText(), engine: 'browser' } });
        return;
      }
      const runId = this.torch.nextRunId();
      const start = { id: runId, analysis, graph: current, decision, nproc: readTrainProcesses(this.documentUri), statsInterval: run.statsInterval };
      const dataset = current.training.dataset;
      // A folder is decoded by the page, as for the browser engine, and comes back as `trainingData` (same pixels and split).
      if (dataset.kind === 'folder') this.torch.expectData(start, `folder '${dataset.path}'`);
      this.post({ type: 'startTraining', run: { ...run, text: document.getText(), engine: 'pytorch', runId } });
      if (dataset.kind === 'folder') return;
      const data = dataset.kind === 'cifar' ? { cifar: cifarFilesFor(dataset, this.documentUri) } : { datasetFile: vscode.Uri.joinPath(this.extensionUri, 'media', 'data', `${dataset.name}.bin`).fsPath };
      await this.torch.start({ ...start, ...data });
    } catch (error) {
      const message = error instanceof TrainingRefusal ? error.message : `Training could not start: ${error instanceof Error ? error.message : String(error)}`;
      this.log.warn(`graph: ${message}`);
      this.post({ type: 'trainingRefused', message });
    }
  }

  /** The engine bar's line, sent when the view opens and when the engine settings or the workspace's trust change. */
  private async sendEngineInfo(): Promise<void> {
    const document = await this.openDocument();
    if (!document || !this.ready) return;
    const { model } = this.analyse(document);
    const name = model?.name ?? this.model;
    const decision = await decideEngine(this.documentUri, null, this.torch.knowsTorchSpeed(name));
    this.post({ type: 'trainingEngine', info: this.torch.info(decision, name) });
  }

  dispose(): void {
    this.torch.dispose();
    // Closing the panel ends the page and with it any run; report the end so the status bar clears.
    if (this.trainingNow) this.onTrainingEmitter.fire({ type: 'trainingEnded', uri: this.documentUri.toString(), version: Math.max(0, this.analysedVersion), reason: 'stopped', message: 'The graph view closed.' });
    this.trainingNow = false;
    clearTimeout(this.editTimer);
    clearTimeout(this.cursorTimer);
    for (const pending of this.exports.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error('the graph view closed'));
    }
    this.exports.clear();
    this.onDisposeEmitter.fire();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
  }

  private document(): vscode.TextDocument | undefined {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.documentUri.toString());
  }

  private async openDocument(): Promise<vscode.TextDocument | undefined> {
    try {
      return this.document() ?? (await vscode.workspace.openTextDocument(this.documentUri));
    } catch (error) {
      this.log.error(`graph: cannot open ${this.documentUri.toString()}: ${String(error)}`);
      return undefined;
    }
  }

  private post(message: Outgoing): void {
    if (!this.ready) return;
    // Tagged with the version the latest analysis came from (what the webview's graph shows).
    const version = Math.max(0, this.analysedVersion >= 0 ? this.analysedVersion : (this.document()?.version ?? 0));
    void this.panel.webview.postMessage({ ...message, uri: this.documentUri.toString(), version });
  }

  private scheduleUpdate(): void {
    // Throttle: at most one analysis per interval while typing, and always one after the last edit.
    if (this.editTimer) return;
    this.editTimer = setTimeout(() => {
      this.editTimer = undefined;
      void this.update();
    }, EDIT_THROTTLE_MS);
  }

  private analyse(document: vscode.TextDocument): { analysis: Analysis; model: ModelGraph | undefined } {
    if (!this.analysis || this.analysedVersion !== document.version) {
      this.analysis = analyze(document.getText());
      this.analysedVersion = document.version;
    }
    const model = this.analysis.models.find((m) => m.name === this.model) ?? this.analysis.models[0];
    return { analysis: this.analysis, model };
  }

  private graphMessage(document: vscode.TextDocument): { graph: ReturnType<typeof buildGraphPayload> | null; diagnostics: DiagnosticsSummary } {
    const { analysis, model } = this.analyse(document);
    const diagnostics = summarizeDiagnostics(analysis);
    if (diagnostics.errors > 0 || !model) {
      if (!model && diagnostics.errors === 0) return { graph: null, diagnostics: { ...diagnostics, errors: 1, firstError: 'the file declares no model', firstErrorLine: 1 } };
      return { graph: null, diagnostics };
    }
    this.model = model.name;
    const graph = buildGraphPayload(model, analysis.lines, { collapseThreshold: readGraphSettings().collapseThreshold, models: analysis.models.map((m) => m.name) });
    return { graph, diagnostics };
  }

  private async update(): Promise<void> {
    const document = await this.openDocument();
    if (!document || !this.ready) return;
    const { graph, diagnostics } = this.graphMessage(document);
    if (graph) this.post({ type: 'graph', graph, diagnostics });
    else this.post({ type: 'status', diagnostics });
  }

  private async sendInit(): Promise<void> {
    const document = await this.openDocument();
    if (!document) return;
    const { graph, diagnostics } = this.graphMessage(document);
    this.post({ type: 'init', protocol: PROTOCOL_VERSION, settings: readGraphSettings(), graph, diagnostics });
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
    if (editor) this.scheduleHighlight(editor);
    const pending = this.pendingStart;
    this.pendingStart = null;
    if (pending) await this.startTraining(pending.backend, pending.engine);
    else void this.sendEngineInfo();
  }

  private scheduleHighlight(editor: vscode.TextEditor): void {
    clearTimeout(this.cursorTimer);
    this.cursorTimer = setTimeout(() => {
      const { analysis, model } = this.analyse(editor.document);
      if (!model) return;
      const line = editor.selection.active.line;
      const start = analysis.lines.offsetAt({ line, character: 0 });
      const end = analysis.lines.offsetAt({ line: line + 1, character: 0 });
      this.post({ type: 'highlight', ids: idsOnLine(model, start, end) });
    }, CURSOR_THROTTLE_MS);
  }

  private onMessage(raw: unknown): void {
    const result = validateWebviewMessage(raw);
    if (!result.ok) {
      this.log.warn(`graph: ignored a malformed message from the webview: ${result.error}`);
      return;
    }
    const message = result.message;
    if (message.type === 'ready') {
      this.ready = true;
      void this.sendInit();
      return;
    }
    if (message.uri !== this.documentUri.toString()) {
      this.log.warn(`graph: ignored a '${message.type}' message about another document`);
      return;
    }
    switch (message.type) {
      case 'reveal':
        void this.revealRange(message.range, message.version);
        break;
      case 'selectModel':
        this.showModel(message.model);
        break;
      case 'viewState':
        this.drawn = message.direction;
        this.onDirectionEmitter.fire(message.direction);
        break;
      case 'exportResult':
        this.onExportResult(message.requestId, message.format, message.data);
        break;
      case 'log':
        this.log[message.level](`graph webview: ${message.message}`);
        break;
      case 'trainingRequest':
        void this.startTraining(message.backend, message.engine ?? null);
        break;
      case 'trainingControl':
        if (message.action === 'experiment') this.torch.experiment(message.run, message.experiment);
        else this.torch.control(message.run, message.action);
        break;
      case 'trainingData':
        void this.torch.receiveData(message.run, message.data);
        break;
      case 'trainingProgress':
        this.torch.recordSpeed(this.model, this.runEngine, message.progress.imagesPerSecond);
        this.trainingNow = true;
        this.onTrainingEmitter.fire(message);
        break;
      case 'trainingEnded':
        this.trainingNow = false;
        this.onTrainingEmitter.fire(message);
        break;
    }
  }

  private async revealRange(range: { start: number; end: number }, version: number): Promise<void> {
    const document = await this.openDocument();
    if (!document) return;
    if (version !== document.version) {
      this.log.info(`graph: ignored a reveal for version ${version}; the document is at ${document.version}`);
      return;
    }
    const length = document.getText().length;
    if (range.end > length) {
      this.log.warn('graph: ignored a reveal outside the document');
      return;
    }
    const selection = new vscode.Selection(document.positionAt(range.start), document.positionAt(range.end));
    const visible = vscode.window.visibleTextEditors.find((e) => e.document === document);
    // When no editor shows the document (the graph replaced it in its group), open it beside the graph,
    // not over it: a person clicks node after node while reading the source.
    const viewColumn = visible?.viewColumn ?? (this.panel.visible ? vscode.ViewColumn.Beside : vscode.ViewColumn.One);
    const editor = await vscode.window.showTextDocument(document, { viewColumn, preserveFocus: false, selection });
    editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private onExportResult(requestId: number, format: ExportFormat, data: string): void {
    if (requestId === 0) {
      void saveExport(this.documentUri, this.model, format, data, this.log);
      return;
    }
    const pending = this.exports.get(requestId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.exports.delete(requestId);
    pending.resolve(data);
  }
}

/** Node and block ids whose written range touches [start, end): what one line of the file produced. */
export function idsOnLine(model: ModelGraph, start: number, end: number, limit = 5000): string[] {
  const ids: string[] = [];
  const touches = (r: { start: number; end: number }): boolean => r.start < end && r.end >= start;
  for (const node of model.nodes) if (node.kind !== 'input' && touches(node.range) && ids.length < limit) ids.push(node.id);
  for (const group of model.groups) if (touches(group.callRange) && ids.length < limit) ids.push(group.id);
  return ids;
}

/** Asks where to save and writes the export (SVG text or PNG bytes). */
export async function saveExport(documentUri: vscode.Uri, model: string, format: ExportFormat, data: string, log: vscode.LogOutputChannel): Promise<vscode.Uri | undefined> {
  const defaultUri = vscode.Uri.joinPath(documentUri, '..', `${model || 'graph'}.${format}`);
  const target = await vscode.window.showSaveDialog({ defaultUri, filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] } });
  if (!target) return undefined;
  const bytes = format === 'svg' ? new TextEncoder().encode(data) : Uint8Array.from(Buffer.from(data, 'base64'));
  await vscode.workspace.fs.writeFile(target, bytes);
  log.info(`graph: exported ${format.toUpperCase()} to ${target.toString()}`);
  // Like the PyTorch export: the file is one click away, in an editor or in the system's file manager.
  const offer = savedExportOffer(target, vscode.ViewColumn.Beside);
  void vscode.window.showInformationMessage(offer.message, ...offer.actions.map((a) => a.label)).then((choice) => {
    const action = offer.actions.find((a) => a.label === choice);
    if (action) void vscode.commands.executeCommand(action.command, ...action.args);
  });
  return target;
}
