/**
 * The gradient-by-path-length chart (webview/training/path-chart.ts) in headless Chromium under the real CSP:
 * one bar per path length with heights in the order of the totals, the axis labels and title, and the
 * sentence shown for a model without residual adds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PathLengthGradient } from '../../src/train/experiments/pathGradients';
import { useBrowser, openWebview, TEST_PAGE_PREFIX } from './harness';

const browser = useBrowser();

// Three residual blocks: C(3, k) = 1, 3, 3, 1 paths; mean norms shrinking with length.
const LENGTHS: PathLengthGradient[] = [
  { length: 0, paths: 1, sampled: 1, meanNorm: 0.8, total: 0.8 },
  { length: 1, paths: 3, sampled: 2, meanNorm: 0.5, total: 1.5 },
  { length: 2, paths: 3, sampled: 2, meanNorm: 0.2, total: 0.6 },
  { length: 3, paths: 1, sampled: 1, meanNorm: 0.05, total: 0.05 },
];

test('one bar per path length, heights in the order of the totals, axes labelled', async () => {
  const w = await openWebview(browser(), undefined, { width: 800, height: 600 }, `${TEST_PAGE_PREFIX}path-chart-page.js`);
  await w.page.evaluate((lengths) => window.__pathChart.update(50, 3, lengths), LENGTHS);
  const chart = w.page.locator('#chart-path-gradients');
  assert.equal(await chart.getAttribute('data-step'), '50');
  assert.equal(await chart.getAttribute('data-totals'), '0.8000,1.500,0.6000,0.05000');
  assert.equal(await chart.locator('.chart-title').textContent(), 'Gradient by path length, step 50 (3 residual blocks, 8 paths)');
  const bars = await chart.locator('svg [aria-label="bar"] rect').evaluateAll((rects) => rects.map((r) => ({ height: Number(r.getAttribute('height')), title: r.querySelector('title')?.textContent ?? '' })));
  assert.equal(bars.length, 4);
  // Heights are proportional to the totals (the y scale starts at 0).
  const scale = bars[1].height / 1.5;
  LENGTHS.forEach((l, i) => assert.ok(Math.abs(bars[i].height - l.total * scale) < 1, `bar ${i}: ${bars[i].height} px for ${l.total}`));
  assert.equal(bars[1].title, 'length 1: 3 paths × mean 0.500 = 1.50 (2 sampled)');
  const texts = await chart.locator('svg text').allTextContents();
  assert.ok(texts.some((t) => t.includes('path length (residual branches entered)')), texts.join(' | '));
  assert.ok(texts.some((t) => t.includes('total gradient magnitude')), texts.join(' | '));
  for (const k of ['0', '1', '2', '3']) assert.ok(texts.includes(k), `tick ${k} in ${texts.join(' | ')}`);
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(w.consoleErrors, []);
  await w.page.context().close();
});

test('a model without residual adds: a sentence instead of bars; clear() empties the chart', async () => {
  const w = await openWebview(browser(), undefined, { width: 800, height: 600 }, `${TEST_PAGE_PREFIX}path-chart-page.js`);
  await w.page.evaluate(() => window.__pathChart.update(1, 0, [{ length: 0, paths: 1, sampled: 1, meanNorm: 0.3, total: 0.3 }]));
  const chart = w.page.locator('#chart-path-gradients');
  assert.equal(await chart.locator('svg').count(), 0);
  assert.match((await chart.locator('.path-note').textContent()) ?? '', /^This model has no residual adds: all its gradient takes one path/);
  await w.page.evaluate(() => window.__pathChart.clear());
  assert.equal(await chart.locator('.path-note').count(), 0);
  assert.equal(await chart.locator('.chart-title').textContent(), 'Gradient by path length (after the first step)');
  assert.equal(await chart.getAttribute('data-step'), null);
  await w.page.context().close();
});
