import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { adaptInputs, type ImageDataset } from '../../src/train/data';
import { TrainingEngine, type EvaluationEvent } from '../../src/train/engine';
import { TrainError } from '../../src/train/errors';
import { axisValues, computeLandscape, filterLayout, filterNorms, isPerturbed, randomDirection, type LandscapeLine, type LandscapeSurface } from '../../src/train/experiments/landscape';
import { TfModel } from '../../src/train/model';
import { useNodeBackend as useBackend } from '../../src/train/nodeBackend';
import { SeededRandom } from '../../src/train/rng';
import { graphOf, immediate, snapshot, syntheticDataset } from './trainHelpers';
import { TINY_VIT } from '../support/sequenceModels';

const TINY = `
block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model tiny(6x6x1) {
  conv(4, 3, pad=1) -> bn -> relu
  res()
  b: bn -> relu -> conv(2, 1)
  concat(in, b) -> gap -> dense(10)
  train { optimizer: adam; lr: 0.01; batch: 8; epochs: 2; seed: 5 }
}`;

/**
 * Two held-out images, pixels (255, 0) labelled 0 and (0, 255) labelled 1: the training pixels' mean and std
 * are both 0.5, so the model sees x = (1, −1) and (−1, 1).
 */
function twoPixelData(): ImageDataset {
  const split = { count: 2, labels: Uint8Array.from([0, 1]), pixels: Uint8Array.from([255, 0, 0, 255]) };
  return { name: 'two-pixel', height: 1, width: 2, channels: 1, classes: ['a', 'b'], train: split, test: split };
}

const softplus = (z: number): number => Math.log1p(Math.exp(z));

/**
 * With kernel W [2 inputs, 2 units] and x = ±(1, −1), both images have loss softplus(s) where
 * s = (w01 − w11) − (w00 − w10) (the wrong logit minus the right one), so along W + αD + βE the loss is
 * softplus(s + α·t_D + β·t_E) with t_M = (m01 − m11) − (m00 − m10); both are right while that is below 0.
 */
const margin = (m: ArrayLike<number>): number => m[1] - m[3] - (m[0] - m[2]);

async function toyModel(): Promise<TfModel> {
  await useBackend('cpu');
  const model = new TfModel(graphOf('model toy(2) {\n  dense(2, bias=false)\n}'), 1);
  model.loadWeights({ [model.params[0].name]: [1, 0, 0, 1] });
  return model;
}

test('each direction has the filter norms of the weights; bn parameters and biases get a zero direction', async () => {
  await useBackend('cpu');
  const model = new TfModel(graphOf(TINY), 3);
  const direction = await randomDirection(model, new SeededRandom(11));
  const roles = new Set<string>();
  for (const param of model.params) {
    const d = direction.get(param.name)!;
    assert.equal(d.length, param.variable.size, param.name);
    roles.add(param.role);
    if (param.role !== 'kernel') {
      assert.ok(d.every((v) => v === 0), `${param.name} must not move`);
      continue;
    }
    const shape = param.variable.shape;
    const want = filterNorms(param.variable.dataSync(), shape);
    const got = filterNorms(d, shape);
    assert.equal(got.length, shape.at(-1));
    got.forEach((norm, i) => assert.ok(Math.abs(norm - want[i]) <= 1e-6 * want[i], `${param.name} filter ${i}: ${norm} vs ${want[i]}`));
  }
  assert.deepEqual([...roles].sort(), ['beta', 'bias', 'gamma', 'kernel']);
  model.dispose();
});

test('a ViT moves every weight matrix, the position embedding and the class token, each filter by its own norm; biases and layer norms stay', async () => {
  await useBackend('cpu');
  const model = new TfModel(graphOf(TINY_VIT), 3);
  // pos_embedding and class_token start at 0.02·N(0, 1) and 0: give every parameter a distinct non-zero value so a
  // direction scaled by a zero norm cannot pass for a right one.
  model.loadWeights(Object.fromEntries(model.params.map((p, k) => [p.name, Array.from({ length: p.variable.size }, (_, i) => Math.sin(1 + i + 7 * k))])));
  const direction = await randomDirection(model, new SeededRandom(5));
  const moved: string[] = [];
  const still: string[] = [];
  for (const param of model.params) {
    const d = direction.get(param.name)!;
    if (!isPerturbed(param.role)) {
      assert.ok(d.every((v) => v === 0), `${param.name} must not move`);
      still.push(param.role);
      continue;
    }
    moved.push(param.name);
    const shape = param.variable.shape;
    const want = filterNorms(param.variable.dataSync(), shape, param.role);
    const got = filterNorms(d, shape, param.role);
    assert.equal(got.length, filterLayout(param.role, shape).filters);
    got.forEach((norm, i) => assert.ok(norm > 0 && Math.abs(norm - want[i]) <= 1e-6 * want[i], `${param.name} filter ${i}: ${norm} vs ${want[i]}`));
  }
  assert.deepEqual(moved, [
    'conv_proj/kernel', 'class_token/class_token', 'pos_embedding/pos_embedding',
    'self_attention/in_proj_kernel', 'self_attention/out_proj_kernel', 'dense1/kernel', 'dense2/kernel', 'dense3/kernel',
  ]);
  assert.deepEqual([...new Set(still)].sort(), ['beta', 'bias', 'gamma', 'in_proj_bias', 'out_proj_bias']);
  model.dispose();
});

test('a token vector is one filter: pos_embedding [T, D] has T, the class token [D] one; a projection row is one index of the last axis', () => {
  // pos_embedding [2 tokens, 2 features]: token 0 is (3, 4), token 1 is (0, 1).
  assert.deepEqual([...filterNorms([3, 4, 0, 1], [2, 2], 'pos_embedding')], [5, 1]);
  assert.deepEqual([...filterNorms([3, 4], [2], 'class_token')], [5]);
  // in_proj_kernel [D = 1, 3D = 3] (PyTorch's [3, 1] transposed): three rows of one value each.
  assert.deepEqual([...filterNorms([3, -4, 2], [1, 3], 'in_proj_kernel')], [3, 4, 2]);
});

test('filter norms are taken over the last axis (one output channel each)', () => {
  // A 1×1 conv kernel [1, 1, 2 inputs, 2 filters]: filter 0 is (3, 4), filter 1 is (0, 1).
  assert.deepEqual([...filterNorms([3, 0, 4, 1], [1, 1, 2, 2])], [5, 1]);
});

test('on one dense layer the 1-D slice is softplus(s + α·t) at every α, and accuracy flips where that crosses 0', async () => {
  const model = await toyModel();
  const data = { dataset: twoPixelData(), adapter: adaptInputs(twoPixelData(), [2]) };
  assert.deepEqual([data.adapter.mean, data.adapter.std], [0.5, 0.5]);
  const d = (await randomDirection(model, new SeededRandom(4))).get(model.params[0].name)!;
  const before = tf.memory().numTensors;
  const line = (await computeLandscape(model, data, { kind: 'line', points: 9, seed: 4, samples: 2 })) as LandscapeLine;
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(line.alphas, [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1]);
  // W = identity: s = −2, so the centre is softplus(−2) = 0.126928 nats.
  assert.ok(Math.abs(line.loss[4] - 0.126928) < 1e-5, String(line.loss[4]));
  const t = margin(d);
  line.alphas.forEach((alpha, i) => {
    const z = -2 + alpha * t;
    assert.ok(Math.abs(line.loss[i] - softplus(z)) < 1e-5 * Math.max(1, softplus(z)), `α=${alpha}: ${line.loss[i]} vs ${softplus(z)}`);
    assert.equal(line.accuracy[i], z < 0 ? 1 : 0, `α=${alpha}`);
  });
  assert.deepEqual([...model.params[0].variable.dataSync()], [1, 0, 0, 1]);
  model.dispose();
});

test('on one dense layer the 2-D slice is softplus(s + α·t_δ + β·t_η), rows along β', async () => {
  const model = await toyModel();
  const data = { dataset: twoPixelData(), adapter: adaptInputs(twoPixelData(), [2]) };
  const random = new SeededRandom(9);
  const d = (await randomDirection(model, random)).get(model.params[0].name)!;
  const e = (await randomDirection(model, random)).get(model.params[0].name)!;
  const surface = (await computeLandscape(model, data, { kind: 'surface', grid: 5, seed: 9, samples: 2 })) as LandscapeSurface;
  assert.equal(surface.loss.length, 25);
  assert.deepEqual(surface.betas, axisValues(5));
  for (const [i, j] of [[0, 0], [4, 0], [0, 4], [2, 2], [3, 1], [1, 4]]) {
    const want = softplus(-2 + surface.alphas[i] * margin(d) + surface.betas[j] * margin(e));
    const got = surface.loss[j * 5 + i];
    assert.ok(Math.abs(got - want) < 1e-5 * Math.max(1, want), `(α, β) = (${surface.alphas[i]}, ${surface.betas[j]}): ${got} vs ${want}`);
  }
  model.dispose();
});

test('paused mid-run: the 1-D curve at α = 0 and the 2-D centre equal the held-out evaluation, the weights come back bitwise and the run finishes', async () => {
  await useBackend('cpu');
  const dataset = syntheticDataset({ size: 6, train: 80, test: 20 });
  let evaluation: EvaluationEvent | undefined;
  let onPaused!: () => void;
  const paused = new Promise<void>((resolve) => (onPaused = resolve));
  const engine: TrainingEngine = new TrainingEngine({
    graph: graphOf(TINY),
    dataset,
    evalSamples: 20,
    evalsPerEpoch: 1,
    statsInterval: 0,
    nextFrame: immediate,
    onEvent: (event) => {
      if (event.type === 'evaluation' && event.epoch === 1) {
        evaluation = event;
        engine.pause();
      }
      if (event.type === 'paused') onPaused();
    },
  });
  const running = engine.run();
  await paused;
  const model = engine.currentModel!;
  const weights = snapshot(engine);
  const tensors = tf.memory().numTensors;
  const data = { dataset, adapter: engine.adapter };
  const line = (await computeLandscape(model, data, { kind: 'line', points: 41, seed: 1, samples: 20 }))!;
  const surface = (await computeLandscape(model, data, { kind: 'surface', grid: 3, seed: 1, samples: 20 }))!;
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(snapshot(engine), weights);
  assert.equal(line.loss.length, 41);
  assert.equal(line.alphas[20], 0);
  const expected = evaluation!.loss;
  assert.ok(Math.abs(line.loss[20] - expected) < 1e-5 * expected, `${line.loss[20]} vs ${expected}`);
  assert.equal(line.accuracy[20], evaluation!.accuracy);
  assert.ok(Math.abs(surface.loss[4] - expected) < 1e-5 * expected, `${surface.loss[4]} vs ${expected}`);
  // The ends of the slice are a whole filter norm away: the trained minimum is lower than both.
  assert.ok(line.loss[0] > expected && line.loss[40] > expected, `${line.loss[0]}, ${expected}, ${line.loss[40]}`);
  engine.resume();
  const result = await running;
  assert.equal(result.reason, 'done');
  assert.equal(result.steps, 20);
});

test('aborting stops between evaluations, resolves null and leaves the weights and tensor count as they were', async () => {
  await useBackend('cpu');
  const model = new TfModel(graphOf(TINY), 3);
  const dataset = syntheticDataset({ size: 6, train: 10, test: 10 });
  const weights = model.params.map((p) => p.variable.dataSync().slice());
  const tensors = tf.memory().numTensors;
  const controller = new AbortController();
  const seen: number[] = [];
  const result = await computeLandscape(model, { dataset, adapter: adaptInputs(dataset, [6, 6, 1]) }, { kind: 'surface', grid: 21, seed: 2, samples: 10 }, {
    signal: controller.signal,
    onProgress: (p) => {
      seen.push(p.done);
      assert.equal(p.total, 441);
      if (p.done === 3) controller.abort();
    },
  });
  assert.equal(result, null);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(tf.memory().numTensors, tensors);
  model.params.forEach((p, i) => assert.deepEqual(p.variable.dataSync(), weights[i], p.name));
  model.dispose();
});

test('a bad request is refused with the value named, before anything is computed', async () => {
  await useBackend('cpu');
  const model = new TfModel(graphOf(TINY), 3);
  const dataset = syntheticDataset({ size: 6, train: 10, test: 10 });
  const data = { dataset, adapter: adaptInputs(dataset, [6, 6, 1]) };
  await assert.rejects(computeLandscape(model, data, { kind: 'surface', grid: 1, seed: 2, samples: 10 }), (e: unknown) => e instanceof TrainError && /grid must be a whole number from 2 to 101, not 1/.test(e.message));
  await assert.rejects(computeLandscape(model, data, { kind: 'line', points: 2.5, seed: 2, samples: 10 }), (e: unknown) => e instanceof TrainError && /points must be .* not 2\.5/.test(e.message));
  const empty = { ...dataset, test: { count: 0, labels: new Uint8Array(0), pixels: new Uint8Array(0) } };
  await assert.rejects(computeLandscape(model, { dataset: empty, adapter: data.adapter }, { kind: 'line', points: 5, seed: 2, samples: 10 }), /no held-out images/);
  model.dispose();
});
