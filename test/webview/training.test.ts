/**
 * Training in the graph webview: the real bundles (main.js, train.js with TensorFlow.js, the wasm
 * binaries) under the real CSP in headless Chromium, driven through the protocol as the host drives it.
 * Every test uses a tiny model on MNIST and the cpu or wasm backend so it finishes in seconds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingBackendChoice, type TrainingRun, type WebviewToHost } from '../../src/protocol';
import { DOC_URI, useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';
import { greyPngs } from '../support/greyPngs';

const browser = useBrowser();

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

/** The graph page showing `text`'s model; `isolated` serves it cross-origin isolated, `cores` overrides navigator.hardwareConcurrency. */
async function openWithModel(text: string, page: { isolated?: boolean; cores?: number } = {}): Promise<WebviewPage> {
  const w = await openWebview(browser(), undefined, undefined, undefined, { crossOriginIsolated: page.isolated });
  if (page.cores !== undefined) {
    await w.page.addInitScript((cores) => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => cores }), page.cores);
    await w.page.reload();
    await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'ready'));
  }
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  return w;
}

async function start(w: WebviewPage, training: TrainingRun, version = 1): Promise<void> {
  await w.send({ type: 'startTraining', uri: DOC_URI, version, run: training });
}

const step = (w: WebviewPage): Promise<number> => w.page.evaluate(() => Number(document.getElementById('training')?.dataset.step ?? 0));

async function waitForStep(w: WebviewPage, atLeast: number): Promise<void> {
  await w.page.waitForFunction((n) => Number(document.getElementById('training')?.dataset.step ?? 0) >= n, atLeast, { timeout: 120_000 });
}

async function waitForState(w: WebviewPage, wanted: string): Promise<void> {
  await w.page.waitForFunction((s) => document.getElementById('training')?.dataset.state === s, wanted, { timeout: 120_000 });
}

/** What the bar shows for a CPU backend: with two or more cores, a worker per core (up to 4) shares every batch. */
async function backendText(w: WebviewPage, backend: string): Promise<string> {
  const cores = await w.page.evaluate(() => navigator.hardwareConcurrency);
  return cores >= 2 ? `backend: ${backend} · ${Math.min(4, cores)} workers` : `backend: ${backend}`;
}

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

test('cpu: the step counter and the loss change on screen; stop stops at once and frees every tensor', async () => {
  const w = await openWithModel(tinyModel());
  await start(w, run(tinyModel(), 'cpu'));
  await waitForStep(w, 3);
  assert.equal(await w.page.locator('#train-backend-used').textContent(), await backendText(w, 'cpu'));
  const firstStep = await w.page.locator('#train-step').textContent();
  const firstLoss = await w.page.locator('#train-loss').textContent();
  assert.match(firstStep ?? '', /^step \d+\/1000$/);
  assert.match(firstLoss ?? '', /^loss \d+(\.\d+)?$/);
  await waitForStep(w, (await step(w)) + 5);
  // The row shows what the status bar is sent (at most every 250 ms): wait for its next report.
  await w.page.waitForFunction((shown) => document.getElementById('train-step')?.textContent !== shown, firstStep, { timeout: 120_000 });
  assert.notEqual(await w.page.locator('#train-step').textContent(), firstStep);
  assert.notEqual(await w.page.locator('#train-loss').textContent(), firstLoss);
  assert.match((await w.page.locator('#train-epoch').textContent()) ?? '', /^epoch 1\/1$/);
  assert.match((await w.page.locator('#train-speed').textContent()) ?? '', /^[\d.]+ img\/s$/);
  assert.match((await w.page.locator('#train-eta').textContent()) ?? '', /^ETA /);
  // Gradient by path length, measured after step 1: one residual block, so lengths 0 and 1 (one path each).
  await w.page.waitForSelector('#chart-path-gradients[data-step="1"]');
  assert.equal(await w.page.locator('#chart-path-gradients svg [aria-label="bar"] rect').count(), 2);
  assert.equal(await w.page.locator('#chart-path-gradients .chart-title').textContent(), 'Gradient by path length, step 1 (1 residual block, 2 paths)');

  // Record every text the step field shows from the moment Stop is clicked (a capture listener runs before the panel's).
  await w.page.evaluate(() => {
    const field = document.getElementById('train-step')!;
    const seen: string[] = ((window as unknown as { __afterStop: string[] }).__afterStop = []);
    document.getElementById('train-stop')!.addEventListener('click', () => {
      (window as unknown as { __stepAtClick: number }).__stepAtClick = Number(document.getElementById('training')!.dataset.step);
      new MutationObserver(() => seen.push(field.textContent ?? '')).observe(field, { childList: true, characterData: true, subtree: true });
    }, { capture: true, once: true });
  });
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  const shownAtStop = await w.page.evaluate(() => (window as unknown as { __stepAtClick: number }).__stepAtClick);
  // The display freezes at the click: the row (throttled to one update in 250 ms) may still catch up with steps the
  // page had received before the click, then it shows the final count, which includes the steps already in flight
  // when the worker heard Stop; no step received after the click is ever shown, and the run ended early.
  const stoppedAt = await step(w);
  assert.ok(stoppedAt >= shownAtStop && stoppedAt < 1000, `stopped at ${stoppedAt}, ${shownAtStop} received before the click`);
  const afterStop = await w.page.evaluate(() => (window as unknown as { __afterStop: string[] }).__afterStop);
  const shown = afterStop.map((text) => Number(/^step (\d+)\/1000$/.exec(text)?.[1] ?? Number.NaN));
  assert.equal(shown.at(-1), stoppedAt, `the row ends on the final count: ${JSON.stringify(afterStop)}`);
  assert.ok(shown.slice(0, -1).every((n) => n <= shownAtStop), `no progress received after the click is shown: ${JSON.stringify(afterStop)}, ${shownAtStop} received before it`);
  assert.equal(await w.page.locator('#train-message').textContent(), `Stopped after ${stoppedAt} ${stoppedAt === 1 ? 'step' : 'steps'}.`);
  // A stopped run has no time left and no speed on screen.
  assert.equal(await w.page.locator('#train-eta').textContent(), '');
  assert.equal(await w.page.locator('#train-speed').textContent(), '');
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

test('wasm: trains with the bundled binaries; pause holds the step, resume goes on; tensors stay level between step 10 and later', async () => {
  const w = await openWithModel(tinyModel());
  await start(w, run(tinyModel(), 'wasm'));
  await waitForStep(w, 10);
  assert.equal(await w.page.locator('#train-backend-used').textContent(), await backendText(w, 'wasm'));
  const early = await pauseAndRead(w);
  assert.ok(early.step >= 10);
  assert.ok(early.tensors > 0, 'the model and optimizer hold tensors while a run is alive');
  // Held: the step on screen is the one the engine paused at (a step in flight when Pause was pressed is shown
  // before the engine reports the pause, never after it).
  assert.equal(await step(w), early.step);
  await w.page.locator('#train-resume').click();
  await waitForStep(w, early.step + 30);
  const later = await pauseAndRead(w);
  assert.ok(later.step >= early.step + 30);
  assert.equal(later.tensors, early.tensors, `tf.memory().numTensors where the engine paused, at step ${early.step} and step ${later.step}`);
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await noProblems(w);
  await w.page.context().close();
});

/**
 * Presses Pause and waits for the engine to report that it holds the run between steps (not just for the bar,
 * which says paused at once), then reads the step and the tensor count taken at that very point.
 */
async function pauseAndRead(w: WebviewPage): Promise<{ step: number; tensors: number }> {
  await w.page.locator('#train-pause').click();
  await w.page.waitForFunction(
    () => {
      const data = document.getElementById('training')?.dataset;
      return data?.pausedStep !== undefined && data.tensorStep === data.pausedStep;
    },
    undefined,
    { timeout: 120_000 },
  );
  return w.page.evaluate(() => {
    const data = document.getElementById('training')!.dataset;
    return { step: Number(data.pausedStep), tensors: Number(data.tensors) };
  });
}

test('statistics colour the nodes; a new run clears them', async () => {
  const w = await openWithModel(tinyModel());
  const fill = () => w.page.evaluate(() => (document.querySelector('[data-id="res1/conv1"] .shape') as SVGElement | null)?.style.fill ?? 'none');
  const conv = await w.page.evaluate(() => Array.from(document.querySelectorAll('#graph .node')).map((n) => n.getAttribute('data-id')));
  assert.ok(conv.includes('res1/conv1'), `node ids: ${conv.join(', ')}`);
  assert.equal(await fill(), '');
  await start(w, run(tinyModel(), 'cpu', 2));
  await w.page.waitForFunction(() => (document.querySelector('[data-id="res1/conv1"] .stats-badge')?.textContent ?? '') !== '', undefined, { timeout: 120_000 });
  const first = await fill();
  assert.notEqual(first, '', 'the statistics overlay fills the node');
  const badge = await w.page.locator('[data-id="res1/conv1"] .stats-badge').textContent();
  assert.match(badge ?? '', /^-?\d/);
  await w.page.waitForFunction((before) => (document.querySelector('[data-id="res1/conv1"] .stats-badge')?.textContent ?? before) !== before, badge, { timeout: 120_000 });
  // Another metric repaints at once.
  const current = await w.page.locator('[data-id="res1/conv1"] .stats-badge').textContent();
  await w.page.locator('.stats-metric').click();
  await w.page.getByRole('option', { name: 'Weight norm ‖W‖', exact: true }).click();
  await w.page.waitForFunction(() => document.querySelector<HTMLElement>('.stats-legend')?.dataset.metric === 'weightNorm');
  assert.notEqual(await w.page.locator('[data-id="res1/conv1"] .stats-badge').textContent(), current);
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await start(w, run(tinyModel(), 'cpu', 1000));
  // The old run's step count stays on screen until the new run has started: wait for the new one.
  await waitForState(w, 'running');
  await waitForStep(w, 1);
  assert.equal(await fill(), '', 'a new run starts without the old colours');
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await noProblems(w);
  await w.page.context().close();
});

test('a huge learning rate stops the run with the message naming the layer; the view stays usable', async () => {
  // No batch norm: it would rescale the exploding weights and keep the loss finite.
  const text = `model tiny(28x28x1) {
  conv(8, 3, stride=2, pad=1) -> relu -> conv(8, 3, pad=1) -> relu -> flatten -> dense(10)
  train { dataset: mnist; optimizer: sgd; lr: 1e12; batch: 8; epochs: 1; seed: 1 }
}`;
  const w = await openWithModel(text);
  await start(w, run(text, 'cpu'));
  await waitForState(w, 'failed');
  const message = (await w.page.locator('#train-message').textContent()) ?? '';
  assert.match(message, /^Training stopped at step \d+: the loss is (NaN|-?Infinity)\. .*(first layer whose (activation|gradient) went non-finite is (layer \S+ \(\w+\)|the input batch)|the gradient of \S+ went non-finite)/);
  const ended = (await w.posted()).filter((m) => m.type === 'trainingEnded');
  assert.deepEqual(ended.map((m) => [m.type === 'trainingEnded' && m.reason, m.type === 'trainingEnded' && m.message]), [['error', message]]);
  await w.page.locator('#fit').click();
  assert.ok((await w.page.locator('#graph .node').count()) > 5);
  await noProblems(w);
  await w.page.context().close();
});

test('a batch over the memory budget is refused before it starts, with the estimate and a batch that fits', async () => {
  const text = tinyModel('optimizer: adam; lr: 0.01; batch: 4000; epochs: 1; seed: 1').replace('conv(4, 3, stride=2, pad=1)', 'conv(256, 3, pad=1)').replace(/conv\(4, 3, pad=1, bias=false\)/, 'conv(256, 3, pad=1, bias=false)');
  const w = await openWithModel(text);
  await start(w, run(text, 'cpu'));
  await waitForState(w, 'failed');
  const message = (await w.page.locator('#train-message').textContent()) ?? '';
  assert.match(message, /^Training tiny at batch 4000 needs about [\d.]+ GiB in the browser engine \(activations [\d.]+ GiB\), more than the 1.50 GiB budget: try batch \d+ \(about [\d.]+ (MiB|GiB)\)\. TensorFlow\.js's tape keeps every intermediate of a step, about 10× what PyTorch's autograd keeps: the PyTorch engine's step needs [\d.]+ (KiB|MiB|GiB), the figure skipnet explain gives\.$/);
  assert.equal(await step(w), 0, 'no step ran');
  assert.equal(await w.page.evaluate(() => document.getElementById('training')?.dataset.tensors), '0');
  await w.page.locator('#fit').click();
  await noProblems(w);
  await w.page.context().close();
});

test('an edit during a run stops it and offers Restart, which asks the host for the new text', async () => {
  const w = await openWithModel(tinyModel());
  await start(w, run(tinyModel(), 'cpu'), 3);
  await waitForStep(w, 2);
  const analysis = analyze(tinyModel());
  await w.send({ type: 'graph', uri: DOC_URI, version: 4, graph: buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }), diagnostics: { errors: 0, warnings: 0, firstError: '', firstErrorLine: 0 } });
  await waitForState(w, 'stopped');
  assert.match((await w.page.locator('#train-message').textContent()) ?? '', /The file changed, so this run stopped\. Restart trains the edited model\./);
  assert.equal(await w.page.locator('#train-start').textContent(), 'Restart');
  await w.page.locator('#train-backend').selectOption('wasm');
  await w.page.locator('#train-start').click();
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainingRequest'));
  const request = (await w.posted()).filter((m) => m.type === 'trainingRequest');
  assert.deepEqual(request.map((m) => m.type === 'trainingRequest' && m.backend), ['wasm']);
  await noProblems(w);
  await w.page.context().close();
});

test('the host command `train start` asks for a run; a refusal is shown', async () => {
  const w = await openWithModel(tinyModel());
  await w.send({ type: 'train', uri: DOC_URI, version: 1, action: 'start' });
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainingRequest'));
  assert.deepEqual((await w.posted()).filter((m) => m.type === 'trainingRequest').map((m) => m.type === 'trainingRequest' && m.backend), [null]);
  await w.send({ type: 'trainingRefused', uri: DOC_URI, version: 1, message: 'Training on a data folder needs a trusted workspace.' });
  await waitForState(w, 'failed');
  assert.equal(await w.page.locator('#train-message').textContent(), 'Training on a data folder needs a trusted workspace.');
  await noProblems(w);
  await w.page.context().close();
});

test('inputs adapt to the model (the note says how) and training does not block hover or zoom', async () => {
  const text = tinyModel().replace('model tiny(28x28x1)', 'model tiny(32x32x3)');
  const w = await openWithModel(text);
  await start(w, run(text, 'cpu'));
  await waitForStep(w, 2);
  assert.match((await w.page.locator('#train-notes').textContent()) ?? '', /mnist 28×28×1 images padded with zeros to 32×32 and repeated to 3 channels/);
  // While steps run: hovering a layer shows its tooltip, and the wheel zooms.
  // Keyboard focus opens the same tooltip as hover: at this page height the five-entry legend covers the bottom row,
  // where res1/conv1 sits, so a pointer there would reach the legend.
  await w.page.locator('[data-id="res1/conv1"]').focus();
  await w.page.waitForFunction(() => document.getElementById('tooltip')?.dataset.for === 'res1/conv1', undefined, { timeout: 120_000 });
  const box = await w.page.locator('#graph').boundingBox();
  assert.ok(box);
  await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
  const transform = () => w.page.evaluate(() => document.getElementById('viewport')?.getAttribute('transform'));
  const before = await transform();
  await w.page.mouse.wheel(0, -300);
  await w.page.waitForFunction((t) => document.getElementById('viewport')?.getAttribute('transform') !== t, before, { timeout: 120_000 });
  await waitForStep(w, 3); // and training goes on
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await noProblems(w);
  await w.page.context().close();
});

/** A model with heavy steps: 32 channels at 28×28 (batch 128 takes about 0.5 s on wasm; batch 600 many seconds on cpu). */
function heavyModel(): string {
  return tinyModel('optimizer: sgd; lr: 0.01; batch: 32; epochs: 1; seed: 1').replace('conv(4, 3, stride=2, pad=1)', 'conv(32, 3, pad=1)').replace('conv(4, 3, pad=1, bias=false)', 'conv(32, 3, pad=1, bias=false)');
}

test('steps run in a worker: while long steps run, the page thread never stalls for more than a fraction of a step', async () => {
  const text = heavyModel();
  // One worker, so that every machine (whatever its cores) runs the same long steps; what is measured is a ratio
  // of the page's longest stall to a step, both slowed alike when the machine is loaded.
  const w = await openWithModel(text, { cores: 1 });
  // A heartbeat on the page's thread: the longest gap between ticks is how long the page was unresponsive.
  await w.page.evaluate(() => {
    const probe = { maxGap: 0, last: performance.now(), stepTimes: [] as number[] };
    (window as unknown as { __probe: typeof probe }).__probe = probe;
    setInterval(() => {
      const now = performance.now();
      probe.maxGap = Math.max(probe.maxGap, now - probe.last);
      probe.last = now;
    }, 10);
    const training = document.getElementById('training')!;
    new MutationObserver(() => probe.stepTimes.push(performance.now())).observe(training, { attributes: true, attributeFilter: ['data-step'] });
  });
  // Batch 256: steps of several hundred ms, long against the page's own work (a frame, a message).
  await start(w, run(text.replace('batch: 32', 'batch: 256'), 'wasm'));
  await waitForStep(w, 1);
  await w.page.evaluate(() => {
    const probe = (window as unknown as { __probe: { maxGap: number; last: number; stepTimes: number[] } }).__probe;
    probe.maxGap = 0;
    probe.last = performance.now();
    probe.stepTimes.length = 0;
  });
  await waitForStep(w, 4);
  const { maxGap, stepTimes } = await w.page.evaluate(() => (window as unknown as { __probe: { maxGap: number; stepTimes: number[] } }).__probe);
  const steps = stepTimes.slice(1).map((t, i) => t - stepTimes[i]);
  const shortestStep = Math.min(...steps);
  assert.ok(steps.length >= 2, `step times ${steps.map((s) => s.toFixed(0)).join(', ')} ms`);
  assert.ok(maxGap < shortestStep / 3, `longest stall of the page ${maxGap.toFixed(0)} ms against steps of ${shortestStep.toFixed(0)} ms or more`);
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await noProblems(w);
  await w.page.context().close();
});

test('stop ends a run even in the middle of a long step, and the next run starts in a fresh worker', async () => {
  // One step of this model takes many seconds on the cpu backend: Stop cannot wait for its end.
  const text = heavyModel().replace('batch: 32', 'batch: 128');
  const w = await openWithModel(text);
  await start(w, run(text, 'cpu'));
  // 'running' arrives with the engine's start: the first step is then under way in the worker.
  await waitForState(w, 'running');
  const workers = () => w.page.evaluate(() => ({ started: Number(document.documentElement.dataset.trainingWorkersStarted ?? 0), ended: Number(document.documentElement.dataset.trainingWorkersEnded ?? 0) }));
  const before = await workers();
  assert.equal(before.ended, 0);
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  // The step in flight did not end within the grace period, so Stop ended the workers (no timing measured: the
  // step is far longer than the grace period on any machine, and a run that waited for it would end no worker).
  const after = await workers();
  assert.equal(after.ended, before.started, 'every training worker of the run was ended mid-step');
  assert.equal(await step(w), 0, 'no step finished');
  assert.equal(await w.page.evaluate(() => document.getElementById('training')?.dataset.tensors), '0');
  const small = tinyModel();
  await start(w, run(small, 'cpu'), 2);
  await waitForStep(w, 3);
  assert.equal((await workers()).started, 2 * before.started, 'the next run starts in fresh workers');
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await noProblems(w);
  await w.page.context().close();
});

test('cross-origin isolated (code --enable-coi): wasm trains in one worker with a thread per core, not two workers', async () => {
  const text = tinyModel();
  const w = await openWithModel(text, { isolated: true });
  const cores = await w.page.evaluate(() => navigator.hardwareConcurrency);
  await start(w, run(text, 'wasm'));
  await waitForStep(w, 3);
  assert.equal(await w.page.locator('#train-backend-used').textContent(), cores >= 2 ? `backend: wasm · ${Math.min(cores, 8)} threads` : 'backend: wasm');
  assert.equal(await w.page.evaluate(() => document.getElementById('training')?.dataset.replicas), '1');
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await noProblems(w);
  await w.page.context().close();
});

test('with three cores three workers share every batch: the run trains, pauses, and stops, freeing every tensor', async () => {
  const text = tinyModel('optimizer: adam; lr: 0.01; batch: 12; epochs: 1; seed: 1');
  const w = await openWithModel(text, { cores: 3 });
  await start(w, run(text, 'wasm'));
  await waitForStep(w, 5);
  assert.equal(await w.page.locator('#train-backend-used').textContent(), 'backend: wasm · 3 workers');
  assert.equal(await w.page.evaluate(() => document.getElementById('training')?.dataset.replicas), '3');
  const paused = await pauseAndRead(w);
  assert.equal(await step(w), paused.step);
  await w.page.locator('#train-resume').click();
  await waitForStep(w, paused.step + 3);
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await w.page.waitForFunction(() => document.getElementById('training')?.dataset.tensors === '0', undefined, { timeout: 120_000 });
  await noProblems(w);
  await w.page.context().close();
});

test('a folder data set (images sent by the host) is decoded in the page and trained on to the end', async () => {
  const text = `model tiny(8x8x1) {
  conv(4, 3, pad=1) -> relu -> gap -> dense(2)
  train { dataset: "shapes"; optimizer: adam; lr: 0.05; batch: 4; epochs: 3; seed: 2 }
}`;
  const w = await openWithModel(text);
  // Ten dark and ten light 8×8 PNGs, made by the browser's own encoder.
  const images = await greyPngs(w.page);
  await start(w, { model: 'tiny', text, backend: 'cpu', statsInterval: 5, dataset: { kind: 'folder', path: 'shapes', classes: ['dark', 'light'], images } });
  await waitForState(w, 'done');
  // 20 images: every fifth of each class held out → 16 to train on, 4 steps of 4 per epoch, 3 epochs.
  assert.match((await w.page.locator('#train-message').textContent()) ?? '', /^Finished 12 steps: held-out accuracy \d+\.\d\d%\.$/);
  assert.equal(await w.page.locator('#train-step').textContent(), 'step 12/12');
  assert.equal(await w.page.locator('#chart-loss').getAttribute('data-points1'), '12', 'four held-out points per epoch: three checks between epoch ends, then the whole held-out split');
  const ended = (await w.posted()).filter((m) => m.type === 'trainingEnded');
  assert.deepEqual(ended.map((m) => m.type === 'trainingEnded' && m.reason), ['finished']);
  await noProblems(w);
  await w.page.context().close();
});

test('auto: the software GPU (SwiftShader) is skipped for wasm, and the reasons are shown', async () => {
  const w = await openWithModel(tinyModel());
  await start(w, run(tinyModel(), 'auto'));
  await waitForStep(w, 1);
  assert.equal(await w.page.locator('#train-backend-used').textContent(), await backendText(w, 'wasm'));
  const why = (await w.page.locator('#train-backend-used').getAttribute('title')) ?? '';
  assert.match(why.split('\n')[0], /^Skipped: webgpu: (no WebGPU adapter|software renderer .*); webgl: software renderer \(.*SwiftShader.*\), slower than wasm$/);
  await w.page.locator('#train-stop').click();
  await waitForState(w, 'stopped');
  await noProblems(w);
  await w.page.context().close();
});
