/**
 * Host side of CIFAR for "Train here": the webview cannot read the user's files, so the host finds the CIFAR folder
 * (the train section's `data`, else the skipnet.data.cifarFolder setting; relative paths start at the document's
 * folder), reads it with the shared Node reader (src/train/cifar.ts) and writes it once as an SKND file in a cache
 * folder the webview may load from. The webview then fetches it like a bundled set: a message never carries the
 * 180 MB of pixels. Nothing is downloaded.
 */
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { CifarName } from '../core';
import type { TrainingDatasetSource } from '../protocol';
import { cachedCifar, cifarFolder, locateCifar, type CifarFiles } from '../train/cifar';
import { TrainError } from '../train/errors';
import { TrainingRefusal } from './training';

/** Where converted CIFAR files are kept (one per folder and file dates); a local resource root of the webviews. */
export const CIFAR_CACHE = vscode.Uri.file(join(tmpdir(), 'skipnet-cifar-cache'));

/** The skipnet.data.cifarFolder setting for a document ('' when unset). */
export function cifarFolderSetting(scope?: vscode.Uri): string {
  const value = vscode.workspace.getConfiguration('skipnet.data', scope).get<string>('cifarFolder', '');
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * The webview's source for `dataset: cifar10 | cifar100`: a URL of the converted SKND file. Throws a
 * TrainingRefusal (shown as it is) for an untrusted workspace, a missing folder setting or a folder in the wrong
 * format (the reader's message: folder, what was expected, what was found).
 */
export async function cifarSource(dataset: { name: CifarName; folder?: string }, documentUri: vscode.Uri, webview: vscode.Webview): Promise<TrainingDatasetSource> {
  if (!vscode.workspace.isTrusted) {
    throw new TrainingRefusal(`Training on ${dataset.name} reads its files from your disk, which needs a trusted workspace. Trust it (Manage Workspace Trust), or train on a bundled set (dataset: mnist or fashion_mnist).`);
  }
  try {
    const files = locateCifar(dataset.name, cifarFolder(dataset, cifarFolderSetting(documentUri)), dirname(documentUri.fsPath));
    const target = cachedCifar(files, CIFAR_CACHE.fsPath);
    return { kind: 'cifar', name: dataset.name, url: webview.asWebviewUri(vscode.Uri.file(target)).toString() };
  } catch (error) {
    if (error instanceof TrainError) throw new TrainingRefusal(error.message);
    throw error;
  }
}

/**
 * The CIFAR files the PyTorch engine reads for `dataset: cifar10 | cifar100` (the same folder rules as the
 * webview's source). Throws a TrainingRefusal with the reader's message for a missing or wrong folder.
 */
export function cifarFilesFor(dataset: { name: CifarName; folder?: string }, documentUri: vscode.Uri): CifarFiles {
  try {
    return locateCifar(dataset.name, cifarFolder(dataset, cifarFolderSetting(documentUri)), dirname(documentUri.fsPath));
  } catch (error) {
    if (error instanceof TrainError) throw new TrainingRefusal(error.message);
    throw error;
  }
}
