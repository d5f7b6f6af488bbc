// End to end, as a new user meets the graph: the packaged extension in VS Code (code-server) in Chromium.
// Open the DenseNet example, read a hover, click "Show graph", read a node's tooltip, click a node to
// select its line, check the drawing is not blank, reload the window and find the graph restored.
// One code-server and one browser for the whole file; every step waits for what a person would see.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pixelStatistics } from './pixels';
import { resultsDir, startVsCodeSession, type VsCodeSession } from './session';

const TIMEOUT = 120_000; // generous: a loaded 2-core machine is many times slower than an idle one
const DENSEBLOCK1_MAPS = '256 = conv0 64 + ' + Array.from({ length: 6 }, (_, i) => `denselayer${i + 1}/conv2 32`).join(' + ');

describe('SkipNet in VS Code: the DenseNet graph', () => {
  let session: VsCodeSession;
  let nodesBeforeReload = 0;

  before(async () => {
    session = await startVsCodeSession({ name: 'graph' });
  });

  after(async () => {
    await session?.close();
  });

  const graphTab = () => session.page.locator('.tabs-container .tab', { hasText: 'Graph: densenet121.skipnet' });
  const nodes = () => session.workbench.webviewFrame().locator('#graph .nodes .node');

  /** Waits until the graph webview has drawn the DenseNet (its toolbar summary is set after the first render). */
  async function waitForDenseNetGraph(): Promise<number> {
    const frame = session.workbench.webviewFrame();
    await frame.locator('#summary', { hasText: 'densenet121 · 7,978,856 params' }).waitFor({ timeout: TIMEOUT });
    await frame.locator('#graph .nodes .node[data-id="conv0"]').waitFor({ timeout: TIMEOUT });
    return nodes().count();
  }

  // One scenario: each step starts from the state the previous one leaves (the open file, the open graph), so they are steps of one test, not tests that depend on each other.
  it('the DenseNet graph, step by step: editor hover, Show graph, tooltip, click to source, pixels, restore after reload', async (t) => {
    await t.test('a hover on a dense block in the editor gives its feature maps and where they come from', async () => {
      const { workbench } = session;
      await workbench.openFile('densenet121.skipnet');
      await workbench.waitForStatusBarLanguage('SkipNet');
      // The summary lens (next to the two commands above the model) shows once SkipNet is active, so its
      // hover provider is registered before the mouse moves.
      await session.page.locator('.codelens-decoration', { hasText: '7,978,856 params · 2.83 GMACs' }).waitFor({ timeout: TIMEOUT });
      const hover = await workbench.hoverWord('denseblock1');
      assert.match(hover, /^denseblock1: label/);
      assert.ok(hover.includes('Output: 56×56×256'), hover);
      assert.ok(hover.includes(`Feature maps: ${DENSEBLOCK1_MAPS}`), hover);
      assert.ok(hover.includes('Parameters: 335,040'), hover);
      await workbench.screenshot('editor-hover');
      await session.page.keyboard.press('Escape');
    });

    await t.test('the Show graph CodeLens opens the graph webview with the collapsed DenseNet', async () => {
      const { workbench } = session;
      await workbench.clickCodeLens('Show graph');
      await graphTab().waitFor({ timeout: TIMEOUT });
      const count = await waitForDenseNetGraph();
      // 427 layers > the collapse threshold 150: plain blocks collapse, dense blocks stay open (see the webview tests).
      assert.equal(count, 79);
      nodesBeforeReload = count;
    });

    await t.test('hovering a graph node shows its tooltip with the feature-map count and provenance', async () => {
      const frame = session.workbench.webviewFrame();
      // The first view is readable-sized at the top of the long graph; Fit brings denseblock1's layers into view.
      await frame.getByRole('button', { name: 'Fit', exact: true }).click();
      await frame.locator('[data-id="denseblock1/denselayer6"]').hover();
      const tooltip = frame.locator('#tooltip.visible');
      await tooltip.waitFor({ timeout: TIMEOUT });
      assert.equal(await tooltip.locator('[data-key="Feature maps"]').textContent(), DENSEBLOCK1_MAPS);
      assert.equal(await tooltip.locator('[data-key="Output shape"]').textContent(), '56×56×256');
      await session.workbench.screenshot('graph-tooltip');
    });

    await t.test('clicking a node selects its source in the editor, and the graph stays in view', async () => {
      const frame = session.workbench.webviewFrame();
      await frame.locator('[data-id="conv0"]').click();
      // Line 18 is `  conv0: conv(64, 7, stride=2, pad=3, bias=false)`: the node is the conv call.
      const status = await session.workbench.waitForSelectionStatus(/^Ln 18, Col \d+ \(\d+ selected\)$/);
      assert.equal(status, 'Ln 18, Col 50 (40 selected)');
      assert.equal(await session.page.locator('.editor-group-container.active .tab.active').innerText(), 'densenet121.skipnet');
      // The editor opened beside the graph, not over it, and the narrower graph stays centred in its panel.
      const panel = (await session.page.locator('iframe.webview').boundingBox())!;
      const node = (await frame.locator('[data-id="conv0"]').boundingBox())!;
      assert.ok(node.x >= panel.x && node.x + node.width <= panel.x + panel.width && node.y >= panel.y && node.y + node.height <= panel.y + panel.height,
        `conv0 at ${JSON.stringify(node)} lies inside the graph panel ${JSON.stringify(panel)}`);
      assert.ok(Math.abs(node.x + node.width / 2 - (panel.x + panel.width / 2)) < panel.width / 4, 'the graph is near the middle of its panel');
    });

    await t.test('the graph is drawn: a screenshot of the webview is not blank', async () => {
      const png = await session.page.locator('iframe.webview').screenshot({ path: join(resultsDir, 'graph-densenet121.png') });
      const stats = await pixelStatistics(session.page, png);
      assert.ok(stats.width > 300 && stats.height > 300, `webview size ${stats.width}×${stats.height}`);
      assert.ok(stats.greyVariance > 50, `grey variance ${stats.greyVariance.toFixed(1)}`);
      assert.ok(stats.inkFraction > 0.02, `ink fraction ${stats.inkFraction.toFixed(4)}`);
    });

    await t.test('after Developer: Reload Window the graph view is restored', async () => {
      const { page, workbench } = session;
      const reloaded = page.waitForEvent('domcontentloaded', { timeout: TIMEOUT });
      await workbench.runCommand('Developer: Reload Window');
      await reloaded;
      await page.locator('.monaco-workbench .part.editor').waitFor({ state: 'visible', timeout: 120_000 });
      await graphTab().waitFor({ timeout: TIMEOUT });
      assert.equal(await waitForDenseNetGraph(), nodesBeforeReload);
      await workbench.screenshot('graph-restored');
      assert.deepEqual(session.pageErrors, [], 'no uncaught errors in the page');
    });
  });
});
