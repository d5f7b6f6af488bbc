/**
 * The statistics overlay (webview/statistics/overlay.ts) in headless Chromium under the real CSP, mounted
 * with the real GraphView on a test page (stats-page.ts), fed synthetic statistics whose structure is the
 * engine's own for the example models (statistics-fixtures.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GraphPayload } from '../../src/protocol/payload';
import type { TrainingStatistics } from '../../src/train/stats';
import { examplePayload, useBrowser, openWebview, TEST_PAGE_PREFIX, type WebviewPage } from './harness';
import { exampleGraph, syntheticStatistics } from './statistics-fixtures';

const browser = useBrowser();

async function openStatsPage(payload: GraphPayload): Promise<WebviewPage> {
  const w = await openWebview(browser(), undefined, { width: 1200, height: 900 }, `${TEST_PAGE_PREFIX}stats-page.js`);
  await w.page.waitForFunction(() => window.__statsPage !== undefined);
  await w.page.evaluate((p) => window.__statsPage.show(p), payload);
  return w;
}

const fmt = (v: number): string => (v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toPrecision(3));
const update = (w: WebviewPage, step: number, statistics: TrainingStatistics): Promise<void> => w.page.evaluate(([s, stats]) => window.__statsPage.update(s, stats), [step, statistics] as const);
const fillOf = (w: WebviewPage, id: string): Promise<string> => w.page.evaluate((i) => getComputedStyle(document.querySelector(`[data-id="${i}"] > .shape`)!).fill, id);

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

test('resnet20: colours and badges by gradient norm, legend min/max on a log scale, colours follow values and themes, add edges labelled', async () => {
  const graph = exampleGraph('resnet20');
  const w = await openStatsPage(examplePayload('resnet20'));
  const stats = syntheticStatistics(graph, 10);
  await update(w, 10, stats);
  const withGrad = stats.layers.filter((l) => l.gradNorm !== undefined);
  assert.equal(await w.page.locator('#graph .stats-badge').count(), withGrad.length);
  const grads = withGrad.map((l) => l.gradNorm!);
  assert.equal(await w.page.locator('.stats-legend .stats-min').textContent(), fmt(Math.min(...grads)));
  assert.equal(await w.page.locator('.stats-legend .stats-max').textContent(), fmt(Math.max(...grads)));
  assert.equal(await w.page.locator('.stats-legend .stats-scale-type').textContent(), 'log scale');
  assert.equal(await w.page.locator('[data-id="layer3/basic3/conv2"] .stats-badge').textContent(), fmt(stats.layers.find((l) => l.node === 'layer3/basic3/conv2')!.gradNorm!));
  const low = withGrad.reduce((a, b) => (a.gradNorm! < b.gradNorm! ? a : b)).node;
  const high = withGrad.reduce((a, b) => (a.gradNorm! > b.gradNorm! ? a : b)).node;
  const lowFill = await fillOf(w, low);
  assert.notEqual(lowFill, await fillOf(w, high));
  assert.equal(await fillOf(w, 'relu1'), await w.page.evaluate(() => getComputedStyle(document.querySelector('[data-id="input"] > .shape')!).fill), 'no gradient: plain fill');

  // The next update gives the weakest layer the largest gradient: its colour becomes the other end's.
  const next = syntheticStatistics(graph, 11);
  next.layers.find((l) => l.node === low)!.gradNorm = 10;
  await update(w, 11, next);
  const highest = await fillOf(w, low);
  assert.notEqual(highest, lowFill);
  assert.equal(await w.page.locator('.stats-legend .stats-max').textContent(), '10.0');
  assert.equal(await w.page.locator('.stats-step').textContent(), 'Step 11');

  // Adds: both incoming edges carry a stroke; the label puts the shortcut first (identity, option A here).
  const add = next.merges.find((m) => m.node === 'layer2/basic1/add1')!;
  assert.ok(add.kind === 'add');
  const shortcut = add.branches.find((b) => b.role === 'shortcut')!;
  const residual = add.branches.find((b) => b.role === 'residual')!;
  assert.equal(await w.page.locator('#graph .stats-flow-label[data-node="layer2/basic1/add1"]').textContent(), `id ${fmt(shortcut.gradNorm)} · res ${fmt(residual.gradNorm)}`);
  assert.equal(await w.page.locator('#graph .stats-flow-label').count(), 9);
  const flows = w.page.locator('#graph .stats-flow[data-node="layer2/basic1/add1"]');
  assert.equal(await flows.count(), 2);
  const width = (input: string): Promise<number> => w.page.locator(`#graph .stats-flow[data-input="${input}"]`).evaluate((e) => Number(e.getAttribute('stroke-width')));
  assert.equal(await width(shortcut.input), 6, 'the larger gradient gets the full width');
  assert.ok((await width(residual.input)) < 4);
  const edgePath = await w.page.locator(`#graph .edges path.edge[data-edge^="${residual.input}->layer2/basic1/add1"]`).getAttribute('d');
  assert.equal(await w.page.locator(`#graph .stats-flow[data-input="${residual.input}"]`).getAttribute('d'), edgePath);

  // Themes: the fill mixes theme colours, so it follows them.
  const theme = async (className: string, vars: Record<string, string>): Promise<string> => {
    await w.page.evaluate(([c, v]) => {
      document.body.className = c;
      for (const [k, value] of Object.entries(v)) document.documentElement.style.setProperty(k, value);
    }, [className, vars] as const);
    return fillOf(w, low);
  };
  const dark = await theme('vscode-dark', { '--vscode-editorWidget-background': '#252526', '--vscode-charts-red': '#f14c4c', '--vscode-charts-blue': '#3794ff' });
  await w.page.screenshot({ path: 'test-results/stats-resnet20-dark.png' });
  const light = await theme('vscode-light', { '--vscode-editorWidget-background': '#f3f3f3', '--vscode-charts-red': '#e51400', '--vscode-charts-blue': '#1a85ff', '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#000000' });
  await w.page.screenshot({ path: 'test-results/stats-resnet20-light.png' });
  const contrast = await theme('vscode-high-contrast', { '--vscode-editorWidget-background': '#0c141f', '--vscode-contrastBorder': '#6fc3df', '--vscode-editor-background': '#000000', '--vscode-editor-foreground': '#ffffff' });
  await w.page.screenshot({ path: 'test-results/stats-resnet20-high-contrast.png' });
  assert.equal(new Set([dark, light, contrast]).size, 3, `${dark} ${light} ${contrast}`);
  await noProblems(w);
  await w.page.context().close();
});

test('metric picker: zero fraction on a fixed 0–1 scale, activation mean around 0, and off', async () => {
  const graph = exampleGraph('resnet20');
  const w = await openStatsPage(examplePayload('resnet20'));
  const stats = syntheticStatistics(graph, 3);
  await update(w, 3, stats);
  const pick = async (label: string): Promise<void> => {
    await w.page.locator('.stats-metric').click();
    await w.page.getByRole('option', { name: label, exact: true }).click();
  };
  await pick('ReLU zero fraction');
  await w.page.waitForFunction(() => document.querySelector<HTMLElement>('.stats-legend')?.dataset.metric === 'zeroFraction');
  const relus = stats.layers.filter((l) => l.zeroFraction !== undefined);
  assert.equal(await w.page.locator('#graph .stats-badge').count(), relus.length);
  assert.deepEqual([await w.page.locator('.stats-min').textContent(), await w.page.locator('.stats-max').textContent(), await w.page.locator('.stats-scale-type').textContent()], ['0', '1.00', 'linear']);
  assert.equal(await w.page.locator('[data-id="relu1"] .stats-badge').textContent(), fmt(relus.find((l) => l.node === 'relu1')!.zeroFraction!));

  await pick('Activation mean');
  await w.page.waitForFunction(() => document.querySelector<HTMLElement>('.stats-legend')?.dataset.metric === 'activationMean');
  const extent = Math.max(...stats.layers.map((l) => Math.abs(l.activationMean)));
  assert.deepEqual([await w.page.locator('.stats-min').textContent(), await w.page.locator('.stats-max').textContent(), await w.page.locator('.stats-scale-type').textContent()], [fmt(-extent), fmt(extent), 'around 0']);
  assert.equal(await w.page.locator('#graph .stats-badge').count(), stats.layers.length);

  await pick('Nothing (no colours)');
  await w.page.waitForFunction(() => document.querySelectorAll('#graph .stats-badge').length === 0);
  assert.equal(await w.page.locator('.stats-legend').isHidden(), true);
  assert.equal(await w.page.locator('#graph .stats-flow-label').count(), 9, 'merge flows stay');
  await noProblems(w);
  await w.page.context().close();
});

test('tooltips: statistics with sparklines of the bounded history, by hover and by keyboard focus, refreshed live', async () => {
  const graph = exampleGraph('resnet20');
  const w = await openStatsPage(examplePayload('resnet20'));
  const base = syntheticStatistics(graph, 1);
  for (let step = 1; step <= 5; step++) await update(w, step, syntheticStatistics(graph, step));
  const conv = w.page.locator('[data-id="layer1/basic1/conv1"]');
  await conv.hover({ force: true });
  await w.page.waitForSelector('#tooltip.visible .stats-section');
  const rows = w.page.locator('#tooltip .stats-row');
  assert.deepEqual(await rows.locator('.key').allTextContents(), ['Gradient norm ‖∇W‖', 'Weight norm ‖W‖', 'Update ratio ‖ΔW‖/‖W‖', 'Activation mean', 'Activation std']);
  assert.deepEqual(await rows.locator('svg.stats-sparkline').evaluateAll((svgs) => svgs.map((s) => (s as SVGElement).dataset.points)), ['5', '5', '5', '5', '5']);
  // Plot's line mark: one path through the five points (M, then four L), one dot on the latest, at the right end.
  assert.equal(await w.page.locator('#tooltip .stats-sparkline .spark-line path').first().evaluate((p) => (p.getAttribute('d') ?? '').split(/[ML]/).filter((c) => c !== '').length), 5);
  const dot = await w.page.locator('#tooltip .stats-sparkline .spark-dot circle').first().evaluate((c) => Number(c.getAttribute('cx')));
  assert.ok(dot > 80 && dot <= 84, `the latest point's dot at x = ${dot} of 84`);
  assert.equal(await rows.first().locator('.value').textContent(), fmt(syntheticStatistics(graph, 5).layers.find((l) => l.node === 'layer1/basic1/conv1')!.gradNorm!));
  assert.match((await w.page.locator('#tooltip').getAttribute('aria-label')) ?? '', /Training statistics at step 5: Gradient norm ‖∇W‖ /);

  // A live tooltip follows the next update; the history keeps the last 100.
  await w.page.evaluate((s) => window.__statsPage.updateMany(s, 6, 150), base);
  assert.equal(await w.page.locator('#tooltip .stats-heading').textContent(), 'Training, step 155');
  assert.equal(await w.page.locator('#tooltip .stats-sparkline').first().getAttribute('data-points'), '100');

  // Keyboard: focus an add; its tooltip has the branch gradients.
  await w.page.mouse.move(1, 1);
  await w.page.locator('[data-id="layer1/basic2/add1"]').focus();
  await w.page.waitForFunction(() => document.getElementById('tooltip')?.dataset.for === 'layer1/basic2/add1' && document.querySelector('#tooltip .stats-section') !== null);
  const keys = await w.page.locator('#tooltip .stats-row .key').allTextContents();
  assert.deepEqual(keys.slice(-2), ['Gradient into residual branch', 'Gradient into identity shortcut']);
  assert.equal(await w.page.locator('#tooltip .stats-sparkline').last().getAttribute('data-points'), '100');
  await noProblems(w);
  await w.page.context().close();
});

test('densenet40: a heat map per dense block with the engine’s cells, hover names target and source, click reveals; concat flows on the dense arcs', async () => {
  const graph = exampleGraph('densenet40');
  const payload = examplePayload('densenet40');
  const w = await openStatsPage(payload);
  const stats = syntheticStatistics(graph, 20);
  await update(w, 20, stats);
  const figures = w.page.locator('.stats-heatmap');
  assert.deepEqual(await figures.evaluateAll((f) => f.map((e) => (e as HTMLElement).dataset.block)), ['block1', 'block2', 'block3']);
  // Rows: the 12 dense layers, then the transition's conv after blocks 1 and 2 (the engine's definition:
  // every conv reading the block's channels). Layer ℓ reads the block input and ℓ−1 layers: 1+2+…+12 = 78
  // cells, the transition all 13 sources; block 3 ends in a classifier without a conv.
  const cellCounts = await figures.evaluateAll((f) => f.map((e) => e.querySelectorAll('.heat-cell').length));
  assert.deepEqual(cellCounts, [78 + 13, 78 + 13, 78]);
  assert.deepEqual(stats.reuse.map((m) => m.rows.flatMap((r) => r.values.filter((v) => v !== null)).length), cellCounts);

  const map = stats.reuse[0];
  const cell = w.page.locator('.stats-heatmap[data-block="block1"] .heat-cell[data-row="4"][data-col="2"]');
  await cell.hover();
  const value = map.rows[4].values[2]!;
  const largest = Math.max(...map.rows.flatMap((r) => r.values.filter((v): v is number => v !== null)));
  const contribution = map.rows[4].contributions![2]!;
  assert.equal(await w.page.locator('.stats-heatmap[data-block="block1"] .heat-hover').textContent(), `target ${map.rows[4].conv} ← source ${map.sources[2]}: mean |w| ${fmt(value)} (${Math.round((100 * value) / largest)}% of the block’s largest) · ‖H^s * X_s‖ ${fmt(contribution)}`);
  assert.equal(map.rows[4].conv, 'block1/layer5/conv1');
  assert.equal(map.sources[2], 'block1/layer2/conv1');
  const colours = await w.page.locator('.stats-heatmap[data-block="block1"] .heat-cell').evaluateAll((cells) => new Set(cells.map((c) => getComputedStyle(c).fill)).size);
  assert.ok(colours > 10, `${colours} distinct cell colours`);

  // Click: the layer's drawn item (a collapsed layer block at this size) is marked and the page pans to it.
  await cell.click();
  assert.deepEqual(await w.page.evaluate(() => window.__statsPage.reveals), ['block1/layer5/conv1']);
  assert.equal(await w.page.locator('#graph .node.stats-revealed').getAttribute('data-id'), 'block1/layer5');
  assert.equal(await w.page.locator('#graph .node.highlighted').getAttribute('data-id'), 'block1/layer5');
  // Keyboard on the map: arrows move the current cell, Enter reveals.
  await w.page.locator('.stats-heatmap[data-block="block1"] .heat-plot').focus();
  await w.page.keyboard.press('ArrowDown');
  await w.page.keyboard.press('Enter');
  assert.deepEqual(await w.page.evaluate(() => window.__statsPage.reveals), ['block1/layer5/conv1', 'block1/layer6/conv1']);
  assert.equal(await w.page.locator('.stats-heatmap[data-block="block1"] .heat-cell.current').getAttribute('data-row'), '5');

  // The measure toggle: the same cells coloured by the contribution ‖H^s * X_s‖, scaled to the block's largest contribution.
  const measure = w.page.locator('.stats-heatmaps .heat-measure');
  assert.equal(await measure.isVisible(), true, 'offered: the statistics carry contributions');
  const fillOf = (row: number, col: number) => w.page.locator(`.stats-heatmap[data-block="block1"] .heat-cell[data-row="${row}"][data-col="${col}"]`).evaluate((c) => getComputedStyle(c).fill);
  const weightFill = await fillOf(4, 2);
  await measure.selectOption('contribution');
  assert.equal(await w.page.locator('.stats-heatmaps').getAttribute('data-measure'), 'contribution');
  assert.equal(Number(await cell.getAttribute('data-value')), contribution);
  const largestContribution = Math.max(...map.rows.flatMap((r) => (r.contributions ?? []).filter((v): v is number => v !== null)));
  // The pointer is still on this cell from the click: leave it, so hovering it again is a new pointerover.
  await w.page.mouse.move(1, 1);
  await cell.hover();
  assert.equal(await w.page.locator('.stats-heatmap[data-block="block1"] .heat-hover').textContent(), `target ${map.rows[4].conv} ← source ${map.sources[2]}: ‖H^s * X_s‖ ${fmt(contribution)} (${Math.round((100 * contribution) / largestContribution)}% of the block’s largest) · mean |w| ${fmt(value)}`);
  // The fixture's contribution is 10 · |w| · (1 + 0.1 · column): relative to its block's largest, the cell's share
  // differs from its share of mean |w|, so its colour changes.
  assert.notEqual(await fillOf(4, 2), weightFill);
  await measure.selectOption('weights');
  assert.equal(await fillOf(4, 2), weightFill, 'back to mean |w|: the colours are the paper’s again');

  // Concats: each source slice's gradient on the edge it arrives by (dense arcs between the layer boxes).
  const concat = stats.merges.find((m) => m.node === 'block1/layer3/concat1')!;
  assert.ok(concat.kind === 'concat');
  const flows = w.page.locator('#graph .stats-flow.role-slice[data-node="block1/layer3/concat1"]');
  assert.equal(await flows.count(), 3, 'conv1 and layer1 arrive by arcs, layer2 by the drawn edge between the boxes; layer3 is inside the box');
  assert.match((await flows.first().locator('title').textContent()) ?? '', new RegExp(`^conv1 → block1/layer3/concat1: gradient norm ${fmt(concat.slices[0].gradNorm).replace('.', '\\.')} over 16 channels$`));
  // A collapsed layer's tooltip combines its layers: gradient norm = √Σ‖∇W‖².
  await w.page.locator('[data-id="block1/layer3"]').hover({ force: true });
  await w.page.waitForSelector('#tooltip.visible .stats-section');
  const members = stats.layers.filter((l) => l.node.startsWith('block1/layer3/') && l.gradNorm !== undefined);
  assert.equal(await w.page.locator('#tooltip .stats-heading').textContent(), 'Training, step 20 (all layers of the block)');
  assert.equal(await w.page.locator('#tooltip .stats-row .value').first().textContent(), fmt(Math.sqrt(members.reduce((s, l) => s + l.gradNorm! ** 2, 0))));
  assert.equal(await w.page.locator('[data-id="block1/layer3"] .stats-badge').textContent(), fmt(Math.sqrt(members.reduce((s, l) => s + l.gradNorm! ** 2, 0))));
  await w.page.screenshot({ path: 'test-results/stats-densenet40.png' });
  await noProblems(w);
  await w.page.context().close();
});

test('repaint after collapse, expand and a new payload; clear removes every mark', async () => {
  const graph = exampleGraph('resnet20');
  const payload = examplePayload('resnet20');
  const w = await openStatsPage(payload);
  const stats = syntheticStatistics(graph, 7);
  await update(w, 7, stats);
  const badges = (): Promise<number> => w.page.locator('#graph .stats-badge').count();
  const all = await badges();
  await w.page.evaluate(() => window.__statsPage.toggle('layer2'));
  const layer2 = stats.layers.filter((l) => l.node.startsWith('layer2/') && l.gradNorm !== undefined);
  assert.equal(await badges(), all - layer2.length + 1);
  assert.equal(await w.page.locator('[data-id="layer2"] .stats-badge').textContent(), fmt(Math.sqrt(layer2.reduce((s, l) => s + l.gradNorm! ** 2, 0))));
  assert.equal(await w.page.locator('#graph .stats-flow-label').count(), 6, 'the adds inside layer2 are hidden');
  await w.page.evaluate(() => window.__statsPage.toggle('layer2'));
  assert.equal(await badges(), all);
  assert.equal(await w.page.locator('#graph .stats-flow-label').count(), 9);
  await w.page.evaluate((p) => window.__statsPage.show(p), payload);
  assert.equal(await badges(), all);

  await w.page.evaluate(() => window.__statsPage.clear());
  assert.equal(await w.page.locator('#graph .stats-badge, #graph .stats-flows, #graph .stats-revealed, .stats-heatmap').count(), 0);
  assert.equal(await w.page.evaluate(() => [...document.querySelectorAll<SVGElement>('#graph .node > .shape')].filter((s) => s.style.fill !== '').length), 0);
  assert.equal(await w.page.locator('.stats-overlay').isHidden(), true);
  await w.page.locator('[data-id="layer1/basic1/conv1"]').hover({ force: true });
  await w.page.waitForSelector('#tooltip.visible');
  assert.equal(await w.page.locator('#tooltip .stats-section').count(), 0);
  // Repaint with nothing to show stays empty; a new update paints again.
  await w.page.evaluate(() => window.__statsPage.repaint());
  assert.equal(await badges(), 0);
  await update(w, 1, stats);
  assert.equal(await badges(), all);
  await w.page.evaluate(() => window.__statsPage.dispose());
  assert.equal(await w.page.locator('.stats-overlay, #graph .stats-badge').count(), 0);
  await noProblems(w);
  await w.page.context().close();
});

// The history keeps HISTORY_CAPACITY (100) updates (webview/statistics/history.ts): 350 in all (50, then 300 with the tooltip open) overfill it
// three times, so an unbounded history would give 350 points and a leak per update 300 extra elements. Speed is
// measured by bench/statistics.bench.ts, not here.
test('300 updates keep the element count and the history bounded', async () => {
  const graph = exampleGraph('densenet40');
  const w = await openStatsPage(examplePayload('densenet40'));
  const stats = syntheticStatistics(graph, 1);
  await w.page.evaluate((s) => window.__statsPage.updateMany(s, 1, 50), stats);
  await w.page.locator('[data-id="block2/layer4"]').focus();
  await w.page.waitForSelector('#tooltip.visible .stats-section');
  const count = (): Promise<number> => w.page.evaluate(() => document.querySelectorAll('*').length);
  const before = await count();
  await w.page.evaluate((s) => window.__statsPage.updateMany(s, 51, 300), stats);
  assert.equal(await count(), before);
  assert.equal(await w.page.locator('#tooltip .stats-heading').textContent(), 'Training, step 350 (all layers of the block)');
  assert.equal(await w.page.locator('#tooltip .stats-sparkline').first().getAttribute('data-points'), '100');
  await noProblems(w);
  await w.page.context().close();
});

test('hostile ids in statistics stay text in the heat map, tooltips and titles', async () => {
  const graph = exampleGraph('densenet40');
  const w = await openStatsPage(examplePayload('densenet40'));
  const stats = syntheticStatistics(graph, 2);
  const hostile = '<img src=x onerror=alert(1)>';
  stats.reuse[0].block = `"><svg onload=alert(2)>`;
  stats.reuse[0].sources[0] = hostile;
  stats.reuse[0].rows[0].conv = '<script>alert(3)</script>';
  const concat = stats.merges.find((m) => m.node === 'block1/layer2/concat1')!;
  assert.ok(concat.kind === 'concat');
  concat.slices.push({ source: hostile, offset: 40, channels: 1, gradNorm: 0.5 });
  await update(w, 2, stats);
  const figure = w.page.locator('.stats-heatmap').first();
  await figure.locator('.heat-cell[data-row="0"][data-col="0"]').hover();
  assert.equal(await figure.locator('.heat-hover').textContent(), `target <script>alert(3)</script> ← source ${hostile}: mean |w| ${fmt(stats.reuse[0].rows[0].values[0]!)} (${Math.round((100 * stats.reuse[0].rows[0].values[0]!) / Math.max(...stats.reuse[0].rows.flatMap((r) => r.values.filter((v): v is number => v !== null))))}% of the block’s largest) · ‖H^s * X_s‖ ${fmt(stats.reuse[0].rows[0].contributions![0]!)}`);
  assert.equal(await figure.locator('figcaption > span').first().textContent(), `"><svg onload=alert(2)>: feature reuse`);
  await w.page.evaluate(() => window.__statsPage.toggle('block1/layer2'));
  await w.page.locator('[data-id="block1/layer2/concat1"]').hover({ force: true });
  await w.page.waitForSelector('#tooltip.visible .stats-section');
  assert.match((await w.page.locator('#tooltip .stats-slices').textContent()) ?? '', /, <img src=x onerror=alert\(1\)> 0\.500$/);
  assert.equal(await w.page.locator('.stats-overlay img, .stats-overlay script, #tooltip img, #tooltip script, .stats-overlay svg svg').count(), 0);
  assert.deepEqual(await w.page.evaluate(() => window.__alerts), []);
  await noProblems(w);
  await w.page.context().close();
});
