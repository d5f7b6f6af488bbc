/**
 * Loads the real graph webview (dist/webview bundles + the HTML from src/graph/html.ts, CSP included) in
 * headless Debian Chromium, with a stand-in for `acquireVsCodeApi` that records what the page posts.
 * Shared by the webview tests and the graph benchmark.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { analyze } from '../../src/core';
import { graphHtml } from '../../src/graph/html';
import { describeWaits } from '../support/waits';
import { buildGraphPayload, type GraphPayload, type HostToWebview, PROTOCOL_VERSION, type WebviewToHost } from '../../src/protocol';

export const ORIGIN = 'https://webview.test';
export const DOC_URI = 'file:///work/model.skipnet';

export function examplePayload(name: string, collapseThreshold = 150): GraphPayload {
  const analysis = analyze(readFileSync(join('examples', `${name}.skipnet`), 'utf8'));
  return buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold, models: analysis.models.map((m) => m.name) });
}

/** `script` argument of openWebview for a test-only page bundle (resolved against /dist/webview/). */
export const TEST_PAGE_PREFIX = '../../out/webview-test/pages/';

export const NO_DIAGNOSTICS = { errors: 0, warnings: 0, firstError: '', firstErrorLine: 0 };

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

/**
 * One headless Chromium for a test file: registers the file's before and after hooks (start it, make
 * test-results/ for screenshots; close it) and returns the browser for its tests to open pages in.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchBrowser();
    mkdirSync('test-results', { recursive: true });
  });
  after(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser starts in the before hook: open pages inside tests');
    return browser;
  };
}

declare global {
  interface Window {
    __posted: unknown[];
    __state: unknown;
    __alerts: string[];
    __cspViolations: string[];
  }
}

export interface WebviewPage {
  page: Page;
  /** Messages the page posted to the "host", in order. */
  posted(): Promise<WebviewToHost[]>;
  /** Delivers a host message the way VS Code does (a window message event). */
  send(message: HostToWebview): Promise<void>;
  /** Number of completed renders so far. */
  renderCount(): Promise<number>;
  /** Waits until at least `count` renders completed. */
  waitForRender(count: number): Promise<void>;
  init(graph: GraphPayload | null, version?: number, direction?: 'down' | 'right'): Promise<void>;
  consoleErrors: string[];
}

export interface OpenOptions {
  /**
   * Serve every response with COOP/COEP headers, as VS Code serves webviews when started with `--enable-coi`:
   * the page is then cross-origin isolated (SharedArrayBuffer, the threaded wasm backend).
   */
  crossOriginIsolated?: boolean;
  /** Sources added to the page CSP's script-src (e.g. 'blob:'), for tests of what a CSP change would allow. */
  extraScriptSources?: string;
}

/** Opens the webview page (`script`: main.js for the graph, compare.js for the Compare view); `state` preloads `getState()`. */
export async function openWebview(browser: Browser, state?: unknown, viewport = { width: 1200, height: 800 }, script = 'main.js', options: OpenOptions = {}): Promise<WebviewPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  describeWaits(page);
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  let html = graphHtml({
    cspSource: ORIGIN,
    scriptUri: `${ORIGIN}/dist/webview/${script}`,
    workerUri: `${ORIGIN}/dist/webview/layout-worker.js`,
    trainUri: `${ORIGIN}/dist/webview/train.js`,
    wasmUri: `${ORIGIN}/dist/webview/wasm/`,
    documentUri: DOC_URI,
    model: '',
  });
  const isolation: Record<string, string> = options.crossOriginIsolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  if (options.extraScriptSources) html = html.replace('script-src ', `script-src ${options.extraScriptSources} `);
  await page.route(`${ORIGIN}/**`, async (unwrapped) => {
    // Every answer carries the isolation headers (if any): fulfil through this wrapper.
    const route = { request: () => unwrapped.request(), fulfill: (response: Parameters<typeof unwrapped.fulfill>[0] = {}) => unwrapped.fulfill({ ...response, headers: { ...response.headers, ...isolation } }) };
    const path = new URL(route.request().url()).pathname;
    if (path === '/index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
    // The training data sets, served like the extension's media/data through asWebviewUri.
    if (path.startsWith('/media/data/') && !path.includes('..')) {
      try {
        return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: readFileSync(join('media/data', path.slice('/media/data/'.length))) });
      } catch {
        return route.fulfill({ status: 404, body: 'missing' });
      }
    }
    if (path.startsWith('/dist/webview/') && !path.includes('..')) {
      try {
        const contentType = path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
        return route.fulfill({ status: 200, contentType, body: readFileSync(join('dist/webview', path.slice('/dist/webview/'.length))) });
      } catch {
        return route.fulfill({ status: 404, body: 'missing' });
      }
    }
    // Test-only pages (test/webview/*-page.ts): openWebview(browser, state, viewport, TEST_PAGE_PREFIX + 'stats-page.js').
    if (path.startsWith('/out/webview-test/pages/') && !path.includes('..')) {
      try {
        return route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(path.slice(1)) });
      } catch {
        return route.fulfill({ status: 404, body: 'missing' });
      }
    }
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await page.addInitScript((saved) => {
    window.__posted = [];
    window.__state = saved;
    window.__alerts = [];
    window.__cspViolations = [];
    window.alert = (text?: unknown) => void window.__alerts.push(String(text));
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
      postMessage: (message: unknown) => void window.__posted.push(JSON.parse(JSON.stringify(message))),
      getState: () => window.__state,
      setState: (next: unknown) => {
        window.__state = JSON.parse(JSON.stringify(next));
      },
    });
  }, state ?? null);
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'ready'));
  const webview: WebviewPage = {
    page,
    consoleErrors,
    posted: () => page.evaluate(() => window.__posted as WebviewToHost[]),
    send: (message) => page.evaluate((m) => window.postMessage(m, '*'), message),
    renderCount: () => page.evaluate(() => Number(document.getElementById('stage')?.dataset.renderCount ?? 0)),
    waitForRender: async (count) => {
      await page.waitForFunction((n) => Number(document.getElementById('stage')?.dataset.renderCount ?? 0) >= n, count, { timeout: 120_000 });
    },
    init: async (graph, version = 1, direction = 'down') => {
      const before = await webview.renderCount();
      await webview.send({ type: 'init', uri: DOC_URI, version, protocol: PROTOCOL_VERSION, settings: { direction, collapseThreshold: 150 }, graph, diagnostics: NO_DIAGNOSTICS });
      if (graph) await webview.waitForRender(before + 1);
    },
  };
  return webview;
}

/**
 * VS Code's four theme kinds as a webview sees them: the body class VS Code sets and the theme colours the
 * page reads (values of Dark Modern, Light Modern, Dark High Contrast and Light High Contrast). The high-contrast
 * themes leave descriptionForeground to VS Code's default, the foreground at 70 % opacity: given here composited
 * on the editor background, as it paints.
 */
export const THEMES: readonly { className: string; vars: Record<string, string> }[] = [
  { className: 'vscode-dark', vars: { '--vscode-editor-background': '#1f1f1f', '--vscode-editor-foreground': '#cccccc', '--vscode-editorWidget-background': '#202020', '--vscode-editorHoverWidget-background': '#202020', '--vscode-editorHoverWidget-foreground': '#cccccc', '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc' } },
  { className: 'vscode-light', vars: { '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#3b3b3b', '--vscode-editorWidget-background': '#f8f8f8', '--vscode-editorHoverWidget-background': '#f8f8f8', '--vscode-editorHoverWidget-foreground': '#3b3b3b', '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#3b3b3b', '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b' } },
  { className: 'vscode-high-contrast', vars: { '--vscode-editor-background': '#000000', '--vscode-editor-foreground': '#ffffff', '--vscode-editorWidget-background': '#0c141f', '--vscode-editorHoverWidget-background': '#0c141f', '--vscode-editorHoverWidget-foreground': '#ffffff', '--vscode-foreground': '#ffffff', '--vscode-descriptionForeground': '#b3b3b3', '--vscode-contrastBorder': '#6fc3df' } },
  { className: 'vscode-high-contrast-light', vars: { '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#292929', '--vscode-editorWidget-background': '#ffffff', '--vscode-editorHoverWidget-background': '#ffffff', '--vscode-editorHoverWidget-foreground': '#292929', '--vscode-foreground': '#292929', '--vscode-descriptionForeground': '#696969', '--vscode-button-secondaryBackground': '#ffffff', '--vscode-button-secondaryForeground': '#292929', '--vscode-contrastBorder': '#0f4a85' } },
];

/** A text as the page paints it: its first characters, its colour (an SVG text's fill) and the background under it. */
export interface PaintedText {
  text: string;
  colour: string;
  background: string;
}

/**
 * Every visible text under `selector` (elements with text of their own, selects, SVG texts), with the colour it is
 * painted in and the first background behind it (its own, else its nearest ancestor's that paints one, across a
 * shadow root to its host). Text slotted into a custom element (a vscode-button's label) is painted by the
 * element holding the slot inside its shadow root, so its colour and background are read there.
 */
export function paintedTexts(w: WebviewPage, selector: string): Promise<PaintedText[]> {
  return w.page.locator(selector).first().evaluate((root) => {
    const background = (from: Element): string => {
      for (let at: Element | null = from; at; ) {
        const colour = getComputedStyle(at).backgroundColor;
        if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour;
        const parent: Element | null = at.parentElement;
        const rootNode = at.getRootNode();
        at = parent ?? (rootNode instanceof ShadowRoot ? rootNode.host : null);
      }
      return getComputedStyle(document.body).backgroundColor;
    };
    const found: PaintedText[] = [];
    const visit = (element: Element): void => {
      const style = getComputedStyle(element);
      if (style.display === 'none' || style.visibility === 'hidden') return;
      const own = [...element.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent ?? '').join('').trim();
      const box = element.getBoundingClientRect();
      if ((own !== '' || element.tagName === 'SELECT') && box.width > 0 && box.height > 0) {
        const painter = element.shadowRoot?.querySelector('slot:not([name])')?.parentElement ?? element;
        const svg = element instanceof SVGElement;
        found.push({ text: (own || (element as HTMLSelectElement).value || '').slice(0, 40), colour: svg ? getComputedStyle(painter).fill : getComputedStyle(painter).color, background: background(painter) });
      }
      for (const child of element.children) visit(child);
    };
    visit(root);
    return found;
  });
}

/** Switches the open page to `theme` in place (body class and colour variables), as VS Code does on a theme change. */
export async function applyTheme(w: WebviewPage, theme: (typeof THEMES)[number]): Promise<void> {
  await w.page.evaluate(({ className, vars }) => {
    document.body.className = className;
    for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
  }, theme);
}

/**
 * WCAG 2.1 contrast ratio (success criterion 1.4.3, "relative luminance" definition) between two computed CSS
 * colours, `rgb(r, g, b)` or `color(srgb r g b)`; 1 (same) to 21 (black on white).
 */
export function contrastRatio(a: string, b: string): number {
  const luminance = (colour: string): number => {
    // Computed colours come as rgb(…), or as color(srgb …) with 0–1 channels where color-mix() made them.
    const srgb = /^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)/.exec(colour);
    const rgb = /rgba?\((\d+), (\d+), (\d+)/.exec(colour);
    if (!rgb && !srgb) throw new Error(`not an rgb() or color(srgb) colour: ${colour}`);
    const channels = srgb ? srgb.slice(1, 4).map(Number) : rgb!.slice(1, 4).map((v) => Number(v) / 255);
    const [r, g, bl] = channels.map((c) => {
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
