// Cost of the experiments on a trained model's weights, in Node (TensorFlow.js): each part is its own function.
//
//   npm run bench:experiments
//   BENCH_LESION_SAMPLES=200 BENCH_LESION_DRAWS=3 BENCH_BACKENDS=wasm,cpu npm run bench:experiments
import { readFileSync } from 'node:fs';
import { analyze } from '../src/core';
import { checkDataFits } from '../src/train/dataset';
import { DEFAULT_LESION_DRAWS, DEFAULT_LESION_SAMPLES, lesionCost, lesionUnits, runLesionStudy } from '../src/train/experiments/lesion';
import { TfModel } from '../src/train/model';
import { useNodeBackend, type PortableBackend } from '../src/train/nodeBackend';
import { loadBuiltinDataset } from '../src/train/nodeData';

const backends = (process.env.BENCH_BACKENDS ?? 'wasm').split(',') as PortableBackend[];

/**
 * The lesion study (Veit et al. 2016) of ResNet-20 on MNIST (padded to 32×32×3) at its seeded initial weights: the
 * cost does not depend on the weights. Prints seconds, evaluations per second, images per second, and what the
 * default study (500 images, 5 draws) would take at that speed.
 */
async function lesionBench(): Promise<void> {
  const samples = Number(process.env.BENCH_LESION_SAMPLES ?? 100);
  const draws = Number(process.env.BENCH_LESION_DRAWS ?? 2);
  const graph = analyze(readFileSync('examples/resnet20.skipnet', 'utf8')).models[0];
  const dataset = loadBuiltinDataset('mnist');
  const adapter = checkDataFits(graph, dataset);
  const units = lesionUnits(graph).length;
  const cost = lesionCost(units, draws, samples);
  const full = lesionCost(units, DEFAULT_LESION_DRAWS, DEFAULT_LESION_SAMPLES);
  console.log(`lesion study, ${graph.name}: ${units} blocks, ${draws} draws, ${samples} held-out images → ${cost.evaluations} evaluations, ${cost.images} forward passes`);
  for (const backend of backends) {
    await useNodeBackend(backend);
    const model = new TfModel(graph, 1);
    try {
      // One pass first: kernels compile and memory pools fill outside the timed study.
      await runLesionStudy(model, dataset, adapter, { samples: 16, draws: 1, nextFrame: () => Promise.resolve() });
      const start = performance.now();
      const result = await runLesionStudy(model, dataset, adapter, { samples, draws, nextFrame: () => Promise.resolve() });
      const seconds = (performance.now() - start) / 1000;
      const imagesPerSecond = cost.images / seconds;
      console.log(
        `  ${backend.padEnd(5)} ${seconds.toFixed(1)} s · ${(result.evaluations / seconds).toFixed(2)} evaluations/s · ${imagesPerSecond.toFixed(0)} images/s · default study (${full.evaluations} × ${DEFAULT_LESION_SAMPLES} images) ≈ ${(full.images / imagesPerSecond / 60).toFixed(1)} min`,
      );
    } finally {
      model.dispose();
    }
  }
}

async function main(): Promise<void> {
  await lesionBench();
}

void main();
