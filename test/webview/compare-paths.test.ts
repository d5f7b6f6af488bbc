/**
 * Gradient by path length in Compare's Train both (webview/compare/path-charts.ts): the real bundles (compare.js,
 * train.js) under the real CSP in headless Chromium. Two residual models of 2 and 3 blocks train side by side; after
 * the first step each side's worker measures the gradient by path length (Veit et al. 2016 §4.2), and both charts
 * are drawn on one y scale.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCompareMessage, type SideSpec } from '../../src/compare/model';
import { planTrainBoth } from '../../src/compare/training';
import type { CompareTrainingRun, HostToCompare } from '../../src/protocol/compare-messages';
import { useBrowser, openWebview, ORIGIN } from './harness';

const browser = useBrowser();

function resnet(name: string, blocks: number): string {
  return `block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model ${name}(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
${'  res()\n'.repeat(blocks)}  gap -> dense(10)
  train { dataset: mnist; optimizer: adam; lr: 0.01; batch: 8; epochs: 1; seed: 1 }
}
`;
}

test('Train both: each side gets its gradient-by-path-length chart after step 1, bars for k = 0…n, both on one y scale', async () => {
  const w = await openWebview(browser(), undefined, { width: 1400, height: 900 }, 'compare.js');
  const page = w.page;
  const texts: [string, string] = [resnet('two', 2), resnet('three', 3)];
  const specs: [SideSpec, SideSpec] = [
    { uri: 'file:///work/two.skipnet', file: 'two.skipnet', model: 'two', withoutSkips: false },
    { uri: 'file:///work/three.skipnet', file: 'three.skipnet', model: 'three', withoutSkips: false },
  ];
  assert.equal(await page.isVisible('#compare-path-gradients'), false, 'hidden until Train both');
  await page.evaluate((m) => window.postMessage(m, '*'), buildCompareMessage(specs, texts, 1, { collapseThreshold: 150, direction: 'down' }));
  await page.waitForFunction(() => !document.getElementById('train-both')?.hasAttribute('disabled'), undefined, { timeout: 120_000 });
  await page.locator('#train-both').click();
  await page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'), undefined, { timeout: 120_000 });
  const plan = planTrainBoth(specs, texts);
  assert.ok(plan.ok);
  const dataset = { kind: 'builtin' as const, name: 'mnist' as const, url: `${ORIGIN}/media/data/mnist.bin` };
  const runs = specs.map((s, i) => ({ run: { model: s.model, text: texts[i], backend: 'cpu' as const, statsInterval: 5, dataset }, withoutSkips: false })) as [CompareTrainingRun, CompareTrainingRun];
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'startTrainBoth', revision: 1, runs, config: plan.shared } satisfies HostToCompare);
  await page.waitForSelector('#chart-path-gradients-a[data-step="1"]', { timeout: 120_000 });
  await page.waitForSelector('#chart-path-gradients-b[data-step="1"]', { timeout: 120_000 });
  await page.locator('#train-both-stop').click();
  const read = (id: string) =>
    page.$eval(`#${id}`, (chart) => ({
      title: chart.querySelector('.chart-title')?.textContent ?? '',
      bars: chart.querySelectorAll('svg [aria-label="bar"] rect').length,
      totals: (chart.getAttribute('data-totals') ?? '').split(',').map(Number),
      yTicks: [...chart.querySelectorAll('svg [aria-label="y-axis tick label"] text')].map((t) => t.textContent ?? ''),
      tallest: Math.max(...[...chart.querySelectorAll('svg [aria-label="bar"] rect')].map((r) => Number(r.getAttribute('height')))),
    }));
  const a = await read('chart-path-gradients-a');
  const b = await read('chart-path-gradients-b');
  // After step 1 on the same first training images; 2 blocks: lengths 0, 1, 2 (4 paths); 3 blocks: 0…3 (8 paths).
  assert.equal(a.title, 'A · Gradient by path length, step 1 (2 residual blocks, 4 paths)');
  assert.equal(b.title, 'B · Gradient by path length, step 1 (3 residual blocks, 8 paths)');
  assert.equal(a.bars, 3);
  assert.equal(b.bars, 4);
  assert.ok(a.totals.every((t) => t > 0) && b.totals.every((t) => t > 0), `${a.totals} / ${b.totals}`);
  // One scale: the same y ticks on both, the top at the larger side's largest total.
  assert.ok(a.yTicks.length >= 2, a.yTicks.join('|'));
  assert.deepEqual(a.yTicks, b.yTicks);
  const yMax = Number(await page.getAttribute('#compare-path-gradients', 'data-y-max'));
  const largest = Math.max(...a.totals, ...b.totals);
  assert.ok(Math.abs(yMax - largest) <= largest * 1e-3, `shared top ${yMax}, largest total ${largest} (totals are printed to 4 digits)`);
  // Bar heights are in proportion to the totals on the shared scale: the ratio of the two sides' tallest bars.
  const ratio = Math.max(...a.totals) / Math.max(...b.totals);
  assert.ok(Math.abs(a.tallest / b.tallest - ratio) < 0.02 * Math.max(1, ratio), `tallest bars ${a.tallest} / ${b.tallest} vs totals ratio ${ratio}`);
  await page.waitForFunction(() => document.getElementById('training-status')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});
