import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useNodeBackend as useBackend } from '../../src/train/nodeBackend';
import { TrainingEngine, type TrainEvent } from '../../src/train/engine';
import { TrainError } from '../../src/train/model';
import { graphOf, immediate, syntheticDataset } from './trainHelpers';

const TINY = `
block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model tiny(6x6x1) {
  conv(4, 3, pad=1) -> bn -> relu
  res()
  b: bn -> relu -> conv(2, 1)
  concat(in, b) -> dropout(0.1) -> gap -> dense(10)
  train { optimizer: adam; lr: 0.01; batch: 8; epochs: 3; seed: 5 }
}`;

async function losses(seed: number): Promise<number[]> {
  const out: number[] = [];
  const engine = new TrainingEngine({
    graph: graphOf(TINY),
    dataset: syntheticDataset({ size: 6, train: 80, test: 20 }),
    config: { seed },
    maxSteps: 12,
    statsInterval: 5,
    nextFrame: immediate,
    onEvent: (e) => e.type === 'progress' && out.push(e.loss),
  });
  await engine.run();
  return out;
}

test('a fixed seed gives the same losses on the cpu backend; another seed does not', async () => {
  await useBackend('cpu');
  const a = await losses(5);
  const b = await losses(5);
  const c = await losses(6);
  assert.equal(a.length, 12);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('training lowers the loss and reports progress, statistics and a held-out evaluation', async () => {
  await useBackend('cpu');
  const events: TrainEvent[] = [];
  const engine = new TrainingEngine({ graph: graphOf(TINY), dataset: syntheticDataset({ size: 6, train: 400, test: 50 }), statsInterval: 10, nextFrame: immediate, onEvent: (e) => events.push(e) });
  const result = await engine.run();
  const progress = events.filter((e) => e.type === 'progress');
  assert.equal(result.reason, 'done');
  assert.equal(progress.length, 150); // 3 epochs × 50 steps of 8
  const first = progress.slice(0, 10).reduce((s, e) => s + e.loss, 0) / 10;
  const last = progress.slice(-10).reduce((s, e) => s + e.loss, 0) / 10;
  assert.ok(last < first * 0.75, `loss ${first} → ${last}`);
  const p = progress.at(-1)!;
  assert.equal(p.epoch, 3);
  assert.equal(p.step, 150);
  assert.ok(p.imagesPerSecond > 0 && p.etaSeconds === 0);
  assert.equal(events.filter((e) => e.type === 'statistics').length, 15);
  // Four held-out points per epoch: checks on a spread subset after steps 13, 26 and 39 of each 50-step epoch, then the whole split.
  const evaluations = events.filter((e) => e.type === 'evaluation');
  assert.deepEqual(
    evaluations.map((e) => `${e.step}${e.full ? ' full' : ''}`),
    ['13', '26', '39', '50 full', '63', '76', '89', '100 full', '113', '126', '139', '150 full'],
  );
  assert.ok(evaluations.every((e) => e.samples === 50 && e.accuracy >= 0 && e.accuracy <= 1));
  // A check comes between its step's progress and the next step's (the curves append in order).
  const firstCheck = events.findIndex((e) => e.type === 'evaluation');
  assert.ok(firstCheck > events.findIndex((e) => e.type === 'progress' && e.step === 13));
  assert.ok(firstCheck < events.findIndex((e) => e.type === 'progress' && e.step === 14));
  assert.ok(result.evaluation && result.evaluation.samples === 50 && result.evaluation.accuracy > 0.3, JSON.stringify(result.evaluation));
});

test('tf.memory().numTensors is the same after step 10 and step 1,000, and back to the start after the run', async () => {
  await useBackend('cpu');
  const graph = graphOf(`
block res() {
  r: conv(2, 3, pad=1) -> bn -> relu
  add(r, in)
}
model leak(4x4x1) {
  conv(2, 3, pad=1) -> relu
  res()
  concat(in, _) -> gap -> dense(10)
  train { optimizer: momentum; lr: 0.01; batch: 2; epochs: 1 }
}`);
  const start = tf.memory().numTensors;
  const counts = new Map<number, number>();
  const engine = new TrainingEngine({
    graph,
    dataset: syntheticDataset({ size: 4, train: 2000, test: 4 }),
    statsInterval: 7,
    nextFrame: () => Promise.resolve(),
    onEvent: (e) => {
      if (e.type === 'progress' && (e.step === 10 || e.step === 1000)) counts.set(e.step, tf.memory().numTensors);
    },
  });
  const result = await engine.run();
  assert.equal(result.steps, 1000);
  assert.ok(counts.get(10)! > start);
  assert.equal(counts.get(1000), counts.get(10));
  assert.equal(tf.memory().numTensors, start);
});

test('stop ends the run at once (also while paused); pause holds it until resume', async () => {
  await useBackend('cpu');
  const dataset = syntheticDataset({ size: 6, train: 400, test: 20 });
  const start = tf.memory().numTensors;
  let engine: TrainingEngine;
  engine = new TrainingEngine({ graph: graphOf(TINY), dataset, nextFrame: immediate, onEvent: (e) => e.type === 'progress' && e.step === 5 && engine.stop() });
  let result = await engine.run();
  assert.deepEqual([result.reason, result.steps], ['stopped', 5]);
  assert.equal(tf.memory().numTensors, start);

  const seen: string[] = [];
  engine = new TrainingEngine({
    graph: graphOf(TINY),
    dataset,
    maxSteps: 8,
    nextFrame: immediate,
    onEvent: (e) => {
      seen.push(e.type === 'progress' ? `step ${e.step}` : e.type);
      if (e.type === 'progress' && e.step === 3) engine.pause();
      if (e.type === 'paused') setImmediate(() => {
        seen.push('resume called');
        engine.resume();
      });
    },
  });
  result = await engine.run();
  assert.equal(result.steps, 8);
  assert.deepEqual(seen.slice(0, 8), ['started', 'step 1', 'step 2', 'step 3', 'paused', 'resume called', 'resumed', 'step 4']);

  engine = new TrainingEngine({
    graph: graphOf(TINY),
    dataset,
    nextFrame: immediate,
    onEvent: (e) => {
      if (e.type === 'progress' && e.step === 2) engine.pause();
      if (e.type === 'paused') setImmediate(() => engine.stop());
    },
  });
  result = await engine.run();
  assert.deepEqual([result.reason, result.steps], ['stopped', 2]);
  assert.equal(tf.memory().numTensors, start);
});

test('a NaN weight stops the run naming the first layer whose activation went non-finite', async () => {
  await useBackend('cpu');
  const graph = graphOf(TINY);
  const start = tf.memory().numTensors;
  const kernel = new Array(4 * 9 * 4).fill(0.1);
  kernel[7] = NaN;
  const engine = new TrainingEngine({ graph, dataset: syntheticDataset({ size: 6, train: 80, test: 8 }), initialWeights: { 'res1/conv1/kernel': kernel }, nextFrame: immediate });
  const result = await engine.run();
  assert.equal(result.reason, 'non-finite');
  assert.equal(result.steps, 1);
  assert.match(result.message!, /step 1: the loss is NaN\. The first layer whose activation went non-finite is layer res1\/conv1 \(conv\)/);
  assert.equal(tf.memory().numTensors, start);
});

test('a huge learning rate ends in a non-finite loss with the layer named', async () => {
  await useBackend('cpu');
  const graph = graphOf(`model plain(6x6x1) {
  conv(8, 3, pad=1) -> relu -> conv(8, 3, pad=1) -> relu -> flatten -> dense(10)
  train { optimizer: sgd; lr: 1e12; batch: 8 }
}`);
  const result = await new TrainingEngine({ graph, dataset: syntheticDataset({ size: 6, train: 800, test: 8 }), nextFrame: immediate }).run();
  assert.equal(result.reason, 'non-finite');
  assert.ok(result.steps < 100);
  assert.match(result.message!, /went non-finite is layer (conv\d?|relu\d?|dense|flatten) /);
});

test('a model over the memory budget is refused with the estimate and a smaller batch', async () => {
  const graph = graphOf(TINY);
  assert.throws(
    () => new TrainingEngine({ graph, dataset: syntheticDataset({ size: 6, train: 8, test: 8 }), config: { batch: 4096 }, memoryBudget: 4 * 1024 * 1024 }),
    (error: unknown) => error instanceof TrainError && error.code === 'memory' && /at batch 4096 needs about [\d.]+ MiB .* more than the 4.00 MiB budget: try batch \d+ \(about/.test(error.message),
  );
});

test('a data set that does not fit the model is a clear error', () => {
  const graph = graphOf(`model small(4x4x1) { conv(2, 3, pad=1) -> gap -> dense(10) }`);
  assert.throws(() => new TrainingEngine({ graph, dataset: syntheticDataset({ size: 6, train: 8, test: 8 }) }), /synthetic images are 6×6×1 but model small takes 4×4×1: images would have to be cropped/);
  const three = graphOf(`model three(6x6x1) { conv(2, 3, pad=1) -> gap -> dense(3) }`);
  assert.throws(() => new TrainingEngine({ graph: three, dataset: syntheticDataset({ size: 6, train: 8, test: 8 }) }), /ends in 3 outputs but synthetic has 10 classes: end the model with dense\(10\)/);
});
