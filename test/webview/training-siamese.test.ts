/**
 * Train here on examples/siamese_mnist.skipnet (dataset: mnist_pairs) in the graph webview: the real bundles in
 * headless Chromium on the wasm backend. The run feeds each pair's two digits to the two inputs, trains the tied
 * tower, and colours both of its applications with layer statistics.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingRun } from '../../src/protocol';
import { DOC_URI, useBrowser, openWebview, ORIGIN } from './harness';

const browser = useBrowser();

test('Train here trains siamese_mnist on pairs: steps advance, the pair accuracy is shown, statistics reach both towers', async () => {
  // A batch of 4 keeps a step short; everything else is the example as written.
  const text = readFileSync('examples/siamese_mnist.skipnet', 'utf8').replace('batch: 32', 'batch: 4');
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  const w = await openWebview(browser());
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['siamese_mnist'] }));
  const run: TrainingRun = { model: 'siamese_mnist', text, backend: 'wasm', statsInterval: 1, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` } };
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run });
  // A run that fails (the pairs refused, a wrong batch shape) ends the wait at once, with its message.
  await w.page.waitForFunction(() => { const t = document.getElementById('training'); return Number(t?.dataset.shownStep ?? 0) >= 2 || t?.dataset.state === 'failed'; }, undefined, { timeout: 300_000 });
  assert.notEqual(await w.page.locator('#training').getAttribute('data-state'), 'failed', (await w.page.locator('#training').textContent()) ?? '');
  assert.match((await w.page.locator('#train-accuracy').textContent()) ?? '', /^acc \d+(\.\d)?%$/);
  assert.match((await w.page.locator('#train-loss').textContent()) ?? '', /^loss \d+(\.\d+)?$/);
  // Statistics every step: badges on the first convolution of each application of the tied tower.
  const badge = (id: string) => `[data-id="${id}"] .stats-badge`;
  const ids = await w.page.evaluate(() => Array.from(document.querySelectorAll('#graph .node')).map((n) => n.getAttribute('data-id') ?? ''));
  assert.ok(ids.includes('fa/conv1') && ids.includes('fb/conv1'), `node ids: ${ids.join(', ')}`);
  await w.page.waitForFunction((selectors) => selectors.every((s) => (document.querySelector(s)?.textContent ?? '') !== ''), [badge('fa/conv1'), badge('fb/conv1')], { timeout: 300_000 });
  for (const id of ['fa/conv1', 'fb/conv1']) assert.match((await w.page.locator(badge(id)).textContent()) ?? '', /^-?\d/);
  await w.page.locator('#train-stop').click();
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.state === 'stopped', undefined, { timeout: 300_000 });
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});
