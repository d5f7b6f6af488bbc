/**
 * The README's screenshots, made from the real webview bundles in headless Chromium through the webview
 * tests' harness (test/webview/harness.ts), in VS Code's Dark Modern colours:
 *
 *   docs/images/densenet-trained.png   examples/mnist_densenet.skipnet after some dozens of training steps
 *                                       (wasm backend), its gradient norms on the graph and its feature-reuse heat maps
 *   docs/images/dense-block.png        the same model's first dense block expanded in the graph view, with its blocks' titles
 *
 * Run with `npm run screenshots` (builds first); not part of `npm test`. Waits are for the page's own
 * states (the step counter, the run's end, the heat maps' status), never for an amount of time.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { analyze } from '../src/core';
import { buildGraphPayload, type GraphPayload } from '../src/protocol';
import { DOC_URI, launchBrowser, openWebview, ORIGIN, type WebviewPage } from '../test/webview/harness';

const OUT = 'docs/images';
/** Steps to train before the picture: enough for the heat maps to leave "at initialisation". */
const STEPS = 60;
const STATS_INTERVAL = 10;
/** A PNG over this is too heavy for a README, bytes. */
const MAX_BYTES = 300 * 1024;

/** The variables VS Code's Dark Modern theme gives a webview, as far as SkipNet's pages and @vscode-elements read them. */
const DARK_MODERN: Record<string, string> = {
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-errorForeground': '#f85149',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-editor-foreground': '#cccccc',
  '--vscode-editorWidget-background': '#202020',
  '--vscode-editorWidget-border': '#313131',
  '--vscode-editorHoverWidget-background': '#202020',
  '--vscode-editorHoverWidget-foreground': '#cccccc',
  '--vscode-editorHoverWidget-border': '#454545',
  '--vscode-editorLineNumber-foreground': '#6e7681',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-editor-findMatchHighlightBackground': '#9e6a0380',
  '--vscode-sideBar-background': '#181818',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-sash-hoverBorder': '#0078d4',
  '--vscode-contrastBorder': 'transparent',
  '--vscode-textLink-foreground': '#4daafc',
  '--vscode-textLink-activeForeground': '#4daafc',
  '--vscode-badge-background': '#616161',
  '--vscode-badge-foreground': '#f8f8f8',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-hoverBackground': '#026ec1',
  '--vscode-button-border': '#ffffff12',
  '--vscode-button-secondaryBackground': '#313131',
  '--vscode-button-secondaryForeground': '#cccccc',
  '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  '--vscode-dropdown-background': '#313131',
  '--vscode-dropdown-foreground': '#cccccc',
  '--vscode-dropdown-border': '#3c3c3c',
  '--vscode-dropdown-listBackground': '#1f1f1f',
  '--vscode-input-background': '#313131',
  '--vscode-input-foreground': '#cccccc',
  '--vscode-input-border': '#3c3c3c',
  '--vscode-checkbox-background': '#313131',
  '--vscode-checkbox-border': '#3c3c3c',
  '--vscode-progressBar-background': '#0078d4',
  '--vscode-list-hoverBackground': '#2a2d2e',
  '--vscode-list-activeSelectionBackground': '#04395e',
  '--vscode-charts-foreground': '#cccccc',
  '--vscode-charts-lines': '#cccccc80',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-scrollbarSlider-background': '#79797966',
};

/** Opens the graph page in the dark theme and shows `payload`. */
async function openDark(browser: Parameters<typeof openWebview>[0], payload: GraphPayload, viewport: { width: number; height: number }): Promise<WebviewPage> {
  const w = await openWebview(browser, undefined, viewport);
  await w.page.evaluate((vars) => {
    document.body.className = 'vscode-dark';
    document.body.dataset.vscodeThemeKind = 'vscode-dark';
    for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
  }, DARK_MODERN);
  await w.init(payload);
  return w;
}

function payloadOf(text: string, model: string): GraphPayload {
  const analysis = analyze(text);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`${model}: ${errors.map((e) => e.message).join('; ')}`);
  return buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: analysis.models.map((m) => m.name) });
}

async function save(page: Page, file: string, clip?: { x: number; y: number; width: number; height: number }): Promise<void> {
  const path = join(OUT, file);
  await page.screenshot({ path, clip, animations: 'disabled' });
  const bytes = statSync(path).size;
  process.stdout.write(`${path}: ${(bytes / 1024).toFixed(0)} KiB\n`);
  if (bytes > MAX_BYTES) throw new Error(`${path} is ${bytes} bytes, over ${MAX_BYTES}: make the picture smaller`);
}

/** Trains mnist_densenet STEPS steps on wasm, stops, and photographs the graph with its heat maps. */
async function trainedDensenet(browser: Parameters<typeof openWebview>[0], text: string): Promise<void> {
  const w = await openDark(browser, payloadOf(text, 'mnist_densenet'), { width: 1400, height: 1100 });
  const dataset = { kind: 'builtin' as const, name: 'fashion-mnist' as const, url: `${ORIGIN}/media/data/fashion-mnist.bin` };
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: { model: 'mnist_densenet', text, backend: 'wasm', statsInterval: STATS_INTERVAL, dataset } });
  await w.page.waitForFunction((n) => Number(document.getElementById('training')?.dataset.step ?? 0) >= n, STEPS, { timeout: 600_000 });
  await w.page.locator('#train-stop').click();
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  // Every heat map has left "at initialisation" (the statistics of the last interval reached the page).
  await w.page.waitForFunction(() => {
    const maps = [...document.querySelectorAll('.stats-heatmap')];
    return maps.length === 2 && maps.every((m) => !(m.textContent ?? '').includes('at initialisation'));
  }, undefined, { timeout: 120_000 });
  // The panel at its largest (the handle's End key), so the heat maps are whole; the graph stays at 1:1 below it.
  await w.page.locator('.training-resize').focus();
  await w.page.keyboard.press('End');
  await w.page.waitForFunction(() => {
    const handle = document.querySelector('.training-resize');
    return handle !== null && handle.getAttribute('aria-valuenow') === handle.getAttribute('aria-valuemax');
  });
  // The metric picker and heat maps at the panel's top (the curves scrolled above), the graph below; no focus ring.
  await w.page.locator('.stats-heatmaps').evaluate((maps) => {
    (maps.closest('.stats-overlay') ?? maps).scrollIntoView({ block: 'start' });
    (document.activeElement as HTMLElement | null)?.blur();
  });
  await save(w.page, 'densenet-trained.png');
  await w.page.context().close();
}

/** The first dense block expanded, at 1:1, cut to the block's frame, the titles of it and of the blocks in it, and a margin. */
async function denseBlock(browser: Parameters<typeof openWebview>[0], text: string): Promise<void> {
  // Tall enough for the whole block at 1:1 above the legend.
  const w = await openDark(browser, payloadOf(text, 'mnist_densenet'), { width: 1000, height: 1900 });
  // A block's title may lie beside its frame (src/drawing/titles.ts): the picture takes in every title of the block.
  const frame = await w.page.locator('#graph .groups .group[data-group="block1"] > rect').evaluate((outer) => {
    const o = outer.getBoundingClientRect();
    const boxes = [...document.querySelectorAll('#graph .groups .group')].filter((g) => {
      const r = g.querySelector(':scope > rect')!.getBoundingClientRect();
      return r.left >= o.left && r.top >= o.top && r.right <= o.right && r.bottom <= o.bottom;
    }).map((g) => g.getBoundingClientRect());
    const left = Math.min(o.left, ...boxes.map((b) => b.left));
    const top = Math.min(o.top, ...boxes.map((b) => b.top));
    return { x: left, y: top, width: Math.max(o.right, ...boxes.map((b) => b.right)) - left, height: Math.max(o.bottom, ...boxes.map((b) => b.bottom)) - top };
  });
  const margin = 24;
  await save(w.page, 'dense-block.png', { x: Math.max(0, frame.x - margin), y: Math.max(0, frame.y - margin - 20), width: frame.width + 2 * margin, height: frame.height + 2 * margin + 20 });
  await w.page.context().close();
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const text = readFileSync('examples/mnist_densenet.skipnet', 'utf8');
  const browser = await launchBrowser();
  try {
    await denseBlock(browser, text);
    await trainedDensenet(browser, text);
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
