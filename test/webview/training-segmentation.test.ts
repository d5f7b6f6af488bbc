/**
 * Train here on examples/unet_mnist.skipnet (dataset: mnist_segmentation) in the graph webview: the real bundles
 * in headless Chromium on the wasm backend. The run trains the U-Net per pixel, says so ("pixel acc", the "pixel
 * accuracy" chart), and colours the U-Net's nodes with layer statistics.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingRun } from '../../src/protocol';
import { DOC_URI, useBrowser, openWebview, ORIGIN } from './harness';

const browser = useBrowser();

test('Train here trains unet_mnist per pixel: steps advance, pixel accuracy is shown, statistics reach the nodes', async () => {
  // A batch of 2 keeps a step short; everything else is the example as written.
  const text = readFileSync('examples/unet_mnist.skipnet', 'utf8').replace('batch: 16', 'batch: 2');
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  const w = await openWebview(browser());
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['unet_mnist'] }));
  const run: TrainingRun = { model: 'unet_mnist', text, backend: 'wasm', statsInterval: 1, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` } };
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run });
  await w.page.waitForFunction(() => Number(document.getElementById('training')?.dataset.shownStep ?? 0) >= 2, undefined, { timeout: 300_000 });
  assert.match((await w.page.locator('#train-accuracy').textContent()) ?? '', /^pixel acc \d+(\.\d)?%$/);
  assert.match((await w.page.locator('#train-loss').textContent()) ?? '', /^loss \d+(\.\d+)?$/);
  assert.equal(await w.page.locator('#chart-accuracy').getAttribute('aria-label'), 'pixel accuracy');
  // Statistics every step: badges on the encoder's first and the decoder's last convolution.
  const badge = (id: string) => `[data-id="${id}"] .stats-badge`;
  const ids = await w.page.evaluate(() => Array.from(document.querySelectorAll('#graph .node')).map((n) => n.getAttribute('data-id') ?? ''));
  const first = ids.find((id) => id.startsWith('enc1/') && id.includes('conv'));
  const last = ids.find((id) => id === 'classes');
  assert.ok(first && last, `node ids: ${ids.join(', ')}`);
  await w.page.waitForFunction((selectors) => selectors.every((s) => (document.querySelector(s)?.textContent ?? '') !== ''), [badge(first), badge(last)], { timeout: 300_000 });
  assert.match((await w.page.locator(badge(last)).textContent()) ?? '', /^-?\d/);
  await w.page.locator('#train-stop').click();
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.state === 'stopped', undefined, { timeout: 300_000 });
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});
