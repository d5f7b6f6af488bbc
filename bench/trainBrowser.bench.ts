// Training throughput in headless Chromium (Debian's /usr/bin/chromium via playwright-core), the backend
// started as the webview starts it, against PyTorch on the CPU (2 and 1 threads) measured in the same run.
// The page is served without and with cross-origin isolation (COOP/COEP headers): isolated, the wasm
// backend runs the threaded SIMD binary.
//
//   npm run bench:train-browser                     ResNet-20, batch 32, wasm, not isolated and isolated
//   BENCH_COI=1 (isolated only) / BENCH_COI=0 (not isolated only)
//   BENCH_FULL=1                                    also batch 128 and the small DenseNet-BC
//   BENCH_BACKENDS=wasm,webgl BENCH_STEPS=5 BENCH_REPEATS=3 BENCH_TORCH_THREADS=2,1
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { analyze, type ModelGraph } from '../src/core';
import { useNodeBackend } from '../src/train/nodeBackend';
import { TfModel } from '../src/train/model';
import type { BrowserBenchResult } from './browser/trainPage';
import { DENSENET_BC, torchImagesPerSecond } from './torchReference';

const OUT = 'out/bench/browser';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const full = process.env.BENCH_FULL === '1';
const backends = (process.env.BENCH_BACKENDS ?? 'wasm').split(',');
const batches = full ? [32, 128] : [32];
const isolations = process.env.BENCH_COI === '1' ? [true] : process.env.BENCH_COI === '0' ? [false] : [false, true];
const steps = Number(process.env.BENCH_STEPS ?? 5);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const torchThreads = (process.env.BENCH_TORCH_THREADS ?? '2,1').split(',').map(Number);
const MEASURE_TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 240);

/** Serves OUT; with `isolated`, every response carries the headers that make the page cross-origin isolated. */
async function serve(isolated: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = join(OUT, (request.url ?? '/').split('?')[0].replace(/^\/$/, '/index.html'));
    try {
      const body = readFileSync(path);
      const headers: Record<string, string> = { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' };
      if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
      response.writeHead(200, headers);
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One fresh page per measurement: a wasm backend starts once per page, with the threads it started with. */
async function measure(browser: Browser, url: string, modelText: string, backend: string, batch: number): Promise<BrowserBenchResult> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(url);
    // SwiftShader makes webgl slow: one timed step after one warm-up step.
    const timed = backend === 'wasm' ? steps : 1;
    const run = page.evaluate(
      ([text, b, n, s]) => (globalThis as unknown as { runTrainBench: (t: string, b: string, n: number, w: number, s: number) => Promise<BrowserBenchResult> }).runTrainBench(text, b, n, 1, s),
      [modelText, backend, batch, timed] as [string, string, number, number],
    );
    // The threaded wasm binary can hang instead of aborting when its memory runs out.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no result after ${MEASURE_TIMEOUT_S} s`)), MEASURE_TIMEOUT_S * 1000)));
    try {
      return await Promise.race([run, limit]);
    } finally {
      clearTimeout(timer);
      run.catch(() => undefined);
    }
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await build({ entryPoints: ['bench/browser/trainPage.ts'], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: join(OUT, 'page.js'), logLevel: 'warning', mainFields: ['module', 'browser', 'main'] });
  const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(join(wasmDir, file), join(OUT, file));
  writeFileSync(join(OUT, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="page.js"></script>');
  const servers = new Map<boolean, { server: Server; url: string }>();
  for (const isolated of isolations) servers.set(isolated, await serve(isolated));
  const models: { graph: ModelGraph; text: string }[] = [{ text: readFileSync('examples/resnet20.skipnet', 'utf8'), graph: null! }];
  if (full) models.push({ text: DENSENET_BC, graph: null! });
  for (const m of models) m.graph = analyze(m.text).models[0];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  const rows: string[][] = [];
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  try {
    for (const { graph, text } of models) {
      await useNodeBackend('cpu');
      const exporter = new TfModel(graph, 1);
      const weights = await exporter.exportWeights();
      exporter.dispose();
      for (const batch of batches) {
        // PyTorch and the browser alternate, `repeats` times, so that both see the same machine load.
        const torch = new Map<number, number[]>(torchThreads.map((t) => [t, []]));
        const tfjs = new Map<string, { ips: number[]; threads: number; isolated: boolean; backend: string }>();
        for (let r = 0; r < repeats; r++) {
          for (const threads of torchThreads) {
            const ips = torchImagesPerSecond(graph, weights, batch, threads);
            if (typeof ips === 'number') torch.get(threads)!.push(ips);
            console.log(`${graph.name} batch ${batch} round ${r + 1}: PyTorch CPU (${threads} thread${threads === 1 ? '' : 's'}) ${typeof ips === 'number' ? `${fmt(ips)} images/s` : ips}`);
          }
          for (const backend of backends) {
            for (const isolated of isolations) {
              const key = `${backend}/${isolated}`;
              const earlier = tfjs.get(key);
              if (earlier && earlier.ips.length === 0) continue; // failed in an earlier round: not again
              let result: BrowserBenchResult;
              try {
                result = await measure(browser, servers.get(isolated)!.url, text, backend, batch);
              } catch (error) {
                const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
                console.log(`${graph.name} batch ${batch} round ${r + 1}: ${backend}${isolated ? ', isolated' : ''} failed: ${message}`);
                if (!tfjs.has(key)) tfjs.set(key, { ips: [], threads: 0, isolated, backend: `${backend} (failed: ${message.slice(0, 80)})` });
                continue;
              }
              const known = tfjs.get(key);
              const entry = known && known.ips.length > 0 ? known : { ips: [], threads: result.threads, isolated: result.crossOriginIsolated, backend: result.backend };
              entry.ips.push((batch * 1000) / median(result.stepMs));
              tfjs.set(key, entry);
              console.log(`${graph.name} batch ${batch} round ${r + 1}: ${result.backend}${result.threads ? ` (${result.threads} thread${result.threads === 1 ? '' : 's'})` : ''}${result.crossOriginIsolated ? ', isolated' : ''}: steps ${result.stepMs.map((t) => t.toFixed(0)).join(' ')} ms${result.renderer ? ` (${result.renderer})` : ''}`);
            }
          }
        }
        const reference = torchThreads.map((t) => ({ threads: t, ips: torch.get(t)!.length ? median(torch.get(t)!) : NaN }));
        const ratios = (ips: number) => reference.map((r) => (Number.isFinite(r.ips) ? (ips / r.ips).toFixed(3) : '?'));
        for (const r of reference) rows.push([graph.name, String(batch), `pytorch-cpu (${r.threads} thread${r.threads === 1 ? '' : 's'})`, Number.isFinite(r.ips) ? fmt(r.ips) : 'failed', ...ratios(r.ips)]);
        for (const e of tfjs.values()) {
          if (e.ips.length === 0) {
            rows.push([graph.name, String(batch), `chromium ${e.backend}${e.isolated ? ', COI' : ''}`, 'failed', ...reference.map(() => '-')]);
            continue;
          }
          const ips = median(e.ips);
          const name = `chromium ${e.backend}${e.threads ? ` (${e.threads} thread${e.threads === 1 ? '' : 's'})` : ''}${e.isolated ? ', COI' : ''}`;
          rows.push([graph.name, String(batch), name, fmt(ips), ...ratios(ips)]);
        }
      }
    }
  } finally {
    await browser.close();
    for (const { server } of servers.values()) server.close();
  }
  console.log(`\nmedians of ${repeats} rounds (browser: median step of ${steps} after a warm-up step)`);
  console.log(`model | batch | engine | images/s | ${torchThreads.map((t) => `× PyTorch ${t}t`).join(' | ')}`);
  for (const r of rows) console.log(r.join(' | '));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
