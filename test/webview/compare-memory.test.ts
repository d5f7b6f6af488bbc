/**
 * Train both in the Compare page, its memory plan and its errors: the plan's sentence (src/train/memoryPlan.ts)
 * is in the panel before anything loads, a refused pair ends at once with the reason, and a side that fails
 * while the other trains says why in the status line itself; afterwards the page is ready to train again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildCompareMessage, type SideSpec } from '../../src/compare/model';
import { planTrainBoth } from '../../src/compare/training';
import type { HostToCompare } from '../../src/protocol/compare-messages';
import { useBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

const browser = useBrowser();

const OPTIONS = { collapseThreshold: 150, direction: 'down' as const };
const read = (name: string): string => readFileSync(`examples/${name}.skipnet`, 'utf8');
const spec = (model: string): SideSpec => ({ uri: `file:///work/${model}.skipnet`, file: `${model}.skipnet`, model, withoutSkips: false });
const send = (w: WebviewPage, message: HostToCompare): Promise<void> => w.page.evaluate((m) => window.postMessage(m, '*'), message);
const text = (w: WebviewPage, selector: string): Promise<string> => w.page.locator(selector).evaluate((el) => el.textContent ?? '');

/** Opens the pair, clicks Train both and answers as the panel does (side A's train section, MNIST). */
async function startPair(specs: [SideSpec, SideSpec], texts: [string, string], backend: 'auto' | 'cpu' | 'wasm'): Promise<WebviewPage> {
  const w = await openWebview(browser(), undefined, { width: 1400, height: 900 }, 'compare.js');
  await send(w, buildCompareMessage(specs, texts, 1, OPTIONS));
  await w.page.locator('#train-both').click();
  await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'));
  const plan = planTrainBoth(specs, texts);
  assert.ok(plan.ok);
  const dataset = { kind: 'builtin' as const, name: 'mnist' as const, url: `${ORIGIN}/media/data/mnist.bin` };
  const run = (i: 0 | 1) => ({ run: { model: specs[i].model, text: texts[i], backend, statsInterval: 1000, dataset }, withoutSkips: false });
  await send(w, { type: 'startTrainBoth', revision: 1, runs: [run(0), run(1)], config: plan.shared });
  return w;
}

async function noProblems(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
}

test('ResNet-20 vs DenseNet-40: the panel says both train at batch 4 instead of 32, and why', async () => {
  const w = await startPair([spec('resnet20'), spec('densenet40')], [read('resnet20'), read('densenet40')], 'auto');
  await w.page.waitForSelector('#training-plan[data-mode]');
  assert.equal(await w.page.locator('#training-plan').getAttribute('data-mode'), 'smaller-batch');
  assert.equal(await w.page.locator('#training-plan').getAttribute('data-batch'), '4');
  assert.equal(
    await text(w, '#training-plan'),
    'At batch 32 a TensorFlow.js step needs about 467 MiB (A, resnet20) + 5.68 GiB (B, densenet40) = 6.14 GiB, more than the 1.00 GiB budget: both train at once at batch 4 instead (about 799 MiB), the same batch for both so they still see the same images in the same order.',
  );
  await w.page.locator('#train-both-stop').click();
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  // The plan stays up after the pair ended; the buttons are back to "ready".
  assert.match(await text(w, '#training-plan'), /^At batch 32/);
  assert.equal(await w.page.locator('#train-both').getAttribute('disabled'), null);
  assert.equal(await w.page.locator('#train-both-stop').getAttribute('disabled'), '');
  await noProblems(w);
  await w.page.context().close();
});

test('a pair over the budget even at batch 1 is refused before anything loads, with the estimate, in the panel', async () => {
  const huge = 'model huge(512x512x3) {\n  conv(64, 3, pad=1) -> relu -> conv(64, 3, pad=1) -> relu -> conv(64, 3, pad=1) -> relu -> gap -> dense(10)\n  train { dataset: mnist; batch: 16 }\n}\n';
  const w = await startPair([spec('resnet20'), spec('huge')], [read('resnet20'), huge], 'auto');
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'error');
  assert.equal(await w.page.locator('#training-plan').getAttribute('data-mode'), 'refused');
  const status = await text(w, '#training-status');
  assert.equal(await text(w, '#training-plan'), status);
  assert.match(status, /^At batch 32 a TensorFlow\.js step needs about [\d.]+ MiB \(A, resnet20\) \+ [\d.]+ GiB \(B, huge\) = [\d.]+ GiB, more than the 1\.00 GiB budget, and huge alone needs about [\d.]+ GiB at batch 1: use a smaller model\.$/);
  // Nothing was loaded: no training worker started.
  assert.equal(await w.page.evaluate(() => document.documentElement.dataset.trainingWorkersStarted ?? '0'), '0');
  const ended = await w.page.evaluate(() => window.__posted.filter((m) => (m as { type: string }).type === 'trainBothEnded'));
  assert.deepEqual(ended, [{ type: 'trainBothEnded', state: 'error', message: status }]);
  assert.equal(await w.page.locator('#train-both').getAttribute('disabled'), null);
  await noProblems(w);
  await w.page.context().close();
});

/** A net small enough for a cpu step in milliseconds. */
const tiny = (name: string, input: string): string => `model ${name}(${input}) {\n  conv(4, 3, stride=2, pad=1) -> bn -> relu\n  gap -> dense(10)\n  train { dataset: mnist; batch: 8; epochs: 1; seed: 1 }\n}\n`;

test('a side that fails while the other trains: its reason is in the status line at once, and in the end state', async () => {
  const texts: [string, string] = [tiny('fits', '28x28x1'), tiny('small', '8x8x1')];
  const w = await startPair([spec('fits'), spec('small')], texts, 'cpu');
  // B cannot take MNIST's 28×28 images: the worker refuses it at step 0 while A trains on.
  await w.page.waitForFunction(() => /B: error at step 0: /.test(document.getElementById('training-status')!.textContent ?? ''), undefined, { timeout: 120_000 });
  assert.equal(await w.page.locator('#training-status').getAttribute('data-state'), 'running');
  assert.match(await text(w, '#training-status'), /^backend cpu · A: step \d+\/1000 · loss [\d.]+ · B: error at step 0: mnist images are 28×28×1 but model small takes 8×8×1: /);
  await w.page.locator('#train-both-stop').click();
  await w.page.waitForFunction(() => document.getElementById('training-status')!.dataset.state === 'error', undefined, { timeout: 120_000 });
  assert.match(await text(w, '#training-status'), /^B: mnist images are 28×28×1 but model small takes 8×8×1: /);
  assert.equal(await w.page.locator('#train-both').getAttribute('disabled'), null);
  assert.equal(await w.page.locator('#train-both-stop').getAttribute('disabled'), '');
  await noProblems(w);
  await w.page.context().close();
});
