// Training throughput of the graph webview itself (real bundles, training worker(s), CSP) in headless
// Chromium on the wasm backend: one training worker against two sharing every batch (data-parallel), for
// ResNet-20 (CIFAR shape; MNIST padded to 32×32×3) and the small MNIST ResNet. Images/s are the engine's
// own figure (mean over its last 20 steps) after a warm-up; PyTorch on the CPU (Debian python3-torch, 2 threads)
// trains the same model in the same run as the reference.
//   npm run bench:train-workers        BENCH_STEPS=30 BENCH_BATCHES=32,128
import { readFileSync } from 'node:fs';
import { analyze } from '../src/core';
import { buildGraphPayload } from '../src/protocol';
import { useNodeBackend } from '../src/train/nodeBackend';
import { TfModel } from '../src/train/model';
import { DOC_URI, launchBrowser, openWebview, ORIGIN } from '../test/webview/harness';
import { torchImagesPerSecond } from './torchReference';

const steps = Number(process.env.BENCH_STEPS ?? 30);
const batches = (process.env.BENCH_BATCHES ?? '32,128').split(',').map(Number);
const MODELS = ['examples/resnet20.skipnet', 'examples/mnist_resnet.skipnet'];

function modelText(file: string, batch: number): string {
  return readFileSync(file, 'utf8').replace(/train\s*\{[^}]*\}/, '').replace(/\}\s*$/, `  train { dataset: mnist; optimizer: momentum; lr: 0.01; batch: ${batch}; epochs: 1; seed: 1 }\n}\n`);
}

async function torch(file: string, batch: number): Promise<string> {
  const graph = analyze(modelText(file, batch)).models[0];
  await useNodeBackend('cpu');
  const exporter = new TfModel(graph, 1);
  const weights = await exporter.exportWeights();
  exporter.dispose();
  const ips = torchImagesPerSecond(graph, weights, batch, 2);
  return typeof ips === 'number' ? ips.toFixed(0) : ips;
}

async function measure(file: string, batch: number, workers: 1 | 2): Promise<number> {
  const browser = await launchBrowser();
  try {
    const w = await openWebview(browser);
    if (workers === 1) await w.page.addInitScript(() => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 1 }));
    await w.page.reload();
    await w.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    const text = modelText(file, batch);
    const analysis = analyze(text);
    const model = analysis.models[0];
    await w.init(buildGraphPayload(model, analysis.lines, { collapseThreshold: 150, models: [model.name] }));
    await w.send({ type: 'startTraining', uri: DOC_URI, version: 1, run: { model: model.name, text, backend: 'wasm', statsInterval: 25, dataset: { kind: 'builtin', name: 'mnist', url: `${ORIGIN}/media/data/mnist.bin` } } });
    await w.page.waitForFunction((n) => Number(document.getElementById('training')?.dataset.step ?? 0) >= n, steps, { timeout: 600_000, polling: 200 });
    const speed = (await w.page.locator('#train-speed').textContent()) ?? '';
    const replicas = await w.page.evaluate(() => document.getElementById('training')?.dataset.replicas);
    if (String(workers) !== replicas) throw new Error(`expected ${workers} worker(s), the run used ${replicas}`);
    await w.page.locator('#train-stop').click();
    return Number.parseFloat(speed);
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  console.log(`graph webview training on wasm, headless Chromium, images/s over the last 20 of ${steps} steps`);
  console.log('model | batch | 1 worker | 2 workers | 2 ÷ 1 | PyTorch CPU 2 threads | 2 workers ÷ PyTorch');
  for (const file of MODELS) {
    for (const batch of batches) {
      const one = await measure(file, batch, 1);
      const two = await measure(file, batch, 2);
      const reference = await torch(file, batch);
      const ratio = Number.isFinite(Number(reference)) ? `${(two / Number(reference)).toFixed(2)}×` : '—';
      console.log(`${file.replace(/^examples\/|\.skipnet$/g, '')} | ${batch} | ${one.toFixed(1)} | ${two.toFixed(1)} | ${(two / one).toFixed(2)}× | ${reference} | ${ratio}`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
