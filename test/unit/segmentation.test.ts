import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { runCliAsync, type CliIo } from '../../src/cli/main';
import { analyze, SEGMENTATION_THRESHOLD } from '../../src/core';
import { checkDataFits, segmentationDataset } from '../../src/train/dataset';
import { heldOutChance } from '../../src/train/experiments/lesion';
import { makeBatch, type ImageDataset } from '../../src/train/data';
import type { TrainEvent } from '../../src/train/engine';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { builtinDatasetFile, loadBuiltinDataset } from '../../src/train/nodeData';
import { printer } from '../../src/train/printer';
import { EventLog, firstProgress, relative, runBothEngines } from './torchHelpers';
import { graphOf } from './trainHelpers';

// dataset: mnist_segmentation — MNIST as 11 classes per pixel — read, checked and trained by both engines.

const problems = (text: string): string[] =>
  analyze(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.range.start}:${d.range.end} ${d.message}`);

test('mnist_segmentation: accepted for an H×W×11 output; any other output or a non-image input is a located error naming the shape expected', () => {
  assert.deepEqual(problems(readFileSync('examples/unet_mnist.skipnet', 'utf8')), []);
  const unet = analyze(readFileSync('examples/unet_mnist.skipnet', 'utf8')).models[0];
  assert.deepEqual(unet.training.dataset, { kind: 'builtin', name: 'mnist', segmentation: true });
  assert.equal(unet.totals.params, 482_619n);

  const wrong = 'model seg(32x32x1) {\n  conv(8, 3, pad=1) -> relu\n  conv(10, 1)\n  train { dataset: mnist_segmentation }\n}';
  const at = wrong.indexOf('mnist_segmentation');
  assert.deepEqual(problems(wrong), [
    `${at}:${at + 'mnist_segmentation'.length} mnist_segmentation scores 11 classes per pixel (background and the digits 0–9), so seg must end in 32×32×11 (its input's 32×32, 11 classes), not 32×32×10: end it with conv(11, 1) at full size.`,
  ]);
  const pooled = 'model seg(28x28x1) {\n  conv(11, 3, pad=1) -> maxpool(2)\n  train { dataset: mnist_segmentation }\n}';
  assert.match(problems(pooled)[0], /must end in 28×28×11 \(its input's 28×28, 11 classes\), not 14×14×11/);
  const flat = 'model seg(784) {\n  dense(11)\n  train { dataset: mnist_segmentation }\n}';
  assert.match(problems(flat)[0], /mnist_segmentation needs an image input of at least 28×28 with 1 or 3 channels \(MNIST is padded to it\); seg takes 784\.$/);
  assert.deepEqual(problems('model c(28x28x1) {\n  flatten -> dense(10)\n  train { dataset: mnist }\n}'), []);
});

/** Two 3×3 "digits" (10 classes, so the set can be made per-pixel) with known grey values. */
function tinyDigits(): ImageDataset {
  const pixels = new Uint8Array([
    // image 0, digit 7: a bright diagonal; 127 is just below the threshold, 128 at it
    200, 0, 127,
    0, 128, 0,
    0, 0, 255,
    // image 1, digit 0: one bright pixel
    0, 0, 0,
    0, 0, 0,
    90, 0, 130,
  ]);
  const split = { count: 2, labels: new Uint8Array([7, 0]), pixels };
  return { name: 'mnist', height: 3, width: 3, channels: 1, classes: Array.from({ length: 10 }, (_, i) => String(i)), train: split, test: split };
}

test('per-pixel labels: digit + 1 where the grey value is ≥ 128, background elsewhere and in the centred padding', async () => {
  assert.equal(SEGMENTATION_THRESHOLD, 128);
  await useNodeBackend('cpu');
  const dataset = segmentationDataset(tinyDigits());
  assert.deepEqual(dataset.classes, ['background', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  // A 5×5 model input: the 3×3 images padded by 1 on every side (the core asks for MNIST's 28×28; the engine's
  // batches are built for any size, which this checks by hand).
  const graph = analyze('model seg(5x5x1) {\n  conv(11, 3, pad=1)\n}').models[0];
  const adapter = checkDataFits(graph, dataset);
  assert.equal(adapter.padTop, 1);
  const batch = makeBatch(dataset, dataset.train, [0, 1], adapter);
  assert.deepEqual(batch.y.shape, [2, 5, 5, 11]);
  const classes = (await tf.argMax(batch.y, -1).array()) as number[][][];
  assert.deepEqual(classes, [
    [[0, 0, 0, 0, 0], [0, 8, 0, 0, 0], [0, 0, 8, 0, 0], [0, 0, 0, 8, 0], [0, 0, 0, 0, 0]],
    [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 0]],
  ]);
  assert.equal((await tf.sum(batch.y).array()) as number, 50, 'one-hot: one class per pixel');
  batch.x.dispose();
  batch.y.dispose();

  const classifier = graphOf('model c(5x5x1) {\n  flatten -> dense(11)\n}');
  // The core's message, the one the editor and `skipnet check` give at the train section's dataset.
  assert.throws(
    () => checkDataFits(classifier, dataset),
    (error: Error) => error.message === 'mnist_segmentation scores 11 classes per pixel (background and the digits 0–9), so c must end in 5×5×11 (its input\'s 5×5, 11 classes), not 11: end it with conv(11, 1) at full size.',
  );
  assert.throws(() => segmentationDataset({ ...tinyDigits(), channels: 3 }), /per-pixel classes are derived from 1-channel digits with 10 classes/);
});

// Encoder–decoder with a skip concat, small enough for one step in both engines.
const TINY_UNET = `
model tiny_unet(32x32x1) {
  enc: conv(4, 3, pad=1) -> bn -> relu
  down: maxpool(2) -> conv(8, 3, pad=1) -> relu
  up: convtranspose(4, 2, stride=2)
  dec: concat(enc, up) -> conv(4, 3, pad=1) -> relu
  classes: conv(11, 1)
  train { dataset: mnist_segmentation }
}`;

test('one SGD step on mnist_segmentation from the same weights: per-pixel loss and pixel accuracy equal in PyTorch and TensorFlow.js to 1e-4', async () => {
  const analysis = analyze(TINY_UNET);
  const graph = analysis.models[0];
  const settings = { config: { batch: 4, optimizer: 'sgd' as const, lr: 0.05, seed: 3 }, maxSteps: 1, statsInterval: 1, evalSamples: 8, evalsPerEpoch: 1 };
  const both = await runBothEngines({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), dataset: segmentationDataset(loadBuiltinDataset('mnist')), settings });
  const [torchLog, tfLog, torchResult, tfResult] = [both.torch.log, both.tfjs.log, both.torch.result, both.tfjs.result];
  assert.deepEqual(torchLog.trace, ['started', 'progress:1', 'statistics:1', 'evaluation:1:full:8', 'finished:done:1']);
  assert.deepEqual(torchLog.trace, tfLog.trace);
  const started = (log: EventLog) => log.events.find((e) => e.type === 'started');
  assert.ok([started(torchLog), started(tfLog)].every((e) => e?.type === 'started' && e.perPixel === true));

  const [ours, theirs] = [firstProgress(torchLog), firstProgress(tfLog)];
  assert.ok(relative(ours.loss, theirs.loss) < 1e-4, `loss: PyTorch ${ours.loss}, tfjs ${theirs.loss}`);
  // A fraction of 4 × 32 × 32 pixels: a per-image accuracy would be a multiple of 1/4.
  assert.ok(Math.abs(ours.accuracy - theirs.accuracy) < 1e-4, `pixel accuracy: PyTorch ${ours.accuracy}, tfjs ${theirs.accuracy}`);
  assert.ok(Math.abs(theirs.accuracy * 4096 - Math.round(theirs.accuracy * 4096)) < 1e-6);
  const [a, b] = [torchResult.evaluation!, tfResult.evaluation!];
  assert.ok(relative(a.loss, b.loss) < 1e-4 && Math.abs(a.accuracy - b.accuracy) < 1e-4 && a.samples === 8, `PyTorch ${JSON.stringify(a)}, tfjs ${JSON.stringify(b)}`);
});

test('a segmentation lesion study is measured against the majority class’s share of the held-out pixels, not 1 / 11', async () => {
  await useNodeBackend('cpu');
  const dataset = segmentationDataset(tinyDigits());
  const adapter = checkDataFits(analyze('model seg(5x5x1) {\n  conv(11, 3, pad=1)\n}').models[0], dataset);
  // The padded 5×5 maps above: 3 + 1 digit pixels of 50, the other 46 background.
  assert.deepEqual(heldOutChance(dataset, adapter, Int32Array.from([0, 1])), { chance: 46 / 50, chanceBasis: 'majority' });
  assert.deepEqual(heldOutChance(dataset, adapter, Int32Array.from([0])), { chance: 22 / 25, chanceBasis: 'majority' });
  const digits = tinyDigits();
  assert.deepEqual(heldOutChance(digits, checkDataFits(graphOf('model c(3x3x1) {\n  flatten -> dense(10)\n}'), digits), Int32Array.from([0, 1])), { chance: 0.1, chanceBasis: 'classes' });
});

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), readFile: (p) => readFileSync(p, 'utf8'), writeFile: () => assert.fail('train writes no files') };
}

test('skipnet train examples/unet_mnist.skipnet on wasm: a finite per-pixel loss that goes down over a few steps', async () => {
  const io = capture();
  const code = await runCliAsync(['train', 'examples/unet_mnist.skipnet', '--backend', 'wasm', '--steps', '8', '--batch', '2', '--eval-samples', '2', '--json'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  const events = io.lines.map((l) => JSON.parse(l) as TrainEvent);
  const started = events[0];
  assert.ok(started.type === 'started' && started.params === 482_619 && started.perPixel === true, JSON.stringify(started));
  const losses = events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []));
  assert.equal(losses.length, 8);
  assert.ok(losses.every(Number.isFinite), losses.join(', '));
  // ln 11 ≈ 2.40 at an even guess; the background alone is ~80% of the pixels, so a few Adam steps lower it.
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(mean(losses.slice(-2)) < mean(losses.slice(0, 2)) * 0.9, `losses: ${losses.map((l) => l.toFixed(3)).join(', ')}`);
});

test('the CLI says "pixel acc" and "pixel accuracy" for a per-pixel run and keeps "acc" otherwise', () => {
  const lines = (perPixel: boolean): string[] => {
    const out: string[] = [];
    const print = printer({ json: false, out: (l) => out.push(l) });
    print({ type: 'started', backend: 'cpu', params: 10, totalSteps: 1, batch: 2, notes: [], replicas: 1, ...(perPixel ? { perPixel } : {}) });
    print({ type: 'progress', epoch: 1, epochs: 1, step: 1, totalSteps: 1, loss: 0.5, accuracy: 0.875, imagesPerSecond: 2, etaSeconds: 0 });
    print({ type: 'evaluation', epoch: 1, step: 1, loss: 0.25, accuracy: 0.9375, samples: 16, full: true });
    return out.slice(1);
  };
  assert.deepEqual(lines(true), ['epoch 1/1 step 1/1 loss 0.5000 pixel acc 0.875 2.0 img/s ETA 0s', 'held-out after epoch 1: loss 0.2500 pixel accuracy 93.75% (16 images)']);
  assert.deepEqual(lines(false), ['epoch 1/1 step 1/1 loss 0.5000 acc 0.875 2.0 img/s ETA 0s', 'held-out after epoch 1: loss 0.2500 accuracy 93.75% (16 images)']);
});
