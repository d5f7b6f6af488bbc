/**
 * "Train here" with `dataset: cifar10`, on a tiny CIFAR-10 folder the test writes in both published layouts
 * (torchvision's cifar-10-batches-py pickles and the binary cifar-10-batches-bin), for both engines:
 *   browser  the host's conversion (src/train/cifar.ts cachedCifar, what src/graph/cifarSource.ts serves) loaded
 *            by the real graph page, which trains on it with TensorFlow.js;
 *   pytorch  the host's runner (PyTorchTraining with the located files, what src/graph/torchRun.ts starts) on
 *            Debian's PyTorch, its events forwarded to the page as the host forwards them.
 * A folder whose files do not read gives one message naming the file, in both engines.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { analyze } from '../../src/core';
import { buildGraphPayload, type TrainingRun, type WebviewToHost } from '../../src/protocol';
import { formatLoss } from '../../src/protocol/messages';
import { cachedCifar, locateCifar } from '../../src/train/cifar';
import { TrainError } from '../../src/train/errors';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { writeBinaryFolder, writePythonFolder } from '../support/cifarFolders';
import { PYTHON } from '../support/torch';
import { DOC_URI, launchBrowser, openWebview, ORIGIN, type WebviewPage } from './harness';

let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'skipnet-cifar-train-'));
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

// 15 training images (five files of three) at batch 5: three steps an epoch, two epochs.
const MODEL = `model tiny(32x32x3) {
  conv(4, 3, stride=2, bias=false) -> bn -> relu
  gap -> dense(10)
  train { dataset: cifar10; data: "cifar"; optimizer: sgd; lr: 0.1; batch: 5; epochs: 2; seed: 3 }
}
`;
const STEPS = 6;
// A host run's page loads no data (the runner reads the folder); this URL is not served, so a fetch would fail the run.
const HOST_DATA = { kind: 'cifar', name: 'cifar10', url: `${ORIGIN}/not-served/cifar10.bin` } as const;

const LAYOUTS = [
  { layout: 'pickle', child: 'cifar-10-batches-py', write: (folder: string) => writePythonFolder(folder, 'cifar10', 'py2') },
  { layout: 'binary', child: 'cifar-10-batches-bin', write: (folder: string) => writeBinaryFolder(folder, 'cifar10') },
];

async function open(): Promise<WebviewPage> {
  const w = await openWebview(browser);
  const analysis = analyze(MODEL);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  await w.init(buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: ['tiny'] }));
  return w;
}

async function waitForState(w: WebviewPage, wanted: string): Promise<void> {
  await w.page.waitForFunction((s) => document.getElementById('training')?.dataset.state === s, wanted, { timeout: 120_000 });
}

/**
 * The losses the page reported to the host (the status bar's progress: a few a second at most, and the last step
 * always), in order, by the run's step (the message counts steps within the epoch). A non-finite loss is sent as 0.
 */
async function reportedLosses(w: WebviewPage): Promise<{ step: number; loss: number }[]> {
  const posted = await w.posted();
  return posted
    .filter((m): m is Extract<WebviewToHost, { type: 'trainingProgress' }> => m.type === 'trainingProgress')
    .map(({ progress: p }) => ({ step: (p.epoch - 1) * p.stepsPerEpoch + p.step, loss: p.loss }));
}

function assertFinite(losses: { step: number; loss: number }[], label: string): void {
  assert.ok(losses.length >= 1, `${label}: no progress`);
  for (const { step, loss } of losses) assert.ok(Number.isFinite(loss) && loss > 0, `${label}: step ${step} loss ${loss}`);
  for (let i = 1; i < losses.length; i++) assert.ok(losses[i].step > losses[i - 1].step, `${label}: steps go forward: ${JSON.stringify(losses)}`);
}

for (const { layout, child, write } of LAYOUTS) {
  test(`browser engine, ${child}: the host's converted file loads in the page and trains ${STEPS} steps with a finite loss`, async () => {
    const parent = join(dir, `browser-${layout}`);
    write(join(parent, 'cifar', child));
    const file = cachedCifar(locateCifar('cifar10', 'cifar', parent), join(dir, 'cache'));
    const w = await open();
    // Served as the host's asWebviewUri serves its cache folder.
    await w.page.route(`${ORIGIN}/cifar-cache/**`, (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: readFileSync(file) }));
    const run: TrainingRun = { model: 'tiny', text: MODEL, backend: 'cpu', statsInterval: 2, dataset: { kind: 'cifar', name: 'cifar10', url: `${ORIGIN}/cifar-cache/${basename(file)}` } };
    await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run });
    await waitForState(w, 'done');
    assert.equal(await w.page.locator('#train-step').textContent(), `step ${STEPS}/${STEPS}`);
    assert.match((await w.page.locator('#train-loss').textContent()) ?? '', /^loss \d+(\.\d+)?$/);
    assert.match((await w.page.locator('#train-message').textContent()) ?? '', new RegExp(`^Finished ${STEPS} steps: held-out accuracy \\d+\\.\\d\\d%\\.$`));
    const reported = await reportedLosses(w);
    assertFinite(reported, `browser ${layout}`);
    assert.equal(reported.at(-1)!.step, STEPS);
    assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(w.consoleErrors, []);
    await w.page.context().close();
  });

  test(`PyTorch engine, ${child}: the runner reads the folder and the page shows ${STEPS} steps with a finite loss`, async () => {
    const parent = join(dir, `torch-${layout}`);
    write(join(parent, 'cifar', child));
    const analysis = analyze(MODEL);
    const w = await open();
    const run: TrainingRun = { model: 'tiny', text: MODEL, backend: 'auto', statsInterval: 2, dataset: HOST_DATA, engine: 'pytorch', runId: 1 };
    await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run });
    const forwarded: Promise<void>[] = [];
    const progress: { step: number; loss: number }[] = [];
    const training = await PyTorchTraining.start({
      analysis,
      graph: analysis.models[0],
      cifar: locateCifar('cifar10', 'cifar', parent),
      python: PYTHON,
      statsInterval: 2,
      onEvent: (event) => {
        if (event.type === 'progress') progress.push({ step: event.step, loss: event.loss });
        forwarded.push(w.send({ type: 'trainingEvent', uri: DOC_URI, version: 1, run: 1, line: JSON.stringify(event) }));
      },
    });
    const result = await training.result;
    await Promise.all(forwarded);
    assert.equal(result.reason, 'done');
    assert.equal(result.steps, STEPS);
    await waitForState(w, 'done');
    assert.equal(await w.page.locator('#train-step').textContent(), `step ${STEPS}/${STEPS}`);
    assert.match((await w.page.locator('#train-loss').textContent()) ?? '', /^loss \d+(\.\d+)?$/);
    // Every step's event, each loss finite.
    assert.deepEqual(progress.map((p) => p.step), [1, 2, 3, 4, 5, 6]);
    assertFinite(progress, `PyTorch ${layout}`);
    assert.equal(await w.page.locator('#train-loss').textContent(), `loss ${formatLoss(progress.at(-1)!.loss)}`);
    assert.deepEqual(w.consoleErrors, []);
    await w.page.context().close();
  });
}

test('a folder with the right names and unreadable bytes: both engines refuse it naming the file, and the page shows the message', async () => {
  const folder = join(dir, 'broken', 'cifar-10-batches-py');
  writePythonFolder(folder, 'cifar10', 'py2');
  writeFileSync(join(folder, 'data_batch_2'), 'not a pickle at all');
  const files = locateCifar('cifar10', folder);
  // Browser engine: the host's conversion refuses, naming the file (the host shows it as the refusal).
  assert.throws(() => cachedCifar(files, join(dir, 'cache')), (error: unknown) => {
    assert.ok(error instanceof TrainError);
    assert.ok(error.message.startsWith(`${join(folder, 'data_batch_2')}: expected a CIFAR python pickle, found bytes that do not unpickle`), error.message);
    return true;
  });
  // PyTorch engine: the run reads the folder before its runner starts and refuses with the same message, which
  // the host sends to the page as the run's error event.
  const analysis = analyze(MODEL);
  const w = await open();
  await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: { model: 'tiny', text: MODEL, backend: 'auto', statsInterval: 2, dataset: HOST_DATA, engine: 'pytorch', runId: 1 } });
  const failure = await PyTorchTraining.start({ analysis, graph: analysis.models[0], cifar: files, python: PYTHON, onEvent: () => assert.fail('a runner started') }).then(
    () => assert.fail('the PyTorch engine started on an unreadable folder'),
    (error: unknown) => (error instanceof TrainError ? error.message : String(error)),
  );
  assert.ok(failure.startsWith(`${join(folder, 'data_batch_2')}: expected a CIFAR python pickle, found bytes that do not unpickle`), failure);
  await w.send({ type: 'trainingEvent', uri: DOC_URI, version: 1, run: 1, line: JSON.stringify({ type: 'error', message: failure }) });
  await waitForState(w, 'failed');
  assert.equal(await w.page.locator('#train-message').textContent(), failure);
  await w.page.context().close();
});
