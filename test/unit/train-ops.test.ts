import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useNodeBackend as useBackend } from '../../src/train/nodeBackend';
import type { Padding } from '../../src/core';
import { conv2d, convGradientPolicy, explicitPad, NO_PADDING, type ConvOptions } from '../../src/train/ops';
import { SeededRandom } from '../../src/train/rng';

const random = new SeededRandom(3);
const values = (n: number) => Array.from({ length: n }, () => random.normal());

interface Case {
  name: string;
  x: number[];
  xShape: [number, number, number, number];
  w: number[];
  wShape: [number, number, number, number];
  options: ConvOptions;
}

/** The same padding on every side. */
const even = (p: number): Padding => ({ top: p, bottom: p, left: p, right: p });

const cases: Case[] = [
  { name: '3×3 stride 1 pad 1', xShape: [2, 5, 5, 3], wShape: [3, 3, 3, 4], options: { stride: [1, 1], pad: even(1), dilation: 1, groups: 1 } },
  { name: '3×3 stride 2 pad 1 (odd size)', xShape: [2, 7, 7, 2], wShape: [3, 3, 2, 3], options: { stride: [2, 2], pad: even(1), dilation: 1, groups: 1 } },
  { name: '1×1 stride 3 (input gradient cropped)', xShape: [1, 7, 7, 2], wShape: [1, 1, 2, 3], options: { stride: [3, 3], pad: even(0), dilation: 1, groups: 1 } },
  { name: '2×2 stride 2 pad 1', xShape: [2, 6, 5, 2], wShape: [2, 2, 2, 3], options: { stride: [2, 2], pad: even(1), dilation: 1, groups: 1 } },
  { name: '1×1 stride 2', xShape: [1, 6, 6, 4], wShape: [1, 1, 4, 2], options: { stride: [2, 2], pad: even(0), dilation: 1, groups: 1 } },
  { name: '1×3 stride 2×1', xShape: [1, 5, 6, 2], wShape: [1, 3, 2, 2], options: { stride: [2, 1], pad: even(0), dilation: 1, groups: 1 } },
  { name: '3×3 groups 2', xShape: [2, 4, 4, 4], wShape: [3, 3, 2, 6], options: { stride: [1, 1], pad: even(1), dilation: 1, groups: 2 } },
  { name: '3×3 dilation 2 pad 2', xShape: [2, 7, 7, 2], wShape: [3, 3, 2, 3], options: { stride: [1, 1], pad: even(2), dilation: 2, groups: 1 } },
  { name: '3×3 dilation 3 pad 1', xShape: [1, 9, 8, 2], wShape: [3, 3, 2, 2], options: { stride: [1, 1], pad: even(1), dilation: 3, groups: 1 } },
  // tfjs's conv2d refuses a stride with a dilation; PyTorch (and so SkipNet) allows both.
  { name: '3×3 stride 2 dilation 2 pad 1', xShape: [2, 9, 8, 2], wShape: [3, 3, 2, 3], options: { stride: [2, 2], pad: even(1), dilation: 2, groups: 1 } },
  { name: '3×2 stride 2×1 dilation 2 pad (1, 0, 0, 1)', xShape: [1, 8, 7, 2], wShape: [3, 2, 2, 2], options: { stride: [2, 1], pad: { top: 1, bottom: 0, left: 0, right: 1 }, dilation: 2, groups: 1 } },
  // Per-axis and asymmetric padding (Inception's 1×7 with pad=0x3; pad=same with even kernels).
  { name: '1×7 pad 0x3', xShape: [2, 5, 9, 2], wShape: [1, 7, 2, 3], options: { stride: [1, 1], pad: { top: 0, bottom: 0, left: 3, right: 3 }, dilation: 1, groups: 1 } },
  { name: '2×4 same (top 0, bottom 1, left 1, right 2)', xShape: [2, 5, 6, 2], wShape: [2, 4, 2, 3], options: { stride: [1, 1], pad: { top: 0, bottom: 1, left: 1, right: 2 }, dilation: 1, groups: 1 } },
  { name: '2×2 dilation 3 same (1, 2, 1, 2)', xShape: [1, 7, 6, 2], wShape: [2, 2, 2, 2], options: { stride: [1, 1], pad: { top: 1, bottom: 2, left: 1, right: 2 }, dilation: 3, groups: 1 } },
  { name: '3×2 stride 2×1 pad (2, 0, 0, 1)', xShape: [1, 7, 5, 2], wShape: [3, 2, 2, 2], options: { stride: [2, 1], pad: { top: 2, bottom: 0, left: 0, right: 1 }, dilation: 1, groups: 1 } },
].map((c) => ({ ...c, options: c.options as ConvOptions, xShape: c.xShape as Case['xShape'], wShape: c.wShape as Case['wShape'], x: values(c.xShape.reduce((a, b) => a * b)), w: values(c.wShape.reduce((a, b) => a * b)) }));

/** Σ conv(x, w)·r for a fixed r, and its gradients with respect to x and w. */
function gradients(c: Case, conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D): { y: number[]; dx: number[]; dw: number[] } {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const w = tf.tensor4d(c.w, c.wShape);
    const y = conv(x, w);
    const r = tf.tensor(Array.from({ length: y.size }, (_, i) => Math.sin(i + 1)), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
    return { y: Array.from(y.dataSync()), dx: Array.from(dx.dataSync()), dw: Array.from(dw.dataSync()) };
  });
}

/** The reference: dilation written out as a kernel with zeros between the taps, run by tfjs's own conv2d. */
function reference(c: Case) {
  const { stride, pad, dilation, groups } = c.options;
  const [kh, kw, cin, cout] = c.wShape;
  const dh = dilation * (kh - 1) + 1;
  const dw = dilation * (kw - 1) + 1;
  const spread = (w: tf.Tensor4D) => {
    // Scatter each tap to (i·d, j·d) of a bigger zero kernel, differentiably: a sum of padded taps.
    const taps: tf.Tensor4D[] = [];
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const tap = tf.slice(w, [i, j, 0, 0], [1, 1, cin, cout]);
      taps.push(tf.pad(tap, [[i * dilation, dh - 1 - i * dilation], [j * dilation, dw - 1 - j * dilation], [0, 0], [0, 0]]));
    }
    return tf.addN(taps);
  };
  return gradients(c, (x, w) => {
    const big = spread(w);
    if (groups === 1) return tf.conv2d(x, big, stride, explicitPad(pad));
    const per = cin;
    const outs = [];
    for (let g = 0; g < groups; g++) outs.push(tf.conv2d(tf.slice(x, [0, 0, 0, g * per], [-1, -1, -1, per]), tf.slice(big, [0, 0, 0, g * (cout / groups)], [-1, -1, -1, cout / groups]), stride, explicitPad(pad)));
    return tf.concat(outs, 3);
  });
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-4 * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} ≠ ${expected[i]}`);
  }
}

test('hand-written convolution gradients equal tfjs\'s own on the cpu backend', async () => {
  await useBackend('cpu');
  for (const c of cases) {
    const expected = reference(c);
    for (const forceCustom of [false, true]) {
      convGradientPolicy.forceCustom = forceCustom;
      const actual = gradients(c, (x, w) => conv2d(x, w, c.options));
      convGradientPolicy.forceCustom = false;
      assertClose(actual.y, expected.y, `${c.name} y`);
      assertClose(actual.dx, expected.dx, `${c.name} dx (custom ${forceCustom})`);
      assertClose(actual.dw, expected.dw, `${c.name} dw (custom ${forceCustom})`);
    }
  }
});

test('convolutions train on the wasm backend (which lacks Conv2DBackpropFilter) with the same gradients', async () => {
  await useBackend('cpu');
  const expected = cases.map(reference);
  await useBackend('wasm');
  try {
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined, 'tfjs-backend-wasm still lacks the kernel');
    cases.forEach((c, i) => {
      const actual = gradients(c, (x, w) => conv2d(x, w, c.options));
      assertClose(actual.dx, expected[i].dx, `wasm ${c.name} dx`);
      assertClose(actual.dw, expected[i].dw, `wasm ${c.name} dw`);
    });
  } finally {
    await useBackend('cpu');
  }
});

test('the option-A shortcut keeps x[::s, ::s] and pads channels (c_out − c_in) // 2 before, with gradients', async () => {
  await useBackend('cpu');
  const { zeroPadShortcut } = await import('../../src/train/ops');
  tf.tidy(() => {
    const x = tf.tensor4d(Array.from({ length: 5 * 5 * 3 }, (_, i) => i), [1, 5, 5, 3]);
    const y = zeroPadShortcut(x, 8, 2);
    assert.deepEqual(y.shape, [1, 3, 3, 8]);
    const data = y.arraySync() as number[][][][];
    // pixel (1, 2) of the output is input pixel (2, 4): values (2·5 + 4)·3 + c; channels 2..4 hold it.
    assert.deepEqual(data[0][1][2], [0, 0, 42, 43, 44, 0, 0, 0]);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(zeroPadShortcut(t as tf.Tensor4D, 8, 2)))(x);
    const g = grad.arraySync() as number[][][][];
    assert.deepEqual([g[0][0][0][0], g[0][0][1][0], g[0][2][4][2], g[0][3][3][1]], [1, 0, 1, 0]);
  });
});

test('max pooling written as a maximum of shifted views equals tfjs\'s, gradients included', async () => {
  await useBackend('cpu');
  const { windowMax } = await import('../../src/train/ops');
  const cases: [[number, number], [number, number], Padding, number][] = [
    [[3, 3], [2, 2], even(1), 5],
    [[2, 2], [2, 2], NO_PADDING, 6],
    [[3, 3], [1, 1], even(1), 4],
    [[3, 3], [3, 3], NO_PADDING, 7],
    [[2, 2], [2, 2], even(1), 5],
    // pad=same of an even window (one row below, one column right) and per-axis padding.
    [[2, 4], [1, 1], { top: 0, bottom: 1, left: 1, right: 2 }, 5],
    [[3, 1], [2, 1], { top: 1, bottom: 1, left: 0, right: 0 }, 6],
  ];
  for (const [k, s, p, size] of cases) {
    const what = `maxpool ${k.join('x')}/${s.join('x')}/${[p.top, p.bottom, p.left, p.right].join(',')}`;
    tf.tidy(() => {
      const x = tf.tensor4d(values(2 * size * size * 3), [2, size, size, 3]);
      const pad = p === NO_PADDING ? 'valid' : explicitPad(p);
      const expected = tf.maxPool(x, k, s, pad);
      const actual = windowMax(x, k, s, p);
      assert.deepEqual(actual.shape, expected.shape, what);
      assertClose(Array.from(actual.dataSync()), Array.from(expected.dataSync()), `${what} forward`);
      const r = tf.tensor(values(expected.size), expected.shape);
      const gExpected = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, k, s, pad), r)))(x);
      const gActual = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(windowMax(t as tf.Tensor4D, k, s, p), r)))(x);
      assertClose(Array.from(gActual.dataSync()), Array.from(gExpected.dataSync()), `${what} gradient`);
    });
  }
});
