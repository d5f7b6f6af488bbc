// What the PyTorch runner costs over a plain PyTorch step, as CPU time of one thread in one process
// (bench/runner_overhead.py): the engine's step (batch, forward and backward, gradient check, read back, update,
// events, statistics every BENCH_STATS_EVERY-th step) and a plain step alternate on two copies of the model, so
// a shared machine's load, which makes wall-clock figures between processes noise, does not enter the ratio.
// Goal: plain ÷ engine ≥ 0.95 at the default statistics interval (25 steps), every row.
//
// For each model and batch this writes the run's files as the PyTorch engine does (PyTorchTraining with runDir:
// the export, starting weights, statistics plan and config; the runner itself trains one step there), then runs
// runner_overhead.py on that config.
//
//   npm run bench:runner-overhead
//   BENCH_ROWS=mnist_resnet:32:100,resnet20:32 BENCH_STEPS=50 BENCH_STATS_EVERY=5 BENCH_PYTHON=/usr/bin/python3
//   BENCH_KEEP=1 keeps each row's folder (config.json, model.py, weights.bin, data.bin) to rerun runner_overhead.py on
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../src/core';
import { encodeDataset, type ImageDataset } from '../src/train/dataset';
import { SeededRandom } from '../src/train/rng';
import { DEFAULT_STATS_INTERVAL } from '../src/train/schedule';
import { PATH_GRADIENT_INTERVAL } from '../src/train/experiments/pathPlan';
import { PyTorchTraining } from '../src/train/pytorch/runner';

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const statsEvery = Math.max(2, Number(process.env.BENCH_STATS_EVERY ?? 5));
// model:batch:steps; the steps of a row default to BENCH_STEPS (fewer for the larger models, whose steps take seconds).
const rows = (process.env.BENCH_ROWS ?? 'mnist_resnet:32:100,mnist_resnet:128:50,resnet20:32:25,densenet40:32:10').split(',').map((row) => {
  const [model, batch, rowSteps] = row.split(':');
  return { model, batch: Number(batch), steps: Math.max(statsEvery, Number(rowSteps ?? process.env.BENCH_STEPS ?? 50)) };
});

interface Overhead {
  batch: number;
  steps: number;
  statisticsSteps: number;
  ms: Record<string, number | null>;
  statisticsExtraMs: number;
  overheadPerStepMs: number;
  ratio: number;
  ratioOfMedians: number;
  /** One gradient-by-path-length measurement (ms) and that spread over its interval (ms a step). */
  pathGradientsMs?: number;
  pathGradientsPerStepMs?: number;
}

function randomDataset([height, width, channels]: number[], count: number): ImageDataset {
  const random = new SeededRandom(1);
  const size = height * width * channels;
  const split = (n: number) => ({ count: n, labels: new Uint8Array(n).map((_, i) => i % 10), pixels: new Uint8Array(n * size).map(() => Math.floor(random.next() * 256)) });
  return { name: 'random', height, width, channels, classes: Array.from({ length: 10 }, (_, i) => `class ${i}`), train: split(count), test: split(16) };
}

/** Writes the run's files for `model` at `batch` into `dir` (the runner trains one step there) and returns its config's path. */
async function writeRun(model: string, batch: number, steps: number, dir: string): Promise<string> {
  const text = readFileSync(join('examples', `${model}.skipnet`), 'utf8');
  const analysis = analyze(text);
  const graph = analysis.models[0];
  const datasetFile = join(dir, 'data.bin');
  // Enough images for every measured step to take a different batch.
  writeFileSync(datasetFile, encodeDataset(randomDataset(graph.inputShape, batch * Math.min(steps + 2, 64))));
  const run = await PyTorchTraining.start({
    analysis,
    graph,
    datasetFile,
    python: PYTHON,
    device: 'cpu',
    runDir: join(dir, 'run'),
    config: { batch, epochs: 1, optimizer: 'momentum', lr: 0.01 },
    maxSteps: 1,
    evalSamples: 16,
    evalsPerEpoch: 1,
    pathGradients: true,
  });
  await run.result;
  return join(dir, 'run', 'config.json');
}

async function main(): Promise<void> {
  const table: string[] = [];
  for (const { model, batch, steps } of rows) {
    const dir = mkdtempSync(join(tmpdir(), 'skipnet-overhead-bench-'));
    try {
      const config = await writeRun(model, batch, steps, dir);
      const run = spawnSync(PYTHON, ['bench/runner_overhead.py', config, String(steps), String(statsEvery), String(DEFAULT_STATS_INTERVAL)], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`runner_overhead.py failed for ${model} batch ${batch}: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
      const result = JSON.parse(run.stdout) as Overhead;
      const m = result.ms;
      console.log(`${model} batch ${batch}: ${JSON.stringify(result)}`);
      table.push(
        [model, batch, steps, m.plain, m.engine, m.engine_stats, m.batch, m.check, m.events, result.statisticsExtraMs, result.overheadPerStepMs, result.ratio.toFixed(3), result.ratioOfMedians.toFixed(3), result.pathGradientsMs ?? '–', result.pathGradientsPerStepMs ?? '–'].join(' | '),
      );
    } finally {
      if (process.env.BENCH_KEEP === '1') console.log(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nCPU time of one thread (ms, medians of the measured steps, after 2 warm-up steps), every ${statsEvery}th a statistics step; window of ${DEFAULT_STATS_INTERVAL} steps = ${DEFAULT_STATS_INTERVAL - 1} ordinary + 1 statistics step`);
  console.log(`model | batch | steps | plain step | engine step | engine statistics step | making the batch | gradient check | events | statistics (extra) | overhead per step | plain ÷ engine, paired steps (goal ≥ 0.95) | plain ÷ engine, medians | gradient by path length (once every ${PATH_GRADIENT_INTERVAL} steps) | its cost per step`);
  for (const row of table) console.log(row);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
