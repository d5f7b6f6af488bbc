/**
 * Experiments after a run ends (src/train/experiments/finalWeights.ts): the engine keeps its model past the end,
 * the weights are copied out and the model freed, and a lesion study or a loss landscape on a model rebuilt from the
 * copy gives exactly what it gives on the model the run ended with. No tensor outlives the run or the experiment.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TrainingEngine } from '../../src/train/engine';
import { computeLandscape } from '../../src/train/experiments/landscape';
import { runLesionStudy } from '../../src/train/experiments/lesion';
import { rebuildModel, snapshotWeights, withFinalModel, type FinalRun } from '../../src/train/experiments/finalWeights';
import { TrainError } from '../../src/train/model';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { graphOf, immediate, syntheticDataset } from './trainHelpers';

const TINY_RES = `
block basic(planes) {
  residual: conv(planes, 3, pad=1, bias=false) -> bn -> relu
  add(residual, in) -> relu
}
model tiny_res(6x6x1) {
  conv(3, 3, pad=1, bias=false) -> bn -> relu
  basic(3)
  basic(3)
  gap -> dense(4)
  train { optimizer: adam; lr: 0.05; batch: 8; epochs: 1; seed: 3 }
}`;

async function trainedRun(): Promise<{ engine: TrainingEngine; final: FinalRun }> {
  await useNodeBackend('cpu');
  const graph = graphOf(TINY_RES);
  const dataset = syntheticDataset({ size: 6, classes: 4, train: 64, test: 40 });
  const engine = new TrainingEngine({ graph, dataset, maxSteps: 6, statsInterval: 0, evalsPerEpoch: 1, keepModel: true, nextFrame: immediate });
  const result = await engine.run();
  assert.equal(result.reason, 'done');
  const model = engine.currentModel;
  assert.ok(model, 'keepModel keeps the model past the end');
  const final: FinalRun = { graph, seed: engine.config.seed, weights: await snapshotWeights(model), dataset, adapter: engine.adapter, batch: 8, step: engine.stepsDone };
  return { engine, final };
}

test('the copy holds every parameter and running statistic, value for value, and outlives the freed model', async () => {
  await useNodeBackend('cpu');
  const before = tf.memory().numTensors;
  const { engine, final } = await trainedRun();
  const model = engine.currentModel!;
  const dense = model.params.find((p) => p.variable.shape.length === 2)!;
  // 3 convs (kernels only), 3 bns (gamma, beta), dense (kernel, bias): 11 parameters; 3 bns × 2 running statistics.
  assert.equal(Object.keys(final.weights).length, 11 + 6);
  for (const p of model.params) assert.deepEqual(final.weights[p.name], p.variable.dataSync(), p.name);
  const stem = model.running.get([...model.running.keys()][0])!;
  assert.deepEqual(final.weights[`${[...model.running.keys()][0]}/running_var`], stem.variance.dataSync());
  assert.equal(final.step, 6);
  engine.releaseModel();
  assert.equal(engine.currentModel, null);
  assert.equal(tf.memory().numTensors, before, 'the engine freed its model; the copy is plain arrays');
  assert.equal(final.weights[dense.name].length, 3 * 4, 'the dense kernel: 3 channels in, 4 classes out');
});

test('a lesion study on the rebuilt model equals the study on the model the run ended with; the rebuilt model is freed', async () => {
  const { engine, final } = await trainedRun();
  const options = { samples: 40, draws: 3, seed: 1, nextFrame: immediate };
  const onEnded = await runLesionStudy(engine.currentModel!, final.dataset, final.adapter, options);
  engine.releaseModel();
  const before = tf.memory().numTensors;
  const onCopy = await withFinalModel(final, (model) => runLesionStudy(model, final.dataset, final.adapter, options));
  assert.equal(tf.memory().numTensors, before, 'withFinalModel frees the model it built');
  assert.deepEqual(onCopy, onEnded);
  assert.equal(onCopy.singles.length, 2, 'two residual blocks, each removed on its own');
  assert.ok(onCopy.evaluations > 0);
});

test('a 1-D loss landscape on the rebuilt model equals the one on the model the run ended with, centre included', async () => {
  const { engine, final } = await trainedRun();
  const request = { kind: 'line' as const, points: 5, seed: 1, samples: 40 };
  const data = { dataset: final.dataset, adapter: final.adapter };
  const onEnded = await computeLandscape(engine.currentModel!, data, request, { nextFrame: immediate });
  engine.releaseModel();
  const onCopy = await withFinalModel(final, (model) => computeLandscape(model, data, request, { nextFrame: immediate }));
  assert.ok(onEnded && onCopy);
  assert.deepEqual(onCopy.loss, onEnded.loss);
  assert.deepEqual(onCopy.accuracy, onEnded.accuracy);
  assert.equal(onCopy.alphas[2], 0, 'the middle of 5 points on [−1, 1] is the weights themselves');
});

test('a copy that does not fit the model is refused with the counts, and nothing is left allocated', async () => {
  const { engine, final } = await trainedRun();
  engine.releaseModel();
  const before = tf.memory().numTensors;
  const [first, ...rest] = Object.keys(final.weights);
  const missing = Object.fromEntries(rest.map((name) => [name, final.weights[name]]));
  assert.throws(() => rebuildModel({ ...final, weights: missing }), (error: unknown) => error instanceof TrainError && /hold 16 arrays, but the model has 17/.test(error.message));
  const wrongSize = { ...final.weights, [first]: new Float32Array(final.weights[first].length + 1) };
  assert.throws(() => rebuildModel({ ...final, weights: wrongSize }), (error: unknown) => error instanceof TrainError && new RegExp(`${first} has ${final.weights[first].length} values, not ${final.weights[first].length + 1}`).test(error.message));
  assert.equal(tf.memory().numTensors, before);
});
