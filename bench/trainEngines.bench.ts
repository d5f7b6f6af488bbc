// The training engines side by side, in one run: images/s of ResNet-20, DenseNet-40 and mnist_resnet at batch 32
// and 128 for
//   browser   the TensorFlow.js engine in headless Chromium (Debian's /usr/bin/chromium), threaded SIMD wasm on a
//             cross-origin-isolated page (the best CPU backend of bench/trainBrowser.bench.ts);
//   engine    the PyTorch engine: the real runner (python/skipnet_train.py through PyTorchTraining), statistics
//             at the default interval, timed between its progress events as Node receives them;
//   plain     a plain PyTorch loop (bench/plain_torch_loop.py) on the module `skipnet export --pytorch` writes,
//             same batch, no statistics, no events.
// Ratios: engine ÷ plain (goal ≥ 0.95) and engine ÷ browser (goal ≥ 3 on the CPU).
//
//   npm run bench:train-engines
//   BENCH_MODELS=resnet20,mnist_resnet BENCH_BATCHES=32 BENCH_STEPS=25 BENCH_WARMUP=2 BENCH_BROWSER_STEPS=3
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
// One statistics step per window at the default interval: the engine is measured with what it costs.
const steps = Number(process.env.BENCH_STEPS ?? DEFAULT_STATS_INTERVAL);
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

/** The PyTorch engine's images/s over `steps` steps after `warmup`, from when Node receives each progress event. */
async function engineImagesPerSecond(text: string, datasetFile: string, batch: number): Promise<{ ips: number; backend: string }> {
  const analysis = analyze(text);
  const arrivals = new Map<number, number>();
  let backend = '';
  const run = await PyTorchTraining.start({
    analysis,
    graph: analysis.models[0],
    datasetFile,
    python: PYTHON,
    device,
    config: { batch, epochs: 1, optimizer: 'momentum', lr: 0.01 },
    maxSteps: warmup + steps,
    evalSamples: 16,
    evalsPerEpoch: 1,
    onEvent: (event) => {
      if (event.type === 'progress') arrivals.set(event.step, performance.now());
      if (event.type === 'started') backend = event.backend;
    },
  });
  await run.result;
  const seconds = (arrivals.get(warmup + steps)! - arrivals.get(warmup)!) / 1000;
  return { ips: (steps * batch) / seconds, backend };
}

function plainImagesPerSecond(text: string, dir: string, batch: number): number {
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

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'skipnet-engines-bench-'));
  const rows: string[][] = [];
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  let served: { server: Server; url: string } | undefined;
  try {
    if (withBrowser) {
      await build({ entryPoints: ['bench/browser/trainPage.ts'], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: join(OUT, 'page.js'), logLevel: 'warning', mainFields: ['module', 'browser', 'main'] });
      const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
      for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(join(wasmDir, file), join(OUT, file));
      writeFileSync(join(OUT, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="page.js"></script>');
      served = await serveIsolated();
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...chromiumFlags] });
    }
    for (const name of models) {
      const text = readFileSync(join('examples', `${name}.skipnet`), 'utf8');
      const graph = analyze(text).models[0];
      for (const batch of batches) {
        const datasetFile = join(dir, `${name}-${batch}.bin`);
        writeFileSync(datasetFile, encodeDataset(randomDataset(graph.inputShape, batch * (warmup + steps))));
        const plain = withTorch ? plainImagesPerSecond(text, dir, batch) : NaN;
        const engine = withTorch ? await engineImagesPerSecond(text, datasetFile, batch) : { ips: NaN, backend: 'not run' };
        // The best browser backend of those asked for is the one compared.
        let browserIps = NaN;
        const browserNames: string[] = [];
        for (const backend of browser && served ? browserBackends : []) {
          let context: Awaited<ReturnType<NonNullable<typeof browser>['newContext']>> | undefined;
          try {
            context = await browser!.newContext();
            const page = await context.newPage();
            await page.goto(served!.url);
            const result = await page.evaluate(
              ([t, b, n, s]) => (globalThis as unknown as { runTrainBench: (t: string, b: string, n: number, w: number, s: number) => Promise<BrowserBenchResult> }).runTrainBench(t, b, n, 1, s),
              [text, backend, batch, browserSteps] as [string, string, number, number],
            );
            const ips = (batch * 1000) / median(result.stepMs);
            browserIps = Number.isFinite(browserIps) ? Math.max(browserIps, ips) : ips;
            browserNames.push(`${result.backend}${result.threads ? ` ${result.threads}t` : ''}${result.crossOriginIsolated ? ' COI' : ''}${result.renderer ? ` on ${result.renderer}` : ''} ${fmt(ips)}`);
          } catch (error) {
            browserNames.push(`${backend} failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 80)}`);
          } finally {
            await context?.close().catch(() => undefined);
          }
        }
        const browserName = browserNames.length > 0 ? browserNames.join('; ') : 'not run';
        const row = [name, String(batch), fmt(browserIps), fmt(engine.ips), fmt(plain), (engine.ips / plain).toFixed(3), fmt(engine.ips / browserIps)];
        rows.push(row);
        console.log(`${name} batch ${batch}: browser (${browserName}), PyTorch engine (${engine.backend}) ${fmt(engine.ips)}, plain loop ${fmt(plain)} images/s`);
      }
    }
  } finally {
    await browser?.close();
    served?.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nPyTorch: ${steps} steps after ${warmup} warm-up steps, statistics every ${DEFAULT_STATS_INTERVAL} (engine); browser: median of ${browserSteps} steps after one warm-up`);
  console.log('model | batch | browser img/s | PyTorch engine img/s | plain loop img/s | engine ÷ plain (goal ≥ 0.95) | engine ÷ browser (goal ≥ 3)');
  for (const row of rows) console.log(row.join(' | '));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
