import type * as vscode from 'vscode';
import { registerEditorFeatures, type EditorServices } from './editor/editorFeatures';
import { registerCompareView } from './compare/register';
import { registerGraphView } from './graph/register';

/**
 * Activation (on opening a .skipnet file or running a SkipNet command): language features from the
 * shared core and the graph view. Nothing heavy is imported here; TensorFlow.js loads only inside the
 * graph webview. The returned services are the extension's API (also handy for integration tests).
 */
export function activate(context: vscode.ExtensionContext): EditorServices {
  const services = registerEditorFeatures(context);
  registerGraphView(context);
  registerCompareView(context);
  return services;
}

export function deactivate(): void {}
