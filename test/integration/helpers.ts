// Helpers for integration tests that run inside the extension host with the real `vscode` API.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'skipnet.skipnet';

/** The folder the test window opened (a scratch copy of examples/). */
export function workspaceFolder(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration suite needs a folder open (the runner opens a copy of examples/)');
  return folder.uri;
}

export async function exampleUris(): Promise<vscode.Uri[]> {
  const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(workspaceFolder(), '*.skipnet'));
  return uris.sort((a, b) => a.path.localeCompare(b.path));
}

/** Activates SkipNet (as opening a .skipnet file does) and returns it. */
export async function activateSkipNet(): Promise<vscode.Extension<unknown>> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  await extension.activate();
  return extension;
}

/**
 * Resolves with the diagnostics of `uri` once `accept` holds for them, waiting on
 * `onDidChangeDiagnostics` (no polling); rejects after `timeoutMs` with what was last seen.
 */
export function waitForDiagnostics(
  uri: vscode.Uri,
  accept: (diagnostics: vscode.Diagnostic[]) => boolean,
  timeoutMs = 120_000,
): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const current = vscode.languages.getDiagnostics(uri);
      if (!accept(current)) return false;
      cleanup();
      resolve(current);
      return true;
    };
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((changed) => changed.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`diagnostics of ${uri.toString()} never matched; last: ${JSON.stringify(describe(vscode.languages.getDiagnostics(uri)))}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      subscription.dispose();
    };
    check();
  });
}

/** A plain, comparable view of diagnostics: severity, code, message and 0-based range. */
export function describe(diagnostics: readonly vscode.Diagnostic[]): Array<{ severity: string; code: string; source: string; message: string; range: [number, number, number, number] }> {
  return diagnostics.map((d) => ({
    severity: vscode.DiagnosticSeverity[d.severity],
    code: typeof d.code === 'object' ? String(d.code.value) : String(d.code),
    source: d.source ?? '',
    message: d.message,
    range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
  }));
}

/** Opens an unsaved SkipNet document with `content` (nothing touches the disk). */
export async function openSkipNetDocument(content: string): Promise<vscode.TextDocument> {
  return vscode.workspace.openTextDocument({ language: 'skipnet', content });
}
