/**
 * The merge algebra in Compare (webview/compare/algebra.ts): the real bundles (compare.js, train.js) under the
 * real CSP in headless Chromium. A two-block ResNet (A) and a three-layer DenseNet block (B). As soon as the pair is
 * loaded, before any run, the page measures both at initialisation (webview/compare/initial-algebra.ts: the initial
 * weights' forward pass over the first batch, in the training workers) and draws each side's target × source matrix,
 * labelled as the initialisation; the numbers are those of the Node engine's `algebraAtInitialisation` on the same
 * model, seed and first batch (src/cli/algebra.ts, what `skipnet algebra` prints). Train both's step 1 measures the
 * same weights again, and later statistics draw both latest matrices with new values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { algebraAtInitialisation } from '../../src/cli/algebra';
import { buildCompareMessage, type SideSpec } from '../../src/compare/model';
import { planTrainBoth } from '../../src/compare/training';
import { useNodeBackend } from '../../src/train/nodeBackend';
import type { CompareTrainingRun, HostToCompare } from '../../src/protocol/compare-messages';
import { useBrowser, openWebview, ORIGIN } from './harness';

const browser = useBrowser();

const TRAIN = '  train { dataset: mnist; optimizer: adam; lr: 0.01; batch: 8; epochs: 1; seed: 1 }';

const RESNET = `block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model resnet(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  res()
  res()
  gap -> dense(10)
${TRAIN}
}
`;

const DENSENET = `block dense_layer(k) {
  bn -> relu -> conv(k, 3, pad=1, bias=false)
  concat(in, _)
}
model densenet(28x28x1) {
  conv(4, 3, stride=2, pad=1, bias=false)
  b: repeat 3 dense_layer(4)
  bn -> relu -> gap -> dense(10)
${TRAIN}
}
`;

interface DrawnCell {
  row: string;
  col: string;
  value: number;
}

test('Compare draws A’s residual shares beside B’s dense contributions at initialisation before any run, as skipnet algebra measures them, then updated by training', async () => {
  const w = await openWebview(browser(), undefined, { width: 1400, height: 1000 }, 'compare.js');
  const page = w.page;
  const texts: [string, string] = [RESNET, DENSENET];
  const specs: [SideSpec, SideSpec] = [
    { uri: 'file:///work/resnet.skipnet', file: 'resnet.skipnet', model: 'resnet', withoutSkips: false },
    { uri: 'file:///work/densenet.skipnet', file: 'densenet.skipnet', model: 'densenet', withoutSkips: false },
  ];
  assert.equal(await page.isVisible('#compare-algebra'), false, 'hidden until the pair is loaded');
  await page.evaluate((m) => window.postMessage(m, '*'), buildCompareMessage(specs, texts, 1, { collapseThreshold: 150, direction: 'down' }));
  const plan = planTrainBoth(specs, texts);
  assert.ok(plan.ok);
  const dataset = { kind: 'builtin' as const, name: 'mnist' as const, url: `${ORIGIN}/media/data/mnist.bin` };
  const runs = specs.map((s, i) => ({ run: { model: s.model, text: texts[i], backend: 'cpu' as const, statsInterval: 1, dataset }, withoutSkips: false })) as [CompareTrainingRun, CompareTrainingRun];
  // What the host sends after the pair: the runs Train both would get, measured at initialisation before any run.
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'initialAlgebra', revision: 1, runs, config: plan.shared } satisfies HostToCompare);

  const read = (selector: string) =>
    page.$eval(selector, (figure) => ({
      title: figure.querySelector('.chart-title')?.textContent ?? '',
      note: figure.querySelector('.chart-note')?.textContent ?? '',
      rows: Number(figure.getAttribute('data-rows')),
      cols: Number(figure.getAttribute('data-cols')),
      cells: [...figure.querySelectorAll('.algebra-cells rect')].map((r) => ({ row: r.getAttribute('data-row') ?? '', col: r.getAttribute('data-col') ?? '', value: Number(r.getAttribute('data-value')) })),
      filled: [...figure.querySelectorAll('.algebra-cells rect')].filter((r) => Number(r.getAttribute('width')) > 4 && Number(r.getAttribute('height')) > 4).length,
    }));

  // Before any run: both sides drawn at initialisation, labelled so, and nothing asked of the host to train.
  await page.waitForFunction(() => [...document.querySelectorAll('#compare-algebra .algebra-side')].every((s) => (s as HTMLElement).dataset.initial === 'measured'), undefined, { timeout: 120_000 });
  assert.equal(await page.isVisible('#compare-algebra'), true);
  assert.equal(await page.evaluate(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth')), false, 'no run asked for');
  const statuses = await page.$$eval('#compare-algebra .algebra-status', (s) => s.map((e) => e.textContent ?? ''));
  for (const status of statuses) assert.equal(status, 'At initialisation, before any run: the initial weights’ forward pass over the first batch of 8 images. Train both draws the trained values below.');
  assert.deepEqual(await page.$$eval('#compare-algebra .algebra-side', (s) => s.map((e) => (e as HTMLElement).dataset.state)), ['initial', 'initial']);
  const titles = await page.$$eval('#compare-algebra .algebra-side-title', (h) => h.map((e) => e.textContent));
  assert.deepEqual(titles, ['A: resnet', 'B: densenet']);
  const a = await read('#compare-algebra-a-init-residual-0');
  const b = await read('#compare-algebra-b-init-dense-0');
  // Each side has one matrix and only its own kind: A adds, B concatenates; no latest matrices before a run.
  assert.deepEqual(await page.$$eval('#compare-algebra .algebra-side[data-side="0"] .algebra-initial figure', (f) => f.map((e) => e.id)), ['compare-algebra-a-init-residual-0']);
  assert.deepEqual(await page.$$eval('#compare-algebra .algebra-side[data-side="1"] .algebra-initial figure', (f) => f.map((e) => e.id)), ['compare-algebra-b-init-dense-0']);
  assert.equal(await page.$$eval('#compare-algebra-a-residual-0, #compare-algebra-b-dense-0', (f) => f.length), 0);

  // The reference: the Node engine at initialisation on the same model, seed and first batch of 8 images.
  await useNodeBackend('cpu');
  const [resnetGraph, densenetGraph] = texts.map((t) => analyze(t).models[0]);
  const refA = (await algebraAtInitialisation(resnetGraph, {})).residual;
  const refB = (await algebraAtInitialisation(densenetGraph, {})).dense;
  assert.equal(refA.length, 1);
  assert.equal(refB.length, 1);

  // A: 2 adds by x_0, F_0, F_1; lower triangle 2 + 3 = 5 cells; shares of a row sum to 1; a ReLU follows each add.
  assert.match(a.title, /f_ℓ = H_ℓ \* \(x_0 \+ F_0 \+ … \+ F_\{ℓ-1\}\)$/);
  assert.match(a.note, /A ReLU follows each add, so x_0 \+ Σ F_i is the stream only approximately\./);
  assert.deepEqual([a.rows, a.cols, a.cells.length, a.filled], [2, 3, 5, 5]);
  const aRows = [...new Set(a.cells.map((c) => c.row))];
  assert.deepEqual(aRows, refA[0].adds);
  for (const row of aRows) {
    const sum = a.cells.filter((c) => c.row === row).reduce((s, c) => s + c.value, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `shares of ${row} sum to ${sum}`);
  }
  const expectedA: DrawnCell[] = refA[0].shares.flatMap((row, i) => row.flatMap((share, s) => (share === null ? [] : [{ row: refA[0].adds[i], col: s === 0 ? `x0 ${refA[0].sources[0]}` : `F${s - 1} ${refA[0].sources[s]}`, value: share }])));
  assert.deepEqual(a.cells.map((c) => [c.row, c.col]), expectedA.map((c) => [c.row, c.col]));
  a.cells.forEach((c, i) => assert.ok(Math.abs(c.value - expectedA[i].value) <= 1e-3 * expectedA[i].value, `A ${c.row} ← ${c.col}: ${c.value} drawn, ${expectedA[i].value} by the Node engine`));

  // B: 3 dense layers' first convolutions by the stem and the two earlier layers: 1 + 2 + 3 = 6 cells of ‖H^s * X_s‖.
  assert.match(b.title, /f_ℓ = Σ_s H_ℓ\^s \* X_s$/);
  assert.deepEqual([b.rows, b.cols, b.cells.length, b.filled], [3, 3, 6, 6]);
  const expectedB: DrawnCell[] = refB[0].rows.flatMap((row) => (row.contributions ?? []).flatMap((v, s) => (v === null ? [] : [{ row: row.conv, col: refB[0].sources[s], value: v }])));
  assert.equal(expectedB.length, 6);
  assert.deepEqual(b.cells.map((c) => [c.row, c.col]), expectedB.map((c) => [c.row, c.col]));
  b.cells.forEach((c, i) => assert.ok(c.value > 0 && Math.abs(c.value - expectedB[i].value) <= 1e-3 * expectedB[i].value, `B ${c.row} ← ${c.col}: ${c.value} drawn, ${expectedB[i].value} by the Node engine`));

  // Train both: its step 1 measures the same initial weights again (it replaces the measurement before the run),
  // later statistics redraw the latest matrices of both sides after training moved the weights.
  await page.waitForFunction(() => !document.getElementById('train-both')?.hasAttribute('disabled'), undefined, { timeout: 120_000 });
  await page.locator('#train-both').click();
  await page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'), undefined, { timeout: 120_000 });
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'startTrainBoth', revision: 1, runs, config: plan.shared } satisfies HostToCompare);
  await page.waitForFunction(() => [...document.querySelectorAll('#compare-algebra .algebra-side')].every((s) => (s as HTMLElement).dataset.initial === 'run' && Number((s as HTMLElement).dataset.step) >= 3), undefined, { timeout: 120_000 });
  await page.locator('#train-both-stop').click();
  const steps = await page.$$eval('#compare-algebra .algebra-side', (s) => s.map((e) => Number((e as HTMLElement).dataset.step)));
  assert.ok(steps.every((s) => s >= 3), `steps ${steps}`);
  assert.match((await page.textContent('#compare-algebra .algebra-side[data-side="1"] .algebra-status')) ?? '', /^At initialisation \(step 1’s forward pass, the initial weights\) above; Latest: after \d+ steps of Train both\.$/);
  const [a1, b1] = [await read('#compare-algebra-a-init-residual-0'), await read('#compare-algebra-b-init-dense-0')];
  a1.cells.forEach((c, i) => assert.ok(Math.abs(c.value - a.cells[i].value) <= 1e-6 * a.cells[i].value, `A ${c.row} ← ${c.col}: ${c.value} at Train both's step 1, ${a.cells[i].value} before the run`));
  b1.cells.forEach((c, i) => assert.ok(Math.abs(c.value - b.cells[i].value) <= 1e-6 * b.cells[i].value, `B ${c.row} ← ${c.col}: ${c.value} at Train both's step 1, ${b.cells[i].value} before the run`));
  const a2 = await read('#compare-algebra-a-residual-0');
  const b2 = await read('#compare-algebra-b-dense-0');
  assert.deepEqual([a2.cells.length, b2.cells.length], [5, 6]);
  assert.ok(a2.cells.some((c, i) => Math.abs(c.value - a.cells[i].value) > 1e-6), 'A’s shares moved');
  assert.ok(b2.cells.some((c, i) => Math.abs(c.value - b.cells[i].value) > 1e-6), 'B’s contributions moved');
  await page.waitForFunction(() => document.getElementById('training-status')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});

test('Train both asked for while the pair is still measured at initialisation: the measurement lets go of both workers first, and both sides train', async () => {
  // Wider and at batch 16, so side A's first step on the CPU backend can outlast Stop's grace and the measurement's
  // worker is ended; Train both then gets a fresh one (trainingWorkersEnded counts it). Either way both sides train.
  const wide = RESNET.replaceAll(/conv\(4, 3/g, 'conv(24, 3').replace('batch: 8', 'batch: 16');
  const w = await openWebview(browser(), undefined, { width: 1400, height: 1000 }, 'compare.js');
  const page = w.page;
  const texts: [string, string] = [wide, DENSENET];
  const specs: [SideSpec, SideSpec] = [
    { uri: 'file:///work/resnet.skipnet', file: 'resnet.skipnet', model: 'resnet', withoutSkips: false },
    { uri: 'file:///work/densenet.skipnet', file: 'densenet.skipnet', model: 'densenet', withoutSkips: false },
  ];
  await page.evaluate((m) => window.postMessage(m, '*'), buildCompareMessage(specs, texts, 1, { collapseThreshold: 150, direction: 'down' }));
  const plan = planTrainBoth(specs, texts);
  assert.ok(plan.ok);
  const dataset = { kind: 'builtin' as const, name: 'mnist' as const, url: `${ORIGIN}/media/data/mnist.bin` };
  const runs = specs.map((s, i) => ({ run: { model: s.model, text: texts[i], backend: 'cpu' as const, statsInterval: 1, dataset }, withoutSkips: false })) as [CompareTrainingRun, CompareTrainingRun];
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'initialAlgebra', revision: 1, runs, config: plan.shared } satisfies HostToCompare);
  await page.waitForFunction(() => (document.querySelector('#compare-algebra .algebra-side[data-side="0"]') as HTMLElement | null)?.dataset.state === 'measuring', undefined, { timeout: 120_000 });

  await page.locator('#train-both').click();
  await page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'), undefined, { timeout: 120_000 });
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'startTrainBoth', revision: 1, runs, config: plan.shared } satisfies HostToCompare);
  const bothPastStep1 = /A: step ([2-9]|\d\d+)\/\d+ · loss [\d.]+ · B: step ([2-9]|\d\d+)\/\d+ · loss [\d.]+$/;
  await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('training-status')?.textContent ?? '') || document.getElementById('training-status')?.dataset.state === 'error', bothPastStep1.source, { timeout: 120_000 });
  const status = (await page.textContent('#training-status')) ?? '';
  assert.match(status, bothPastStep1, status);
  await page.locator('#train-both-stop').click();
  await page.waitForFunction(() => document.getElementById('training-status')?.dataset.state === 'stopped', undefined, { timeout: 120_000 });
  const ended = await page.evaluate(() => document.documentElement.dataset.trainingWorkersEnded ?? '0');
  console.log(`training workers ended by the cancelled measurement: ${ended}`);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, []);
  await page.context().close();
});
