/**
 * The graph webview in headless Chromium: the real bundles under the real CSP, driven through the
 * protocol, asserting on the DOM, posted messages and pixels.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { DOC_URI, examplePayload, useBrowser, NO_DIAGNOSTICS, openWebview, type WebviewPage } from './harness';

const browser = useBrowser();

const nodeCount = (w: WebviewPage): Promise<number> => w.page.locator('#graph .nodes .node').count();

/** The Fit button: the whole graph on screen (graphs taller than the window open at their start, at 1:1). */
async function fitAll(w: WebviewPage): Promise<void> {
  await w.page.locator('#fit').click();
}

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

/** Variance of the grey level over the screenshot's pixels, decoded in the page's canvas. */
async function pixelVariance(w: WebviewPage, png: Buffer): Promise<number> {
  return w.page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    let sumSq = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const grey = (data[i] + data[i + 1] + data[i + 2]) / 3;
      sum += grey;
      sumSq += grey * grey;
    }
    return sumSq / n - (sum / n) ** 2;
  }, png.toString('base64'));
}

test('resnet20: every layer drawn, blocks as boxes, add merges as ellipses; screenshot is not blank', async () => {
  const w = await openWebview(browser());
  const payload = examplePayload('resnet20');
  await w.init(payload);
  assert.equal(await nodeCount(w), 78);
  assert.equal(await w.page.locator('#graph .groups .group').count(), 12);
  assert.equal(await w.page.locator('#graph .node.merge-add > ellipse.shape').count(), 9);
  assert.equal(await w.page.locator('#graph .edges .edge').count(), payload.edges.length);
  assert.match((await w.page.locator('#summary').textContent()) ?? '', /resnet20 · 269,722 params/);
  const label = await w.page.locator('[data-id="layer2/basic1/add1"] .detail').textContent();
  assert.equal(label, '16×16×32 · 32 maps');
  const png = await w.page.screenshot({ path: 'test-results/graph-resnet20.png' });
  assert.ok((await pixelVariance(w, png)) > 50, 'the screenshot has content');
  await noProblems(w);
  await w.page.context().close();
});

test('densenet121: tooltip of denseblock1 layer 6 gives the feature-map provenance; focus gives the same', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('densenet121'));
  await fitAll(w);
  // 427 nodes > 150: layers collapse, dense blocks stay open with an arc from every earlier layer.
  assert.equal(await nodeCount(w), 79);
  assert.equal(await w.page.locator('#graph .edge.arc').count(), 20 + 77 + 299 + 135 - (5 + 11 + 23 + 15));
  const layer6 = w.page.locator('[data-id="denseblock1/denselayer6"]');
  await layer6.hover({ force: true });
  await w.page.waitForSelector('#tooltip.visible');
  const maps = await w.page.locator('#tooltip [data-key="Feature maps"]').textContent();
  assert.equal(maps, '256 = conv0 64 + denselayer1/conv2 32 + denselayer2/conv2 32 + denselayer3/conv2 32 + denselayer4/conv2 32 + denselayer5/conv2 32 + denselayer6/conv2 32'); // sources named relative to the shared block path
  assert.equal(await w.page.locator('#tooltip [data-key="Output shape"]').textContent(), '56×56×256');
  assert.equal(await w.page.locator('#tooltip [data-key="Parameters"]').textContent(), '66,240');
  await w.page.mouse.move(1, 1);
  await w.page.locator('[data-id="denseblock1/denselayer5"]').focus();
  await w.page.waitForFunction(() => document.getElementById('tooltip')?.dataset.for === 'denseblock1/denselayer5');
  assert.match((await w.page.locator('#tooltip [data-key="Feature maps"]').textContent()) ?? '', /^224 = conv0 64 \+ /);
  assert.match((await layer6.getAttribute('aria-label')) ?? '', /Feature maps: 256 = conv0 64/);
  await w.page.screenshot({ path: 'test-results/graph-densenet121.png' });
  await noProblems(w);
  await w.page.context().close();
});

test('collapse and expand change the drawn nodes; a collapsed dense block shows its adjacency triangle', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('densenet121'));
  await fitAll(w);
  const start = await nodeCount(w);
  let renders = await w.renderCount();
  await w.page.locator('[data-toggle="denseblock1/denselayer6"]').click({ force: true });
  await w.waitForRender(++renders);
  assert.equal(await nodeCount(w), start + 6); // one box becomes its 7 layers
  assert.equal(await w.page.locator('[data-id="denseblock1/denselayer6/concat1"] .segments rect').count(), 7);
  await w.page.locator('#graph .group[data-group="denseblock1"] > .toggle').click({ force: true });
  await w.waitForRender(++renders);
  assert.equal(await nodeCount(w), start - 5); // 6 layer boxes become one block
  const glyphCells = await w.page.locator('[data-id="denseblock1"] .glyph .cell').count();
  assert.equal(glyphCells, 21); // layer ℓ reads the input and the ℓ−1 layers before it: 1+2+…+6
  // Keyboard: Space on the focused block expands it again, restoring the user's choice inside.
  await w.page.locator('[data-id="denseblock1"]').focus();
  await w.page.keyboard.press(' ');
  await w.waitForRender(++renders);
  assert.equal(await nodeCount(w), start + 6);
  // Collapse state survives an edit (a new payload with the same ids).
  await w.send({ type: 'graph', uri: DOC_URI, version: 2, graph: examplePayload('densenet121'), diagnostics: NO_DIAGNOSTICS });
  await w.waitForRender(++renders);
  assert.equal(await nodeCount(w), start + 6);
  await noProblems(w);
  await w.page.context().close();
});

test('hostile names render as text: no element injected, no script run', async () => {
  const w = await openWebview(browser());
  const hostile = '<img src=x onerror=alert(1)>';
  const payload = examplePayload('resnet20');
  payload.model = hostile;
  payload.models = [hostile, 'other'];
  payload.nodes[1].label = hostile;
  payload.nodes[1].provenanceText = `<script>alert(2)</script>`;
  payload.groups[0].label = hostile;
  payload.groups[0].block = '"><svg onload=alert(3)>';
  await w.init(payload);
  await w.send({ type: 'status', uri: DOC_URI, version: 2, diagnostics: { errors: 2, warnings: 0, firstError: hostile, firstErrorLine: 3 } });
  await w.page.waitForSelector('#status.visible');
  await w.page.locator(`[data-id="${payload.nodes[1].id}"]`).hover({ force: true });
  await w.page.waitForSelector('#tooltip.visible');
  assert.equal(await w.page.locator('#app img, #app script, #graph foreignObject').count(), 0);
  assert.equal(await w.page.locator('#graph svg svg').count(), 0);
  assert.match((await w.page.locator('#status').textContent()) ?? '', /2 errors — showing the last good graph\. Line 3: <img src=x onerror=alert\(1\)>/);
  assert.equal(await w.page.locator('#tooltip .title').textContent(), `${hostile.slice(0, 100)} (${payload.nodes[1].kind})`);
  assert.equal(await w.page.locator('#tooltip [data-key="Feature maps"]').textContent(), '<script>alert(2)</script>');
  assert.match((await w.page.locator('#summary').textContent()) ?? '', /^<img src=x onerror=alert\(1\)> · /);
  assert.match((await w.page.locator(`[data-group="${payload.groups[0].id}"] .title`).textContent()) ?? '', /^<img src=x/);
  assert.deepEqual(await w.page.evaluate(() => window.__alerts), []);
  // The graph stays (last good graph) and the error count is on the page.
  assert.equal(await nodeCount(w), 78);
  assert.equal(await w.page.evaluate(() => document.body.dataset.errors), '2');
  await noProblems(w);
  await w.page.context().close();
});

test('theme change changes computed colours', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('resnet20'));
  const fillOf = (): Promise<string> => w.page.evaluate(() => getComputedStyle(document.querySelector('[data-id="layer1/basic1/conv1"] > .shape')!).fill);
  const addStroke = (): Promise<string> => w.page.evaluate(() => getComputedStyle(document.querySelector('.node.merge-add > .shape')!).stroke);
  await w.page.evaluate(() => {
    document.body.className = 'vscode-dark';
    document.documentElement.style.setProperty('--vscode-editorWidget-background', '#252526');
    document.documentElement.style.setProperty('--vscode-charts-orange', '#d18616');
  });
  const dark = [await fillOf(), await addStroke()];
  await w.page.evaluate(() => {
    document.body.className = 'vscode-light';
    document.documentElement.style.setProperty('--vscode-editorWidget-background', '#f3f3f3');
    document.documentElement.style.setProperty('--vscode-charts-orange', '#a85c00');
  });
  const light = [await fillOf(), await addStroke()];
  assert.deepEqual(dark, ['rgb(37, 37, 38)', 'rgb(209, 134, 22)']);
  assert.equal(light[0], 'rgb(243, 243, 243)');
  // Light themes darken the charts' orange toward black (70 %) so the add sign reads at about 5:1 on white. Chromium
  // writes a color-mix result as color(srgb …) or rgb(…) depending on its version: compare the channels.
  const channels = (css: string): number[] => {
    const rgb = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(css);
    if (rgb) return rgb.slice(1).map(Number);
    const srgb = /^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)\)$/.exec(css);
    assert.ok(srgb, `a colour: ${css}`);
    return srgb.slice(1).map((v) => Number(v) * 255);
  };
  const expected = [168, 92, 0].map((v) => v * 0.7);
  channels(light[1]).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1, `add stroke ${light[1]}: channel ${i} is ${v}, expected ${expected[i]}`));
  await w.page.evaluate(() => {
    document.body.className = 'vscode-high-contrast';
    document.documentElement.style.setProperty('--vscode-contrastBorder', '#6fc3df');
  });
  const hcStroke = await w.page.evaluate(() => getComputedStyle(document.querySelector('[data-id="layer1/basic1/conv1"] > .shape')!).stroke);
  assert.equal(hcStroke, 'rgb(111, 195, 223)');
  await w.page.screenshot({ path: 'test-results/graph-high-contrast.png' });
  await w.page.context().close();
});

test('click posts a reveal with the node source range; cursor highlight marks nodes; stale and malformed messages are dropped', async () => {
  const w = await openWebview(browser());
  const payload = examplePayload('resnet20');
  await w.init(payload, 4);
  await fitAll(w);
  const conv = payload.nodes.find((n) => n.id === 'layer2/basic1/conv1')!;
  await w.page.locator(`[data-id="${conv.id}"]`).click({ force: true });
  const reveal = (await w.posted()).find((m) => m.type === 'reveal');
  assert.deepEqual(reveal, { type: 'reveal', uri: DOC_URI, version: 4, id: conv.id, range: conv.range });
  assert.equal(await w.page.locator('.node.selected').getAttribute('data-id'), conv.id);

  await w.send({ type: 'highlight', uri: DOC_URI, version: 4, ids: ['layer1/basic1/conv1', 'layer1/basic2/conv1', 'layer1/basic3/conv1'] });
  await w.page.waitForFunction(() => document.querySelectorAll('.node.highlighted').length === 3);

  const renders = await w.renderCount();
  const smaller = examplePayload('mnist_resnet');
  await w.send({ type: 'graph', uri: DOC_URI, version: 3, graph: smaller, diagnostics: NO_DIAGNOSTICS }); // older version
  await w.send({ type: 'graph', uri: 'file:///other.skipnet', version: 9, graph: smaller, diagnostics: NO_DIAGNOSTICS }); // other document
  await w.page.evaluate(() => window.postMessage({ type: 'graph', uri: 'x', version: 'NaN' }, '*'));
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string; message?: string }).type === 'log' && /malformed/.test((m as { message: string }).message)));
  assert.equal(await w.renderCount(), renders);
  assert.equal(await nodeCount(w), 78);
  // A graph the page cannot read is said on the page, not only in the host's log; the next good graph clears it.
  assert.match((await w.page.locator('#status').textContent()) ?? '', /^This view could not read the graph the extension sent, so it is not updated \(graph version: expected a finite number\)\. Please report this with the \.skipnet file\.$/);
  // Selection survives an edit.
  await w.send({ type: 'graph', uri: DOC_URI, version: 5, graph: examplePayload('resnet20'), diagnostics: NO_DIAGNOSTICS });
  await w.waitForRender(renders + 1);
  assert.equal(await w.page.locator('#status').textContent(), '');
  assert.equal(await w.page.locator('.node.selected').getAttribute('data-id'), conv.id);
  await noProblems(w);
  await w.page.context().close();
});

test('export: SVG with embedded print palette, PNG bytes; view state restores after a reload', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('resnet20'));
  await w.send({ type: 'exportRequest', uri: DOC_URI, version: 1, requestId: 7, format: 'svg', theme: 'print' });
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'exportResult'));
  const svg = (await w.posted()).find((m) => m.type === 'exportResult');
  assert.ok(svg && svg.type === 'exportResult' && svg.requestId === 7);
  assert.match(svg.data, /^<\?xml[^]*<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg.data, /--g-node-fill: #ffffff;/);
  assert.match(svg.data, />layer1\/basic1\/conv1|>conv1</);
  assert.equal((svg.data.match(/class="node /g) ?? []).length, 78);
  writeFileSync('test-results/graph-resnet20-print.svg', svg.data);
  await w.send({ type: 'exportRequest', uri: DOC_URI, version: 1, requestId: 8, format: 'png', theme: 'current' });
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string; requestId?: number }).type === 'exportResult' && (m as { requestId: number }).requestId === 8), undefined, { timeout: 120_000 });
  const png = (await w.posted()).find((m) => m.type === 'exportResult' && m.requestId === 8);
  assert.ok(png && png.type === 'exportResult');
  const bytes = Buffer.from(png.data, 'base64');
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  writeFileSync('test-results/graph-resnet20-export.png', bytes);

  // Zoom, collapse a block, then "reload" with the saved state.
  await fitAll(w);
  await w.page.locator('#graph').focus();
  await w.page.keyboard.press('+');
  let renders = await w.renderCount();
  await w.page.locator('#graph .group[data-group="layer2"] > .toggle').click({ force: true });
  await w.waitForRender(++renders);
  const state = await w.page.evaluate(() => window.__state as { uri: string; view: { scale: number }; collapsed: Record<string, boolean> });
  assert.equal(state.uri, DOC_URI);
  assert.deepEqual(state.collapsed, { layer2: true });
  const transform = await w.page.locator('#viewport').getAttribute('transform');
  await w.page.context().close();

  const restored = await openWebview(browser(), state);
  await restored.init(examplePayload('resnet20'));
  assert.equal(await restored.page.locator('#viewport').getAttribute('transform'), transform);
  assert.equal(await nodeCount(restored), 78 - 24 + 1);
  await noProblems(restored);
  await restored.page.context().close();
});

test('left-to-right layout and a large fully expanded graph with a minimap', async () => {
  const w = await openWebview(browser());
  const payload = examplePayload('densenet121', 100_000);
  await w.init(payload, 1, 'right');
  assert.equal(await nodeCount(w), 427);
  assert.equal(await w.page.locator('#graph .edge.arc').count(), 531);
  await w.page.keyboard.press('Tab'); // focus the canvas
  await w.page.locator('#graph').focus();
  await w.page.keyboard.press('+');
  await w.page.keyboard.press('+');
  await w.page.waitForSelector('#minimap.visible');
  const box = await w.page.locator('[data-id="conv0"]').boundingBox();
  const last = await w.page.locator('[data-id="classifier"]').boundingBox();
  assert.ok(box && last && last.x > box.x, 'left to right');
  await w.page.screenshot({ path: 'test-results/graph-densenet121-expanded.png' });
  await noProblems(w);
  await w.page.context().close();
});

test('a tall graph opens readable at its start, with the minimap; Fit still shows everything', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('resnet20'));
  const scaleOf = async (): Promise<number> => Number(/scale\(([\d.]+)\)/.exec((await w.page.locator('#viewport').getAttribute('transform')) ?? '')?.[1]);
  const initial = await scaleOf();
  assert.ok(initial >= 0.6 && initial <= 1, `initial zoom ${initial}`);
  // Node text is readable on screen: a label's glyph box at least 10 px tall.
  const label = await w.page.locator('[data-id="input"] .label, #graph .nodes .node .label').first().boundingBox();
  assert.ok(label && label.height >= 10, `label ${label?.height} px tall`);
  // Scrolled to the start: the input layer is on screen near the top; the classifier is below the window.
  const stage = (await w.page.locator('#graph').boundingBox())!;
  const first = (await w.page.locator('#graph .nodes .node.kind-input').first().boundingBox())!;
  assert.ok(first.y >= stage.y && first.y < stage.y + 80, `input at y=${first.y - stage.y}`);
  const lastNode = w.page.locator(`[data-id="${examplePayload('resnet20').nodes.at(-1)!.id}"]`);
  assert.ok(((await lastNode.boundingBox())?.y ?? 0) > stage.y + stage.height, 'the end of the graph starts below the window');
  await w.page.waitForSelector('#minimap.visible');
  await w.page.screenshot({ path: 'test-results/graph-resnet20-initial.png' });
  // Fit: the whole drawing inside the window, smaller than the initial zoom.
  await w.page.locator('#fit').click();
  await w.page.waitForFunction((s) => !document.querySelector('#viewport')!.getAttribute('transform')!.includes(`scale(${s.toFixed(5)})`), initial);
  assert.ok((await scaleOf()) < initial);
  const content = (await w.page.locator('#graph-content').boundingBox())!;
  assert.ok(content.y >= stage.y - 1 && content.y + content.height <= stage.y + stage.height + 1, 'fit shows the whole height');
  await noProblems(w);
  await w.page.context().close();
});

test('resizing the view keeps a graph that fits an axis centred on it, and the scroll position along the axis it overflows', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('resnet20'));
  const transform = (): Promise<string | null> => w.page.locator('#viewport').getAttribute('transform');
  const place = async (): Promise<{ fromCentre: number; top: number }> => {
    const stage = (await w.page.locator('#graph').boundingBox())!;
    const input = (await w.page.locator('[data-id="input"]').boundingBox())!;
    return { fromCentre: input.x + input.width / 2 - (stage.x + stage.width / 2), top: input.y - stage.y };
  };
  const before = await place();
  const initial = await transform();
  // As when an editor opens beside the graph: the panel loses half its width (and a little height).
  await w.page.setViewportSize({ width: 600, height: 700 });
  await w.page.waitForFunction((t) => document.querySelector('#viewport')!.getAttribute('transform') !== t, initial);
  const after = await place();
  assert.ok(Math.abs(after.fromCentre - before.fromCentre) <= 1, `input ${before.fromCentre} → ${after.fromCentre} px from the centre`);
  assert.ok(Math.abs(after.top - before.top) <= 1, `the top of the tall graph stays in view: ${before.top} → ${after.top}`);
  await noProblems(w);
  await w.page.context().close();
});
