// Memory of a TensorFlow.js training step against the core's estimate (what PyTorch's autograd keeps):
// tf.profile's peakBytes of one forward and backward on the cpu backend at batches 1 and 2, the per-image
// difference, and its ratio to the core's per-sample bytes. src/train/memoryPlan.ts (TFJS_SAVED_FACTOR)
// rounds the largest ratio up.
//
//   npm run bench:train-memory
//   BENCH_MODELS=resnet20,densenet40 npm run bench:train-memory
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { analyze, formatBytes, savedForBackward } from '../src/core';
import { TFJS_SAVED_FACTOR } from '../src/train/memoryPlan';
import { TfModel } from '../src/train/model';
import { SeededRandom } from '../src/train/rng';
import { localGradients } from '../src/train/step';

const names = (process.env.BENCH_MODELS ?? 'mnist_resnet,mnist_densenet,resnet20,plain20,densenet40').split(',');

async function peakBytes(model: TfModel, shape: number[], batch: number): Promise<number> {
  const x = tf.randomNormal([batch, ...shape]);
  const y = tf.oneHot(tf.zeros([batch], 'int32'), 10);
  const profile = await tf.profile(() => {
    const step = localGradients(model, x, y, { probes: new Map(), random: new SeededRandom(1), activations: false });
    for (const t of step.owned) t.dispose();
  });
  x.dispose();
  y.dispose();
  return profile.peakBytes;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  console.log(`model            tfjs/image   core/sample   ratio   (factor used: ${TFJS_SAVED_FACTOR})`);
  for (const name of names) {
    const graph = analyze(readFileSync(`examples/${name}.skipnet`, 'utf8')).models[0];
    const model = new TfModel(graph, 1);
    const shape = graph.inputShape as number[];
    const perImage = (await peakBytes(model, shape, 2)) - (await peakBytes(model, shape, 1));
    const core = savedForBackward(graph).perSample;
    console.log(`${name.padEnd(16)} ${formatBytes(BigInt(perImage)).padStart(10)}   ${formatBytes(core).padStart(11)}   ${(perImage / Number(core)).toFixed(2)}`);
    model.dispose();
  }
}

void main();
