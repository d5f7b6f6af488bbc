/**
 * Gradient by path length (src/train/experiments/pathGradients.ts, Veit et al. 2016 §4.2): path counts
 * C(n, k), the residual adds found, per-path input gradients of a linear residual net computed by hand,
 * the paths summing to the whole network's gradient, and no tensor left behind.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { analyze } from '../../src/core';
import { binomial, pathGradients, residualAdds } from '../../src/train/experiments/pathGradients';
import { TfModel } from '../../src/train/model';
import { crossEntropy } from '../../src/train/step';

// Two residual blocks of one bias-free dense layer each, then a dense layer to two classes: with kernels
// K1 = 2·I, K2 = 3·I and K3 = I the output is z = x·(I + K1)·(I + K2)·K3.
const LINEAR = `block res() {
  r: dense(2, bias=false)
  add(r, in)
}
model lin(1x1x2) {
  flatten
  res()
  res()
  dense(2, bias=false)
}
`;

function linearModel(): TfModel {
  const graph = analyze(LINEAR).models[0];
  assert.ok(graph.complete, 'the linear net analyses');
  const model = new TfModel(graph, 1);
  const dense = graph.nodes.filter((n) => n.kind === 'dense').map((n) => n.id);
  assert.equal(dense.length, 3);
  model.loadWeights({ [`${dense[0]}/kernel`]: [2, 0, 0, 2], [`${dense[1]}/kernel`]: [3, 0, 0, 3], [`${dense[2]}/kernel`]: [1, 0, 0, 1] });
  return model;
}

test('binomial: path counts C(n, k), Veit’s 2^n paths in all', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((k) => binomial(6, k)), [1, 6, 15, 20, 15, 6, 1]);
  assert.equal(binomial(54, 27), 1_946_939_425_648_112);
  assert.equal([...Array(55).keys()].reduce((sum, k) => sum + binomial(54, k), 0), 2 ** 54);
  assert.equal(binomial(3, 4), 0);
});

test('residualAdds: the branch is the input with weighted layers, the skip the other; ResNet-20 has 9, DenseNet-40 none', () => {
  const adds = residualAdds(analyze(LINEAR).models[0]);
  assert.equal(adds.length, 2);
  assert.ok(adds.every((a) => a.branch === 0 && a.skip === 1), JSON.stringify(adds));
  assert.equal(residualAdds(analyze(readFileSync('examples/resnet20.skipnet', 'utf8')).models[0]).length, 9);
  assert.equal(residualAdds(analyze(readFileSync('examples/resnet110.skipnet', 'utf8')).models[0]).length, 54);
  assert.equal(residualAdds(analyze(readFileSync('examples/densenet40.skipnet', 'utf8')).models[0]).length, 0);
});

test('residualAdds counts attention and patchify as weighted: vit_tiny has 8 residual adds, 4 of them around attention', () => {
  const graph = analyze(readFileSync('examples/vit_tiny.skipnet', 'utf8')).models[0];
  const adds = residualAdds(graph);
  // 4 blocks × (x + attention(ln(x)), x + mlp(ln(x))): with attention unweighted the first add of each block
  // would compare two equal depths and drop out, leaving 4.
  assert.equal(adds.length, 8);
  const aroundAttention = adds.filter((a) => {
    const branch = graph.nodeById.get(graph.nodeById.get(a.id)!.inputs[a.branch])!;
    return branch.kind === 'attention' || branch.id.includes('attention');
  });
  assert.equal(aroundAttention.length, 4, JSON.stringify(adds));
});

test('pathGradients on a linear residual net: each length’s input gradient by hand, times C(2, k)', () => {
  const model = linearModel();
  // x = 0: z = 0, softmax(z) = (½, ½), label class 0: ∂loss/∂z = (½ − 1, ½) = (−½, ½), ‖·‖ = √2 / 2.
  const x = tf.zeros([1, 1, 1, 2]);
  const y = tf.tensor2d([[1, 0]]);
  const g = Math.SQRT2 / 2;
  const result = pathGradients(model, x, y);
  // Length 0: both skips, the gradient is ∂loss/∂z·K3ᵀ = g. Length 1: through K1 (×2) or K2 (×3): mean 2.5 g,
  // two paths. Length 2: through both, ×6.
  assert.deepEqual(result.map((r) => [r.length, r.paths, r.sampled]), [[0, 1, 1], [1, 2, 2], [2, 1, 1]]);
  const expected = [
    [g, g],
    [2.5 * g, 5 * g],
    [6 * g, 6 * g],
  ];
  result.forEach((r, k) => {
    assert.ok(Math.abs(r.meanNorm - expected[k][0]) < 1e-5, `length ${k}: mean ${r.meanNorm}, expected ${expected[k][0]}`);
    assert.ok(Math.abs(r.total - expected[k][1]) < 1e-5, `length ${k}: total ${r.total}, expected ${expected[k][1]}`);
  });
  x.dispose();
  y.dispose();
  model.dispose();
});

test('the four paths’ gradients add up to the whole network’s input gradient (each path’s is a multiple of it here)', () => {
  const model = linearModel();
  const x = tf.tensor4d([[[[0.3, -0.2]]]]);
  const y = tf.tensor2d([[0, 1]]);
  const whole = tf.tidy(() => tf.norm(tf.grad((input: tf.Tensor) => crossEntropy(model.forward(input, { training: false }).logits, y))(x)).dataSync()[0]);
  // Diagonal kernels: every path's gradient is the whole one scaled by 1, 2, 3, 6 over (1+2)(1+3) = 12.
  const result = pathGradients(model, x, y);
  const sum = result.reduce((s, r) => s + r.total, 0);
  assert.ok(whole > 0);
  assert.ok(Math.abs(sum - whole) < 1e-5 * whole, `paths ${sum}, whole ${whole}`);
  assert.ok(Math.abs(result[2].total - (6 / 12) * whole) < 1e-5 * whole);
  x.dispose();
  y.dispose();
  model.dispose();
});

test('ResNet-20 at random weights: sampled paths per length, totals finite, and no tensor left behind', () => {
  const graph = analyze(readFileSync('examples/resnet20.skipnet', 'utf8')).models[0];
  const model = new TfModel(graph, 3);
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
  const y = tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10);
  const before = tf.memory().numTensors;
  const result = pathGradients(model, x, y, { samples: 2, seed: 4 });
  assert.equal(tf.memory().numTensors, before, 'tensors after = before');
  assert.deepEqual(result.map((r) => r.paths), [1, 9, 36, 84, 126, 126, 84, 36, 9, 1]);
  assert.deepEqual(result.map((r) => r.sampled), [1, 2, 2, 2, 2, 2, 2, 2, 2, 1]);
  for (const r of result) assert.ok(Number.isFinite(r.total) && r.total > 0 && Math.abs(r.total - r.paths * r.meanNorm) < 1e-9 * r.total, JSON.stringify(r));
  x.dispose();
  y.dispose();
  model.dispose();
});

test('pathGradients stays finite where float32 squares overflow: gradients of 1e20 give 1e20-sized totals, not Infinity', () => {
  const graph = analyze(LINEAR).models[0];
  const model = new TfModel(graph, 1);
  const dense = graph.nodes.filter((n) => n.kind === 'dense').map((n) => n.id);
  // K3 = 1e20·I: at x = 0, ∂loss/∂z = (−½, ½) and the path through both branches gives (K1·K2·K3)ᵀ of it, 6e20·(−½, ½).
  model.loadWeights({ [`${dense[0]}/kernel`]: [2, 0, 0, 2], [`${dense[1]}/kernel`]: [3, 0, 0, 3], [`${dense[2]}/kernel`]: [1e20, 0, 0, 1e20] });
  const x = tf.zeros([1, 1, 1, 2]);
  const y = tf.tensor2d([[1, 0]]);
  // The overflow itself: each square (~1e40) is beyond float32's 3.4e38, so tf.norm of such a gradient is Infinity.
  const plain = tf.tidy(() => tf.norm(tf.tensor1d([-3e20, 3e20])).dataSync()[0]);
  assert.equal(plain, Infinity);
  const before = tf.memory().numTensors;
  const lengths = pathGradients(model, x, y);
  assert.equal(tf.memory().numTensors, before);
  const half = Math.SQRT1_2;
  // Gains per path: skip-skip 1, branch 1 or 2 only → 2 or 3 (mean 2.5, two paths), both branches 2·3 = 6; times 1e20·√½.
  const expected = [1 * half * 1e20, 2 * 2.5 * half * 1e20, 6 * half * 1e20];
  lengths.forEach((l, k) => {
    assert.ok(Number.isFinite(l.total), `length ${k} total ${l.total}`);
    assert.ok(Math.abs(l.total - expected[k]) <= 1e-5 * expected[k], `length ${k}: ${l.total} vs ${expected[k]}`);
  });
  tf.dispose([x, y]);
  model.dispose();
});
