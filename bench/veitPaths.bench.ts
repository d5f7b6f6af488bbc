// Veit, Wilber & Belongie 2016 ("Residual Networks Behave Like Ensembles of Relatively Shallow Networks", §4.2,
// Fig. 6) on examples/resnet110.skipnet (n = 54 residual blocks, 2^54 paths), measured by the PyTorch engine's own
// runner (python/skipnet_paths.py): the gradient at the input per sampled path of k residual branches, times C(54, k),
// for every k, at initialisation and after training on the bundled MNIST (padded to 32×32 and repeated to 3 channels,
// as the runner adapts it). Prints both distributions and where their bulk lies: the narrowest windows of path lengths
// holding 50 % and 90 % of the total gradient, and the peak. The paper's figure: most of the gradient comes from paths
// 5–17 blocks (10–34 layers) long, in a ResNet-110 fully trained on CIFAR-10.
//
//   npm run bench:veit-paths
//   BENCH_VEIT_STEPS=400 BENCH_VEIT_SAMPLES=8 BENCH_VEIT_IMAGES=32 npm run bench:veit-paths
//
// "At initialisation" is the seeded initial weights with batch-norm running statistics estimated from
// BENCH_VEIT_WARMUP batches at learning rate 0: the measurement runs batch norm in inference mode (so every path sees
// the same function), and the freshly initialised running statistics (mean 0, variance 1) would be no normalisation at
// all. Training: SGD with momentum 0.9, BENCH_VEIT_LR, batch BENCH_VEIT_BATCH, BENCH_VEIT_STEPS steps from the same
// weights (ResNet-110's own schedule, 64,000 steps of 128 on CIFAR-10, is out of reach of a CPU benchmark).
import { readFileSync } from 'node:fs';
import { analyze, type ModelGraph } from '../src/core';
import { gradientWindow, peakLength, type PathLengthGradient } from '../src/train/experiments/pathPlan';
import { builtinDatasetFile } from '../src/train/nodeData';
import type { RunnerEvent } from '../src/train/pytorch/protocol';
import { PyTorchTraining, type TorchDevice } from '../src/train/pytorch/runner';

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const device = (process.env.BENCH_DEVICE ?? 'auto') as TorchDevice;
const steps = Number(process.env.BENCH_VEIT_STEPS ?? 100);
const warmup = Number(process.env.BENCH_VEIT_WARMUP ?? 20);
const batch = Number(process.env.BENCH_VEIT_BATCH ?? 16);
const lr = Number(process.env.BENCH_VEIT_LR ?? 0.05);
const images = Number(process.env.BENCH_VEIT_IMAGES ?? 4);
const samples = Number(process.env.BENCH_VEIT_SAMPLES ?? 2);
const seed = Number(process.env.BENCH_VEIT_SEED ?? 1);
const evalSamples = 200;

/** One run's last path-gradient measurement and its held-out accuracy. */
interface Measured {
  step: number;
  lengths: PathLengthGradient[];
  accuracy: number | null;
  seconds: number;
}

/** A run of `maxSteps` at `rate`, measuring path gradients after its last step (and after its first, ignored). */
async function measuredRun(text: string, graph: ModelGraph, maxSteps: number, rate: number): Promise<Measured> {
  const analysis = analyze(text);
  let last: Extract<RunnerEvent, { type: 'pathGradients' }> | null = null;
  let accuracy: number | null = null;
  const started = performance.now();
  const run = await PyTorchTraining.start({
    analysis,
    graph,
    datasetFile: builtinDatasetFile('mnist'),
    python: PYTHON,
    device,
    config: { batch, optimizer: 'momentum', lr: rate, momentum: 0.9, weightDecay: 0, seed, epochs: 100 },
    maxSteps,
    statsInterval: 0,
    evalSamples,
    evalsPerEpoch: 1,
    pathGradients: { interval: maxSteps, images, samples },
    onEvent: (event) => {
      if (event.type === 'pathGradients') last = event;
      if (event.type === 'evaluation' && event.full) accuracy = event.accuracy;
      if (event.type === 'progress' && event.step % 25 === 0) process.stderr.write(`  step ${event.step}/${maxSteps}, loss ${event.loss.toFixed(3)}\n`);
    },
  });
  const result = await run.result;
  if (result.reason !== 'done') throw new Error(`the run ended ${result.reason}: ${result.message ?? ''}`);
  const measured = last as Extract<RunnerEvent, { type: 'pathGradients' }> | null;
  if (!measured || measured.step !== maxSteps) throw new Error(`no path-gradient measurement after step ${maxSteps}`);
  return { step: measured.step, lengths: measured.lengths, accuracy: result.evaluation?.accuracy ?? accuracy, seconds: (performance.now() - started) / 1000 };
}

function describe(name: string, m: Measured): string {
  const sum = m.lengths.reduce((a, l) => a + l.total, 0);
  const mean = m.lengths.reduce((a, l) => a + l.length * l.total, 0) / sum;
  const w50 = gradientWindow(m.lengths, 0.5);
  const w90 = gradientWindow(m.lengths, 0.9);
  const peak = peakLength(m.lengths);
  // Decay of one path's gradient per branch entered: the least-squares slope of log meanNorm over k.
  const xs = m.lengths.map((l) => l.length);
  const ys = m.lengths.map((l) => Math.log(l.meanNorm));
  const xm = xs.reduce((a, b) => a + b, 0) / xs.length;
  const ym = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((a, x, i) => a + (x - xm) * (ys[i] - ym), 0) / xs.reduce((a, x) => a + (x - xm) ** 2, 0);
  const accuracy = m.accuracy === null ? '' : `, held-out accuracy ${(100 * m.accuracy).toFixed(2)}% (${evalSamples} images)`;
  return [
    `${name} (step ${m.step}${accuracy}, ${m.seconds.toFixed(0)} s):`,
    `  peak k = ${peak} blocks (${2 * peak} layers); gradient-weighted mean k = ${mean.toFixed(1)} blocks`,
    `  50 % of the total gradient: k = ${w50.from}–${w50.to} blocks (${2 * w50.from}–${2 * w50.to} layers, ${(100 * w50.share).toFixed(1)} %)`,
    `  90 % of the total gradient: k = ${w90.from}–${w90.to} blocks (${2 * w90.from}–${2 * w90.to} layers, ${(100 * w90.share).toFixed(1)} %)`,
    `  one path's gradient: × ${Math.exp(slope).toFixed(3)} per branch entered (least squares on log meanNorm)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const text = readFileSync('examples/resnet110.skipnet', 'utf8');
  const graph = analyze(text).models[0];
  console.log(
    `${graph.name}: ${images} training images, ${samples} paths per length; initialisation = seeded weights, batch-norm statistics from ${warmup} batches of ${batch}; ` +
      `training = SGD lr ${lr} momentum 0.9, ${steps} steps of ${batch} (MNIST padded to 32×32×3), seed ${seed}`,
  );
  const initial = await measuredRun(text, graph, warmup, 0);
  const trained = await measuredRun(text, graph, steps, lr);
  const sumOf = (m: Measured): number => m.lengths.reduce((a, l) => a + l.total, 0);
  const [si, st] = [sumOf(initial), sumOf(trained)];
  console.log('    k  layers  paths C(54,k)  sampled   init meanNorm   init total  init %   trained meanNorm  trained total  trained %');
  for (let i = 0; i < initial.lengths.length; i++) {
    const a = initial.lengths[i];
    const b = trained.lengths[i];
    console.log(
      `  ${String(a.length).padStart(3)}  ${String(2 * a.length).padStart(6)}  ${a.paths.toExponential(3).padStart(13)}  ${String(a.sampled).padStart(7)}  ` +
        `${a.meanNorm.toExponential(3).padStart(14)}  ${a.total.toExponential(3).padStart(11)}  ${(100 * a.total / si).toFixed(2).padStart(6)}  ` +
        `${b.meanNorm.toExponential(3).padStart(17)}  ${b.total.toExponential(3).padStart(13)}  ${(100 * b.total / st).toFixed(2).padStart(9)}`,
    );
  }
  console.log(describe('At initialisation', initial));
  console.log(describe(`After ${steps} steps`, trained));
  console.log('Veit et al. 2016, Fig. 6 (ResNet-110 trained on CIFAR-10): most of the gradient from paths of 5–17 blocks (10–34 layers); the paths themselves peak at 27 blocks (54 layers).');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
