/**
 * The lesion study panel (webview/training/lesion-panel.ts) in headless Chromium under the real CSP, on a test
 * page (lesion-page.ts) fed results shaped like the worker's: the cost before starting, Measure and Cancel, and
 * the Observable Plot chart of accuracy against units removed for a model and its no-skip ablation, each named by
 * its kind (residual branches, dense layers, skip concatenations; units when mixed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { loadBuiltinDataset } from '../../src/train/nodeData';
import { spreadIndices } from '../../src/train/schedule';
import { buildGraphPayload, type TrainingRun } from '../../src/protocol';
import { lesionUnits, type LesionResult } from '../../src/train/experiments/lesionPlan';
import { readExample } from '../support/examples';
import { DOC_URI, useBrowser, openWebview, TEST_PAGE_PREFIX } from './harness';
import { TINY, TINY_DATASET, trainBothTiny } from './tiny-compare';

const browser = useBrowser();

function result(model: string, baseline: number, removed: [number, number][]): LesionResult {
  return {
    model,
    baseline,
    chance: 0.1,
    chanceBasis: 'classes',
    samples: 500,
    draws: 5,
    seed: 1,
    singles: removed.map((_, i) => ({ node: `basic${i + 1}/add1`, label: `basic${i + 1}`, kind: 'residual', accuracy: removed[0][0] })),
    removed: removed.map(([mean, sd], i) => ({ k: i + 1, accuracies: [mean], mean, sd, removed: [[`basic${i + 1}`]] })),
    evaluations: 1 + 3 + 2 * 5 + 1,
    complete: true,
  };
}

test('the lesion chart: both series, one dot per k from 0 to n, spreads as rules, axis labels, theme colours, cost, Measure and Cancel', async () => {
  const w = await openWebview(browser(), undefined, { width: 900, height: 700 }, `${TEST_PAGE_PREFIX}lesion-page.js`);
  const page = w.page;
  await page.waitForFunction(() => window.__lesionPage !== undefined);
  const resnet20 = lesionUnits(analyze(readExample('resnet20.skipnet')).models[0]).map((u) => u.kind);
  await page.evaluate((kinds) => window.__lesionPage.plan([kinds], 10_000), resnet20);
  assert.equal(await page.textContent('.lesion-cost'), '9 residual branches: 51 evaluations × 500 images = 25,500 forward passes');
  assert.equal(await page.getAttribute('.lesion-measure', 'disabled'), '', 'Measure waits for a paused run');
  await page.click('.lesion-measure', { force: true });
  await page.evaluate(() => window.__lesionPage.setState('ready', ''));
  await page.click('.lesion-measure');
  assert.deepEqual(await page.evaluate(() => window.__lesionPage.measured), [{ samples: 500, draws: 5, seed: 1 }]);
  await page.evaluate(() => {
    window.__lesionPage.setState('running');
    window.__lesionPage.progress(7, 51);
  });
  assert.equal(await page.textContent('.lesion-status'), 'Measuring: 7 of 51 evaluations');
  assert.equal(await page.isVisible('.lesion-progress'), true);
  await page.click('.lesion-cancel');
  assert.equal(await page.evaluate(() => window.__lesionPage.cancels), 1);

  const model = result('resnet', 0.9, [
    [0.7, 0.1],
    [0.5, 0.05],
    [0.3, 0],
  ]);
  const plain = result('resnet without skips', 0.85, [
    [0.1, 0],
    [0.1, 0],
    [0.1, 0],
  ]);
  const ablation: LesionResult = { ...plain, singles: plain.singles.map((s) => ({ ...s, kind: 'plain' })) };
  await page.evaluate(([a, b]) => window.__lesionPage.show([{ name: 'resnet', result: a }, { name: 'resnet without skips', result: b }]), [model, ablation] as const);
  await page.waitForSelector('svg.lesion-plot');
  const dots = (i: number) =>
    page.$$eval(`.lesion-series-${i}.lesion-dots circle`, (cs) => cs.map((c) => ({ x: Number(c.getAttribute('cx')), y: Number(c.getAttribute('cy')), fill: getComputedStyle(c).fill })));
  const model$ = await dots(0);
  const ablation$ = await dots(1);
  assert.equal(model$.length, 4, 'nothing removed, then k = 1, 2, 3');
  assert.equal(ablation$.length, 4);
  // x: equal steps per residual branch removed; y: linear in accuracy (0.9 → 0.7 → 0.5 → 0.3 are equal drops).
  const step = model$[1].x - model$[0].x;
  assert.ok(step > 20, `x step ${step}`);
  for (let i = 1; i < 4; i++) assert.ok(Math.abs(model$[i].x - model$[i - 1].x - step) < 0.5, 'x steps are equal');
  const drop = model$[1].y - model$[0].y;
  assert.ok(drop > 10, 'accuracy falls as blocks are removed (y grows downwards)');
  for (let i = 1; i < 4; i++) assert.ok(Math.abs(model$[i].y - model$[i - 1].y - drop) < 0.5, `equal accuracy drops give equal heights (${model$.map((d) => d.y)})`);
  // The ablation sits at 0.1 once a block is removed: the dots of k = 1…3 share one height, 3 drops of 0.2 below 0.7.
  assert.deepEqual(new Set(ablation$.slice(1).map((d) => d.y.toFixed(1))).size, 1);
  assert.ok(Math.abs(ablation$[1].y - model$[1].y - 3 * drop) < 0.5, `ablation at 0.1 (${ablation$[1].y}) vs model at 0.7 (${model$[1].y})`);
  assert.equal(model$[0].fill, 'rgb(55, 148, 255)', 'series 0 in --vscode-charts-blue (fallback)');
  assert.equal(ablation$[0].fill, 'rgb(209, 134, 22)', 'series 1 in --vscode-charts-orange (fallback)');
  // The spread of k = 1 (0.7 ± 0.1) is a rule as tall as one accuracy drop of 0.2.
  const spreads = await page.$$eval('.lesion-series-0.lesion-spread line', (ls) => ls.map((l) => Math.abs(Number(l.getAttribute('y2')) - Number(l.getAttribute('y1')))));
  assert.equal(spreads.length, 4);
  assert.ok(Math.abs(spreads[1] - drop) < 0.5, `spread ${spreads[1]} vs drop ${drop}`);
  assert.equal(spreads[0], 0);
  const texts = await page.$$eval('svg.lesion-plot text', (ts) => ts.map((t) => t.textContent ?? ''));
  // Both series remove residual branches (the ablation's are plain blocks): mixed kinds are units.
  assert.ok(texts.some((t) => t.replace(/ →$/, '') === 'units removed'), texts.join('|'));
  assert.ok(texts.some((t) => t.includes('held-out accuracy')), texts.join('|'));
  assert.ok(texts.includes('100%') && texts.includes('0%'), `percent ticks: ${texts.join('|')}`);
  assert.equal(await page.$$eval('.lesion-chance line', (ls) => ls.length), 1, 'the chance line');
  assert.deepEqual(await page.$$eval('.lesion-chance-label text', (ts) => ts.map((t) => t.textContent)), ['chance 10.0%']);
  assert.deepEqual(await page.$$eval('.lesion-legend span', (ss) => ss.map((s) => s.textContent)), ['resnet', 'resnet without skips']);
  assert.match((await page.textContent('.lesion-singles')) ?? '', /resnet, one residual branch removed: basic1 70\.0% · basic2 70\.0% · basic3 70\.0%resnet without skips, one plain block removed: basic1 10\.0% · basic2 10\.0% · basic3 10\.0%/);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations (Plot’s own <style> must not reach the page)');
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});


test('a segmentation study: the dashed line is the majority class’s share, and skip concatenations are named as such', async () => {
  const w = await openWebview(browser(), undefined, { width: 900, height: 700 }, `${TEST_PAGE_PREFIX}lesion-page.js`);
  const page = w.page;
  await page.waitForFunction(() => window.__lesionPage !== undefined);
  const unet: LesionResult = {
    ...result('unet_mnist', 0.95, [[0.92, 0.01]]),
    chance: 0.9,
    chanceBasis: 'majority',
    singles: [{ node: 'concat1', label: 'concat1', kind: 'skip-concat', accuracy: 0.92 }],
  };
  const kinds = lesionUnits(analyze(readExample('unet_mnist.skipnet')).models[0]).map((u) => u.kind);
  await page.evaluate((k) => window.__lesionPage.plan([k], 10_000), kinds);
  assert.equal(await page.textContent('.lesion-cost'), '3 skip concatenations: 15 evaluations × 500 images = 7,500 forward passes');
  await page.evaluate((r) => window.__lesionPage.show([{ name: 'unet_mnist', result: r }]), unet);
  await page.waitForSelector('svg.lesion-plot');
  const axis = await page.$$eval('svg.lesion-plot text', (ts) => ts.map((t) => t.textContent ?? ''));
  assert.ok(axis.some((t) => t.replace(/ →$/, '') === 'skip concatenations removed'), axis.join('|'));
  assert.deepEqual(await page.$$eval('.lesion-chance-label text', (ts) => ts.map((t) => t.textContent)), ['majority class 90.0%']);
  // The dashed line sits at 90%: with the dots at 95% (nothing removed) and 92% (one removed), y being linear in
  // accuracy, it lies 5/3 of their distance below the first.
  const [line] = await page.$$eval('.lesion-chance line', (ls) => ls.map((l) => Number(l.getAttribute('y1'))));
  const dots = await page.$$eval('.lesion-series-0.lesion-dots circle', (cs) => cs.map((c) => Number(c.getAttribute('cy'))));
  assert.equal(dots.length, 2);
  assert.ok(Math.abs((line - dots[0]) / (dots[1] - dots[0]) - 5 / 3) < 0.02, `line ${line}, dots ${dots}`);
  assert.match((await page.textContent('.lesion-singles')) ?? '', /^unet_mnist, one skip concatenation removed: concat1 92\.0%$/);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});

test('a DenseNet’s units are dense layers and mixed kinds are units with the breakdown: cost line, axis and single removals say so', async () => {
  const w = await openWebview(browser(), undefined, { width: 900, height: 700 }, `${TEST_PAGE_PREFIX}lesion-page.js`);
  const page = w.page;
  await page.waitForFunction(() => window.__lesionPage !== undefined);
  const densenet = lesionUnits(analyze(readExample('mnist_densenet.skipnet')).models[0]).map((u) => u.kind);
  assert.ok(densenet.length > 1 && densenet.every((k) => k === 'dense'), densenet.join());
  // A DenseNet beside a model of two residual branches and a skip concatenation, as Compare plans them.
  await page.evaluate((k) => window.__lesionPage.plan([k, ['residual', 'skip-concat', 'residual']], 10_000), densenet);
  const n = densenet.length;
  const evaluations = 1 + n + (n - 1) * 5 + 1 + (1 + 3 + 2 * 5 + 1);
  assert.equal(
    await page.textContent('.lesion-cost'),
    `A: ${n} dense layers, B: 3 units (2 residual branches, 1 skip concatenation): ${evaluations} evaluations × 500 images = ${(evaluations * 500).toLocaleString('en-US')} forward passes`,
  );
  const dense: LesionResult = {
    ...result('mnist_densenet', 0.9, [
      [0.8, 0.02],
      [0.6, 0.03],
    ]),
    singles: [
      { node: 'dl1/concat1', label: 'dl1', kind: 'dense', accuracy: 0.85 },
      { node: 'dl2/concat1', label: 'dl2', kind: 'dense', accuracy: 0.75 },
    ],
  };
  await page.evaluate((r) => window.__lesionPage.show([{ name: 'mnist_densenet', result: r }]), dense);
  await page.waitForSelector('svg.lesion-plot');
  const texts = await page.$$eval('svg.lesion-plot text', (ts) => ts.map((t) => t.textContent ?? ''));
  assert.ok(texts.some((t) => t.replace(/ →$/, '') === 'dense layers removed'), texts.join('|'));
  assert.equal(await page.textContent('.lesion-singles'), 'mnist_densenet, one dense layer removed: dl1 85.0% · dl2 75.0%');
  const mixed: LesionResult = {
    ...dense,
    model: 'mixed',
    singles: [
      { node: 'res1/add1', label: 'res1', kind: 'residual', accuracy: 0.5 },
      { node: 'concat1', label: 'concat1', kind: 'skip-concat', accuracy: 0.4 },
    ],
  };
  await page.evaluate((r) => window.__lesionPage.show([{ name: 'mixed', result: r }]), mixed);
  await page.waitForFunction(() => document.querySelector('.lesion-singles')?.textContent?.startsWith('mixed'));
  const mixedTexts = await page.$$eval('svg.lesion-plot text', (ts) => ts.map((t) => t.textContent ?? ''));
  assert.ok(mixedTexts.some((t) => t.replace(/ →$/, '') === 'units removed'), mixedTexts.join('|'));
  assert.equal(await page.textContent('.lesion-singles'), 'mixed, one unit removed: res1 (residual branch) 50.0% · concat1 (skip concatenation) 40.0%');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});

test('graph view: pause a run, measure its lesion study in the worker, see the chart; no tensor is left behind and Resume trains on', async () => {
  const w = await openWebview(browser());
  const page = w.page;
  const analysis = analyze(TINY);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  const run: TrainingRun = { model: 'tiny', text: TINY, backend: 'cpu', statsInterval: 5, dataset: TINY_DATASET };
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run });
  await page.waitForFunction(() => Number(document.getElementById('training')?.dataset.step ?? 0) >= 5, undefined, { timeout: 120_000 });
  assert.equal(await page.getAttribute('#lesion-panel .lesion-measure', 'disabled'), '', 'Measure waits for the engine to hold the run');
  // 2 blocks, 5 draws: 1 + 2 + 1·5 + 1 passes over 500 held-out images.
  assert.equal(await page.textContent('#lesion-panel .lesion-cost'), '2 residual branches: 9 evaluations × 500 images = 4,500 forward passes');
  await page.locator('#train-pause').click();
  await page.waitForFunction(
    () => {
      const data = document.getElementById('training')?.dataset;
      return data?.pausedStep !== undefined && data.tensorStep === data.pausedStep;
    },
    undefined,
    { timeout: 120_000 },
  );
  const paused = await page.evaluate(() => ({ step: Number(document.getElementById('training')!.dataset.pausedStep), tensors: Number(document.getElementById('training')!.dataset.tensors) }));
  await page.waitForFunction(() => document.getElementById('lesion-panel')?.dataset.state === 'ready', undefined, { timeout: 120_000 });
  await page.locator('#lesion-panel .lesion-measure').click();
  // A study of 9 passes over 500 images on a shared machine: a generous wait.
  await page.waitForFunction(() => document.querySelector('#lesion-panel svg.lesion-plot') !== null && document.getElementById('lesion-panel')?.dataset.state === 'ready', undefined, { timeout: 600_000 });
  const panel = await page.evaluate(() => ({ ...document.getElementById('lesion-panel')!.dataset }));
  assert.equal(panel.done, '9');
  assert.equal(panel.total, '9');
  assert.equal(panel.series, '1');
  assert.equal(await page.$$eval('#lesion-panel .lesion-series-0.lesion-dots circle', (cs) => cs.length), 3, 'nothing removed, one, both');
  assert.equal(Number(await page.evaluate(() => document.getElementById('training')!.dataset.lesionTensors)), paused.tensors, 'the study leaves the tensor count where the paused run had it');
  assert.match((await page.textContent('#lesion-panel .lesion-singles')) ?? '', /^tiny, one residual branch removed: res1 \d+\.\d% · res2 \d+\.\d%$/);
  assert.equal(await page.evaluate(() => Number(document.getElementById('training')!.dataset.step)), paused.step, 'no step ran while measuring');
  await page.locator('#train-resume').click();
  await page.waitForFunction((s) => Number(document.getElementById('training')?.dataset.step ?? 0) > s, paused.step, { timeout: 120_000 });
  assert.equal(await page.getAttribute('#lesion-panel .lesion-measure', 'disabled'), '', 'a running run cannot be measured');
  await page.locator('#train-stop').click();
  await page.waitForFunction(() => document.getElementById('training')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});

test('Compare: Train both a model and its no-skip ablation, Pause, measure both: two curves, the ablation at one class’s share', async () => {
  const w = await trainBothTiny(browser());
  const page = w.page;
  // 2 units a side (A's residual branches, B's plain blocks), 5 draws: 9 evaluations each.
  await page.waitForFunction(() => document.querySelector('#lesion-panel .lesion-cost')?.textContent?.startsWith('A: '), undefined, { timeout: 120_000 });
  assert.equal(await page.textContent('#lesion-panel .lesion-cost'), 'A: 2 residual branches, B: 2 plain blocks: 18 evaluations × 500 images = 9,000 forward passes');
  await page.waitForFunction(() => !document.getElementById('train-both-pause')?.hasAttribute('disabled'), undefined, { timeout: 120_000 });
  // Fewer images and draws than the defaults: the choice reaches the cost line and the study.
  await page.evaluate(() => {
    for (const [id, value] of [['lesion-samples', '200'], ['lesion-draws', '3']]) {
      const el = document.getElementById(id) as HTMLElement & { value: string };
      el.value = value;
      el.dispatchEvent(new Event('change'));
    }
  });
  assert.equal(await page.textContent('#lesion-panel .lesion-cost'), 'A: 2 residual branches, B: 2 plain blocks: 14 evaluations × 200 images = 2,800 forward passes');
  await page.locator('#train-both-pause').click();
  await page.waitForFunction(() => document.getElementById('lesion-panel')?.dataset.state === 'ready', undefined, { timeout: 120_000 });
  await page.locator('#lesion-panel .lesion-measure').click();
  // Two studies at once on a shared machine: a generous wait.
  await page.waitForFunction(() => document.getElementById('lesion-panel')?.dataset.series === '2' && document.getElementById('lesion-panel')?.dataset.state === 'ready', undefined, { timeout: 600_000 });
  assert.equal(await page.getAttribute('#lesion-panel', 'data-done'), '14');
  assert.deepEqual(await page.$$eval('#lesion-panel .lesion-legend span', (ss) => ss.map((s) => s.textContent)), ['A: tiny', 'B: tiny without skips']);
  assert.equal(await page.$$eval('#lesion-panel .lesion-series-0.lesion-dots circle', (cs) => cs.length), 3);
  assert.equal(await page.$$eval('#lesion-panel .lesion-series-1.lesion-dots circle', (cs) => cs.length), 3);
  const singles = (await page.textContent('#lesion-panel .lesion-singles')) ?? '';
  // The ablation's blocks are plain (no skip around them): removing one leaves no path, and the line says so.
  const ablated = /B: tiny without skips, one plain block removed: res1 ([\d.]+)% · res2 ([\d.]+)%/.exec(singles);
  assert.ok(ablated, singles);
  const mnist = loadBuiltinDataset('mnist');
  const labels = Array.from(spreadIndices(mnist.test.count, 200), (i) => mnist.test.labels[i]);
  const shares = Array.from({ length: 10 }, (_, c) => ((labels.filter((l) => l === c).length / 200) * 100).toFixed(1));
  for (const value of ablated.slice(1)) assert.ok(shares.includes(value), `${value}% is one class's share of the 200 images (${shares})`);
  await page.locator('#train-both-resume').click();
  await page.waitForFunction(() => document.getElementById('lesion-panel')?.dataset.state === 'unavailable', undefined, { timeout: 120_000 });
  await page.locator('#train-both-stop').click();
  await page.waitForFunction(() => document.getElementById('training-status')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.getElementById('training')?.dataset.tensors), '0');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});
