/**
 * Compare's "Train both" on the PyTorch engine, as the page shows it: the real compare.js under the real CSP in
 * headless Chromium, fed each side's runner events as the host forwards them (`trainBothEvent` lines tagged with
 * the side and run). Both curves, a held-out point and the gradient norm by depth are drawn from those lines, the
 * host's plan line stays up, Stop sends a stop control for each side, a side's error line shows its reason (the
 * runner's last stderr lines included) while the other trains on, runs the host ended for an edit say so, and a
 * refusal without PyTorch offers the browser.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCompareMessage, type SideSpec } from '../../src/compare/model';
import { planTrainBoth } from '../../src/compare/training';
import type { CompareToHost, HostToCompare } from '../../src/protocol/compare-messages';
import { useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

const browser = useBrowser();

const tiny = (name: string, width: number): string => `model ${name}(28x28x1) {\n  conv(${width}, 3, stride=2, pad=1) -> bn -> relu\n  gap -> dense(10)\n  train { dataset: mnist; batch: 8; epochs: 1; seed: 3 }\n}\n`;
const TEXTS: [string, string] = [tiny('narrow', 4), tiny('wide', 8)];
const SPECS: [SideSpec, SideSpec] = [
  { uri: 'file:///work/narrow.skipnet', file: 'narrow.skipnet', model: 'narrow', withoutSkips: false },
  { uri: 'file:///work/wide.skipnet', file: 'wide.skipnet', model: 'wide', withoutSkips: false },
];
const PLAN = 'PyTorch 1.13 · cpu · both at once, 1 thread each of 2 cores: about 400 MiB (A, narrow) + 400 MiB (B, wide) = 800 MiB of the 11.2 GiB free.';
const IDS = [3, 5] as const;

const send = (w: WebviewPage, message: HostToCompare): Promise<void> => w.page.evaluate((m) => window.postMessage(m, '*'), message);
const text = (w: WebviewPage, selector: string): Promise<string> => w.page.locator(selector).evaluate((el) => el.textContent ?? '');
const posted = async (w: WebviewPage): Promise<CompareToHost[]> => (await w.page.evaluate(() => window.__posted)) as CompareToHost[];

/** One runner event of side `side` as the host forwards it (run: the side's id unless given). */
function event(w: WebviewPage, side: 0 | 1, line: unknown, run: number = IDS[side]): Promise<void> {
  return send(w, { type: 'trainBothEvent', side, run, line: JSON.stringify(line) });
}

const started = { type: 'started', backend: 'pytorch 1.13.0 · cpu · 1 thread', params: 1234, totalSteps: 100, batch: 8, notes: [], replicas: 1 };
const progress = (step: number, loss: number) => ({ type: 'progress', epoch: 1, epochs: 1, step, totalSteps: 100, loss, accuracy: 0.25, imagesPerSecond: 90, etaSeconds: 20 });

/** Opens the pair, clicks Train both and answers as the panel does on PyTorch: both runs hosted, with the plan line. */
async function startHosted(): Promise<WebviewPage> {
  const w = await openWebview(browser(), undefined, { width: 1400, height: 900 }, 'compare.js');
  await send(w, buildCompareMessage(SPECS, TEXTS, 1, { collapseThreshold: 150, direction: 'down' }));
  await w.page.locator('#train-both').click();
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'));
  const plan = planTrainBoth(SPECS, TEXTS);
  assert.ok(plan.ok);
  const dataset = { kind: 'builtin' as const, name: 'mnist' as const, url: `${ORIGIN}/media/data/mnist.bin` };
  const run = (i: 0 | 1) => ({ run: { model: SPECS[i].model, text: TEXTS[i], backend: 'auto' as const, statsInterval: 1, dataset, engine: 'pytorch' as const, runId: IDS[i] }, withoutSkips: false });
  await send(w, { type: 'startTrainBoth', revision: 1, runs: [run(0), run(1)], config: plan.shared, plan: PLAN });
  return w;
}

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

test('both sides hosted: curves, a held-out point and gradient norms from runner lines; Stop sends a stop for each side', async () => {
  const w = await startHosted();
  await w.page.waitForSelector('#training-plan[data-mode="together"]');
  assert.equal(await text(w, '#training-plan'), PLAN);
  assert.equal(await w.page.locator('#training-plan').getAttribute('data-batch'), '8');
  // The runner measures the gradient by path length too (after step 1, then every 50): the charts are there to fill.
  assert.equal(await w.page.locator('#compare-path-gradients').isVisible(), true);
  await event(w, 0, started);
  await event(w, 1, started);
  const lossesA = [2, 1.8, 1.6, 1.4];
  for (let step = 1; step <= 4; step++) {
    await event(w, 0, progress(step, lossesA[step - 1]));
    await event(w, 1, progress(step, 2.5));
  }
  // A line of another run (an earlier pair's id) is not this pair's.
  await event(w, 0, progress(50, 0.1), 2);
  const layers = [
    { node: 'conv1', kind: 'conv', activationMean: 0.1, activationStd: 1.1, weightNorm: 2.5, gradNorm: 0.4 },
    { node: 'dense1', kind: 'dense', activationMean: 0.2, activationStd: 0.9, weightNorm: 1.5, gradNorm: 0.04 },
  ];
  await event(w, 0, { type: 'statistics', statistics: { step: 4, layers, merges: [], reuse: [] } });
  await event(w, 1, { type: 'evaluation', epoch: 1, step: 4, loss: 2.2, accuracy: 0.375, samples: 256, full: false });
  await w.page.waitForFunction(() => ['0', '1'].every((s) => document.querySelector(`#chart-loss path.series.side-${s}`)?.getAttribute('data-points') === '4'));
  await w.page.waitForFunction(() => document.querySelector('#chart-depth path.series.side-0')?.getAttribute('data-points') === '2');
  // Running means of the batch losses, as the browser path draws them: 2, 1.98, 1.942, 1.8878 for A.
  assert.equal(await text(w, '#training-status'), 'pytorch 1.13.0 · cpu · 1 thread · A: step 4/100 · loss 1.8878 · B: step 4/100 · loss 2.5000');
  assert.equal(await w.page.locator('#training-status').getAttribute('data-state'), 'running');
  // B's held-out accuracy, A's latest (smoothed) training accuracy: the parameter chart says it mixes the two.
  // The charts redraw together, throttled: a redraw may have drawn the curves before B's evaluation came, so wait for
  // the one that has it.
  await w.page.waitForFunction(() => document.getElementById('chart-params')?.getAttribute('data-accuracy') === 'mixed');
  assert.equal(await w.page.locator('#chart-params').getAttribute('data-values'), '0.25,0.375');

  await w.page.locator('#train-both-stop').click();
  await w.page.waitForFunction(() => window.__posted.filter((m) => (m as { type: string }).type === 'trainBothControl').length === 2);
  assert.deepEqual((await posted(w)).filter((m) => m.type === 'trainBothControl'), [
    { type: 'trainBothControl', side: 0, run: 3, action: 'stop' },
    { type: 'trainBothControl', side: 1, run: 5, action: 'stop' },
  ]);
  await event(w, 0, { type: 'finished', result: { reason: 'stopped', steps: 4, loss: 1.4 } });
  await event(w, 1, { type: 'finished', result: { reason: 'stopped', steps: 4, loss: 2.5 } });
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'stopped');
  assert.equal(await text(w, '#training-status'), 'Stopped: A after 4 steps, B after 4.');
  assert.deepEqual((await posted(w)).filter((m) => m.type === 'trainBothEnded'), [{ type: 'trainBothEnded', state: 'stopped', message: 'Stopped: A after 4 steps, B after 4.' }]);
  assert.equal(await w.page.locator('#train-both').getAttribute('disabled'), null);
  await noProblems(w);
  await w.page.context().close();
});

test('an error line from side B: its reason and the runner’s last stderr lines are in the status while A trains on, and in the end state', async () => {
  const w = await startHosted();
  await event(w, 0, started);
  await event(w, 1, started);
  await event(w, 0, progress(1, 2));
  await event(w, 1, progress(1, 2.5));
  const crash = 'The PyTorch runner (/usr/bin/python3) ended by signal SIGKILL before finishing.\nLast lines of its error output:\nRuntimeError: out of memory';
  await event(w, 1, { type: 'error', message: crash });
  await event(w, 0, progress(2, 1.8));
  await w.page.waitForFunction(() => /A: step 2\/100/.test(document.getElementById('training-status')!.textContent ?? ''));
  assert.equal(await text(w, '#training-status'), `pytorch 1.13.0 · cpu · 1 thread · A: step 2/100 · loss 1.9800 · B: error at step 1: ${crash}`);
  assert.equal(await w.page.locator('#training-status').getAttribute('data-state'), 'running');
  // The stderr lines are lines on screen, not one run-on line.
  assert.equal(await w.page.locator('#training-status').evaluate((el) => getComputedStyle(el).whiteSpace), 'pre-line');
  await w.page.locator('#train-both-stop').click();
  // B has ended: only A gets a stop.
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBothControl'));
  assert.deepEqual((await posted(w)).filter((m) => m.type === 'trainBothControl'), [{ type: 'trainBothControl', side: 0, run: 3, action: 'stop' }]);
  await event(w, 0, { type: 'finished', result: { reason: 'stopped', steps: 2, loss: 1.8 } });
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'error');
  assert.equal(await text(w, '#training-status'), `B: ${crash}`);
  assert.equal(await w.page.locator('#train-both').getAttribute('disabled'), null);
  await noProblems(w);
  await w.page.context().close();
});

test('an edit ends both runs on the host: their finished events say why, and so does the end state, once', async () => {
  const w = await startHosted();
  for (const side of [0, 1] as const) {
    await event(w, side, started);
    await event(w, side, progress(1, 2));
  }
  const why = 'narrow.skipnet changed, so both PyTorch runs ended: Train both again to train the edited text.';
  for (const side of [0, 1] as const) await event(w, side, { type: 'finished', result: { reason: 'stopped', steps: 1, loss: 2, message: why } });
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'stopped');
  assert.equal(await text(w, '#training-status'), `Stopped: A after 1 step, B after 1. ${why}`);
  // The host ended the runs itself: the page sent no control.
  assert.deepEqual((await posted(w)).filter((m) => m.type === 'trainBothControl'), []);
  await noProblems(w);
  await w.page.context().close();
});

test('Pause both hosted runs, then the lesion study: pause and the study go to each side’s runner as controls', async () => {
  const w = await startHosted();
  for (const side of [0, 1] as const) {
    await event(w, side, started);
    await event(w, side, progress(1, 2));
  }
  await w.page.waitForFunction(() => document.getElementById('train-both-pause')?.hasAttribute('disabled') === false);
  await w.page.locator('#train-both-pause').click();
  await w.page.waitForFunction(() => window.__posted.filter((m) => (m as { type: string }).type === 'trainBothControl').length === 2);
  // The study waits for both runners' own 'paused' (the engines hold the weights), not for the button.
  assert.notEqual(await w.page.locator('#lesion-panel').getAttribute('data-state'), 'ready');
  for (const side of [0, 1] as const) await event(w, side, { type: 'paused', step: 1 });
  await w.page.waitForFunction(() => document.getElementById('lesion-panel')?.dataset.state === 'ready');
  await w.page.locator('#lesion-panel .lesion-measure').click();
  await w.page.waitForFunction(() => window.__posted.filter((m) => (m as { type: string }).type === 'trainBothControl').length === 4);
  const controls = (await posted(w)).flatMap((m) => (m.type === 'trainBothControl' ? [`${m.side}:${m.run}:${m.action === 'experiment' ? m.experiment.command : m.action}`] : []));
  assert.deepEqual(controls, ['0:3:pause', '1:5:pause', '0:3:lesion', '1:5:lesion']);
  await noProblems(w);
  await w.page.context().close();
});

test('no PyTorch: the refusal says what was tried and offers the browser engine, which the button asks for', async () => {
  const w = await openWebview(browser(), undefined, { width: 1400, height: 900 }, 'compare.js');
  await send(w, buildCompareMessage(SPECS, TEXTS, 1, { collapseThreshold: 150, direction: 'down' }));
  assert.equal(await w.page.locator('#train-both-browser').isVisible(), false);
  await w.page.locator('#train-both').click();
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'));
  const message = 'PyTorch engine: torch 1.13 or newer not found — tried: python3 (/usr/local/bin/python3, Python 3.12.1): no PyTorch (from PATH). Install PyTorch, set skipnet.python to a Python that has it, or train in the browser.';
  await send(w, { type: 'trainingState', revision: 1, state: 'error', message, offerBrowser: true });
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'error');
  assert.equal(await text(w, '#training-status'), message);
  assert.equal(await w.page.locator('#train-both-browser').isVisible(), true);
  await w.page.locator('#train-both-browser').click();
  await w.page.waitForFunction(() => window.__posted.filter((m) => (m as { type: string }).type === 'trainBoth').length === 2);
  assert.deepEqual((await posted(w)).filter((m) => m.type === 'trainBoth'), [{ type: 'trainBoth', revision: 1 }, { type: 'trainBoth', revision: 1, engine: 'browser' }]);
  assert.equal(await w.page.locator('#train-both-browser').isVisible(), false);
  assert.equal(await text(w, '#training-status'), 'Asking the editor for the data…');
  await noProblems(w);
  await w.page.context().close();
});
