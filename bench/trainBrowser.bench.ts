// Training throughput in headless Chromium (Debian's /usr/bin/chromium via playwright-core) on the
// wasm and webgl backends, for ResNet-20 at CIFAR shape.   npm run bench:train-browser
//   BENCH_BACKENDS=wasm,webgl BENCH_BATCH=32 BENCH_MODEL=examples/resnet20.skipnet
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { chromium } from 'playwright-core';

const OUT = 'out/bench/browser';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

async function main(): Promise<void> {
  const backends = (process.env.BENCH_BACKENDS ?? 'wasm,webgl').split(',');
  const batch = Number(process.env.BENCH_BATCH ?? 32);
  const modelFile = process.env.BENCH_MODEL ?? 'examples/resnet20.skipnet';
  mkdirSync(OUT, { recursive: true });
  await build({ entryPoints: ['bench/browser/trainPage.ts'], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: join(OUT, 'page.js'), logLevel: 'warning' });
  const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(join(wasmDir, file), join(OUT, file));
  writeFileSync(join(OUT, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="page.js"></script>');
  const server = createServer((request, response) => {
    const path = join(OUT, (request.url ?? '/').split('?')[0].replace(/^\/$/, '/index.html'));
    try {
      const body = readFileSync(path);
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`http://127.0.0.1:${port}/`);
    const modelText = readFileSync(modelFile, 'utf8');
    for (const backend of backends) {
      // SwiftShader makes webgl slow: one timed step after one warm-up step.
      const [warmup, steps] = backend === 'wasm' ? [1, 5] : [1, 1];
      const started = Date.now();
      const result = await page.evaluate(
        ([text, b, n, w, s]) => (globalThis as unknown as { runTrainBench: (t: string, b: string, n: number, w: number, s: number) => Promise<unknown> }).runTrainBench(text, b, n, w, s),
        [modelText, backend, batch, warmup, steps] as [string, string, number, number, number],
      );
      console.log(`${modelFile} batch ${batch} in Chromium: ${JSON.stringify(result)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
