// Runs in headless Chromium (see bench/trainBrowser.bench.ts): times training steps of the engine on
// a tfjs backend with random CIFAR-shaped data and reports images per second to the driver.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../src/core';
import type { ImageDataset } from '../../src/train/data';
import { TrainingEngine } from '../../src/train/engine';
import { SeededRandom } from '../../src/train/rng';

function randomDataset(count: number): ImageDataset {
  const random = new SeededRandom(1);
  const pixels = new Uint8Array(count * 32 * 32 * 3).map(() => Math.floor(random.next() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  const split = { count, labels, pixels };
  return { name: 'random', height: 32, width: 32, channels: 3, classes: Array.from({ length: 10 }, (_, i) => String(i)), train: split, test: { count: 10, labels: labels.subarray(0, 10), pixels: pixels.subarray(0, 10 * 3072) } };
}

export interface BrowserBenchResult {
  backend: string;
  imagesPerSecond: number;
  stepsTimed: number;
  renderer?: string;
}

async function run(modelText: string, backend: string, batch: number, warmup: number, steps: number): Promise<BrowserBenchResult> {
  setWasmPaths(new URL('./', location.href).href);
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  await tf.ready();
  const graph = analyze(modelText).models[0];
  const times: number[] = [];
  const engine = new TrainingEngine({
    graph,
    dataset: randomDataset(batch * (warmup + steps)),
    config: { batch, epochs: 1, optimizer: 'momentum', lr: 0.01 },
    statsInterval: 0,
    evalSamples: 1,
    memoryBudget: 4 * 1024 ** 3,
    nextFrame: () => new Promise((resolve) => setTimeout(resolve, 0)),
    onEvent: (e) => {
      if (e.type === 'progress') times.push(performance.now());
    },
  });
  const start = performance.now();
  await engine.run();
  const durations = times.map((t, i) => t - (i === 0 ? start : times[i - 1])).slice(warmup);
  const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
  let renderer: string | undefined;
  if (backend === 'webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    renderer = gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : undefined;
  }
  return { backend: tf.getBackend(), imagesPerSecond: (batch * 1000) / mean, stepsTimed: durations.length, renderer };
}

(globalThis as unknown as { runTrainBench: typeof run }).runTrainBench = run;
