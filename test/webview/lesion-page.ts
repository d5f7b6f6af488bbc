/// <reference path="../../webview/env.d.ts" />
/**
 * Test page for the lesion study panel (bundled by `build.mjs --webview-tests` into out/webview-test/pages, served
 * by the harness under the real CSP). It mounts the real LesionPanel and exposes a driver on `window.__lesionPage`:
 * results go in as the worker would send them, Measure and Cancel clicks are recorded. Not shipped.
 */
import css from '../../webview/shared/styles.css';
import type { LesionSettings } from '../../webview/training/runtime-api';
import { LesionPanel, type LesionSeries } from '../../webview/training/lesion-panel';
import type { LesionUnit } from '../../src/train/experiments/lesionPlan';

export interface LesionPageDriver {
  /** The kinds of the units each studied model removes (one list per model), as LesionPanel.plan takes them. */
  plan(kinds: LesionUnit['kind'][][], testImages: number): void;
  setState(state: 'unavailable' | 'ready' | 'running', message?: string): void;
  progress(done: number, total: number): void;
  show(series: LesionSeries[]): void;
  measured: LesionSettings[];
  cancels: number;
}

declare global {
  interface Window {
    __lesionPage: LesionPageDriver;
  }
}

const vscode = acquireVsCodeApi();
const sheet = new CSSStyleSheet();
sheet.replaceSync(css);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
const measured: LesionSettings[] = [];
const driver: LesionPageDriver = {
  measured,
  cancels: 0,
  plan: (kinds, testImages) => panel.plan(kinds, testImages),
  setState: (state, message) => panel.setState(state, message),
  progress: (done, total) => panel.progress(done, total),
  show: (series) => panel.show(series),
};
const panel = new LesionPanel({
  parent: document.body,
  onMeasure: (settings) => measured.push(settings),
  onCancel: () => driver.cancels++,
});
window.__lesionPage = driver;
vscode.postMessage({ type: 'ready', protocol: 1, uri: '', version: 0 });
