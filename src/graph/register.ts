/**
 * Registers the graph view: the show/export commands, and the serializer that restores graph panels
 * after a window reload. Call `registerGraphView(context)` once from `activate`.
 */
import * as vscode from 'vscode';
import { isRecord } from '../protocol/schema';
import { type ExportFormat, type ExportTheme } from '../protocol';
import type { TrainingStatusBar } from '../editor/trainingStatus';
import { GRAPH_VIEW_TYPE, GraphPanel, saveExport } from './panel';
import { GRAPH_TITLE_COMMANDS, type GraphTitleAction, NO_GRAPH_PANEL_MESSAGE } from './actions';
import { TrainingStatusFollower } from './training';
import { CIFAR_CACHE } from './cifarSource';

const panels = new Set<GraphPanel>();
let lastActive: GraphPanel | undefined;
let follower: TrainingStatusFollower | undefined;

/** The open graph panels (for the training commands and tests). */
export function graphPanels(): readonly GraphPanel[] {
  return [...panels];
}

function track(panel: GraphPanel): GraphPanel {
  panels.add(panel);
  follower?.attach(panel);
  lastActive = panel;
  panel.panel.onDidChangeViewState((e) => {
    if (e.webviewPanel.active) lastActive = panel;
  });
  panel.onDidDispose(() => {
    panels.delete(panel);
    if (lastActive === panel) lastActive = undefined;
  });
  return panel;
}

/** The document a command means: its argument, else the active .skipnet editor. */
function targetUri(uri: unknown): vscode.Uri | undefined {
  if (uri instanceof vscode.Uri) return uri;
  const editor = vscode.window.activeTextEditor;
  if (editor && (editor.document.languageId === 'skipnet' || editor.document.uri.path.endsWith('.skipnet'))) return editor.document.uri;
  return lastActive?.documentUri;
}

function findPanel(uri: vscode.Uri, model?: string): GraphPanel | undefined {
  const matches = [...panels].filter((p) => p.documentUri.toString() === uri.toString());
  return matches.find((p) => !model || p.modelName === model) ?? matches[0];
}

/**
 * Opens (or reveals) the graph of a document beside its editor, like Markdown's "Open Preview to the
 * Side": the source stays in view while the graph follows it. `keepFocus`: the editor keeps the focus
 * (the title-bar button, Train); otherwise the graph takes it (Show Graph, its CodeLens).
 */
export function showGraph(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, uriArg: unknown, modelArg: unknown, keepFocus: boolean): GraphPanel | undefined {
  const uri = targetUri(uriArg);
  if (!uri) {
    void vscode.window.showWarningMessage('Open a .skipnet file to see its graph.');
    return undefined;
  }
  const model = typeof modelArg === 'string' ? modelArg : '';
  const existing = findPanel(uri, model || undefined);
  if (existing) {
    if (model) existing.showModel(model);
    existing.reveal(true);
    return existing;
  }
  // retainContextWhenHidden: a run (and its tensors) lives in the page; hiding the tab must not end it.
  const panel = vscode.window.createWebviewPanel(
    GRAPH_VIEW_TYPE,
    'Graph',
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: keepFocus },
    { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(context.extensionUri, 'media', 'data'), CIFAR_CACHE] },
  );
  return track(new GraphPanel(panel, context.extensionUri, uri, model, log, context.workspaceState));
}

async function exportCommand(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, format: ExportFormat, uriArg: unknown, modelArg: unknown): Promise<vscode.Uri | undefined> {
  const uri = targetUri(uriArg);
  const model = typeof modelArg === 'string' ? modelArg : undefined;
  const panel = (uri && findPanel(uri, model)) ?? (uri ? showGraph(context, log, uri, model, true) : lastActive);
  if (!panel) {
    void vscode.window.showWarningMessage('Open a .skipnet file or its graph to export it.');
    return undefined;
  }
  return exportPanel(panel, format, log);
}

/** Asks for the export's look (theme, wrapped into columns or not), then where to save it. */
async function exportPanel(panel: GraphPanel, format: ExportFormat, log: vscode.LogOutputChannel): Promise<vscode.Uri | undefined> {
  const wrapped = 'a long top-down graph cut into side-by-side columns (about 3:2)';
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Current theme', theme: 'current' as ExportTheme, wrap: false },
      { label: 'Light print theme', description: 'dark ink on white', theme: 'print' as ExportTheme, wrap: false },
      { label: 'Current theme, wrapped', description: wrapped, theme: 'current' as ExportTheme, wrap: true },
      { label: 'Light print theme, wrapped', description: `dark ink on white; ${wrapped}`, theme: 'print' as ExportTheme, wrap: true },
    ],
    { placeHolder: `Export the graph as ${format.toUpperCase()} with…` },
  );
  if (!pick) return undefined;
  try {
    const data = await panel.requestExport(format, pick.theme, pick.wrap);
    return await saveExport(panel.documentUri, panel.modelName, format, data, log);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error(`graph: export failed: ${message}`);
    void vscode.window.showErrorMessage(`Graph export failed: ${message}`);
    return undefined;
  }
}

/**
 * A title-bar or overflow-menu command on the active graph panel; without one (a key binding, a script)
 * it says so and does nothing. Resolves with the panel it acted on.
 */
async function titleCommand(log: vscode.LogOutputChannel, action: GraphTitleAction): Promise<GraphPanel | undefined> {
  const panel = [...panels].find((p) => p.panel.active);
  if (!panel) {
    void vscode.window.showInformationMessage(NO_GRAPH_PANEL_MESSAGE);
    return undefined;
  }
  switch (action.kind) {
    case 'train':
      panel.train('start');
      break;
    case 'view':
      panel.viewAction(action.action);
      break;
    case 'export':
      await exportPanel(panel, action.format, log);
      break;
    case 'compare':
      await vscode.commands.executeCommand('skipnet.compareModels', panel.documentUri, panel.modelName);
      break;
    case 'exportPyTorch':
      await vscode.commands.executeCommand('skipnet.exportPyTorch', panel.documentUri, panel.modelName);
      break;
  }
  return panel;
}

/** skipnet.train (uri?, model?): open or reveal the model's graph beside the editor and start training there. */
async function trainCommand(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, uri: unknown, model: unknown): Promise<GraphPanel | undefined> {
  const panel = showGraph(context, log, uri, model, true);
  await panel?.startTraining(null);
  return panel;
}

/** skipnet.stopTraining: stops every run in progress (normally one). */
function stopTrainingCommand(): number {
  const training = [...panels].filter((p) => p.isTraining);
  if (training.length === 0) {
    void vscode.window.showInformationMessage('SkipNet: no model is training.');
    return 0;
  }
  for (const panel of training) panel.train('stop');
  return training.length;
}

/** `trainingStatus`: the editor's status-bar item, kept up to date from the runs' progress. */
export function registerGraphView(context: vscode.ExtensionContext, trainingStatus?: TrainingStatusBar): void {
  const log = vscode.window.createOutputChannel('SkipNet Graph', { log: true });
  follower = new TrainingStatusFollower(trainingStatus, log);
  context.subscriptions.push(
    log,
    follower,
    vscode.commands.registerCommand('skipnet.train', (uri?: unknown, model?: unknown) => trainCommand(context, log, uri, model)),
    vscode.commands.registerCommand('skipnet.stopTraining', () => stopTrainingCommand()),
    vscode.commands.registerCommand('skipnet.showGraph', (uri?: unknown, model?: unknown) => showGraph(context, log, uri, model, false)),
    vscode.commands.registerCommand('skipnet.showGraphToSide', (uri?: unknown, model?: unknown) => showGraph(context, log, uri, model, true)),
    vscode.commands.registerCommand('skipnet.exportGraphSvg', (uri?: unknown, model?: unknown) => exportCommand(context, log, 'svg', uri, model)),
    vscode.commands.registerCommand('skipnet.exportGraphPng', (uri?: unknown, model?: unknown) => exportCommand(context, log, 'png', uri, model)),
    ...GRAPH_TITLE_COMMANDS.map((c) => vscode.commands.registerCommand(c.command, () => titleCommand(log, c.action))),
    vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, {
      async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel, state: unknown) {
        // State comes from the webview's setState: check it like any other message.
        const uri = isRecord(state) && typeof state.uri === 'string' && state.uri ? state.uri : '';
        const model = isRecord(state) && typeof state.model === 'string' ? state.model : '';
        if (!uri) {
          log.warn('graph: a restored panel had no document; closing it');
          webviewPanel.dispose();
          return;
        }
        track(new GraphPanel(webviewPanel, context.extensionUri, vscode.Uri.parse(uri, true), model, log, context.workspaceState));
      },
    }),
    { dispose: () => [...panels].forEach((p) => p.dispose()) },
  );
}
