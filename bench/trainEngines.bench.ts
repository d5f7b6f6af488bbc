// The training engines side by side, in one run: images/s of ResNet-20, DenseNet-40 and mnist_resnet at batch 32
// and 128 for
//   browser   the TensorFlow.js engine in headless Chromium (Debian's /usr/bin/chromium), threaded SIMD wasm on a
//             cross-origin-isolated page (the best CPU backend of bench/trainBrowser.bench.ts);
//   engine    the PyTorch engine: the real runner (python/skipnet_train.py through PyTorchTraining), timed between
//             its progress events as Node receives them, statistics weighted as at the default interval;
//   plain     a plain PyTorch loop (bench/plain_torch_loop.py) on the module `skipnet export --pytorch` writes,
//             same batch, same steps, no statistics, no events.
// Ratios: engine ÷ plain (goal ≥ 0.95) and engine ÷ browser (goal ≥ 3 on the CPU).
//
// A shared machine's load comes in bursts, so each model and batch is measured in BENCH_ROUNDS rounds; a round
// measures every peer once, in an order that rotates from round to round, so a burst lands on each peer in turn.
// The table gives each peer's median and the median of the rounds' ratios.
//
// Statistics: a window of DEFAULT_STATS_INTERVAL steps has one statistics step. To keep a round short, the engine
// runs a few steps (after BENCH_WARMUP) whose last is a statistics step, and a window costs
// (interval − 1) × its mean ordinary step + its statistics step.
//
// Steps per measurement: at least BENCH_STEPS, and enough that the timed stretch lasts about BENCH_MIN_SECONDS
// (default 2) at the speed a first plain probe finds. A few steps of a small model last a tenth of a second, where
// one scheduler hiccup moves the ratio by 10 %.
//
//   npm run bench:train-engines
//   BENCH_MODELS=resnet20,mnist_resnet BENCH_BATCHES=32 BENCH_ROUNDS=3 BENCH_STEPS=6 BENCH_WARMUP=2 BENCH_BROWSER_STEPS=3
//   BENCH_DEVICE=cpu|cuda (the PyTorch side; default cpu)
//   BENCH_BROWSER_BACKENDS=wasm,webgpu,webgl BENCH_CHROMIUM_FLAGS="--enable-unsafe-webgpu …" (bench/gpu-check.sh)
//   BENCH_BROWSER=0 (PyTorch only), BENCH_TORCH=0 (browser only)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { analyze } from '../src/core';
import { exportPyTorch } from '../src/export/pytorch';
import { encodeDataset, type ImageDataset } from '../src/train/dataset';
import { SeededRandom } from '../src/train/rng';
import { DEFAULT_STATS_INTERVAL } from '../src/train/schedule';
import { PyTorchTraining, type TorchDevice } from '../src/train/pytorch/runner';
import type { BrowserBenchResult } from './browser/trainPage';

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const models = (process.env.BENCH_MODELS ?? 'resnet20,densenet40,mnist_resnet').split(',');
const batches = (process.env.BENCH_BATCHES ?? '32,128').split(',').map(Number);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
// At least one ordinary step besides the statistics step.
const minSteps = Math.max(2, Number(process.env.BENCH_STEPS ?? 6));
const minSeconds = Number(process.env.BENCH_MIN_SECONDS ?? 2);
const maxSteps = 400;
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
const browserSteps = Number(process.env.BENCH_BROWSER_STEPS ?? 3);
const device = (process.env.BENCH_DEVICE ?? 'cpu') as TorchDevice;
const withBrowser = process.env.BENCH_BROWSER !== '0';
const withTorch = process.env.BENCH_TORCH !== '0';
const browserBackends = (process.env.BENCH_BROWSER_BACKENDS ?? 'wasm').split(',');
const chromiumFlags = (process.env.BENCH_CHROMIUM_FLAGS ?? '').split(' ').filter((f) => f !== '');
const OUT = 'out/bench/engines';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

const fmt = (n: number): string => (!Number.isFinite(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function randomDataset([height, width, channels]: number[], count: number): ImageDataset {
  const random = new SeededRandom(1);
  const size = height * width * channels;
  const split = (n: number) => ({ count: n, labels: new Uint8Array(n).map((_, i) => i % 10), pixels: new Uint8Array(n * size).map(() => Math.floor(random.next() * 256)) });
  return { name: 'random', height, width, channels, classes: Array.from({ length: 10 }, (_, i) => `class ${i}`), train: split(count), test: split(16) };
}

/**
 * The PyTorch engine's images/s at the default statistics interval, from when Node receives each progress event:
 * `steps` steps after `warmup`, the last a statistics step; a window of DEFAULT_STATS_INTERVAL steps costs
 * (DEFAULT_STATS_INTERVAL − 1) ordinary steps at their mean and one statistics step.
 */
async function engineImagesPerSecond(text: string, datasetFile: string, batch: number, steps: number): Promise<{ ips: number; backend: string; statsStepMs: number; stepMs: number }> {
  const analysis = analyze(text);
  const arrivals = new Map<number, number>();
  let backend = '';
  let statsAt = -1;
  const run = await PyTorchTraining.start({
    analysis,
    graph: analysis.models[0],
    datasetFile,
    python: PYTHON,
    device,
    config: { batch, epochs: 1, optimizer: 'momentum', lr: 0.01 },
    maxSteps: warmup + steps,
    statsInterval: warmup + steps,
    evalSamples: 16,
    evalsPerEpoch: 1,
    onEvent: (event) => {
      if (event.type === 'progress') arrivals.set(event.step, performance.now());
      if (event.type === 'started') backend = event.backend;
      if (event.type === 'statistics') statsAt = event.statistics.step;
    },
  });
  const result = await run.result;
  if (statsAt !== warmup + steps) throw new Error(`the engine's statistics step was ${statsAt}, not ${warmup + steps} (run ended: ${result.reason})`);
  const ordinary: number[] = [];
  for (let step = warmup + 1; step < warmup + steps; step++) ordinary.push(arrivals.get(step)! - arrivals.get(step - 1)!);
  const stepMs = ordinary.reduce((a, b) => a + b, 0) / ordinary.length;
  const statsStepMs = arrivals.get(warmup + steps)! - arrivals.get(warmup + steps - 1)!;
  const windowMs = (DEFAULT_STATS_INTERVAL - 1) * stepMs + statsStepMs;
  return { ips: (DEFAULT_STATS_INTERVAL * batch * 1000) / windowMs, backend, statsStepMs, stepMs };
}

function plainImagesPerSecond(text: string, dir: string, batch: number, steps: number): number {
  const analysis = analyze(text);
  const graph = analysis.models[0];
  const exported = exportPyTorch(analysis, graph, `${graph.name}.skipnet`);
  if (!exported.ok) throw new Error(`export failed: ${exported.problems.map((p) => p.message).join(' ')}`);
  const module = join(dir, `${graph.name}.py`);
  writeFileSync(module, exported.code);
  const [h, w, c] = graph.inputShape;
  const run = spawnSync(PYTHON, ['bench/plain_torch_loop.py', module, exported.className, String(batch), String(warmup), String(steps), device === 'auto' ? 'cpu' : device, String(h), String(w), String(c)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`plain loop failed: ${run.stderr.trim().split('\n').at(-1)}`);
  return (JSON.parse(run.stdout) as { images_per_second: number }).images_per_second;
}

async function serveIsolated(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = join(OUT, (request.url ?? '/').split('?')[0].replace(/^\/$/, '/index.html'));
    try {
      const body = readFileSync(path);
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

type Launched = { browser: Awaited<ReturnType<typeof chromium.launch>>; url: string };

/** The best browser backend of those asked for: its images/s (median step after one warm-up) and what ran. */
async function browserImagesPerSecond(launched: Launched, text: string, batch: number): Promise<{ ips: number; name: string }> {
  let best = NaN;
  const names: string[] = [];
  for (const backend of browserBackends) {
    let context: Awaited<ReturnType<Launched['browser']['newContext']>> | undefined;
    try {
      context = await launched.browser.newContext();
      const page = await context.newPage();
      await page.goto(launched.url);
      const result = await page.evaluate(
        ([t, b, n, s]) => (globalThis as unknown as { runTrainBench: (t: string, b: string, n: number, w: number, s: number) => Promise<BrowserBenchResult> }).runTrainBench(t, b, n, 1, s),
        [text, backend, batch, browserSteps] as [string, string, number, number],
      );
      const ips = (batch * 1000) / median(result.stepMs);
      best = Number.isFinite(best) ? Math.max(best, ips) : ips;
      names.push(`${result.backend}${result.threads ? ` ${result.threads}t` : ''}${result.crossOriginIsolated ? ' COI' : ''}${result.renderer ? ` on ${result.renderer}` : ''} ${fmt(ips)}`);
    } catch (error) {
      names.push(`${backend} failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 80)}`);
    } finally {
      await context?.close().catch(() => undefined);
    }
  }
  return { ips: best, name: names.join('; ') };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'skipnet-engines-bench-'));
  const rows: string[][] = [];
  const stepCounts: string[] = [];
  let launched: Launched | undefined;
  let served: Server | undefined;
  try {
    if (withBrowser) {
      await build({ entryPoints: ['bench/browser/trainPage.ts'], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: join(OUT, 'page.js'), logLevel: 'warning', mainFields: ['module', 'browser', 'main'] });
      const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
      for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(join(wasmDir, file), join(OUT, file));
      writeFileSync(join(OUT, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="page.js"></script>');
      const isolated = await serveIsolated();
      served = isolated.server;
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...chromiumFlags] });
      launched = { browser, url: isolated.url };
    }
    for (const name of models) {
      const text = readFileSync(join('examples', `${name}.skipnet`), 'utf8');
      const graph = analyze(text).models[0];
      for (const batch of batches) {
        const probe = withTorch ? plainImagesPerSecond(text, dir, batch, minSteps) : NaN;
        const steps = Number.isFinite(probe) ? Math.min(maxSteps, Math.max(minSteps, Math.ceil((minSeconds * probe) / batch))) : minSteps;
        stepCounts.push(`${name} b${batch}: ${steps}`);
        const datasetFile = join(dir, `${name}-${batch}.bin`);
        writeFileSync(datasetFile, encodeDataset(randomDataset(graph.inputShape, batch * (warmup + steps))));
        let backendNote = 'not run';
        let browserNote = 'not run';
        const peers: Record<'plain' | 'engine' | 'browser', () => Promise<number>> = {
          plain: async () => plainImagesPerSecond(text, dir, batch, steps),
          engine: async () => {
            const engine = await engineImagesPerSecond(text, datasetFile, batch, steps);
            backendNote = `${engine.backend}; step ${engine.stepMs.toFixed(0)} ms, statistics step ${engine.statsStepMs.toFixed(0)} ms`;
            return engine.ips;
          },
          browser: async () => {
            const result = await browserImagesPerSecond(launched!, text, batch);
            browserNote = result.name;
            return result.ips;
          },
        };
        const order = [...(withTorch ? (['plain', 'engine'] as const) : []), ...(launched ? (['browser'] as const) : [])];
        const measured: Record<string, number[]> = { plain: [], engine: [], browser: [] };
        for (let round = 0; round < rounds; round++) {
          const turn = order.map((_, i) => order[(i + round) % order.length]);
          const figures: string[] = [];
          for (const peer of turn) {
            const ips = await peers[peer]();
            measured[peer].push(ips);
            figures.push(`${peer} ${fmt(ips)}`);
          }
          console.log(`${name} batch ${batch} round ${round + 1}/${rounds}: ${figures.join(', ')} images/s (engine: ${backendNote}; browser: ${browserNote})`);
        }
        const mid = (peer: string): number => (measured[peer].length > 0 ? median(measured[peer]) : NaN);
        const ratio = (a: string, b: string): number => (measured[a].length > 0 && measured[b].length > 0 ? median(measured[a].map((x, i) => x / measured[b][i])) : NaN);
        const refused = /needs about ([\d.]+ [KMG]iB)/.exec(browserNote);
        const browserCell = measured.browser.length > 0 && !Number.isFinite(mid('browser')) && refused ? `refused (needs ${refused[1]})` : fmt(mid('browser'));
        rows.push([name, String(batch), browserCell, fmt(mid('engine')), fmt(mid('plain')), ratio('engine', 'plain').toFixed(3), fmt(ratio('engine', 'browser'))]);
      }
    }
  } finally {
    await launched?.browser.close();
    served?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n${rounds} interleaved rounds, medians. PyTorch: ${stepCounts.join(', ')} steps after ${warmup} warm-up steps (engine: the last a statistics step, weighted 1 in ${DEFAULT_STATS_INTERVAL}); browser: median of ${browserSteps} steps after one warm-up`);
  console.log('model | batch | browser img/s | PyTorch engine img/s | plain loop img/s | engine ÷ plain (goal ≥ 0.95) | engine ÷ browser (goal ≥ 3)');
  for (const row of rows) console.log(row.join(' | '));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
