import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { withoutSkipConnections } from '../../src/core';
import { checkDataFits } from '../../src/train/dataset';
import { countLesionUnits, drawLesions, lesionCost, lesionGates, lesionUnitNoun, lesionUnits, runLesionStudy } from '../../src/train/experiments/lesion';
import { TfModel } from '../../src/train/model';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { graphOf, immediate, syntheticDataset } from './trainHelpers';
import { twoPixelDataset } from '../support/twoPixel';

// The branch is a dense layer whose weights the test sets; the add passes x + branch(x).
const BIASED = `
block res() {
  branch: dense(2)
  add(branch, in)
}
model biased(2) {
  res()
}`;

const DENSE = `
block dl(k) {
  bn -> relu -> conv(k, 3, pad=1, bias=false)
  concat(in, _)
}
model tiny_dense(4x4x1) {
  conv(3, 3, pad=1)
  dl(2)
  dl(2)
  gap -> dense(2)
}`;

const RESNET = `
block basic(planes) {
  residual: conv(planes, 3, pad=1, bias=false) -> bn -> relu -> conv(planes, 3, pad=1, bias=false) -> bn
  add(residual, in) -> relu
}
model tiny_res(4x4x1) {
  conv(4, 3, pad=1, bias=false) -> bn -> relu
  basic(4)
  basic(4)
  basic(4)
  gap -> dense(2)
}`;


test('removing a residual branch leaves only the shortcut: outputs and accuracy match the hand computation', async () => {
  await useNodeBackend('cpu');
  const graph = graphOf(BIASED);
  const units = lesionUnits(graph);
  assert.deepEqual(units, [{ node: 'res1/add1', label: 'res1', kind: 'residual', edges: ['edge:res1/add1:0'] }]);
  const model = new TfModel(graph, 1);
  // branch(x) = [−100, 0]: every image scores class 1, so half are right; without it the logits are x itself.
  model.loadWeights({ 'res1/branch/kernel': [0, 0, 0, 0], 'res1/branch/bias': [-100, 0] });
  const dataset = twoPixelDataset(40);
  const adapter = checkDataFits(graph, dataset);
  const x = tf.tensor2d([
    [1.5, -0.5],
    [-2, 3],
  ]);
  const whole = tf.tidy(() => model.forward(x, { training: false }).output.arraySync());
  const lesioned = tf.tidy(() => model.forward(x, { training: false, gates: lesionGates(units) }).output.arraySync());
  assert.deepEqual(whole, [
    [-98.5, -0.5],
    [-102, 3],
  ]);
  assert.deepEqual(lesioned, [
    [1.5, -0.5],
    [-2, 3],
  ]);
  x.dispose();

  const before = tf.memory().numTensors;
  const progress: number[] = [];
  const result = await runLesionStudy(model, dataset, adapter, { samples: 40, draws: 3, seed: 9, nextFrame: immediate, onProgress: (done, total) => progress.push(done * 100 + total) });
  assert.equal(tf.memory().numTensors, before, 'the study frees every tensor it makes');
  assert.equal(result.baseline, 0.5);
  assert.deepEqual(result.singles, [{ node: 'res1/add1', label: 'res1', kind: 'residual', accuracy: 1 }]);
  // One unit: k = n = 1 has a single choice, evaluated once; 1 + 1 + 0·3 + 1 evaluations.
  assert.deepEqual(result.removed, [{ k: 1, accuracies: [1], mean: 1, sd: 0, removed: [['res1']] }]);
  assert.equal(result.evaluations, 3);
  assert.deepEqual(progress, [103, 203, 303]);
  assert.equal(result.chance, 0.5);
  assert.equal(result.complete, true);
  model.dispose();
});

test('removing a dense layer zeroes exactly its slice of the concat and keeps the width', async () => {
  await useNodeBackend('cpu');
  const graph = graphOf(DENSE);
  const units = lesionUnits(graph);
  assert.deepEqual(
    units.map((u) => [u.label, u.kind, u.edges[0]]),
    [
      ['dl1', 'dense', 'edge:dl1/concat1:1'],
      ['dl2', 'dense', 'edge:dl2/concat1:1'],
    ],
  );
  const model = new TfModel(graph, 3);
  const x = tf.tidy(() => tf.randomNormal([2, 4, 4, 1], 0, 1, 'float32', 4));
  const read = (gates?: Map<string, number>) =>
    tf.tidy(() => {
      const { activations } = model.forward(x, { training: false, gates });
      return { first: activations.get('dl1/concat1')!.arraySync() as number[][][][], second: activations.get('dl2/concat1')!.arraySync() as number[][][][] };
    });
  const whole = read();
  const lesioned = read(lesionGates([units[0]]));
  let newNonZero = 0;
  for (let n = 0; n < 2; n++)
    for (let h = 0; h < 4; h++)
      for (let w = 0; w < 4; w++) {
        const got = lesioned.first[n][h][w];
        assert.equal(got.length, 5, 'the concat keeps its 3 + 2 channels');
        assert.deepEqual(got.slice(0, 3), whole.first[n][h][w].slice(0, 3), 'the stem channels are unchanged');
        assert.deepEqual(got.slice(3), [0, 0], "the removed layer's channels are exactly zero");
        newNonZero += whole.first[n][h][w].slice(3).filter((v) => v !== 0).length;
      }
  assert.ok(newNonZero > 0, 'without the lesion the new channels are not all zero, so the check above can fail');
  // The next layer sees the zeros: its own new channels change, its copy of the earlier ones matches the lesioned input.
  assert.deepEqual(lesioned.second[0][0][0].slice(0, 5), lesioned.first[0][0][0]);
  x.dispose();
  model.dispose();
});

test('random removals are reproducible from the seed and never remove a block twice in one draw', () => {
  const a = drawLesions(9, 5, 42);
  assert.deepEqual(drawLesions(9, 5, 42), a);
  assert.notDeepEqual(drawLesions(9, 5, 43), a);
  assert.equal(a.length, 9);
  a.forEach((sets, i) => {
    const k = i + 1;
    assert.equal(sets.length, k === 9 ? 1 : 5);
    for (const set of sets) {
      assert.equal(set.length, k);
      assert.equal(new Set(set).size, k, `draw ${set} for k=${k} repeats a block`);
      assert.ok(set.every((u) => Number.isInteger(u) && u >= 0 && u < 9));
    }
  });
  assert.deepEqual(a[8][0], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(lesionCost(9, 5, 100), { units: 9, evaluations: 1 + 9 + 8 * 5 + 1, images: 5100 });
  assert.throws(() => drawLesions(3, 0, 1), /draws must be a whole number ≥ 1/);
});

test('the no-skip ablation falls to chance when a block is removed: it has no other path', async () => {
  await useNodeBackend('cpu');
  const ablated = withoutSkipConnections(RESNET).models[0];
  const units = lesionUnits(ablated);
  assert.deepEqual(
    units.map((u) => [u.label, u.kind]),
    [
      ['basic1', 'plain'],
      ['basic2', 'plain'],
      ['basic3', 'plain'],
    ],
  );
  const model = new TfModel(ablated, 2);
  const dataset = syntheticDataset({ size: 4, classes: 2, train: 8, test: 64 });
  const before = tf.memory().numTensors;
  const result = await runLesionStudy(model, dataset, checkDataFits(ablated, dataset), { samples: 64, draws: 2, nextFrame: immediate });
  assert.equal(tf.memory().numTensors, before);
  // Every image then gets the same logits (the dense layer's bias), hence one class: exactly half of a balanced split.
  assert.deepEqual(
    result.singles.map((s) => s.accuracy),
    [0.5, 0.5, 0.5],
  );
  assert.deepEqual(
    result.removed.map((r) => r.mean),
    [0.5, 0.5, 0.5],
  );
  assert.equal(result.chance, 0.5);
  model.dispose();
});

test('aborting stops the study at the next batch with what was measured, and frees its tensors', async () => {
  await useNodeBackend('cpu');
  const graph = graphOf(RESNET);
  const model = new TfModel(graph, 2);
  const dataset = syntheticDataset({ size: 4, classes: 2, train: 8, test: 64 });
  const controller = new AbortController();
  const before = tf.memory().numTensors;
  let batches = 0;
  const result = await runLesionStudy(model, dataset, checkDataFits(graph, dataset), {
    samples: 64,
    batch: 16,
    nextFrame: async () => {
      batches++;
    },
    signal: controller.signal,
    onProgress: (done) => done === 2 && controller.abort(),
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.complete, false);
  assert.equal(result.evaluations, 2);
  assert.equal(result.singles.length, 1);
  assert.deepEqual(result.removed, []);
  assert.equal(batches, 8, 'two evaluations of 64 images in batches of 16, nothing after the abort');
  model.dispose();
});

test('a U-Net’s encoder–decoder concats are skip concatenations (their skips are cut); a DenseNet’s are dense layers', () => {
  const unet = lesionUnits(graphOf(readFileSync('examples/unet_mnist.skipnet', 'utf8')));
  // concat(encN, upN): input 0 is the encoder's maps (the skip), input 1 the up-convolution (the branch).
  assert.deepEqual(
    unet.map((u) => [u.kind, u.edges.map((e) => e.split(':').at(-1))]),
    [
      ['skip-concat', ['0']],
      ['skip-concat', ['0']],
      ['skip-concat', ['0']],
    ],
  );
  const densenet = lesionUnits(graphOf(readFileSync('examples/mnist_densenet.skipnet', 'utf8')));
  assert.ok(densenet.length > 0 && densenet.every((u) => u.kind === 'dense'), JSON.stringify(densenet.map((u) => u.kind)));
  assert.deepEqual(new Set(lesionUnits(graphOf(DENSE)).map((u) => u.kind)), new Set(['dense']));
});

test('the units are counted by their kind’s name: a ResNet’s residual branches, a DenseNet’s dense layers, a U-Net’s skip concatenations; mixed kinds as units', () => {
  const kinds = (file: string) => lesionUnits(graphOf(readFileSync(`examples/${file}`, 'utf8'))).map((u) => u.kind);
  assert.equal(countLesionUnits(kinds('resnet20.skipnet')), '9 residual branches');
  const dense = kinds('mnist_densenet.skipnet');
  assert.equal(countLesionUnits(dense), `${dense.length} dense layers`);
  assert.equal(countLesionUnits(kinds('unet_mnist.skipnet')), '3 skip concatenations');
  assert.equal(countLesionUnits(lesionUnits(withoutSkipConnections(readFileSync('examples/resnet20.skipnet', 'utf8')).models[0]).map((u) => u.kind)), '9 plain blocks');
  // Each kind in the order it first appears, singular for one.
  assert.equal(countLesionUnits(['residual', 'skip-concat', 'residual', 'residual']), '4 units (3 residual branches, 1 skip concatenation)');
  assert.equal(countLesionUnits(['dense']), '1 dense layer');
  assert.equal(countLesionUnits([]), '0 units');
  assert.deepEqual(
    [lesionUnitNoun(['residual'], 1), lesionUnitNoun(['dense', 'dense'], 2), lesionUnitNoun(['skip-concat'], 2), lesionUnitNoun(['residual', 'dense'], 1), lesionUnitNoun([], 2)],
    ['residual branch', 'dense layers', 'skip concatenations', 'unit', 'units'],
  );
});
