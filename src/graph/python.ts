/**
 * Finding the Python the PyTorch engine trains with, from inside VS Code: the Python extension's active
 * interpreter for the file when that extension is installed (through its typed API, @vscode/python-extension),
 * then the skipnet.python setting, then python3 / python on PATH (src/train/pytorch/discover.ts tries them).
 * Answers are kept until the setting or the Python extension's active interpreter changes: importing torch takes
 * seconds. Nothing is ever installed.
 */
import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import { discoverPython, type PythonDiscovery } from '../train/pytorch/discover';

/** The Python extension's interpreter for `resource`; undefined when the extension is absent or answers nothing. */
export async function activeInterpreter(resource: vscode.Uri): Promise<string | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  const api = await PythonExtension.api();
  const active = api.environments.getActiveEnvironmentPath(resource);
  const resolved = await api.environments.resolveEnvironment(active);
  return resolved?.executable.uri?.fsPath ?? active.path;
}

/** skipnet.python for `resource` ('' when unset). In an untrusted workspace only the user's own value counts (restrictedConfigurations). */
export function pythonSetting(resource: vscode.Uri): string {
  const value = vscode.workspace.getConfiguration('skipnet', resource).get<string>('python', '');
  return typeof value === 'string' ? value : '';
}

const cache = new Map<string, Promise<PythonDiscovery>>();

/** What discovery finds for a file (cached per active interpreter and setting; see the file's comment). */
export async function findTorch(resource: vscode.Uri): Promise<PythonDiscovery> {
  let active: string | undefined;
  try {
    active = await activeInterpreter(resource);
  } catch {
    active = undefined; // an extension that fails to answer is treated as absent
  }
  const setting = pythonSetting(resource);
  const key = JSON.stringify([active ?? null, setting]);
  let found = cache.get(key);
  if (!found) {
    found = discoverPython({ activeInterpreter: async () => active, setting });
    cache.set(key, found);
  }
  return found;
}

/** Forgets every answer (a Python may have gained torch since): the next findTorch probes again. */
export function forgetTorch(): void {
  cache.clear();
}
