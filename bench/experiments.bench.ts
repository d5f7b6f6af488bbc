// Cost of the experiments of src/train/experiments/ in Node (TensorFlow.js), each part its own function.
//
//   npm run bench:experiments
//   BENCH_LESION_SAMPLES=200 BENCH_LESION_DRAWS=3 BENCH_BACKENDS=wasm,cpu npm run bench:experiments
//   BENCH_LANDSCAPE_GRID=21 BENCH_LANDSCAPE_SAMPLES=256 npm run bench:experiments
//
// The landscape figure is the cost of a 21×21 slice (441 evaluations): by default it times a smaller grid with the
// same per-evaluation work and projects 441 evaluations from it (a full 21×21 on ResNet-20 takes many minutes
// on a shared 2-core machine); BENCH_LANDSCAPE_GRID=21 times the whole thing.
import { readFileSync } from 'node:fs';
import { analyze } from '../src/core';
import { adaptInputs, type ImageDataset } from '../src/train/data';
import { checkDataFits } from '../src/train/dataset';
import { computeLandscape, timeOneEvaluation } from '../src/train/experiments/landscape';
import { DEFAULT_LESION_DRAWS, DEFAULT_LESION_SAMPLES, lesionCost, lesionUnits, runLesionStudy } from '../src/train/experiments/lesion';
import { TfModel } from '../src/train/model';
import { useNodeBackend, type PortableBackend } from '../src/train/nodeBackend';
import { loadBuiltinDataset } from '../src/train/nodeData';
import { SeededRandom } from '../src/train/rng';

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

function randomCifar(count: number): ImageDataset {
  const random = new SeededRandom(1);
  const pixels = new Uint8Array(count * 32 * 32 * 3).map(() => Math.floor(random.next() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  const split = { count, labels, pixels };
  return { name: 'random', height: 32, width: 32, channels: 3, classes: Array.from({ length: 10 }, (_, i) => String(i)), train: split, test: split };
}

/** Seconds and evaluations per second of a grid × grid landscape of ResNet-20 on `samples` images, and the 21×21 projection. */
async function landscapeCost(backend: PortableBackend, grid: number, samples: number): Promise<void> {
  await useNodeBackend(backend);
  const graph = analyze(readFileSync('examples/resnet20.skipnet', 'utf8')).models[0];
  const model = new TfModel(graph, 1);
  const dataset = randomCifar(samples);
  const data = { dataset, adapter: adaptInputs(dataset, graph.inputShape), batchSize: 64 };
  try {
    // The first evaluation compiles and allocates: timed apart, as the view's cost estimate does.
    const first = await timeOneEvaluation(model, data, samples);
    const start = performance.now();
    await computeLandscape(model, data, { kind: 'surface', grid, seed: 1, samples });
    const seconds = (performance.now() - start) / 1000;
    const evaluations = grid * grid;
    const perSecond = evaluations / seconds;
    const full = 441 / perSecond;
    console.log(
      `landscape resnet20 ${backend.padEnd(4)} ${samples} images: first evaluation ${first.seconds.toFixed(2)} s; ${grid}×${grid} = ${evaluations} evaluations in ${seconds.toFixed(1)} s, ` +
        `${perSecond.toFixed(3)} evaluations/s (${((perSecond * samples) | 0).toLocaleString('en-US')} images/s); 21×21 = 441 evaluations: ${grid === 21 ? 'measured' : 'projected'} ${full.toFixed(0)} s (${(full / 60).toFixed(1)} min)`,
    );
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  await lesionBench();
  const grid = Number(process.env.BENCH_LANDSCAPE_GRID ?? 3);
  const samples = Number(process.env.BENCH_LANDSCAPE_SAMPLES ?? 256);
  for (const backend of backends) await landscapeCost(backend, grid, samples);
}

void main();
