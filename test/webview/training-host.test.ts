/**
 * A run the extension host trains (the PyTorch engine), as the graph webview shows it: the real main.js under the
 * real CSP in headless Chromium, fed the runner's events as the host forwards them (`trainingEvent` lines). The
 * bar names the engine, the statistics colour the nodes, Pause / Resume / Stop go back as `trainingControl`, events
 * of another run or unreadable lines are handled, and a refusal without PyTorch offers the browser engine.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, formatLoss, type TrainingRun, type WebviewToHost } from '../../src/protocol';
import { DOC_URI, useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

const browser = useBrowser();

const MODEL = `block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model tiny(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  res()
  gap -> dense(10)
  train { dataset: mnist; batch: 8; epochs: 1 }
}
`;

const RUN: TrainingRun = { model: 'tiny', text: MODEL, backend: 'auto', statsInterval: 1, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` }, engine: 'pytorch', runId: 7 };

async function open(): Promise<WebviewPage> {
  const w = await openWebview(browser());
  const analysis = analyze(MODEL);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  return w;
}

function event(w: WebviewPage, line: unknown, run = 7): Promise<void> {
  return w.send({ type: 'trainingEvent', uri: DOC_URI, version: 1, run, line: typeof line === 'string' ? line : JSON.stringify(line) });
}

const progress = (step: number, loss: number) => ({ type: 'progress', epoch: 1, epochs: 1, step, totalSteps: 100, loss, accuracy: 0.25, imagesPerSecond: 640, etaSeconds: 3 });
const statistics = (step: number) => ({
  type: 'statistics',
  statistics: {
    step,
    layers: [
      { node: 'conv1', kind: 'conv', activationMean: 0.1, activationStd: 1.1, weightNorm: 2.5, gradNorm: 0.4, updateRatio: 0.01 },
      { node: 'res1/r', kind: 'relu', activationMean: 0.3, activationStd: 0.5, zeroFraction: 0.45 },
    ],
    merges: [{ node: 'res1/add1', kind: 'add', fork: 'relu1', branches: [
      { input: 'res1/r', start: 'res1/conv1', role: 'residual', layers: 3, gradNorm: 0.2 },
      { input: 'relu1', start: 'res1/add1', role: 'shortcut', layers: 0, gradNorm: 0.6 },
    ] }],
    reuse: [],
  },
});

async function waitFor(w: WebviewPage, predicate: string): Promise<void> {
  await w.page.waitForFunction(predicate, undefined, { timeout: 120_000 });
}

async function controls(w: WebviewPage): Promise<string[]> {
  return (await w.posted()).filter((m): m is Extract<WebviewToHost, { type: 'trainingControl' }> => m.type === 'trainingControl').map((m) => `${m.action} ${m.run}`);
}

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

test('a host run: the engine line, progress, statistic colours, controls sent to the host, the end', async () => {
  const w = await open();
  await w.send({ type: 'trainingEngine', uri: DOC_URI, version: 1, info: { engine: 'pytorch', reason: 'PyTorch 1.13 at /usr/bin/python3, cpu', speed: null } });
  assert.equal(await w.page.locator('#train-engine-info').textContent(), 'engine: PyTorch 1.13 at /usr/bin/python3, cpu');
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: RUN });
  await waitFor(w, `document.getElementById('training')?.dataset.runEngine === 'pytorch'`);
  assert.equal(await w.page.locator('#train-message').textContent(), 'Starting PyTorch…');
  await event(w, { type: 'started', backend: 'pytorch 1.13.0 · cpu · 2 threads', params: 1234, totalSteps: 100, batch: 8, notes: [], replicas: 1 });
  await event(w, progress(1, 2.25));
  await event(w, statistics(1));
  // An event of an earlier run (another id) is not this run's.
  await event(w, progress(50, 0.5), 6);
  await waitFor(w, `document.getElementById('training')?.dataset.step === '1'`);
  assert.equal(await w.page.locator('#train-backend-used').textContent(), 'engine: pytorch 1.13.0 · cpu · 2 threads');
  assert.equal(await w.page.locator('#train-step').textContent(), 'step 1/100');
  assert.equal(await w.page.locator('#train-loss').textContent(), 'loss 2.25');
  assert.equal(await w.page.evaluate(() => document.getElementById('training')?.dataset.state), 'running');
  // The statistics colour the graph's nodes.
  await waitFor(w, `(document.querySelector('[data-id="conv1"] .shape')?.style.fill ?? '').includes('color-mix')`);
  // The status bar hears of the progress, named after the engine.
  await waitFor(w, `window.__posted.some((m) => m.type === 'trainingProgress')`);
  const reported = (await w.posted()).find((m) => m.type === 'trainingProgress');
  assert.ok(reported?.type === 'trainingProgress' && reported.progress.backend === 'pytorch 1.13.0 · cpu · 2 threads' && reported.progress.step === 1);

  await w.page.locator('#train-pause').click();
  await event(w, { type: 'paused', step: 1 });
  await waitFor(w, `document.getElementById('training')?.dataset.pausedStep === '1'`);
  await w.page.locator('#train-resume').click();
  await event(w, { type: 'resumed', step: 1 });
  await w.page.locator('#train-stop').click();
  await waitFor(w, `document.getElementById('training')?.dataset.state === 'stopping'`);
  assert.deepEqual(await controls(w), ['pause 7', 'resume 7', 'stop 7']);
  await event(w, { type: 'finished', result: { reason: 'stopped', steps: 1, loss: 2.25 } });
  await waitFor(w, `document.getElementById('training')?.dataset.state === 'stopped'`);
  assert.equal(await w.page.locator('#train-message').textContent(), 'Stopped after 1 step.');
  const ended = (await w.posted()).filter((m) => m.type === 'trainingEnded');
  assert.deepEqual(ended.map((m) => m.type === 'trainingEnded' && m.reason), ['stopped']);
  await noProblems(w);
  await w.page.context().close();
});

test('a crash shows the host\'s message with the runner\'s last stderr lines; an unreadable line ends the run with a message', async () => {
  const w = await open();
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: RUN });
  await event(w, progress(1, 2.25));
  await event(w, { type: 'error', message: 'The PyTorch runner (/usr/bin/python3) ended by signal SIGSEGV before finishing.\nLast lines of its error output:\nFatal Python error: Segmentation fault' });
  await waitFor(w, `document.getElementById('training')?.dataset.state === 'failed'`);
  assert.equal(await w.page.locator('#train-message').textContent(), 'The PyTorch runner (/usr/bin/python3) ended by signal SIGSEGV before finishing.\nLast lines of its error output:\nFatal Python error: Segmentation fault');

  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: { ...RUN, runId: 8 } });
  await event(w, '{"type":"progress","step":"two"}', 8);
  await waitFor(w, `document.getElementById('training')?.dataset.state === 'failed' && document.getElementById('train-message').textContent.startsWith('The PyTorch run sent')`);
  assert.equal(await w.page.locator('#train-message').textContent(), 'The PyTorch run sent an event this view cannot read (progress epoch: missing).');
  await noProblems(w);
  await w.page.context().close();
});

test('no PyTorch: the refusal says what was tried and offers the browser engine, which the button asks for', async () => {
  const w = await open();
  assert.equal(await w.page.locator('#train-use-browser').isVisible(), false);
  await w.page.locator('#train-engine').selectOption('pytorch');
  await w.page.locator('#train-start').click();
  await waitFor(w, `window.__posted.some((m) => m.type === 'trainingRequest')`);
  const message = 'PyTorch engine: torch 1.13 or newer not found — tried: python3: not found (from PATH). Install PyTorch, set skipnet.python to a Python that has it, or train in the browser.';
  await w.send({ type: 'trainingEngine', uri: DOC_URI, version: 1, info: { engine: 'none', reason: message, speed: null } });
  await w.send({ type: 'trainingRefused', uri: DOC_URI, version: 1, message, offerBrowser: true });
  await waitFor(w, `document.getElementById('training')?.dataset.state === 'failed'`);
  assert.equal(await w.page.locator('#train-message').textContent(), message);
  await w.page.locator('#train-use-browser').click();
  await waitFor(w, `window.__posted.filter((m) => m.type === 'trainingRequest').length === 2`);
  const requests = (await w.posted()).filter((m) => m.type === 'trainingRequest').map((m) => m.type === 'trainingRequest' && m.engine);
  assert.deepEqual(requests, ['pytorch', 'browser']);
  assert.equal(await w.page.locator('#train-use-browser').isVisible(), false);
  // When PyTorch is found but the browser trains, the line carries the measured speed-up.
  await w.send({ type: 'trainingEngine', uri: DOC_URI, version: 1, info: { engine: 'browser', reason: 'browser (skipnet.train.engine is browser)', speed: 'PyTorch would be about 12.5× faster here (1500 vs 120 img/s in past runs of this model)' } });
  await waitFor(w, `document.getElementById('training')?.dataset.engine === 'browser'`);
  assert.equal(await w.page.locator('#train-engine-info').textContent(), 'engine: browser (skipnet.train.engine is browser) · PyTorch would be about 12.5× faster here (1500 vs 120 img/s in past runs of this model)');
  await noProblems(w);
  await w.page.context().close();
});

test('a new host run replaces a running one: the old run is stopped by its own id and winds down, the new one shows', async () => {
  const w = await open();
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: RUN });
  await event(w, progress(3, 1.5));
  await waitFor(w, `document.getElementById('training')?.dataset.step === '3'`);
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: { ...RUN, runId: 8 } });
  await waitFor(w, `window.__posted.some((m) => m.type === 'trainingControl')`);
  assert.deepEqual(await controls(w), ['stop 7']);
  // The host ends run 7 and starts run 8; the new run's events show once the old one has ended.
  await event(w, { type: 'finished', result: { reason: 'stopped', steps: 3, loss: 1.5 } }, 7);
  await event(w, { type: 'started', backend: 'pytorch 1.13.0 · cpu · 2 threads', params: 1234, totalSteps: 100, batch: 8, notes: [], replicas: 1 }, 8);
  await event(w, progress(1, 2.5), 8);
  await waitFor(w, `document.getElementById('training')?.dataset.step === '1' && document.getElementById('training')?.dataset.state === 'running'`);
  assert.equal(await w.page.locator('#train-loss').textContent(), 'loss 2.5');
  await w.page.locator('#train-pause').click();
  await waitFor(w, `window.__posted.filter((m) => m.type === 'trainingControl').length === 2`);
  assert.deepEqual(await controls(w), ['stop 7', 'pause 8']);
  await noProblems(w);
  await w.page.context().close();
});

test('the row and the status bar read the same event: at a pause both show its step and loss; after Stop the row shows the finished step', async () => {
  const w = await open();
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: RUN });
  await waitFor(w, `document.getElementById('training')?.dataset.runEngine === 'pytorch'`);
  await event(w, { type: 'started', backend: 'pytorch 1.13.0 · cpu · 2 threads', params: 1234, totalSteps: 100, batch: 8, notes: [], replicas: 1 });
  // Steps far quicker than the status bar's 250 ms: most are never posted.
  for (let s = 1; s <= 60; s++) await event(w, progress(s, 3 - s / 40 + (s % 3) * 0.01234));
  await waitFor(w, `document.getElementById('training')?.dataset.step === '60'`);
  await w.page.locator('#train-pause').click();
  await event(w, { type: 'paused', step: 60 });
  await waitFor(w, `document.getElementById('training')?.dataset.pausedStep === '60'`);
  const posted = (await w.posted()).filter((m): m is Extract<WebviewToHost, { type: 'trainingProgress' }> => m.type === 'trainingProgress');
  const last = posted[posted.length - 1].progress;
  assert.equal(last.step, 60);
  assert.equal(await w.page.locator('#train-step').textContent(), `step ${last.step}/100`);
  assert.equal(await w.page.locator('#train-loss').textContent(), `loss ${formatLoss(last.loss)}`);
  assert.equal(formatLoss(last.loss), formatLoss(3 - 60 / 40));

  // Stop while step 96 is in flight: its progress comes after Stop and is dropped, the finished event counts it.
  await w.page.locator('#train-resume').click();
  await event(w, { type: 'resumed', step: 60 });
  for (let s = 61; s <= 95; s++) await event(w, progress(s, 1.5 - s / 400));
  await waitFor(w, `document.getElementById('training')?.dataset.step === '95'`);
  await w.page.locator('#train-stop').click();
  await waitFor(w, `document.getElementById('training')?.dataset.state === 'stopping'`);
  await event(w, progress(96, 1.2345678));
  await event(w, { type: 'finished', result: { reason: 'stopped', steps: 96, loss: 1.2345678 } });
  await waitFor(w, `document.getElementById('training')?.dataset.state === 'stopped'`);
  assert.equal(await w.page.locator('#train-message').textContent(), 'Stopped after 96 steps.');
  assert.equal(await w.page.locator('#train-step').textContent(), 'step 96/100');
  assert.equal(await w.page.locator('#train-loss').textContent(), 'loss 1.235');
  await noProblems(w);
  await w.page.context().close();
});
