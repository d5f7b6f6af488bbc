/**
 * Host side of "Train here". The engine runs inside the graph webview; the host decides what a
 * run gets: the document's text, the settings (skipnet.training.backend, skipnet.training.statsInterval)
 * and the data (a bundled set served from the extension, or a workspace folder of images, read here and
 * only in a trusted workspace). It also keeps the status bar in step with the progress the webview reports.
 */
import * as vscode from 'vscode';
import type { TrainingConfig } from '../core';
import type { TrainingStatusBar } from '../editor/trainingStatus';
import { cifarSource } from './cifarSource';
import { DEFAULT_STATS_INTERVAL } from '../train/schedule';
import { trainProcesses } from '../train/pytorch/discover';
import { type FolderImage, TRAINING_BACKEND_CHOICES, type TrainingBackendChoice, type TrainingDatasetSource, type TrainingRun, type WebviewToHost } from '../protocol';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif', '.bmp', '.webp'];
/** Bounds on a data folder: a webview message carries it whole. */
export const MAX_FOLDER_IMAGES = 20_000;
export const MAX_FOLDER_BYTES = 200 * 1024 * 1024;

export interface TrainingSettings {
  backend: TrainingBackendChoice;
  statsInterval: number;
}

export function readTrainingSettings(scope?: vscode.Uri): TrainingSettings {
  const config = vscode.workspace.getConfiguration('skipnet.training', scope);
  const backend = config.get<string>('backend', 'auto');
  const interval = config.get<number>('statsInterval', DEFAULT_STATS_INTERVAL);
  return {
    backend: (TRAINING_BACKEND_CHOICES as readonly string[]).includes(backend) ? (backend as TrainingBackendChoice) : 'auto',
    statsInterval: typeof interval === 'number' && Number.isInteger(interval) && interval >= 1 ? interval : DEFAULT_STATS_INTERVAL,
  };
}

/**
 * skipnet.train.processes: how many PyTorch processes share each batch (the PyTorch runner's `nproc`; 1 when unset).
 * Throws a TrainingRefusal naming the setting for a value that is not a whole number from 1 to 64 (trainProcesses).
 */
export function readTrainProcesses(scope?: vscode.Uri): number {
  try {
    return trainProcesses(vscode.workspace.getConfiguration('skipnet.train', scope).get<unknown>('processes'));
  } catch (error) {
    throw new TrainingRefusal(error instanceof Error ? error.message : String(error));
  }
}

/** Thrown for anything that keeps a run from starting; the message is shown as it is. */
export class TrainingRefusal extends Error {}

/** The folder a `dataset: "path"` names: relative paths start at the document's folder. */
export function datasetFolder(documentUri: vscode.Uri, path: string): vscode.Uri {
  if (path.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(path)) return documentUri.with({ path: path.replace(/\\/g, '/') });
  return vscode.Uri.joinPath(documentUri, '..', path);
}

/** Reads an ImageFolder-style tree: one sub-folder per class (sorted by name), images inside. */
export async function readImageFolder(folder: vscode.Uri, shownPath: string): Promise<{ classes: string[]; images: FolderImage[] }> {
  let entries: [string, vscode.FileType][];
  try {
    entries = await vscode.workspace.fs.readDirectory(folder);
  } catch {
    throw new TrainingRefusal(`The data folder '${shownPath}' does not exist or cannot be read (looked at ${folder.fsPath}).`);
  }
  const classes = entries.filter(([, type]) => type === vscode.FileType.Directory).map(([name]) => name).sort();
  if (classes.length < 2) throw new TrainingRefusal(`The data folder '${shownPath}' needs one sub-folder per class (at least two); it has ${classes.length}.`);
  const images: FolderImage[] = [];
  let bytes = 0;
  for (const [label, name] of classes.entries()) {
    const files = (await vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(folder, name)))
      .filter(([file, type]) => type === vscode.FileType.File && IMAGE_EXTENSIONS.some((ext) => file.toLowerCase().endsWith(ext)))
      .map(([file]) => file)
      .sort();
    if (files.length === 0) throw new TrainingRefusal(`The class folder '${shownPath}/${name}' holds no images (${IMAGE_EXTENSIONS.join(', ')}).`);
    for (const file of files) {
      if (images.length >= MAX_FOLDER_IMAGES) throw new TrainingRefusal(`The data folder '${shownPath}' holds more than ${MAX_FOLDER_IMAGES.toLocaleString('en-US')} images; use a smaller subset.`);
      const data = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name, file));
      bytes += data.byteLength;
      if (bytes > MAX_FOLDER_BYTES) throw new TrainingRefusal(`The images in '${shownPath}' exceed ${MAX_FOLDER_BYTES / 1024 / 1024} MiB; use a smaller subset.`);
      images.push({ label, name: `${name}/${file}`, data: Buffer.from(data).toString('base64') });
    }
  }
  return { classes, images };
}

/** What the webview trains on for a model's `train` section. */
export async function datasetSource(dataset: TrainingConfig['dataset'], documentUri: vscode.Uri, webview: vscode.Webview, extensionUri: vscode.Uri): Promise<TrainingDatasetSource> {
  if (dataset.kind === 'builtin') {
    const url = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'data', `${dataset.name}.bin`)).toString();
    return { kind: 'builtin', name: dataset.name, url };
  }
  if (dataset.kind === 'cifar') return cifarSource(dataset, documentUri, webview);
  if (!vscode.workspace.isTrusted) {
    throw new TrainingRefusal(`Training on the data folder '${dataset.path}' reads files of this workspace, which needs a trusted workspace. Trust it (Manage Workspace Trust), or train on a bundled set (dataset: mnist or fashion_mnist).`);
  }
  const { classes, images } = await readImageFolder(datasetFolder(documentUri, dataset.path), dataset.path);
  return { kind: 'folder', path: dataset.path, classes, images };
}

export async function buildTrainingRun(options: {
  documentUri: vscode.Uri;
  text: string;
  model: string;
  training: TrainingConfig;
  backend: TrainingBackendChoice | null;
  webview: vscode.Webview;
  extensionUri: vscode.Uri;
}): Promise<TrainingRun> {
  const settings = readTrainingSettings(options.documentUri);
  return {
    model: options.model,
    text: options.text,
    backend: options.backend ?? settings.backend,
    statsInterval: settings.statsInterval,
    dataset: await datasetSource(options.training.dataset, options.documentUri, options.webview, options.extensionUri),
  };
}

type TrainingMessage = Extract<WebviewToHost, { type: 'trainingProgress' | 'trainingEnded' }>;

/** What the status bar needs of a panel. */
export interface TrainingPanelLike {
  readonly documentUri: vscode.Uri;
  readonly modelName: string;
  readonly onTrainingMessage: vscode.Event<TrainingMessage>;
  readonly onDidDispose: vscode.Event<void>;
}

/**
 * Follows every graph panel's training reports: the status bar shows the latest progress and is cleared
 * when that run ends (finished, stopped, failed, or its panel closed). Failures are also shown as a warning.
 */
export class TrainingStatusFollower implements vscode.Disposable {
  private owner: TrainingPanelLike | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly status: TrainingStatusBar | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  attach(panel: TrainingPanelLike): void {
    const own: vscode.Disposable[] = [];
    own.push(
      panel.onTrainingMessage((message) => this.onMessage(panel, message)),
      panel.onDidDispose(() => {
        if (this.owner === panel) this.end();
        for (const s of own.splice(0)) s.dispose();
      }),
    );
    this.subscriptions.push({ dispose: () => own.splice(0).forEach((s) => s.dispose()) });
  }

  private onMessage(panel: TrainingPanelLike, message: TrainingMessage): void {
    if (message.type === 'trainingProgress') {
      this.owner = panel;
      const p = message.progress;
      this.status?.update({ uri: panel.documentUri, model: panel.modelName, epoch: p.epoch, epochs: p.epochs, step: p.step, stepsPerEpoch: p.stepsPerEpoch, loss: p.loss, accuracy: p.accuracy, backend: p.backend });
      return;
    }
    this.log.info(`training ${panel.modelName}: ${message.reason}${message.message ? `: ${message.message}` : ''}`);
    if (message.reason === 'error') void vscode.window.showWarningMessage(`SkipNet: ${message.message}`);
    if (this.owner === panel || this.owner === undefined) this.end();
  }

  private end(): void {
    this.owner = undefined;
    this.status?.clear();
  }

  dispose(): void {
    this.end();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
