/**
 * The Compare and export commands in the editor: `skipnet.compareModels` (pick two models, of one file or two, or a
 * model and its no-skip ablation; opens the Compare view) and `skipnet.exportPyTorch` (writes the model
 * as a torch.nn.Module next to the file). Both take `(uri?, modelName?)` so a CodeLens can pass the
 * model it sits on. Call `registerCompareView(context)` once from `activate`.
 */
import * as vscode from 'vscode';
import { analyze } from '../core';
import { exportPyTorch } from '../export/pytorch';
import { isRecord } from '../protocol/schema';
import type { SideSpec } from './model';
import { COMPARE_VIEW_TYPE, ComparePanel } from './panel';

const panels = new Set<ComparePanel>();

function fileName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() ?? uri.toString();
}

/** The document a command means: its argument, else the active .skipnet editor. */
function targetUri(uri: unknown): vscode.Uri | undefined {
  if (uri instanceof vscode.Uri) return uri;
  if (typeof uri === 'string' && uri) return vscode.Uri.parse(uri, true);
  const editor = vscode.window.activeTextEditor;
  if (editor && (editor.document.languageId === 'skipnet' || editor.document.uri.path.endsWith('.skipnet'))) return editor.document.uri;
  return undefined;
}

interface ModelItem extends vscode.QuickPickItem {
  uri: vscode.Uri;
  model: string;
  withoutSkips: boolean;
}

async function textOf(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  return open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

/** Every model of every .skipnet file open or in the workspace (first 500 files). */
async function modelItems(): Promise<ModelItem[]> {
  const uris = new Map<string, vscode.Uri>();
  for (const document of vscode.workspace.textDocuments) if (document.languageId === 'skipnet' || document.uri.path.endsWith('.skipnet')) uris.set(document.uri.toString(), document.uri);
  for (const uri of await vscode.workspace.findFiles('**/*.skipnet', '**/node_modules/**', 500)) uris.set(uri.toString(), uri);
  const items: ModelItem[] = [];
  for (const uri of uris.values()) {
    try {
      for (const model of analyze(await textOf(uri)).models) items.push({ label: model.name, description: vscode.workspace.asRelativePath(uri), uri, model: model.name, withoutSkips: false });
    } catch {
      // An unreadable file offers no models.
    }
  }
  return items;
}

async function pickModel(items: ModelItem[], placeHolder: string): Promise<ModelItem | undefined> {
  if (items.length === 0) return undefined;
  return vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true });
}

export async function compareModels(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, uriArg?: unknown, modelArg?: unknown): Promise<ComparePanel | undefined> {
  const all = await modelItems();
  const uri = targetUri(uriArg);
  let first: ModelItem | undefined;
  if (uri) {
    const inFile = all.filter((i) => i.uri.toString() === uri.toString());
    const named = typeof modelArg === 'string' ? inFile.find((i) => i.model === modelArg) : undefined;
    first = named ?? (inFile.length === 1 ? inFile[0] : await pickModel(inFile, `Compare which model of ${fileName(uri)}?`));
  } else first = await pickModel(all, 'Compare models: pick the first model');
  if (!first) {
    if (all.length === 0) void vscode.window.showWarningMessage('No .skipnet model found to compare.');
    return undefined;
  }
  const ablation: ModelItem = { ...first, label: `${first.model} without skip connections`, description: 'the same model, every add/concat shortcut removed', withoutSkips: true };
  const others = [ablation, ...all.filter((i) => !(i.uri.toString() === first.uri.toString() && i.model === first.model))];
  const second = await pickModel(others, `Compare ${first.model} with…`);
  if (!second) return undefined;
  const spec = (item: ModelItem): SideSpec => ({ uri: item.uri.toString(), file: fileName(item.uri), model: item.model, withoutSkips: item.withoutSkips });
  return openComparePanel(context, log, [spec(first), spec(second)]);
}

export function openComparePanel(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, specs: [SideSpec, SideSpec]): ComparePanel {
  const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Compare', vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')] });
  return track(new ComparePanel(panel, context.extensionUri, specs, log));
}

function track(panel: ComparePanel): ComparePanel {
  panels.add(panel);
  panel.onDidDispose(() => panels.delete(panel));
  return panel;
}

/** `<model>.py` next to the model's file, or where a save dialog says (untitled files, or not to overwrite). */
export async function exportPyTorchCommand(log: vscode.LogOutputChannel, uriArg?: unknown, modelArg?: unknown): Promise<vscode.Uri | undefined> {
  const uri = targetUri(uriArg);
  if (!uri) {
    void vscode.window.showWarningMessage('Open a .skipnet file to export one of its models to PyTorch.');
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const analysis = analyze(document.getText());
  const names = analysis.models.map((m) => m.name);
  const name = typeof modelArg === 'string' && names.includes(modelArg) ? modelArg : names.length === 1 ? names[0] : await vscode.window.showQuickPick(names, { placeHolder: 'Export which model to PyTorch?' });
  const model = analysis.models.find((m) => m.name === name);
  if (!model) {
    if (names.length === 0) void vscode.window.showErrorMessage(`${fileName(uri)} defines no model to export.`);
    return undefined;
  }
  const result = exportPyTorch(analysis, model, fileName(uri));
  if (!result.ok) {
    const located = result.problems.map((p) => {
      const position = document.positionAt(p.range.start);
      return `${fileName(uri)}:${position.line + 1}:${position.character + 1}: ${p.message}`;
    });
    located.forEach((line) => log.error(`export: ${line}`));
    void vscode.window.showErrorMessage(`Cannot export ${model.name}: ${located[0]}${located.length > 1 ? ` (and ${located.length - 1} more, see the SkipNet Compare log)` : ''}`);
    return undefined;
  }
  const safeName = `${model.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.py`;
  let target: vscode.Uri | undefined = uri.scheme === 'untitled' ? undefined : vscode.Uri.joinPath(uri, '..', safeName);
  if (target && (await exists(target))) {
    const choice = await vscode.window.showWarningMessage(`${safeName} already exists next to ${fileName(uri)}.`, { modal: true }, 'Overwrite', 'Save As…');
    if (choice === 'Save As…') target = undefined;
    else if (choice !== 'Overwrite') return undefined;
  }
  target ??= await vscode.window.showSaveDialog({ defaultUri: uri.scheme === 'untitled' ? undefined : vscode.Uri.joinPath(uri, '..', safeName), filters: { Python: ['py'] } });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(result.code));
  log.info(`export: wrote class ${result.className} to ${target.toString()}`);
  void vscode.window.showInformationMessage(`Exported ${model.name} as class ${result.className} to ${fileName(target)}.`, 'Open').then((open) => {
    if (open) void vscode.window.showTextDocument(target!);
  });
  return target;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export function registerCompareView(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('SkipNet Compare', { log: true });
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand('skipnet.compareModels', (uri?: unknown, model?: unknown) => compareModels(context, log, uri, model)),
    vscode.commands.registerCommand('skipnet.exportPyTorch', (uri?: unknown, model?: unknown) => exportPyTorchCommand(log, uri, model)),
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel, state: unknown) {
        // The state comes from the webview's setState: check it like any message.
        const raw = isRecord(state) && Array.isArray(state.sides) ? state.sides : [];
        const sides = raw.filter((s): s is { uri: string; model: string; withoutSkips: boolean } => isRecord(s) && typeof s.uri === 'string' && s.uri !== '' && typeof s.model === 'string' && typeof s.withoutSkips === 'boolean');
        if (sides.length !== 2) {
          log.warn('compare: a restored panel had no models; closing it');
          webviewPanel.dispose();
          return;
        }
        const specs = sides.map((s) => ({ uri: s.uri, file: fileName(vscode.Uri.parse(s.uri, true)), model: s.model, withoutSkips: s.withoutSkips })) as [SideSpec, SideSpec];
        track(new ComparePanel(webviewPanel, context.extensionUri, specs, log));
      },
    }),
    { dispose: () => [...panels].forEach((p) => p.dispose()) },
  );
}
