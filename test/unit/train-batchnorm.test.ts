import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradients (for the textbook formula) come from this side-effect module only.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { batchNormTraining, widenedShape } from '../../src/train/batchnorm';
import { useNodeBackend as useBackend, type PortableBackend } from '../../src/train/nodeBackend';
import { SeededRandom } from '../../src/train/rng';

// The fused training batch norm (one kernel, closed-form gradient) against the textbook formula
// differentiated by tfjs's autodiff, on shapes that take each layout path.
const random = new SeededRandom(5);
const values = (n: number, scale = 1, offset = 0) => Array.from({ length: n }, () => offset + scale * random.normal());

const shapes: number[][] = [
  [4, 9, 9, 4], // widened ×4 (324 rows), pool window 9×9
  [3, 5, 5, 7], // 75 rows: odd, no widening
  [6, 10], // after a dense layer
  [2, 4, 4, 64], // wide enough already
  [32, 8, 8, 16], // widened ×4 at ResNet-like size
];

interface Result {
  y: number[];
  mean: number[];
  variance: number[];
  dx: number[];
  dgamma: number[];
  dbeta: number[];
}

function run(shape: number[], fused: boolean, inputs: { x: number[]; gamma: number[]; beta: number[]; r: number[] }): Result {
  return tf.tidy(() => {
    const channels = shape[shape.length - 1];
    const x = tf.tensor(inputs.x, shape);
    const gamma = tf.tensor1d(inputs.gamma);
    const beta = tf.tensor1d(inputs.beta);
    const r = tf.tensor(inputs.r, shape);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const textbook = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, axes);
      return { output: tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b), mean, variance };
    };
    const f = fused ? (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTraining(a, g, b, 1e-5) : textbook;
    const stats = f(x, gamma, beta);
    const [dx, dgamma, dbeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b).output, r)))([x, gamma, beta]);
    assert.deepEqual(stats.mean.shape, [channels]);
    return {
      y: Array.from(stats.output.dataSync()),
      mean: Array.from(stats.mean.dataSync()),
      variance: Array.from(stats.variance.dataSync()),
      dx: Array.from(dx.dataSync()),
      dgamma: Array.from(dgamma.dataSync()),
      dbeta: Array.from(dbeta.dataSync()),
    };
  });
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  const scale = Math.max(...expected.map(Math.abs), 1e-6);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 2e-4 * scale, `${what}[${i}]: ${actual[i]} ≠ ${expected[i]} (scale ${scale})`);
  }
}

test('widened views: rows of at least 64 values where the row count allows', () => {
  assert.deepEqual(widenedShape([32, 32, 32, 16]), { rows: 8192, k: 4, channels: 16 });
  assert.deepEqual(widenedShape([32, 8, 8, 64]), { rows: 2048, k: 1, channels: 64 });
  assert.deepEqual(widenedShape([3, 5, 5, 7]), { rows: 75, k: 1, channels: 7 });
  assert.deepEqual(widenedShape([4, 9, 9, 4]), { rows: 81, k: 4, channels: 4 });
});

for (const backend of ['cpu', 'wasm'] as PortableBackend[]) {
  test(`fused batch norm equals the autodiff textbook formula on ${backend}: output, statistics and gradients`, async () => {
    await useBackend(backend);
    try {
      for (const shape of shapes) {
        const size = shape.reduce((a, b) => a * b, 1);
        const channels = shape[shape.length - 1];
        // A large mean next to a small spread: a one-pass variance would lose digits here.
        const inputs = { x: values(size, 0.5, 3), gamma: values(channels, 0.3, 1), beta: values(channels, 0.2), r: values(size) };
        const expected = run(shape, false, inputs);
        const actual = run(shape, true, inputs);
        const name = `${backend} [${shape.join(',')}]`;
        for (const key of ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'] as const) assertClose(actual[key], expected[key], `${name} ${key}`);
      }
      const before = tf.memory().numTensors;
      run([4, 9, 9, 4], true, { x: values(1296), gamma: values(4), beta: values(4), r: values(1296) });
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind by the kernel or its gradient');
    } finally {
      await useBackend('cpu');
    }
  });
}
