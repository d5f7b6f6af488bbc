/**
 * The lesion study and the loss landscape of a run the extension host trains (the PyTorch engine), as the graph
 * webview shows them: the real main.js under the real CSP in headless Chromium. Measure, Estimate, Start and
 * Cancel go to the host as typed `trainingControl` experiment messages; the runner's lesion-* and landscape-*
 * lines come back as the host forwards them and the same panels draw them as they draw the browser engine's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingRun, type WebviewToHost } from '../../src/protocol';
import { DOC_URI, useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

const browser = useBrowser();

const MODEL = `block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model tiny(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  res()
  res()
  gap -> dense(10)
  train { dataset: mnist; batch: 8; epochs: 1 }
}
`;

const RUN: TrainingRun = { model: 'tiny', text: MODEL, backend: 'auto', statsInterval: 1, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` }, engine: 'pytorch', runId: 3 };

async function open(): Promise<WebviewPage> {
  const w = await openWebview(browser());
  const analysis = analyze(MODEL);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  return w;
}

function event(w: WebviewPage, line: unknown): Promise<void> {
  return w.send({ type: 'trainingEvent', uri: DOC_URI, version: 1, run: 3, line: JSON.stringify(line) });
}

async function waitFor(w: WebviewPage, predicate: () => boolean): Promise<void> {
  await w.page.waitForFunction(predicate, undefined, { timeout: 30_000 });
}


/** The experiment controls posted so far, as the host receives them. */
async function experiments(w: WebviewPage): Promise<unknown[]> {
  return (await w.posted()).flatMap((m: WebviewToHost) => (m.type === 'trainingControl' && m.action === 'experiment' ? [{ run: m.run, ...m.experiment }] : []));
}

/** A run the host paused at step 4. */
async function pausedRun(): Promise<WebviewPage> {
  const w = await open();
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: RUN });
  await waitFor(w, () => document.getElementById('training')?.dataset.runEngine === 'pytorch');
  await event(w, { type: 'started', backend: 'pytorch 1.13.0 · cpu · 2 threads', params: 1234, totalSteps: 100, batch: 8, notes: [], replicas: 1 });
  await event(w, { type: 'progress', epoch: 1, epochs: 1, step: 4, totalSteps: 100, loss: 2.1, accuracy: 0.25, imagesPerSecond: 640, etaSeconds: 3 });
  await w.page.locator('#train-pause').click();
  await event(w, { type: 'paused', step: 4 });
  await waitFor(w, () => document.getElementById('training')?.dataset.pausedStep === '4');
  return w;
}

const LESION = {
  model: 'tiny', baseline: 0.8, chance: 0.1, chanceBasis: 'classes', samples: 500, draws: 3, seed: 1,
  singles: [{ node: 'res1/add1', label: 'res1', kind: 'residual', accuracy: 0.5 }, { node: 'res2/add1', label: 'res2', kind: 'residual', accuracy: 0.7 }],
  removed: [{ k: 1, accuracies: [0.5, 0.7, 0.5], mean: 0.5666666666666667, sd: 0.11547005383792516, removed: [['res1'], ['res2'], ['res1']] }, { k: 2, accuracies: [0.1], mean: 0.1, sd: 0, removed: [['res1', 'res2']] }],
  evaluations: 7, complete: true,
};

test('a PyTorch run’s lesion study: Measure goes to the host, the runner’s progress and result are drawn; Cancel sends its control', async () => {
  const w = await pausedRun();
  await waitFor(w, () => document.getElementById('lesion-panel')?.dataset.state === 'ready');
  await w.page.locator('#lesion-panel .lesion-measure').click();
  await waitFor(w, () => (window.__posted as { type: string; action?: string }[]).some((m) => m.type === 'trainingControl' && m.action === 'experiment'));
  assert.deepEqual(await experiments(w), [{ run: 3, command: 'lesion', samples: 500, draws: 5, seed: 1 }]);
  await event(w, { type: 'lesion-progress', done: 3, total: 7 });
  await waitFor(w, () => document.getElementById('lesion-panel')?.dataset.done === '3');
  assert.equal(await w.page.locator('#lesion-panel .lesion-status').textContent(), 'Measuring: 3 of 7 evaluations');
  await w.page.locator('#lesion-panel .lesion-cancel').click();
  await waitFor(w, () => (window.__posted as { type: string; action?: string }[]).filter((m) => m.type === 'trainingControl' && m.action === 'experiment').length === 2);
  assert.deepEqual((await experiments(w))[1], { run: 3, command: 'lesion-cancel' });
  // The runner answers a cancel with what it measured; here it had finished just before, so the study is complete.
  await event(w, { type: 'lesion', result: LESION });
  await waitFor(w, () => document.querySelector('#lesion-panel svg.lesion-plot') !== null && document.getElementById('lesion-panel')?.dataset.state === 'ready');
  const drawn = await w.page.evaluate(() => ({
    dots: document.querySelectorAll('#lesion-panel .lesion-dots circle').length,
    singles: document.querySelector('#lesion-panel .lesion-singles')?.textContent ?? '',
    status: document.querySelector('#lesion-panel .lesion-status')?.textContent ?? '',
    tensors: document.getElementById('training')?.dataset.lesionTensors,
  }));
  // k = 0 (the baseline), 1 and 2.
  assert.equal(drawn.dots, 3);
  assert.equal(drawn.singles, 'tiny, one residual branch removed: res1 50.0% · res2 70.0%');
  assert.match(drawn.status, /^Measured at step 4 on 500 held-out images/);
  assert.equal(drawn.tensors, '0');
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(w.consoleErrors, []);
  await w.page.context().close();
});

test('a PyTorch run’s loss landscape: Estimate and Start go to the host, the runner’s slice is drawn; Cancel sends its control', async () => {
  const w = await pausedRun();
  await waitFor(w, () => document.getElementById('landscape')?.dataset.state === 'ready');
  await w.page.locator('#landscape-kind').selectOption('line');
  await w.page.locator('#landscape-samples').selectOption('32');
  await w.page.locator('#landscape-estimate').click();
  await waitFor(w, () => (window.__posted as { type: string; action?: string }[]).some((m) => m.type === 'trainingControl' && m.action === 'experiment'));
  assert.deepEqual(await experiments(w), [{ run: 3, command: 'landscape', action: 'estimate', requests: [{ kind: 'line', points: 41, seed: 1, samples: 32 }] }]);
  await event(w, { type: 'landscape-cost', evaluations: 41, samples: 32, secondsPerEvaluation: 0.5 });
  await event(w, { type: 'landscape-ended', reason: 'estimated' });
  await waitFor(w, () => document.getElementById('landscape')?.dataset.state === 'estimated');
  assert.match((await w.page.locator('#landscape-status').textContent()) ?? '', /^41 evaluations = 41 × 32 held-out images \(1,312 image passes\); one evaluation took 0\.5 s: about 21 s\. Start\?$/);
  await w.page.locator('#landscape-start').click();
  await waitFor(w, () => (window.__posted as { type: string; action?: string }[]).filter((m) => m.type === 'trainingControl' && m.action === 'experiment').length === 2);
  assert.deepEqual((await experiments(w))[1], { run: 3, command: 'landscape', action: 'compute', requests: [{ kind: 'line', points: 41, seed: 1, samples: 32 }] });
  await event(w, { type: 'landscape-progress', kind: 'line', done: 2, total: 41, secondsPerEvaluation: 0.5 });
  await w.page.locator('#landscape-cancel').click();
  await waitFor(w, () => (window.__posted as { type: string; action?: string }[]).filter((m) => m.type === 'trainingControl' && m.action === 'experiment').length === 3);
  assert.deepEqual((await experiments(w))[2], { run: 3, command: 'landscape-cancel' });
  await event(w, { type: 'landscape-ended', reason: 'cancelled' });
  await waitFor(w, () => document.getElementById('landscape')?.dataset.state === 'cancelled');
  // Again, to the end: a parabola with its minimum at α = 0; a point the runner found non-finite comes as null.
  await w.page.locator('#landscape-estimate').click();
  await event(w, { type: 'landscape-cost', evaluations: 41, samples: 32, secondsPerEvaluation: 0.5 });
  await event(w, { type: 'landscape-ended', reason: 'estimated' });
  await waitFor(w, () => document.getElementById('landscape')?.dataset.state === 'estimated');
  await w.page.locator('#landscape-start').click();
  const alphas = Array.from({ length: 41 }, (_, i) => -1 + i / 20);
  const loss = alphas.map((a, i) => (i === 0 ? null : 0.5 + 2 * a * a));
  await event(w, { type: 'landscape', result: { kind: 'line', alphas, loss, accuracy: alphas.map(() => 0.5), samples: 32, seed: 1 } });
  await event(w, { type: 'landscape-ended', reason: 'done' });
  await waitFor(w, () => document.getElementById('landscape')?.dataset.state === 'done');
  const chart = await w.page.evaluate(() => {
    const line = document.querySelector('#landscape-charts svg.landscape-line')!;
    return { points: line.getAttribute('data-points'), caption: document.querySelector('#landscape-charts figcaption')?.textContent ?? '' };
  });
  assert.equal(chart.points, '40', 'the non-finite point is left out');
  assert.match(chart.caption, /^tiny · 1-D · loss 0\.500, accuracy 50\.0% at α = 0$/);
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(w.consoleErrors, []);
  await w.page.context().close();
});
