import * as vscode from 'vscode';
import { CIFAR_CACHE } from './cifarSource';
import { graphHtml } from './html';

/**
 * Options and HTML shared by the graph and compare panels: the page's bundle, the layout worker, train.js with
 * tfjs's wasm binaries, and the bundled data sets are the only resources the page may load.
 */
export function setUpSkipNetWebview(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: { script: 'main.js' | 'compare.js'; documentUri: string; model: string; title?: string },
): void {
  const webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const uri = (...path: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, ...path)).toString();
  webview.options = { enableScripts: true, localResourceRoots: [webviewRoot, vscode.Uri.joinPath(extensionUri, 'media', 'data'), CIFAR_CACHE] };
  webview.html = graphHtml({
    cspSource: webview.cspSource,
    scriptUri: uri(page.script),
    workerUri: uri('layout-worker.js'),
    trainUri: uri('train.js'),
    wasmUri: `${uri('wasm')}/`,
    documentUri: page.documentUri,
    model: page.model,
    title: page.title,
  });
}
