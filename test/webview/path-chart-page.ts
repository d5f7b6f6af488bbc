/// <reference path="../../webview/env.d.ts" />
/**
 * Test page for the gradient-by-path-length chart (bundled by `build.mjs --webview-tests`, served by the
 * harness under the real CSP): mounts the real PathGradientChart and exposes it on `window.__pathChart`. Not shipped.
 */
import { PathGradientChart } from '../../webview/training/path-chart';

declare global {
  interface Window {
    __pathChart: PathGradientChart;
  }
}

const vscode = acquireVsCodeApi();
window.__pathChart = new PathGradientChart(document.body);
vscode.postMessage({ type: 'ready', protocol: 1, uri: '', version: 0 });
