// Cost of the experiments of src/train/experiments/ (lesion study, loss landscape) on ResNet-20, on both engines:
// TensorFlow.js in Node and the PyTorch engine through its real runner (python/skipnet_train.py with
// skipnet_experiments.py, started by PyTorchTraining as the extension starts it; CUDA where PyTorch sees it, else
// CPU). Both engines measure the same weights (the seeded initial ones: the cost does not depend on them) on the
// same held-out MNIST images (padded to 32×32×3), and the figures end with the ratio of the two.
//
//   npm run bench:experiments
//   BENCH_LESION_SAMPLES=200 BENCH_LESION_DRAWS=3 BENCH_BACKENDS=wasm,cpu npm run bench:experiments
//   BENCH_LANDSCAPE_GRID=21 BENCH_LANDSCAPE_SAMPLES=256 npm run bench:experiments
//   BENCH_PYTHON=/usr/bin/python3 BENCH_DEVICE=cpu npm run bench:experiments
//
// The landscape figure is the cost of a 21×21 slice (441 evaluations): by default it times a smaller grid with the
// same per-evaluation work and projects 441 evaluations from it (a full 21×21 on ResNet-20 takes many minutes on a
// shared 2-core machine); BENCH_LANDSCAPE_GRID=21 times the whole thing.
import { readFileSync } from 'node:fs';
import { analyze, pluralize, type ModelGraph } from '../src/core';
import { checkDataFits } from '../src/train/dataset';
import { computeLandscape, timeOneEvaluation } from '../src/train/experiments/landscape';
import { countLesionUnits, lesionCost, lesionUnits, runLesionStudy } from '../src/train/experiments/lesion';
import { TfModel } from '../src/train/model';
import { useNodeBackend, type PortableBackend } from '../src/train/nodeBackend';
import { builtinDatasetFile, loadBuiltinDataset } from '../src/train/nodeData';
import { PyTorchTraining, type TorchDevice } from '../src/train/pytorch/runner';
import type { RunnerEvent } from '../src/train/pytorch/protocol';

const backends = (process.env.BENCH_BACKENDS ?? 'wasm').split(',') as PortableBackend[];
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const device = (process.env.BENCH_DEVICE ?? 'auto') as TorchDevice;
const lesionSamples = Number(process.env.BENCH_LESION_SAMPLES ?? 100);
const lesionDraws = Number(process.env.BENCH_LESION_DRAWS ?? 2);
const grid = Number(process.env.BENCH_LANDSCAPE_GRID ?? 3);
const landscapeSamples = Number(process.env.BENCH_LANDSCAPE_SAMPLES ?? 256);

/** One engine's figures: seconds and evaluations of the lesion study and of the landscape's grid. */
interface Figures {
  engine: string;
  lesionSeconds: number;
  lesionEvaluations: number;
  landscapeSeconds: number;
  landscapeEvaluations: number;
}

function line(f: Figures): string {
  const lesionPer = f.lesionSeconds / f.lesionEvaluations;
  const landscapePer = f.landscapeSeconds / f.landscapeEvaluations;
  return (
    `  ${f.engine.padEnd(34)} lesion ${f.lesionSeconds.toFixed(1)} s total, ${lesionPer.toFixed(3)} s/evaluation (${lesionSamples} images) · ` +
    `landscape ${grid}×${grid} ${f.landscapeSeconds.toFixed(1)} s total, ${landscapePer.toFixed(3)} s/evaluation (${landscapeSamples} images), ` +
    `21×21 ${grid === 21 ? 'measured' : 'projected'} ${((441 * landscapePer) / 60).toFixed(1)} min`
  );
}

/** The TensorFlow.js engine on `backend`: the study and the slice timed after one warm-up pass each. */
async function tfjsFigures(graph: ModelGraph, backend: PortableBackend): Promise<Figures> {
  await useNodeBackend(backend);
  const dataset = loadBuiltinDataset('mnist');
  const adapter = checkDataFits(graph, dataset);
  const model = new TfModel(graph, 1);
  const immediate = (): Promise<void> => Promise.resolve();
  try {
    // Kernels compile and memory pools fill outside the timed parts.
    await runLesionStudy(model, dataset, adapter, { samples: 16, draws: 1, nextFrame: immediate });
    let start = performance.now();
    const lesion = await runLesionStudy(model, dataset, adapter, { samples: lesionSamples, draws: lesionDraws, nextFrame: immediate });
    const lesionSeconds = (performance.now() - start) / 1000;
    const data = { dataset, adapter, batchSize: 64 };
    await timeOneEvaluation(model, data, landscapeSamples);
    start = performance.now();
    await computeLandscape(model, data, { kind: 'surface', grid, seed: 1, samples: landscapeSamples });
    const landscapeSeconds = (performance.now() - start) / 1000;
    return { engine: `TensorFlow.js ${backend}`, lesionSeconds, lesionEvaluations: lesion.evaluations, landscapeSeconds, landscapeEvaluations: grid * grid };
  } finally {
    model.dispose();
  }
}

/**
 * The PyTorch engine: a run of one step at lr 0 from the same seeded weights that keeps its runner alive
 * (keepWeights), then the lesion and landscape commands the views send, timed from the command to the result
 * event, as the user waits for it (directions drawn, hooks set, every evaluation).
 */
async function torchFigures(graph: ModelGraph, text: string): Promise<Figures> {
  const analysis = analyze(text);
  await useNodeBackend('cpu');
  const seeded = new TfModel(graph, 1);
  const weights = Object.fromEntries(Object.entries(await seeded.exportWeights()).map(([name, w]) => [name, w.values]));
  seeded.dispose();
  const waiting: { until: (e: RunnerEvent) => boolean; resolve: (e: RunnerEvent) => void }[] = [];
  let backend = '';
  const run = await PyTorchTraining.start({
    analysis,
    graph: analysis.models[0],
    datasetFile: builtinDatasetFile('mnist'),
    python: PYTHON,
    device,
    config: { batch: 8, optimizer: 'sgd', lr: 0, seed: 1 },
    maxSteps: 1,
    statsInterval: 0,
    evalSamples: 16,
    evalsPerEpoch: 1,
    keepWeights: true,
    initialWeights: weights,
    onEvent: (event) => {
      if (event.type === 'started') backend = event.backend;
      const i = waiting.findIndex((w) => w.until(event));
      if (i >= 0) waiting.splice(i, 1)[0].resolve(event);
    },
  });
  const next = (until: (e: RunnerEvent) => boolean): Promise<RunnerEvent> => new Promise((resolve) => waiting.push({ until, resolve }));
  try {
    const result = await run.result;
    if (result.reason !== 'done') throw new Error(`the PyTorch run ended ${result.reason}: ${result.message ?? ''}`);
    // A warm-up study and evaluation, as on TensorFlow.js.
    run.experiment({ command: 'lesion', samples: 16, draws: 1, seed: 1 });
    await next((e) => e.type === 'lesion' || e.type === 'lesion-failed');
    let start = performance.now();
    run.experiment({ command: 'lesion', samples: lesionSamples, draws: lesionDraws, seed: 1 });
    const lesion = await next((e) => e.type === 'lesion' || e.type === 'lesion-failed');
    if (lesion.type !== 'lesion') throw new Error(`PyTorch lesion study failed: ${JSON.stringify(lesion)}`);
    const lesionSeconds = (performance.now() - start) / 1000;
    run.experiment({ command: 'landscape', action: 'estimate', requests: [{ kind: 'surface', grid, seed: 1, samples: landscapeSamples }] });
    await next((e) => e.type === 'landscape-ended');
    start = performance.now();
    run.experiment({ command: 'landscape', action: 'compute', requests: [{ kind: 'surface', grid, seed: 1, samples: landscapeSamples }] });
    const ended = await next((e) => e.type === 'landscape-ended');
    if (ended.type !== 'landscape-ended' || ended.reason !== 'done') throw new Error(`PyTorch landscape ended: ${JSON.stringify(ended)}`);
    const landscapeSeconds = (performance.now() - start) / 1000;
    return { engine: `PyTorch (${backend})`, lesionSeconds, lesionEvaluations: lesion.result.evaluations, landscapeSeconds, landscapeEvaluations: grid * grid };
  } finally {
    run.quit();
    await run.exited;
  }
}

async function main(): Promise<void> {
  const text = readFileSync('examples/resnet20.skipnet', 'utf8');
  const graph = analyze(text).models[0];
  const kinds = lesionUnits(graph).map((u) => u.kind);
  const cost = lesionCost(kinds.length, lesionDraws, lesionSamples);
  console.log(`${graph.name}: lesion study of ${countLesionUnits(kinds)}, ${lesionDraws} ${pluralize(lesionDraws, "draw")}, ${lesionSamples} held-out images (${cost.evaluations} evaluations); landscape ${grid}×${grid} on ${landscapeSamples} images`);
  const all: Figures[] = [];
  for (const backend of backends) all.push(await tfjsFigures(graph, backend));
  all.push(await torchFigures(graph, text));
  for (const f of all) console.log(line(f));
  const torch = all[all.length - 1];
  for (const f of all.slice(0, -1)) {
    const lesion = f.lesionSeconds / f.lesionEvaluations / (torch.lesionSeconds / torch.lesionEvaluations);
    const landscape = f.landscapeSeconds / f.landscapeEvaluations / (torch.landscapeSeconds / torch.landscapeEvaluations);
    console.log(`  ${f.engine} / PyTorch, seconds per evaluation: lesion ${lesion.toFixed(2)}, landscape ${landscape.toFixed(2)} (above 1: PyTorch is faster)`);
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
