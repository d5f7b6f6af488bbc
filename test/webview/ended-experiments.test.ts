/**
 * Experiments after a run ends, in the real bundles (main.js, compare.js, train.js) under the real CSP in headless
 * Chromium: a run that was stopped (or both runs of Train both) keeps its final weights in its training worker, as
 * arrays, so the lesion study and the loss landscape still measure them, while no tensor outlives the run; before
 * any run the panels say there are no weights yet.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingRun } from '../../src/protocol';
import { DOC_URI, useBrowser, openWebview } from './harness';
import { TINY, TINY_DATASET, trainBothTiny } from './tiny-compare';

const browser = useBrowser();


/** Fewer held-out images and draws than the defaults: 2 residual branches, 3 draws make 1 + 2 + 1·3 + 1 = 7 evaluations of 200 images. */
async function chooseSmallStudy(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const [id, value] of [['lesion-samples', '200'], ['lesion-draws', '3']]) {
      const el = document.getElementById(id) as HTMLElement & { value: string };
      el.value = value;
      el.dispatchEvent(new Event('change'));
    }
  });
}

/** A 1-D landscape (41 points) on 32 held-out images: estimate, then Start, then the drawn line's caption. */
async function lineLandscape(page: Page): Promise<{ points: string | null; captions: string[] }> {
  await page.locator('#landscape-kind').selectOption('line');
  await page.locator('#landscape-samples').selectOption('32');
  await page.locator('#landscape-estimate').click();
  await page.waitForFunction(() => document.getElementById('landscape')?.dataset.state === 'estimated', undefined, { timeout: 300_000 });
  await page.locator('#landscape-start').click();
  await page.waitForFunction(() => document.getElementById('landscape')?.dataset.state === 'done', undefined, { timeout: 300_000 });
  return page.evaluate(() => ({
    points: document.querySelector('#landscape-charts svg.landscape-line')?.getAttribute('data-points') ?? null,
    captions: [...document.querySelectorAll('#landscape-charts figure.landscape-figure figcaption')].map((c) => c.textContent ?? ''),
  }));
}

test('graph view: no weights before a run; a stopped run is still measured (lesion study and 1-D landscape) on its final weights, with no tensor left', async () => {
  const w = await openWebview(browser());
  const page = w.page;
  const analysis = analyze(TINY);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  assert.equal(await page.getAttribute('#lesion-panel .lesion-measure', 'disabled'), '');
  assert.equal(await page.textContent('#lesion-panel .lesion-status'), 'No weights to measure yet: pause the run, or let it finish or stop, then measure.');
  const run: TrainingRun = { model: 'tiny', text: TINY, backend: 'cpu', statsInterval: 5, dataset: TINY_DATASET };
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run });
  await page.waitForFunction(() => Number(document.getElementById('training')?.dataset.step ?? 0) >= 3, undefined, { timeout: 120_000 });
  await page.locator('#train-stop').click();
  await page.waitForFunction(() => document.getElementById('training')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  // The run's end freed every tensor: the final weights wait in the worker as plain arrays.
  await page.waitForFunction(() => document.getElementById('training')?.dataset.tensors === '0', undefined, { timeout: 120_000 });
  const shown = await page.evaluate(() => Number(document.getElementById('training')!.dataset.step));
  await page.waitForFunction(() => document.getElementById('lesion-panel')?.dataset.state === 'ready', undefined, { timeout: 120_000 });
  const status = /^Measures the weights the run ended with \(step (\d+)\)\.$/.exec((await page.textContent('#lesion-panel .lesion-status')) ?? '');
  assert.ok(status, 'the panel names the step the weights come from');
  // Stop freezes the bar at once; the step in flight still finishes (unseen), and its weights are the ones kept.
  const step = Number(status[1]);
  assert.ok(step === shown || step === shown + 1, `kept step ${step}, shown step ${shown}`);
  await chooseSmallStudy(page);
  await page.locator('#lesion-panel .lesion-measure').click();
  await page.waitForFunction(() => document.querySelector('#lesion-panel svg.lesion-plot') !== null && document.getElementById('lesion-panel')?.dataset.state === 'ready', undefined, { timeout: 600_000 });
  const panel = await page.evaluate(() => ({ ...document.getElementById('lesion-panel')!.dataset }));
  assert.equal(panel.done, '7');
  assert.equal(panel.total, '7');
  assert.equal(await page.$$eval('#lesion-panel .lesion-series-0.lesion-dots circle', (cs) => cs.length), 3, 'nothing removed, one, both');
  assert.match((await page.textContent('#lesion-panel .lesion-singles')) ?? '', /^tiny, one residual branch removed: res1 \d+\.\d% · res2 \d+\.\d%$/);
  assert.match((await page.textContent('#lesion-panel .lesion-status')) ?? '', new RegExp(`^Measured at step ${step} on 200 held-out images\\.`));
  assert.equal(await page.evaluate(() => document.getElementById('training')!.dataset.lesionTensors), '0', 'the study built a model from the kept weights and freed it');

  assert.equal(await page.evaluate(() => document.getElementById('landscape')?.dataset.state), 'ready');
  assert.match((await page.textContent('#landscape-status')) ?? '', /^Around the weights the run ended with/);
  const line = await lineLandscape(page);
  assert.equal(line.points, '41');
  assert.match(line.captions[0] ?? '', /^tiny · 1-D · loss \d+\.\d{3}, accuracy \d+\.\d% at α = 0$/);
  assert.equal(await page.textContent('#landscape-status'), 'Done, around the weights the run ended with.');
  assert.equal(await page.evaluate(() => document.getElementById('training')?.dataset.state), 'stopped', 'measuring did not restart the run');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});

test('Compare: Train both, Stop, then both sides are measured on their final weights (two lesion curves, two landscapes)', async () => {
  const w = await trainBothTiny(browser());
  const page = w.page;
  // Both sides have stepped (B starts after A's first step): then Stop ends both.
  await page.waitForFunction(() => /A: step [1-9]\d*\/.*B: step [1-9]/.test(document.getElementById('training-status')?.textContent ?? ''), undefined, { timeout: 120_000 });
  await page.locator('#train-both-stop').click();
  await page.waitForFunction(() => document.getElementById('training-status')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.getElementById('training')?.dataset.tensors), '0');
  await page.waitForFunction(() => document.getElementById('lesion-panel')?.dataset.state === 'ready', undefined, { timeout: 120_000 });
  assert.equal(await page.textContent('#lesion-panel .lesion-status'), 'Measures the weights both runs ended with.');
  assert.equal(await page.getAttribute('#train-both-resume', 'disabled'), '', 'nothing to resume');
  await chooseSmallStudy(page);
  await page.locator('#lesion-panel .lesion-measure').click();
  await page.waitForFunction(() => document.getElementById('lesion-panel')?.dataset.series === '2' && document.getElementById('lesion-panel')?.dataset.state === 'ready', undefined, { timeout: 600_000 });
  assert.equal(await page.getAttribute('#lesion-panel', 'data-done'), '14');
  assert.deepEqual(await page.$$eval('#lesion-panel .lesion-legend span', (ss) => ss.map((s) => s.textContent)), ['A: tiny', 'B: tiny without skips']);
  assert.equal(await page.textContent('#lesion-panel .lesion-status'), 'Measured both sides on the weights their runs ended with.');
  const line = await lineLandscape(page);
  assert.equal(line.captions.length, 2, 'A and B side by side');
  assert.match(line.captions[0], /^A: tiny · 1-D · loss/);
  assert.match(line.captions[1], /^B: tiny without skips · 1-D · loss/);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});
