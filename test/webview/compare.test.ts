/**
 * The Compare view in headless Chromium: the real page bundle under the real CSP, fed the messages the
 * host builds (src/compare/model.ts, the code the panel runs), asserting on the DOM and on what the page
 * posts back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Locator } from 'playwright-core';
import { buildCompareMessage, type SideSpec, suggestMatch } from '../../src/compare/model';
import { planTrainBoth } from '../../src/compare/training';
import { computeVisible, collapseState } from '../../src/drawing/visible';
import type { CompareToHost, HostToCompare } from '../../src/protocol/compare-messages';
import { useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

const browser = useBrowser();

const read = (name: string): string => readFileSync(`examples/${name}.skipnet`, 'utf8');
const spec = (name: string, withoutSkips = false): SideSpec => ({ uri: `file:///work/${name}.skipnet`, file: `${name}.skipnet`, model: name, withoutSkips });
const OPTIONS = { collapseThreshold: 150, direction: 'down' as const };

async function openCompare(): Promise<WebviewPage> {
  return openWebview(browser(), undefined, { width: 1400, height: 900 }, 'compare.js');
}

const send = (w: WebviewPage, message: HostToCompare): Promise<void> => w.page.evaluate((m) => window.postMessage(m, '*'), message);
const posted = (w: WebviewPage): Promise<CompareToHost[]> => w.page.evaluate(() => window.__posted as CompareToHost[]);
const side = (w: WebviewPage, index: number): Locator => w.page.locator(`.side[data-side="${index}"]`);
const renders = (w: WebviewPage, index: number): Promise<number> =>
  w.page.evaluate((i) => Number(document.querySelector(`.side[data-side="${i}"] .graph-host`)!.shadowRoot!.querySelector<HTMLElement>('#stage')!.dataset.renderCount ?? 0), index);
async function waitRenders(w: WebviewPage, index: number, count: number): Promise<void> {
  await w.page.waitForFunction(([i, n]) => Number(document.querySelector(`.side[data-side="${i}"] .graph-host`)!.shadowRoot!.querySelector<HTMLElement>('#stage')!.dataset.renderCount ?? 0) >= n, [index, count] as const, { timeout: 120_000 });
}
async function waitPosted(w: WebviewPage, type: CompareToHost['type']): Promise<CompareToHost> {
  await w.page.waitForFunction((t) => window.__posted.some((m) => (m as { type: string }).type === t), type);
  return (await posted(w)).filter((m) => m.type === type).at(-1)!;
}
const cell = (w: WebviewPage, metric: string, column: 'a' | 'b' | 'ratio'): Promise<string | null> => w.page.locator(`#metrics tr[data-metric="${metric}"] td.${column}`).textContent();

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

async function showPair(w: WebviewPage): Promise<void> {
  await send(w, buildCompareMessage([spec('resnet20'), spec('densenet40')], [read('resnet20'), read('densenet40')], 1, OPTIONS));
  await waitRenders(w, 0, 1);
  await waitRenders(w, 1, 1);
}

test('resnet20 vs densenet40: both graphs drawn, aligned at the input, and the table of numbers', async () => {
  const w = await openCompare();
  await showPair(w);
  const message = buildCompareMessage([spec('resnet20'), spec('densenet40')], [read('resnet20'), read('densenet40')], 1, OPTIONS);
  const dense = message.sides[1].graph!;
  assert.equal(await side(w, 0).locator('.nodes .node').count(), 78);
  assert.equal(await side(w, 0).locator('.node.merge-add > ellipse.shape').count(), 9);
  assert.equal(await side(w, 1).locator('.nodes .node').count(), computeVisible(dense, collapseState(dense, {})).items.length);
  assert.match((await side(w, 0).locator('.side-title').textContent()) ?? '', /^A: resnet20 · 269,722 params · resnet20\.skipnet$/);
  assert.match((await side(w, 1).locator('.side-title').textContent()) ?? '', /^B: densenet40 · 1,019,722 params/);
  assert.equal(await cell(w, 'trainable params', 'a'), '269,722');
  assert.equal(await cell(w, 'trainable params', 'b'), '1,019,722');
  assert.equal(await cell(w, 'trainable params', 'ratio'), '3.78');
  assert.equal(await cell(w, 'MACs per sample', 'a'), '40,551,040 (40.55 M)');
  assert.equal(await cell(w, 'MACs per sample', 'b'), '264,812,928 (264.81 M)');
  assert.equal(await cell(w, 'activations per sample', 'b'), '27.5 MiB');
  assert.equal(await cell(w, 'training memory (batch 32)', 'a'), '49.5 MiB');
  assert.equal(await cell(w, 'training memory (batch 32)', 'b'), '593 MiB');
  // Aligned by depth: one zoom for both, readable, and both inputs on the same row at the top.
  const inputs = await Promise.all([0, 1].map((i) => side(w, i).locator('.node.kind-input').boundingBox()));
  assert.ok(inputs[0] && inputs[1]);
  assert.ok(Math.abs(inputs[0].y - inputs[1].y) < 1, `inputs at ${inputs[0].y} and ${inputs[1].y}`);
  assert.ok(Math.abs(inputs[0].height - inputs[1].height) < 0.5, 'same zoom');
  assert.ok(inputs[0].height >= 0.6 * 44, 'readable');
  // Linked: the mouse wheel zooms A about the pointer, and B follows (same zoom, same vertical offset).
  const stage = (await side(w, 0).locator('.graph-host').boundingBox())!;
  await w.page.mouse.move(stage.x + 30, stage.y + stage.height - 30);
  await w.page.mouse.wheel(0, 300);
  await w.page.waitForFunction((y) => Math.abs(document.querySelector('.side[data-side="1"] .graph-host')!.shadowRoot!.querySelector('.node.kind-input')!.getBoundingClientRect().y - y) > 100, inputs[1].y);
  const moved = await Promise.all([0, 1].map((i) => side(w, i).locator('.node.kind-input').boundingBox()));
  assert.ok(Math.abs(moved[0]!.y - moved[1]!.y) < 1, 'still aligned after zooming');
  await w.page.screenshot({ path: 'test-results/compare-resnet20-densenet40.png' });
  await noProblems(w);
  await w.page.context().close();
});

test('the ablation switch posts setAblation; the no-skip variant has no add nodes, and shape problems are listed', async () => {
  const w = await openCompare();
  await showPair(w);
  await side(w, 0).locator('.ablation').click();
  const request = await waitPosted(w, 'setAblation');
  assert.deepEqual(request, { type: 'setAblation', revision: 1, side: 0, withoutSkips: true });
  const before0 = await renders(w, 0);
  await send(w, buildCompareMessage([spec('resnet20', true), spec('densenet40')], [read('resnet20'), read('densenet40')], 2, OPTIONS));
  await waitRenders(w, 0, before0 + 1);
  assert.equal(await side(w, 0).locator('.node.merge-add').count(), 0);
  assert.equal(await side(w, 0).locator('.nodes .node').count(), 78 - 9); // each add became an identity; the 9 unused zeropad shortcuts are pruned
  assert.match((await side(w, 0).locator('.side-title').textContent()) ?? '', /^A: resnet20 without skips · 269,722 params/);
  assert.equal(await side(w, 0).locator('.problems').textContent(), 'Every shape still fits without the skip connections.');
  assert.equal(await cell(w, 'add merges', 'a'), '0');
  assert.equal(await w.page.locator('#metrics thead th').nth(1).textContent(), 'A: resnet20 without skips');
  assert.equal(await side(w, 0).locator('.knob').isDisabled(), true);
  // A model whose ablation no longer fits: the core's diagnostic, located, not a guess.
  const grouped = 'model m(8x8x6) {\n  conv(4, 1)\n  c: concat(in, _) -> conv(5, 1, groups=5)\n}';
  const groupedSpec: SideSpec = { uri: 'file:///work/g.skipnet', file: 'g.skipnet', model: 'm', withoutSkips: true };
  await send(w, buildCompareMessage([groupedSpec, spec('densenet40')], [grouped, read('densenet40')], 3, OPTIONS));
  await w.page.waitForFunction(() => document.querySelector('.side[data-side="0"] .problem') !== null);
  assert.equal(await side(w, 0).locator('.problems-title').textContent(), 'Without skip connections these no longer fit:');
  assert.match((await side(w, 0).locator('.problem').first().textContent()) ?? '', /^Line 3:\d+: .*groups=5 must divide both the input channels \(4\)/);
  assert.equal(await side(w, 0).locator('.problem').first().getAttribute('data-code'), 'invalid-size');
  await noProblems(w);
  await w.page.context().close();
});

test("parameter-matched suggestion: ResNet-20's widths for DenseNet-40's count, shown and written back", async () => {
  const w = await openCompare();
  await showPair(w);
  const knob = side(w, 0).locator('select.knob');
  await knob.selectOption('stage.planes');
  await side(w, 0).locator('.match-button').click();
  assert.deepEqual(await waitPosted(w, 'requestSuggestion'), { type: 'requestSuggestion', revision: 1, side: 0, knob: 'stage.planes' });
  const result = suggestMatch(read('resnet20'), spec('resnet20'), 'stage.planes', 1_019_722n);
  assert.ok('suggestion' in result);
  const s = result.suggestion;
  assert.ok(s.withinTolerance && Math.abs(s.difference) <= 0.05);
  await send(w, { type: 'suggestion', revision: 1, side: 0, knob: 'stage.planes', suggestion: s, error: '' });
  const text = side(w, 0).locator('.suggestion');
  await w.page.waitForFunction(() => /→/.test(document.querySelector('.side[data-side="0"] .suggestion')!.textContent ?? ''));
  const pct = `${s.difference >= 0 ? '+' : '−'}${Math.abs(s.difference * 100).toFixed(1)}%`;
  assert.equal(await text.textContent(), `planes 16, 32, 64 → ${s.values.join(', ')}: ${BigInt(s.params).toLocaleString('en-US')} params, ${pct} from densenet40’s 1,019,722 (within 5%)`);
  await side(w, 0).locator('.write-button').click();
  assert.deepEqual(await waitPosted(w, 'applySuggestion'), { type: 'applySuggestion', revision: 1, side: 0, knob: 'stage.planes', values: s.values });
  await send(w, { type: 'applied', revision: 1, side: 0, ok: true, message: `Wrote planes = ${s.values.join(', ')} to resnet20.skipnet.` });
  await w.page.waitForFunction(() => /^Wrote/.test(document.querySelector('.side[data-side="0"] .suggestion')!.textContent ?? ''));
  // An answer about an older revision is dropped; an error is shown as is.
  await send(w, buildCompareMessage([spec('resnet20'), spec('densenet40')], [read('resnet20'), read('densenet40')], 2, OPTIONS));
  await w.page.waitForFunction(() => document.body.dataset.revision === '2');
  await send(w, { type: 'suggestion', revision: 1, side: 1, knob: 'dense_block.k', suggestion: s, error: '' });
  await send(w, { type: 'suggestion', revision: 2, side: 1, knob: 'dense_block.k', suggestion: null, error: 'No value of dense_block.k gives a valid model.' });
  await w.page.waitForFunction(() => document.querySelector('.side[data-side="1"] .suggestion')!.textContent !== '');
  assert.equal(await side(w, 1).locator('.suggestion').textContent(), 'No value of dense_block.k gives a valid model.');
  await noProblems(w);
  await w.page.context().close();
});

test('train both: the request is posted; curves, accuracy against parameters and gradient norm by depth are drawn', async () => {
  const w = await openCompare();
  await showPair(w);
  await w.page.locator('#train-both').click();
  assert.deepEqual(await waitPosted(w, 'trainBoth'), { type: 'trainBoth', revision: 1 });
  assert.equal(await w.page.locator('#training.visible').count(), 0);
  for (let step = 1; step <= 5; step++) {
    await send(w, { type: 'trainingPoint', revision: 1, side: 0, point: { step, epoch: 0, loss: 2.3 / step, accuracy: 0.1 * step } });
    await send(w, { type: 'trainingPoint', revision: 1, side: 1, point: { step, epoch: 0, loss: 2.3 / (step + 1), accuracy: 0.12 * step } });
  }
  await send(w, { type: 'depthGradients', revision: 1, side: 0, step: 5, points: [1, 2, 3, 4].map((depth) => ({ depth, layer: `l${depth}`, norm: 10 ** -depth })) });
  await send(w, { type: 'trainingState', revision: 1, state: 'finished', message: 'Both models trained for 5 steps.' });
  await w.page.waitForSelector('#training.visible');
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'finished');
  assert.equal(await w.page.locator('#chart-loss path.series').count(), 2);
  assert.equal(await w.page.locator('#chart-loss path.series.side-1').getAttribute('data-points'), '5');
  assert.equal(await w.page.locator('#chart-params circle.series').count(), 2);
  // No held-out evaluation arrived: the chart plots the last (smoothed) training accuracy and says so.
  assert.equal(await w.page.locator('#chart-params').getAttribute('data-accuracy'), 'training');
  assert.equal(await w.page.locator('#chart-params .chart-title').textContent(), 'Training accuracy against parameters (no held-out evaluation yet)');
  assert.equal(await w.page.locator('#chart-params').getAttribute('data-values'), '0.5,0.6');
  assert.equal(await w.page.locator('#chart-depth path.series.side-0').getAttribute('data-points'), '4');
  // Log scale: four decades fall on four equally spaced heights.
  const d = (await w.page.locator('#chart-depth path.series.side-0').getAttribute('d'))!;
  const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
  assert.ok(Math.abs(ys[1] - ys[0] - (ys[3] - ys[2])) < 0.2, d);
  assert.equal(await w.page.locator('#training-status').textContent(), 'Both models trained for 5 steps.');
  // Malformed messages are dropped and reported.
  await w.page.evaluate(() => window.postMessage({ type: 'trainingPoint', revision: 1, side: 2, point: {} }, '*'));
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string; message?: string }).type === 'log' && /malformed/.test((m as { message: string }).message)));
  await noProblems(w);
  await w.page.context().close();
});

// ── Train both, for real: train.js in the compare page, two tiny models on MNIST ──

/** A net small enough for a cpu step in milliseconds; `skip` adds a residual block. */
function tinyNet(name: string, skip: boolean, train: string): string {
  const block = skip ? 'block res() {\n  r: conv(4, 3, pad=1, bias=false) -> bn -> relu\n  add(r, in) -> relu\n}\n' : '';
  const body = skip ? 'res()' : 'conv(4, 3, pad=1, bias=false) -> bn -> relu';
  return `${block}model ${name}(28x28x1) {\n  conv(4, 3, stride=2, pad=1) -> bn -> relu\n  ${body}\n  gap -> dense(10)\n  train { dataset: mnist; ${train} }\n}\n`;
}

const tinySpec = (model: string): SideSpec => ({ uri: `file:///work/${model}.skipnet`, file: `${model}.skipnet`, model, withoutSkips: false });

/** Shows the pair, clicks Train both and answers the request as the panel does (src/compare/training.ts plans it). */
async function trainPair(w: WebviewPage, specs: [SideSpec, SideSpec], texts: [string, string], backend: 'cpu' | 'wasm'): Promise<void> {
  await send(w, buildCompareMessage(specs, texts, 1, OPTIONS));
  await waitRenders(w, 0, 1);
  await waitRenders(w, 1, 1);
  await w.page.locator('#train-both').click();
  await waitPosted(w, 'trainBoth');
  const plan = planTrainBoth(specs, texts);
  assert.ok(plan.ok);
  const dataset = { kind: 'builtin' as const, name: 'mnist' as const, url: `${ORIGIN}/media/data/mnist.bin` };
  const run = (i: 0 | 1) => ({ run: { model: specs[i].model, text: texts[i], backend, statsInterval: 2, dataset }, withoutSkips: specs[i].withoutSkips });
  await send(w, { type: 'startTrainBoth', revision: 1, runs: [run(0), run(1)], config: plan.shared });
}

/** Loss points per side drawn so far, as [step, loss] pairs read from the page's chart data. */
async function pointsDrawn(w: WebviewPage, side: 0 | 1): Promise<number> {
  return Number((await w.page.locator(`#chart-loss path.series.side-${side}`).getAttribute('data-points')) ?? 0);
}

test('train both, for real (cpu): a plain and a residual net draw loss curves and gradient norm by depth for both sides; Stop ends both and frees every tensor', async () => {
  const w = await openCompare();
  const texts: [string, string] = [tinyNet('plain', false, 'optimizer: adam; lr: 0.01; batch: 8; epochs: 1; seed: 1'), tinyNet('residual', true, 'batch: 64; seed: 7')];
  await trainPair(w, [tinySpec('plain'), tinySpec('residual')], texts, 'cpu');
  await w.page.waitForFunction(() => ['0', '1'].every((s) => Number(document.querySelector(`#chart-loss path.series.side-${s}`)?.getAttribute('data-points') ?? 0) >= 4), undefined, { timeout: 120_000 });
  await w.page.waitForFunction(() => ['0', '1'].every((s) => Number(document.querySelector(`#chart-depth path.series.side-${s}`)?.getAttribute('data-points') ?? 0) >= 2), undefined, { timeout: 120_000 });
  assert.equal(await w.page.locator('#training-status').getAttribute('data-state'), 'running');
  // Both run side A's train section: batch 8 of 8,000 images is 1,000 steps (B's own batch 64 would be 125).
  assert.match((await w.page.locator('#training-status').textContent()) ?? '', /^backend cpu · A: step \d+\/1000 · loss [\d.]+ · B: step \d+\/1000/);
  // Depth counts convolutions and dense layers (bn is left out): plain is conv, conv, dense (1..3); residual is
  // conv, the block's conv (the add has no weights, the shortcut does not shorten the path), dense: also 1..3.
  assert.equal(await w.page.locator('#chart-depth path.series.side-0').getAttribute('data-points'), '3');
  assert.equal(await w.page.locator('#chart-depth path.series.side-1').getAttribute('data-points'), '3');
  assert.equal(await w.page.locator('#train-both').getAttribute('disabled'), '');
  await w.page.locator('#train-both-stop').click();
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  assert.match((await w.page.locator('#training-status').textContent()) ?? '', /^Stopped: A after \d+ steps, B after \d+\.$/);
  const stoppedAt = [await pointsDrawn(w, 0), await pointsDrawn(w, 1)];
  assert.equal(await w.page.evaluate(() => document.getElementById('training')?.dataset.tensors), '0');
  assert.equal(await w.page.locator('#train-both').getAttribute('disabled'), null);
  assert.deepEqual([await pointsDrawn(w, 0), await pointsDrawn(w, 1)], stoppedAt, 'no points after stop');
  const ended = (await posted(w)).filter((m) => m.type === 'trainBothEnded');
  assert.equal(ended.length, 1);
  assert.equal(ended[0].type === 'trainBothEnded' && ended[0].state, 'stopped');
  await noProblems(w);
  await w.page.context().close();
});

test('train both (wasm): the same model on both sides, B written with another seed and batch, gives the same curve: same data, seed and batch order', async () => {
  const w = await openCompare();
  const a = tinyNet('twin', true, 'optimizer: adam; lr: 0.01; batch: 8; epochs: 1; seed: 3');
  const b = tinyNet('twin', true, 'batch: 32; seed: 11');
  await trainPair(w, [tinySpec('twin'), { ...tinySpec('twin'), uri: 'file:///work/twin-b.skipnet', file: 'twin-b.skipnet' }], [a, b], 'wasm');
  await w.page.waitForFunction(() => ['0', '1'].every((s) => Number(document.querySelector(`#chart-loss path.series.side-${s}`)?.getAttribute('data-points') ?? 0) >= 6), undefined, { timeout: 120_000 });
  // A DOM click: in this fast run Playwright's pointer hit check reads the re-laid-out toolbar as covering Stop,
  // though elementFromPoint at Stop's centre is Stop (what the pointer would reach is left to the e2e tests).
  await w.page.locator('#train-both-stop').dispatchEvent('click');
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  // Plot writes a path as M x,y L x,y … with or without spaces: one vertex per M/L command.
  const path = async (side: 0 | 1): Promise<string[]> => ((await w.page.locator(`#chart-loss path.series.side-${side}`).getAttribute('d')) ?? '').match(/[ML][^ML]*/g) ?? [];
  const [pa, pb] = [await path(0), await path(1)];
  const common = Math.min(pa.length, pb.length);
  assert.ok(common >= 6, `${common} points in common`);
  // Equal losses at equal steps (the drawn coordinates share one scale); the longer curve may run on.
  const coordinates = (segments: string[]) => segments.slice(0, common).map((s) => s.replace(/^[ML]/, '').trim());
  assert.deepEqual(coordinates(pa), coordinates(pb));
  assert.match((await w.page.locator('#training-status').textContent()) ?? '', /^Stopped/);
  await noProblems(w);
  await w.page.context().close();
});

test('train both to the end (wasm): accuracy against parameters plots the held-out accuracy of each model', async () => {
  const w = await openCompare();
  const texts: [string, string] = [tinyNet('plain', false, 'optimizer: adam; lr: 0.01; batch: 256; epochs: 1; seed: 1'), tinyNet('residual', true, 'batch: 256; seed: 1')];
  await trainPair(w, [tinySpec('plain'), tinySpec('residual')], texts, 'wasm');
  // A whole epoch (31 steps of 256 images) and the full held-out split for each side: minutes on a loaded
  // 2-core machine, so the wait for the end is sized to that, not to an idle one.
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'finished', undefined, { timeout: 600_000 });
  const status = (await w.page.locator('#training-status').textContent()) ?? '';
  const held = /Held-out accuracy: A ([\d.]+)%, B ([\d.]+)%\.$/.exec(status);
  assert.ok(held, status);
  assert.equal(await w.page.locator('#chart-params').getAttribute('data-accuracy'), 'held-out');
  assert.equal(await w.page.locator('#chart-params .chart-title').textContent(), 'Held-out accuracy against parameters');
  const values = ((await w.page.locator('#chart-params').getAttribute('data-values')) ?? '').split(',').map(Number);
  assert.deepEqual(values.map((v) => (v * 100).toFixed(2)), [held[1], held[2]]);
  assert.equal(await w.page.locator('#chart-params circle.series').count(), 2);
  await noProblems(w);
  await w.page.context().close();
});

/** Per drawn item of a pane: its row (depth) and its box on screen. */
async function rowBoxes(w: WebviewPage, index: number): Promise<{ id: string; row: number; top: number; bottom: number; left: number; right: number }[]> {
  return w.page.evaluate((i) => {
    const root = document.querySelector(`.side[data-side="${i}"] .graph-host`)!.shadowRoot!;
    return [...root.querySelectorAll<SVGGElement>('.nodes .node')].map((el) => {
      const r = el.getBoundingClientRect();
      return { id: el.dataset.id ?? '', row: Number(el.dataset.row ?? -1), top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    });
  }, index);
}

/** Asserts both panes put every row at one screen height (centres within 1 px) and returns how many rows they share. */
async function assertAlignedByDepth(w: WebviewPage): Promise<number> {
  const panes = await Promise.all([0, 1].map((i) => rowBoxes(w, i)));
  const centres = panes.map((boxes, i) => {
    const byRow = new Map<number, number[]>();
    for (const b of boxes) {
      assert.ok(b.row >= 0, `pane ${i}: ${b.id} has no row`);
      byRow.set(b.row, [...(byRow.get(b.row) ?? []), (b.top + b.bottom) / 2]);
    }
    const rows = new Map<number, number>();
    for (const [row, ys] of byRow) {
      assert.ok(Math.max(...ys) - Math.min(...ys) < 1, `pane ${i}, row ${row}: centres ${ys.join(', ')}`);
      rows.set(row, ys[0]);
    }
    // Deeper rows lie lower, and no two items overlap (edges have room between rows).
    const ordered = [...rows].sort((a, b) => a[0] - b[0]);
    for (let k = 1; k < ordered.length; k++) assert.ok(ordered[k][1] > ordered[k - 1][1], `pane ${i}: row ${ordered[k][0]} not below row ${ordered[k - 1][0]}`);
    for (let a = 0; a < boxes.length; a++)
      for (let b = a + 1; b < boxes.length; b++) {
        const p = boxes[a], q = boxes[b];
        const overlap = Math.min(p.right, q.right) - Math.max(p.left, q.left) > 0.5 && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 0.5;
        assert.ok(!overlap, `pane ${i}: ${p.id} overlaps ${q.id}`);
      }
    return rows;
  });
  let shared = 0;
  for (const [row, y] of centres[0]) {
    const other = centres[1].get(row);
    if (other === undefined) continue;
    shared++;
    assert.ok(Math.abs(y - other) <= 1, `row ${row}: A at ${y}, B at ${other}`);
  }
  return shared;
}

test('aligned by depth: resnet20 vs plain20, items of equal depth at the same height in both panes', async () => {
  const w = await openCompare();
  const message = buildCompareMessage([spec('resnet20'), spec('plain20')], [read('resnet20'), read('plain20')], 1, OPTIONS);
  await send(w, message);
  await waitRenders(w, 0, 1);
  await waitRenders(w, 1, 1);
  const shared = await assertAlignedByDepth(w);
  // plain20 is resnet20 without the adds: 9 rows fewer, every one of its rows has a partner.
  const rowsOf = async (i: number): Promise<number> => new Set((await rowBoxes(w, i)).map((b) => b.row)).size;
  const [rowsA, rowsB] = [await rowsOf(0), await rowsOf(1)];
  assert.equal(shared, Math.min(rowsA, rowsB));
  assert.ok(shared >= 40, `only ${shared} shared rows`);
  // Both inputs on row 0, and the heads' depth differs by the adds ResNet has on its spine.
  const rows = await Promise.all([0, 1].map((i) => rowBoxes(w, i)));
  assert.equal(rows[0].find((b) => b.id === 'input')?.row ?? rows[0][0].row, 0);
  assert.equal(Math.max(...rows[0].map((b) => b.row)) - Math.max(...rows[1].map((b) => b.row)), 9);
  // Collapsing a block on one side changes the rows: the other side is drawn again on the new grid.
  await side(w, 0).locator('.group[data-group="layer2"] > .toggle').dispatchEvent('click');
  await waitRenders(w, 0, 2);
  await waitRenders(w, 1, 2);
  assert.ok((await assertAlignedByDepth(w)) >= 20);
  assert.ok(Math.max(...(await rowBoxes(w, 0)).map((b) => b.row)) < Math.max(...rows[1].map((b) => b.row)), 'the collapsed block became one row');
  await noProblems(w);
  await w.page.close();
});

test('aligned by depth: resnet20 vs densenet40, rows line up across an add net and a concat net', async () => {
  const w = await openCompare();
  await showPair(w);
  const shared = await assertAlignedByDepth(w);
  assert.ok(shared >= 20, `only ${shared} shared rows`);
  await noProblems(w);
  await w.page.close();
});
