// Per-op costs on a backend at ResNet-20 activation shapes: what the batch-norm and convolution-gradient
// formulations in src/train/ops.ts are chosen from.   BENCH_BACKEND=wasm node out/bench/trainOps.bench.js
import * as tf from '@tensorflow/tfjs-core';
import { useNodeBackend as useBackend, type PortableBackend } from '../src/train/nodeBackend';

function timeOp(name: string, f: () => tf.Tensor | tf.Tensor[], repeats = 30): void {
  for (let i = 0; i < 3; i++) tf.dispose(tf.tidy(f));
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    // cpu and wasm kernels run synchronously: the op is done when it returns (reading back would add a copy).
    const out = tf.tidy(f);
    times.push(performance.now() - t0);
    tf.dispose(out);
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(48)} ${times[Math.floor(times.length / 2)].toFixed(3).padStart(8)} ms`);
}

async function main(): Promise<void> {
  await useBackend((process.env.BENCH_BACKEND ?? 'wasm') as PortableBackend);
  for (const [n, h, c] of [[32, 32, 16], [32, 8, 64]]) {
    console.log(`-- [${n}, ${h}, ${h}, ${c}]`);
    const x = tf.randomNormal([n, h, h, c]) as tf.Tensor4D;
    const y = tf.randomNormal([n, h, h, c]) as tf.Tensor4D;
    const m = n * h * h;
    const x2 = tf.reshape(x, [m, c]) as tf.Tensor2D;
    const ones = tf.ones([1, m]) as tf.Tensor2D;
    const v = tf.randomUniform([c], 0.5, 1.5) as tf.Tensor1D;
    const w = tf.randomNormal([3, 3, c, c]) as tf.Tensor4D;
    const a = tf.sum(x, [0, 1, 2]).dataSync();
    const b = tf.matMul(ones, x2).dataSync();
    console.log(`ones·x equals sum: max |diff| ${Math.max(...Array.from(a, (value, i) => Math.abs(value - b[i]))).toExponential(2)}`);
    timeOp('sum over [0,1,2]', () => tf.sum(x, [0, 1, 2]));
    timeOp('sum of [M,C] over 0', () => tf.sum(x2, 0));
    timeOp('matMul(ones[1,M], x[M,C])', () => tf.matMul(ones, x2));
    timeOp('matMul(x2, transposeA) [C,M]x[M,C]', () => tf.matMul(x2, x2, true, false));
    timeOp('moments over [0,1,2]', () => { const r = tf.moments(x, [0, 1, 2]); return [r.mean, r.variance]; });
    timeOp('mul x*y', () => tf.mul(x, y));
    timeOp('mul x*v (channel broadcast)', () => tf.mul(x, v));
    timeOp('add x+y', () => tf.add(x, y));
    timeOp('relu', () => tf.relu(x));
    timeOp('batchNorm(x, v, v, v, v)', () => tf.batchNorm(x, v, v, v, v, 1e-5));
    timeOp('transpose [3,1,2,0]', () => tf.transpose(x, [3, 1, 2, 0]));
    timeOp('transpose [1,2,0,3]', () => tf.transpose(x, [1, 2, 0, 3]));
    timeOp('pad 1', () => tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]));
    timeOp('conv2d 3x3 same', () => tf.conv2d(x, w, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]));
    timeOp('fused conv2d 3x3 same + relu', () => tf.fused.conv2d({ x, filter: w, strides: 1, pad: [[0, 0], [1, 1], [1, 1], [0, 0]], activation: 'relu' }));
    timeOp('clone', () => tf.clone(x));
    timeOp('concat 2 on channels', () => tf.concat([x, y], 3));
    timeOp('reluGrad-ish: mul(dy, step(x))', () => tf.mul(y, tf.step(x)));
    const v2 = tf.reshape(v, [1, c]) as tf.Tensor2D;
    const fresh = () => tf.add(x2, 0) as tf.Tensor2D; // a new tensor each call, as in training
    timeOp('add(x2, 0) alone (subtract from the next)', () => fresh());
    timeOp('matMul(ones[1,M], fresh x[M,C])', () => tf.matMul(ones, fresh()));
    const k = Math.max(1, 64 / c);
    timeOp(`avgPool [1,${m / k / 32},32,${k * c}] whole window`, () => tf.avgPool(tf.reshape(fresh(), [1, m / k / 32, 32, k * c]) as tf.Tensor4D, [m / k / 32, 32], 1, 'valid'));
    timeOp(`avgPool [1,${n},${(h * h) / k},${k * c}] whole window`, () => tf.avgPool(tf.reshape(fresh(), [1, n, (h * h) / k, k * c]) as tf.Tensor4D, [n, (h * h) / k], 1, 'valid'));
    timeOp(`mean of [${m / k},${k * c}] over 0`, () => tf.mean(tf.reshape(fresh(), [m / k, k * c]), 0));
    const onesCol = tf.ones([m, 1]) as tf.Tensor2D;
    const diag = tf.reshape(tf.diag(v), [1, 1, c, c]) as tf.Tensor4D;
    timeOp('affine: add(mul(x2, s), t) broadcast', () => tf.add(tf.mul(x2, v2), v2));
    timeOp('outer product ones[M,1]·s[1,C]', () => tf.matMul(onesCol, v2));
    timeOp('affine: via two outer products', () => tf.add(tf.mul(x2, tf.matMul(onesCol, v2)), tf.matMul(onesCol, v2)));
    timeOp('affine: 1x1 conv with diag + bias', () => tf.fused.conv2d({ x, filter: diag, strides: 1, pad: 'valid', bias: v }));
    timeOp('slice: half the channels', () => tf.slice(x, [0, 0, 0, c / 4], [-1, -1, -1, c / 2]));
    timeOp('stridedSlice: half the channels', () => tf.stridedSlice(x, [0, 0, 0, c / 4], [n, h, h, (3 * c) / 4], [1, 1, 1, 1]));
    timeOp('slice: every other row (reshaped)', () => tf.slice(tf.reshape(x, [(n * h) / 2, 2, h, c]), [0, 0, 0, 0], [-1, 1, -1, -1]));
    timeOp('stridedSlice: x[:, ::2, ::2, :]', () => tf.stridedSlice(x, [0, 0, 0, 0], [n, h, h, c], [1, 2, 2, 1]));
    timeOp('tile s to [M,C]', () => tf.tile(v2, [m, 1]));
    timeOp('broadcastTo s [M,C]', () => tf.broadcastTo(v2, [m, c]));
    timeOp('ones [1,M]', () => tf.ones([1, m]));
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const asBatch = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyKernel = tf.transpose(y, [1, 2, 0, 3]) as tf.Tensor4D;
    timeOp('filter-gradient conv [cin,Hp,Wp,N]*[H,W,N,cout]', () => tf.conv2d(asBatch, dyKernel, 1, 'valid'));
    timeOp('input gradient via tfjs Conv2DBackpropInput', () => tf.conv2dTranspose(y, w, [n, h, h, c], 1, 'same'));
    tf.dispose([x, y, x2, ones, v, w, v2, onesCol, diag, xp, asBatch, dyKernel]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
