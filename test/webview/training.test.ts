/**
 * Training in the graph webview: the real bundles (main.js, train.js with TensorFlow.js, the wasm
 * binaries) under the real CSP in headless Chromium, driven through the protocol as the host drives it.
 * Every test uses a tiny model on MNIST and the cpu or wasm backend so it finishes in seconds.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingBackendChoice, type TrainingRun, type WebviewToHost } from '../../src/protocol';
import { DOC_URI, launchBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A residual net small enough for a step in a few milliseconds on the cpu backend. */
function tinyModel(train = 'optimizer: adam; lr: 0.01; batch: 8; epochs: 1; seed: 1'): string {
  return `block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model tiny(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  res()
  gap -> dense(10)
  train { dataset: mnist; ${train} }
}
`;
}

function run(text: string, backend: TrainingBackendChoice = 'cpu', statsInterval = 5): TrainingRun {
  return { model: 'tiny', text, backend, statsInterval, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` } };
}

async function openWithModel(text: string): Promise<WebviewPage> {
  const w = await openWebview(browser);
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  return w;
}

async function start(w: WebviewPage, training: TrainingRun, version = 1): Promise<void> {
  await w.send({ type: 'startTraining', uri: DOC_URI, version, run: training });
}

const step = (w: WebviewPage): Promise<number> => w.page.evaluate(() => Number(document.getElementById('training')?.dataset.step ?? 0));
const state = (w: WebviewPage): Promise<string> => w.page.evaluate(() => document.getElementById('training')?.dataset.state ?? '');

async function waitForStep(w: WebviewPage, atLeast: number): Promise<void> {
  await w.page.waitForFunction((n) => Number(document.getElementById('training')?.dataset.step ?? 0) >= n, atLeast, { timeout: 60_000 });
}

async function waitForState(w: WebviewPage, wanted: string): Promise<void> {
  await w.page.waitForFunction((s) => document.getElementById('training')?.dataset.state === s, wanted, { timeout: 60_000 });
}

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

test('cpu: the step counter and the loss change on screen; stop stops at once and frees every tensor', async () => {
  const w = await openWithModel(tinyModel());
  await start(w, run(tinyModel(), 'cpu'));
  await waitForStep(w, 3);
  assert.equal(await w.page.locator('#train-backend-used').textContent(), 'backend: cpu');
  const firstStep = await w.page.locator('#train-step').textContent();
  const firstLoss = await w.page.locator('#train-loss').textContent();
  assert.match(firstStep ?? '', /^step \d+\/1000$/);
  assert.match(firstLoss ?? '', /^loss \d+\.\d{4}$/);
  await waitForStep(w, (await step(w)) + 5);
  assert.notEqual(await w.page.locator('#train-step').textContent(), firstStep);
  assert.notEqual(await w.page.locator('#train-loss').textContent(), firstLoss);
  assert.match((await w.page.locator('#train-epoch').textContent()) ?? '', /^epoch 1\/1$/);
  assert.match((await w.page.locator('#train-speed').textContent()) ?? '', /^[\d.]+ img\/s$/);
  assert.match((await w.page.locator('#train-eta').textContent()) ?? '', /^ETA /);

  await w.page.locator('#train-stop').click();
  const stoppedAt = await step(w);
  await waitForState(w, 'stopped');
  assert.equal(await step(w), stoppedAt, 'no progress after stop');
  assert.match((await w.page.locator('#train-message').textContent()) ?? '', /^Stopped after \d+ steps\.$/);
  // Every tensor the run made is freed: only what the backend itself keeps remains (none on cpu).
  assert.equal(await w.page.evaluate(() => document.getElementById('training')?.dataset.tensors), '0');
  const posted = await w.posted();
  const ended = posted.filter((m): m is Extract<WebviewToHost, { type: 'trainingEnded' }> => m.type === 'trainingEnded');
  assert.deepEqual(ended.map((m) => m.reason), ['stopped']);
  const progress = posted.filter((m): m is Extract<WebviewToHost, { type: 'trainingProgress' }> => m.type === 'trainingProgress');
  assert.ok(progress.length >= 1);
  assert.equal(progress[0].progress.backend, 'cpu');
  await noProblems(w);
  await w.page.context().close();
});
