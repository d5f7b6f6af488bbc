// Runs in headless Chromium (see bench/trainBrowser.bench.ts): times training steps of the engine on
// a tfjs backend started the way the webview starts it (webview/training/backends.ts: threaded wasm when
// the page is cross-origin isolated) with random CIFAR-shaped data, and reports every step's duration.
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../src/core';
import type { ImageDataset } from '../../src/train/data';
import { TrainingEngine } from '../../src/train/engine';
import { SeededRandom } from '../../src/train/rng';
import { tryBackend, wasmThreads } from '../../webview/training/backends';
import type { BackendName } from '../../webview/training/runtime-api';

/** Random images of the model's input shape (32×32×3 for the CIFAR models, 28×28×1 for the MNIST ones). */
function randomDataset(count: number, [height, width, channels]: number[] = [32, 32, 3]): ImageDataset {
  const random = new SeededRandom(1);
  const size = height * width * channels;
  const pixels = new Uint8Array(count * size).map(() => Math.floor(random.next() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  const split = { count, labels, pixels };
  return { name: 'random', height, width, channels, classes: Array.from({ length: 10 }, (_, i) => String(i)), train: split, test: { count: 10, labels: labels.subarray(0, 10), pixels: pixels.subarray(0, 10 * size) } };
}

export interface BrowserBenchResult {
  backend: string;
  /** XNNPACK threads of the wasm backend (0 for other backends). */
  threads: number;
  crossOriginIsolated: boolean;
  /** Milliseconds of each timed step (warm-up steps left out). */
  stepMs: number[];
  renderer?: string;
}

async function run(modelText: string, backend: string, batch: number, warmup: number, steps: number): Promise<BrowserBenchResult> {
  const failure = await tryBackend(backend as BackendName, new URL('./', location.href).href);
  if (failure) throw new Error(failure);
  const graph = analyze(modelText).models[0];
  const times: number[] = [];
  const engine = new TrainingEngine({
    graph,
    dataset: randomDataset(batch * (warmup + steps), graph.inputShape.length === 3 ? graph.inputShape : undefined),
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
  const stepMs = times.map((t, i) => t - (i === 0 ? start : times[i - 1])).slice(warmup);
  let renderer: string | undefined;
  if (backend === 'webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    renderer = gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : undefined;
  }
  return { backend: tf.getBackend(), threads: wasmThreads(), crossOriginIsolated: globalThis.crossOriginIsolated === true, stepMs, renderer };
}

(globalThis as unknown as { runTrainBench: typeof run }).runTrainBench = run;
