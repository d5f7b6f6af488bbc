// Where a training step's time goes: tfjs kernel times of one ResNet-20 step (batch 32) on a backend,
// grouped by kernel, largest first.   BENCH_BACKEND=wasm npm run bench:train-profile
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../src/core';
import { useNodeBackend as useBackend, type PortableBackend } from '../src/train/nodeBackend';
import { TfModel } from '../src/train/model';

async function main(): Promise<void> {
  const backend = (process.env.BENCH_BACKEND ?? 'wasm') as PortableBackend;
  const batch = Number(process.env.BENCH_BATCH ?? 32);
  await useBackend(backend);
  const graph = analyze(readFileSync(process.env.BENCH_MODEL ?? 'examples/resnet20.skipnet', 'utf8')).models[0];
  const model = new TfModel(graph, 1);
  const optimizer: tf.Optimizer = tf.train.momentum(0.01, 0.9);
  const x = tf.randomNormal([batch, ...graph.inputShape]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10);
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const { logits } = model.forward(x, { training: true });
        return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1))) as tf.Scalar;
      }, model.variables);
      optimizer.applyGradients(grads);
    });
  step(); // warm up
  // Plain step times first (the profiler adds its own overhead to every kernel).
  const plain: number[] = [];
  for (let i = 0; i < Number(process.env.BENCH_STEPS ?? 7); i++) {
    const t0 = performance.now();
    step();
    plain.push(performance.now() - t0);
  }
  plain.sort((a, b) => a - b);
  const median = plain[Math.floor(plain.length / 2)];
  console.log(`${graph.name} batch ${batch} on ${backend}: median of ${plain.length} unprofiled steps ${median.toFixed(0)} ms (${((batch * 1000) / median).toFixed(1)} images/s; fastest ${plain[0].toFixed(0)} ms)`);
  const started = performance.now();
  const info = await tf.profile(step);
  const wall = performance.now() - started;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += Number(k.kernelTimeMs);
    entry.calls++;
    byKernel.set(k.name, entry);
  }
  // BENCH_DETAIL=Slice,PadV2 lists every call of those kernels with its input shapes.
  const detail = new Set((process.env.BENCH_DETAIL ?? '').split(',').filter(Boolean));
  for (const k of info.kernels) {
    if (detail.has(k.name)) console.log(`  ${k.name} ${Number(k.kernelTimeMs).toFixed(2)} ms ${JSON.stringify(k.inputShapes)} → ${JSON.stringify(k.outputShapes)}`);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`${graph.name} batch ${batch} on ${backend}: one step ${wall.toFixed(0)} ms (profiled), kernels ${total.toFixed(0)} ms`);
  // A customGrad op is profiled under its scope's name (e.g. 'forward') and its time includes the kernels it
  // runs, which are listed on their own too: such rows count twice in the total.
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
    console.log(`${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${e.calls} calls`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
