/**
 * The answer views in headless Chromium under the real CSP: the findings list and the path-length bars of
 * the graph view (fed the payload the host builds), the add-node tooltip, the pair findings, run findings,
 * Fit both and the Plot charts of Compare, and the algebra matrices of the statistics panel.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildCompareMessage, type SideSpec } from '../../src/compare/model';
import type { HostToCompare } from '../../src/protocol/compare-messages';
import { distinctTicks } from '../../webview/shared/plot-theme';
import type { TrainingStatistics } from '../../src/train/stats';
import { examplePayload, useBrowser, NO_DIAGNOSTICS, openWebview, TEST_PAGE_PREFIX, type WebviewPage } from './harness';
import { exampleGraph, syntheticStatistics } from './statistics-fixtures';
import { runFindings } from '../../src/core/findings';
import { depthGradients } from '../../webview/training/depth-gradients';

const browser = useBrowser();

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

async function openGraph(name: string): Promise<WebviewPage> {
  const w = await openWebview(browser());
  await w.init(examplePayload(name));
  await w.waitForRender(1);
  await w.page.waitForFunction(() => document.querySelectorAll('#answers .finding').length > 0);
  await w.page.locator('#answers > summary').click();
  return w;
}

test('graph view, resnet20: the findings list with its numbers; a click highlights the nodes a sentence names', async () => {
  const w = await openGraph('resnet20');
  const findings = examplePayload('resnet20').answers!.findings;
  const texts = await w.page.locator('#answers .finding').allTextContents();
  assert.deepEqual(texts, findings.map((f) => f.text));
  // Numbers by hand: 269,722 parameters; 512 paths, the 50% range 8–12 (336 of 512); width 16 → 16 in layer1.
  assert.ok(texts.some((t) => t.startsWith('269,722 trainable parameters')), texts.join('\n'));
  assert.ok(texts.some((t) => t.startsWith('512 paths; at least half (336, 65.6%) are 8–12 weighted layers long')), texts.join('\n'));
  assert.ok(texts.some((t) => /16 → 16 in layer1 \(3 adds\)/.test(t)), texts.join('\n'));

  // The depth sentence names the shortest path; clicking it marks exactly those nodes' drawn items.
  const depth = findings.findIndex((f) => f.topic === 'depth');
  const named = findings[depth].nodes[0];
  assert.ok(named.length > 2);
  await w.page.locator(`#finding-${depth}`).click();
  await w.page.waitForFunction(() => document.querySelectorAll('#graph .node.highlighted').length > 0);
  const highlighted = await w.page.locator('#graph .node.highlighted').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')!));
  const drawn = await w.page.locator('#graph .node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')!));
  assert.deepEqual(highlighted.sort(), named.filter((id) => drawn.includes(id)).sort());
  assert.equal(await w.page.locator(`#finding-${depth}`).getAttribute('class'), 'finding active');
  await w.page.screenshot({ path: 'test-results/answers-resnet20.png' });
  // The first named node is brought into view: its box lies inside the stage.
  const stage = (await w.page.locator('#stage').boundingBox())!;
  const first = (await w.page.locator(`#graph .node.highlighted[data-id="${named.find((id) => drawn.includes(id))}"]`).boundingBox())!;
  assert.ok(first.x >= stage.x && first.x + first.width <= stage.x + stage.width && first.y >= stage.y && first.y + first.height <= stage.y + stage.height, JSON.stringify({ stage, first }));
  await noProblems(w);
  await w.page.context().close();
});

test('graph view: the reports of a training run add run findings (accuracy per parameter, first/last gradient)', async () => {
  const w = await openGraph('resnet20');
  const payload = examplePayload('resnet20');
  const statistics = syntheticStatistics(exampleGraph('resnet20'), 10);
  // The training bar reports what the engine measured as bubbling `training-report` events.
  await w.page.evaluate((s) => {
    const bar = document.getElementById('training')!;
    bar.dispatchEvent(new CustomEvent('training-report', { detail: { statistics: s }, bubbles: true }));
    bar.dispatchEvent(new CustomEvent('training-report', { detail: { accuracy: 0.5 }, bubbles: true }));
  }, statistics);
  await w.page.waitForFunction(() => document.querySelectorAll('#answers .run-findings .finding').length === 2);
  const texts = await w.page.locator('#answers .run-findings .finding').allTextContents();
  // 50 points over 0.269722 million parameters = 185.4.
  assert.equal(texts[0], 'resnet20 reaches 50.0% held-out accuracy with 269,722 parameters: 185 percentage points per million parameters.');
  const gradients = depthGradients(payload, statistics);
  const first = gradients.reduce((a, b) => (b.depth < a.depth ? b : a));
  const last = gradients.reduce((a, b) => (b.depth > a.depth ? b : a));
  assert.equal([first.layer, last.layer].join(), 'conv1,dense1');
  assert.equal(texts[1], runFindings([{ label: 'resnet20', params: 269_722n, heldOutAccuracy: null, gradients }])[0].text);
  assert.match(texts[1], /^In resnet20 the gradient norm at the first layer \(conv1\) is [\d.e-]+× that at the last \(dense1\)/);
  // Clicking it highlights both layers.
  await w.page.locator('#answers .run-findings .finding').nth(1).click();
  await w.page.waitForFunction(() => document.querySelectorAll('#graph .node.highlighted').length === 2);
  assert.equal(await w.page.locator('#answers .group-title').isVisible(), true);
  await noProblems(w);
  await w.page.context().close();
});

test('graph view: the paths bar chart of resnet20 has the binomial bars 1, 9, 36, …, 1 at lengths 2–20; plain20 one bar', async () => {
  const w = await openGraph('resnet20');
  const figure = w.page.locator('#paths-chart');
  assert.equal(await figure.getAttribute('data-lengths'), '2,4,6,8,10,12,14,16,18,20');
  assert.equal(await figure.getAttribute('data-counts'), '1,9,36,84,126,126,84,36,9,1');
  assert.equal(await figure.locator('.chart-note').textContent(), '512 paths in all, 2–20 weighted layers long; hover a bar for its exact count.');
  const bars = await figure.locator('g.paths-bars rect').evaluateAll((rects) => rects.map((r) => ({ title: r.querySelector('title')?.textContent ?? '', height: Number(r.getAttribute('height')) })));
  assert.equal(bars.length, 10);
  assert.deepEqual(bars.map((b) => b.title), [1, 9, 36, 84, 126, 126, 84, 36, 9, 1].map((c, i) => `${2 * i + 2} weighted layers: ${c} path${c === 1 ? '' : 's'}`));
  // Linear counts: the bars' heights are in the counts' ratios (126 / 9 = 14).
  assert.ok(Math.abs(bars[4].height / bars[1].height - 14) < 0.05, `${bars[4].height} / ${bars[1].height}`);
  const ticks = await figure.locator('svg [aria-label="x-axis tick label"] text').allTextContents();
  assert.deepEqual(ticks, ['2', '4', '6', '8', '10', '12', '14', '16', '18', '20']);
  await noProblems(w);
  await w.page.context().close();

  const plain = await openGraph('plain20');
  assert.equal(await plain.page.locator('#paths-chart').getAttribute('data-counts'), '1');
  assert.equal(await plain.page.locator('#paths-chart g.paths-bars rect').count(), 1);
  await plain.page.context().close();
});

test('graph view: densenet121 path counts past 2^53 are drawn as log10 bars with exact digits in the tooltips', async () => {
  const w = await openGraph('densenet121');
  const payload = examplePayload('densenet121');
  const figure = w.page.locator('#paths-chart');
  assert.equal(await figure.getAttribute('data-counts'), payload.answers!.paths.map((p) => p.count).join(','));
  assert.match((await figure.locator('.chart-note').textContent()) ?? '', /bars are log₁₀ of the count/);
  const biggest = payload.answers!.paths.reduce((a, b) => (BigInt(b.count) > BigInt(a.count) ? b : a));
  assert.ok(BigInt(biggest.count) > 2n ** 53n);
  const titles = await figure.locator('g.paths-bars rect title').allTextContents();
  assert.ok(titles.includes(`${biggest.length} weighted layers: ${biggest.count.replace(/\B(?=(\d{3})+(?!\d))/g, ',')} paths`), titles.join('\n'));
  await noProblems(w);
  await w.page.context().close();
});

test('graph view: an add node tooltip says what is summed', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('resnet20', 10_000));
  await w.waitForRender(1);
  const add = examplePayload('resnet20', 10_000).nodes.find((n) => n.kind === 'add')!;
  // Keyboard focus shows the same tooltip as hover, wherever the node is on the page.
  await w.page.locator(`#graph [data-id="${add.id}"]`).focus();
  await w.page.waitForFunction((id) => document.getElementById('tooltip')?.dataset.for === id, add.id);
  assert.equal(add.provenanceText, '16 = basic1/residual 16 + basic1/shortcut 16, summed');
  assert.equal(await w.page.locator('#tooltip [data-key="Feature maps"]').textContent(), add.provenanceText);
  await w.send({ type: 'status', uri: 'file:///work/model.skipnet', version: 2, diagnostics: NO_DIAGNOSTICS });
  await noProblems(w);
  await w.page.context().close();
});

// ── Compare ──

const read = (name: string): string => readFileSync(`examples/${name}.skipnet`, 'utf8');
const spec = (name: string, withoutSkips = false): SideSpec => ({ uri: `file:///work/${name}.skipnet`, file: `${name}.skipnet`, model: name, withoutSkips });
const OPTIONS = { collapseThreshold: 150, direction: 'down' as const };
const send = (w: WebviewPage, message: HostToCompare): Promise<void> => w.page.evaluate((m) => window.postMessage(m, '*'), message);

async function openPair(specs: [SideSpec, SideSpec], texts: [string, string], viewport = { width: 1400, height: 900 }): Promise<WebviewPage> {
  const w = await openWebview(browser(), undefined, viewport, 'compare.js');
  await send(w, buildCompareMessage(specs, texts, 1, OPTIONS));
  for (const i of [0, 1]) {
    await w.page.waitForFunction((s) => Number(document.querySelector(`.side[data-side="${s}"] .graph-host`)!.shadowRoot!.querySelector<HTMLElement>('#stage')!.dataset.renderCount ?? 0) >= 1, i, { timeout: 120_000 });
  }
  return w;
}

const shadowHighlighted = (w: WebviewPage, side: number): Promise<string[]> =>
  w.page.evaluate((s) => [...document.querySelector(`.side[data-side="${s}"] .graph-host`)!.shadowRoot!.querySelectorAll('#graph .node.highlighted')].map((e) => e.getAttribute('data-id')!).sort(), side);

test('compare, resnet20 against its ablation: pair findings with ratios; a click highlights the removed merges on both sides', async () => {
  const w = await openPair([spec('resnet20'), spec('resnet20', true)], [read('resnet20'), read('resnet20')]);
  const message = buildCompareMessage([spec('resnet20'), spec('resnet20', true)], [read('resnet20'), read('resnet20')], 1, OPTIONS);
  await w.page.locator('#compare-answers > summary').click();
  const texts = await w.page.locator('#compare-answers .findings:not(.run-findings) .finding').allTextContents();
  assert.deepEqual(texts, message.findings!.map((f) => f.text));
  assert.ok(texts.some((t) => t.startsWith('resnet20 and resnet20 without skips have the same trainable parameters: 269,722.')), texts.join('\n'));
  const skips = message.findings!.findIndex((f) => f.topic === 'skips');
  assert.match(texts[skips], /^Removing the skip connections turns 9 adds into identities, leaves the parameters as they are and leaves 1 path of 512\.$/);
  await w.page.locator(`#compare-answers #finding-${skips}`).click();
  await w.page.waitForFunction(() => document.querySelector('.side[data-side="0"] .graph-host')!.shadowRoot!.querySelectorAll('#graph .node.highlighted').length > 0);
  // Side A: the 9 adds, drawn as themselves or inside their (collapsed) blocks; side B has no add any more.
  const a = await shadowHighlighted(w, 0);
  assert.ok(a.length > 0 && a.length <= 9, a.join());
  assert.ok(message.findings![skips].nodes[0].every((id) => id.endsWith('add') || /\/add\d*$/.test(id)), message.findings![skips].nodes[0].join());
  // Two path charts: A's 512 paths, B's one.
  assert.equal(await w.page.locator('#paths-chart-0').getAttribute('data-counts'), '1,9,36,84,126,126,84,36,9,1');
  assert.equal(await w.page.locator('#paths-chart-1').getAttribute('data-counts'), '1');
  await noProblems(w);
  await w.page.context().close();
});

test('compare: a ratio of 0 / 0 reads "n/a (0 / 0)", not 1.00', async () => {
  const pool = (name: string): string => `model ${name}(8x8x2) {\n  maxpool(2) -> gap\n}\n`;
  const w = await openPair([spec('p'), spec('q')], [pool('p'), pool('q')]);
  assert.equal(await w.page.locator('#metrics tr[data-metric="trainable params"] td.ratio').textContent(), 'n/a (0 / 0)');
  await noProblems(w);
  await w.page.context().close();
});

test('compare: Fit both keeps both drawings inside their panes and the viewport', async () => {
  const w = await openPair([spec('resnet20'), spec('densenet40')], [read('resnet20'), read('densenet40')], { width: 1000, height: 700 });
  // Zoom side A far in and pan it away, then fit.
  await w.page.evaluate(() => {
    const stage = document.querySelector('.side[data-side="0"] .graph-host')!.shadowRoot!.querySelector('#graph')!;
    for (let i = 0; i < 8; i++) stage.dispatchEvent(new WheelEvent('wheel', { deltaY: -200, clientX: 300, clientY: 400, bubbles: true, cancelable: true }));
  });
  await w.page.locator('#fit-both').click();
  const boxes = await w.page.evaluate(() =>
    [0, 1].map((s) => {
      const root = document.querySelector(`.side[data-side="${s}"] .graph-host`)!;
      const content = root.shadowRoot!.querySelector('#graph-content')!.getBoundingClientRect();
      const pane = root.getBoundingClientRect();
      return { content: { left: content.left, right: content.right, top: content.top, bottom: content.bottom }, pane: { left: pane.left, right: pane.right, top: pane.top, bottom: pane.bottom } };
    }),
  );
  for (const [side, { content, pane }] of boxes.entries()) {
    assert.ok(content.left >= pane.left - 1 && content.right <= pane.right + 1 && content.top >= pane.top - 1 && content.bottom <= pane.bottom + 1, `side ${side}: ${JSON.stringify({ content, pane })}`);
    assert.ok(content.left >= 0 && content.right <= 1000, `side ${side} inside the viewport: ${JSON.stringify(content)}`);
  }
  await noProblems(w);
  await w.page.context().close();
});

test('compare charts: distinct parameter ticks, points inside the frame, accuracy from 0, titles whole, named layers; run findings', async () => {
  // Ticks are each model's own count, formatted until they differ (two counts both read "2e+4" before).
  const w = await openPair([spec('resnet20'), spec('densenet40')], [read('resnet20'), read('densenet40')]);
  await w.page.locator('#train-both').click();
  for (let step = 1; step <= 4; step++) {
    for (const side of [0, 1] as const) await send(w, { type: 'trainingPoint', revision: 1, side, point: { step, epoch: 0, loss: 2.3 / (step + side), accuracy: 0.2 * step } });
  }
  await send(w, { type: 'depthGradients', revision: 1, side: 0, step: 4, points: [1, 2, 3].map((depth) => ({ depth, layer: `layer${depth}/conv1`, norm: 10 ** -depth })) });
  await send(w, { type: 'depthGradients', revision: 1, side: 1, step: 4, points: [1, 2, 3].map((depth) => ({ depth, layer: `block${depth}/conv1`, norm: depth === 3 ? 0 : 1e-2 })) });
  // The charts redraw at most every 250 ms while a run sends points; its end draws the last of them at once, so
  // what follows reads the final figures, not ones a pending redraw is about to replace.
  await send(w, { type: 'trainingState', revision: 1, state: 'stopped', message: 'Stopped: A after 4 steps, B after 4.' });
  await w.page.waitForFunction(() => document.getElementById('training-status')?.dataset.state === 'stopped');
  await w.page.waitForSelector('#chart-depth');
  // Parameters chart: two ticks that differ, both dots inside the plot frame, y axis from 0 to 1.
  const params = w.page.locator('#chart-params');
  const ticks = await params.locator('[aria-label="x-axis tick label"] text').allTextContents();
  assert.deepEqual(ticks, ['270k', '1.02M'], 'resnet20 269,722 and densenet40 1,019,722 parameters');
  // Close counts get as many figures as it takes to tell them apart (both read "2e+4" before).
  const close = distinctTicks([20_480, 20_500]);
  assert.deepEqual(close.ticks.map(close.format), ['20.48k', '20.5k']);
  const frame = await params.locator('svg').boundingBox();
  const dots = await params.locator('g.series circle').evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, right: r.right, bottom: r.bottom })));
  assert.equal(dots.length, 2);
  for (const d of dots) assert.ok(d.x >= frame!.x && d.right <= frame!.x + frame!.width && d.y >= frame!.y && d.bottom <= frame!.y + frame!.height, JSON.stringify({ d, frame }));
  const yTicks = (await params.locator('[aria-label="y-axis tick label"] text').allTextContents()).map(Number);
  assert.equal(Math.min(...yTicks), 0);
  assert.equal(Math.max(...yTicks), 1);
  // Loss chart: no negative tick.
  const lossTicks = (await w.page.locator('#chart-loss [aria-label="y-axis tick label"] text').allTextContents()).map((t) => Number(t.replace('−', '-')));
  assert.ok(lossTicks.every((t) => t >= 0), lossTicks.join());
  // Titles: whole text, not clipped (the caption's scroll width fits its box).
  for (const id of ['chart-loss', 'chart-accuracy', 'chart-params', 'chart-depth']) {
    const fits = await w.page.locator(`#${id} .chart-title`).evaluate((e) => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().width > 0);
    assert.ok(fits, `${id} title clipped`);
  }
  assert.equal(await params.locator('.chart-title').textContent(), 'Training accuracy against parameters (no held-out evaluation yet)');
  // Depth chart: log scale, each dot named; side B's zero gradient left out and said so.
  const names = await w.page.locator('#chart-depth g.layers.side-0 circle title').allTextContents();
  assert.deepEqual(names, ['layer1/conv1 (depth 1): 1.00e-1', 'layer2/conv1 (depth 2): 1.00e-2', 'layer3/conv1 (depth 3): 1.00e-3']);
  assert.match((await w.page.locator('#chart-depth .chart-note').textContent()) ?? '', /1 layer with a zero gradient left out/);
  await w.page.locator('#training').screenshot({ path: 'test-results/answers-compare-charts.png' });
  // Run findings: the first/last gradient ratio, with n/a and its reason for B (its last gradient is 0).
  const runTexts = await w.page.locator('#compare-answers .run-findings .finding').allTextContents();
  assert.deepEqual(runTexts, [
    'In resnet20 the gradient norm at the first layer (layer1/conv1) is 100× that at the last (layer3/conv1): 0.1 against 0.001.',
    "In densenet40 the gradient norm at the first layer (block1/conv1) relative to the last (block3/conv1) is n/a (the last layer's gradient is 0): 0.01 against 0.",
  ]);
  await noProblems(w);
  await w.page.context().close();
});

// ── Algebra matrices in the statistics panel ──

async function statsPage(name: string): Promise<{ w: WebviewPage; stats: TrainingStatistics }> {
  const w = await openWebview(browser(), undefined, { width: 1200, height: 900 }, `${TEST_PAGE_PREFIX}stats-page.js`);
  await w.page.waitForFunction(() => window.__statsPage !== undefined);
  await w.page.evaluate((p) => window.__statsPage.show(p), examplePayload(name));
  const stats = syntheticStatistics(exampleGraph(name), 10);
  await w.page.evaluate((s) => window.__statsPage.update(10, s), stats);
  return { w, stats };
}

test('algebra: resnet20 draws one share matrix per identity stage (3, 2 and 2 blocks: 9, 5 and 5 cells), rows summing to 1', async () => {
  const { w, stats } = await statsPage('resnet20');
  const figures = w.page.locator('.stats-algebra figure');
  assert.deepEqual(await figures.evaluateAll((fs) => fs.map((f) => f.id)), ['algebra-residual-0', 'algebra-residual-1', 'algebra-residual-2']);
  assert.deepEqual(await figures.evaluateAll((fs) => fs.map((f) => f.querySelectorAll('g.algebra-cells rect').length)), [2 + 3 + 4, 2 + 3, 2 + 3]);
  const first = stats.residual![0];
  // Hand: norms 4, 2, 1, 2/3 → the third row is 4 : 2 : 1 : 2/3 over 23/3.
  const row = await w.page.locator(`#algebra-residual-0 rect[data-row="${first.adds[2]}"]`).evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-value'))));
  const expected = [4, 2, 1, 2 / 3].map((n) => n / (23 / 3));
  row.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${v} ≠ ${expected[i]}`));
  assert.match((await w.page.locator('#algebra-residual-0 .chart-note').textContent()) ?? '', /A ReLU follows each add, so x_0 \+ Σ F_i is the stream only approximately\./);
  assert.equal(await w.page.locator('#algebra-residual-0 .chart-title').textContent(), 'layer1: f_ℓ = H_ℓ * (x_0 + F_0 + … + F_{ℓ-1})');
  await w.page.locator('.stats-algebra').screenshot({ path: 'test-results/answers-algebra-resnet20.png' });
  await noProblems(w);
  await w.page.context().close();
});

test('algebra: densenet40 draws f_ℓ = Σ H_ℓ^s * X_s per block with the heat map’s cells (91, 91, 78) and the mean |w| beside each norm', async () => {
  const { w, stats } = await statsPage('densenet40');
  const counts = await w.page.locator('.stats-algebra figure').evaluateAll((fs) => fs.map((f) => f.querySelectorAll('g.algebra-cells rect').length));
  assert.deepEqual(counts, [78 + 13, 78 + 13, 78]);
  const map = stats.reuse[0];
  const cell = w.page.locator(`#algebra-dense-0 rect[data-row="${map.rows[4].conv}"][data-col="${map.sources[2]}"]`);
  assert.equal(Number(await cell.getAttribute('data-value')), map.rows[4].contributions![2]);
  assert.equal(await cell.locator('title').textContent(), `‖H^s * X_s‖ of ${map.rows[4].conv} from ${map.sources[2]}: ${map.rows[4].contributions![2]!.toPrecision(3)}; mean |w| ${map.rows[4].values[2]!.toPrecision(3)}`);
  await noProblems(w);
  await w.page.context().close();
});
