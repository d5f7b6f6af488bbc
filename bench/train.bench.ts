// Training throughput of the TensorFlow.js engine in Node (cpu and wasm backends) against PyTorch on
// the CPU (Debian python3-torch, 2 threads) in the same run, for ResNet-20 and a small DenseNet-BC at
// CIFAR shape; plus the cost of live statistics as a share of step time at the default interval.
//
//   npm run bench:train                       (batch 32, cpu + wasm + PyTorch)
//   BENCH_BATCHES=32,128 BENCH_BACKENDS=wasm BENCH_MODELS=resnet20 BENCH_TORCH_THREADS=1 BENCH_STATS=0 npm run bench:train
import { readFileSync } from 'node:fs';
import { analyze, type ModelGraph } from '../src/core';
import { useNodeBackend as useBackend, type PortableBackend } from '../src/train/nodeBackend';
import type { ImageDataset } from '../src/train/data';
import { DEFAULT_STATS_INTERVAL, TrainingEngine } from '../src/train/engine';
import { TfModel } from '../src/train/model';
import { SeededRandom } from '../src/train/rng';
import { DENSENET_BC, torchImagesPerSecond } from './torchReference';

const batches = (process.env.BENCH_BATCHES ?? '32').split(',').map(Number);
const backends = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',') as PortableBackend[];
// PyTorch with 2 threads is the issue's reference; 1 thread is also measured because on a shared machine
// OpenMP's 2 threads can lose most of their speed to oversubscription (seen here: 231 vs 49 images/s).
const threadCounts = (process.env.BENCH_TORCH_THREADS ?? '2,1').split(',').map(Number);
const wanted = (process.env.BENCH_MODELS ?? 'resnet20,densenet_bc40').split(',');
const models: ModelGraph[] = [analyze(readFileSync('examples/resnet20.skipnet', 'utf8')).models[0], analyze(DENSENET_BC).models[0]].filter((m) => wanted.includes(m.name));
const skipStats = process.env.BENCH_STATS === '0';

function randomDataset(count: number): ImageDataset {
  const random = new SeededRandom(1);
  const pixels = new Uint8Array(count * 32 * 32 * 3).map(() => Math.floor(random.next() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { name: 'random', height: 32, width: 32, channels: 3, classes: Array.from({ length: 10 }, (_, i) => String(i)), train: { count, labels, pixels }, test: { count: 10, labels: labels.subarray(0, 10), pixels: pixels.subarray(0, 10 * 3072) } };
}

/** Mean seconds per step over `steps` steps after `warmup`, and those of statistics steps (if any). */
async function timeSteps(graph: ModelGraph, batch: number, warmup: number, steps: number, statsInterval: number): Promise<{ perStep: number; statsPerStep: number | null }> {
  const times: { step: number; t: number }[] = [];
  const statsSteps = new Set<number>();
  const engine = new TrainingEngine({
    graph,
    dataset: randomDataset(batch * (warmup + steps)),
    config: { batch, epochs: 1, optimizer: 'momentum', lr: 0.01 },
    statsInterval,
    evalSamples: 1,
    memoryBudget: 8 * 1024 ** 3,
    nextFrame: () => Promise.resolve(),
    onEvent: (e) => {
      if (e.type === 'progress') times.push({ step: e.step, t: performance.now() });
      if (e.type === 'statistics') statsSteps.add(e.statistics.step);
    },
  });
  const start = performance.now();
  await engine.run();
  const durations = times.map((x, i) => ({ step: x.step, seconds: (x.t - (i === 0 ? start : times[i - 1].t)) / 1000 })).filter((d) => d.step > warmup);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const plain = durations.filter((d) => !statsSteps.has(d.step)).map((d) => d.seconds);
  const withStats = durations.filter((d) => statsSteps.has(d.step)).map((d) => d.seconds);
  return { perStep: mean(plain.length ? plain : withStats), statsPerStep: withStats.length ? mean(withStats) : null };
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  for (const graph of models) {
    await useBackend('cpu');
    const exporter = new TfModel(graph, 1);
    const weights = await exporter.exportWeights();
    exporter.dispose();
    for (const batch of batches) {
      const torchRuns = threadCounts.map((threads) => ({ threads, ips: torchImagesPerSecond(graph, weights, batch, threads) }));
      for (const { threads, ips } of torchRuns) {
        const text = typeof ips === 'number' ? fmt(ips) : ips;
        console.log(`${graph.name} batch ${batch}: PyTorch CPU (${threads} thread${threads === 1 ? '' : 's'}) ${text} images/s`);
        rows.push([graph.name, String(batch), `pytorch-cpu-${threads}t`, text, typeof ips === 'number' && typeof torchRuns[0].ips === 'number' ? (ips / torchRuns[0].ips).toFixed(3) : '?']);
      }
      const torch = torchRuns[0].ips;
      for (const backend of backends) {
        await useBackend(backend);
        // tfjs's cpu backend (plain JavaScript loops) takes about a minute per ResNet-20 step at batch 32
        // here: one unwarmed step is plenty (there is nothing to compile on it).
        let perStep: number;
        try {
          ({ perStep } = backend === 'cpu' ? await timeSteps(graph, batch, 0, 1, 0) : await timeSteps(graph, batch, 1, 5, 0));
        } catch (error) {
          console.log(`${graph.name} batch ${batch}: tfjs ${backend} failed: ${error instanceof Error ? error.message : String(error)}`);
          rows.push([graph.name, String(batch), `tfjs-${backend}`, 'failed', '-']);
          continue;
        }
        const ips = batch / perStep;
        const ratio = typeof torch === 'number' ? (ips / torch).toFixed(3) : '?';
        console.log(`${graph.name} batch ${batch}: tfjs ${backend} ${fmt(ips)} images/s (${ratio} × PyTorch with ${threadCounts[0]} threads${torchRuns.slice(1).map((r) => (typeof r.ips === 'number' ? `, ${(ips / r.ips).toFixed(3)} × with ${r.threads}` : '')).join('')})`);
        rows.push([graph.name, String(batch), `tfjs-${backend}`, fmt(ips), ratio]);
      }
    }
  }
  // Statistics overhead on the fastest backend tried here. Statistics every other step, so that plain
  // and statistics steps interleave and share whatever else the machine is doing.
  const statsBackend: PortableBackend = backends.includes('wasm') ? 'wasm' : backends[0];
  await useBackend(statsBackend);
  for (const graph of skipStats ? [] : models) {
    const mixed = await timeSteps(graph, 32, 2, 8, 2);
    const plain = { perStep: mixed.perStep };
    const extra = (mixed.statsPerStep ?? mixed.perStep) - plain.perStep;
    const overhead = (100 * extra) / (DEFAULT_STATS_INTERVAL * plain.perStep);
    console.log(
      `${graph.name} statistics on ${statsBackend}: a statistics step costs ${(1000 * extra).toFixed(0)} ms more than a ${(1000 * plain.perStep).toFixed(0)} ms step → ${overhead.toFixed(2)}% of step time at the default interval (${DEFAULT_STATS_INTERVAL})`,
    );
  }
  console.log(`\nmodel | batch | engine | images/s | ratio to PyTorch with ${threadCounts[0]} threads`);
  for (const r of rows) console.log(r.join(' | '));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
