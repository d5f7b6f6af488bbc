/// <reference path="../../webview/env.d.ts" />
/**
 * Test page for the wasm backend's set-up (bundled by `build.mjs --webview-tests`, served by the harness
 * under the real CSP, with or without cross-origin isolation). Like the webview's training, it runs in a
 * worker started from a blob: URL of this very script, starts wasm with webview/training/backends.ts and
 * trains a small residual net on fixed random data with a fixed seed, so that runs with and without
 * threads can be compared. Not shipped.
 */
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../src/core';
import type { ImageDataset } from '../../src/train/data';
import { TrainingEngine } from '../../src/train/engine';
import { SeededRandom } from '../../src/train/rng';
import { tryBackend, wasmSingleThreadReason, wasmThreads } from '../../webview/training/backends';

export interface WasmThreadsResult {
  backend: string;
  threads: number;
  /** backends.ts's reason for one thread, if any. */
  reason: string;
  crossOriginIsolated: boolean;
  losses: number[];
  /** How many times tfjs started a wasm module here (each one a heap and a pool of pthread workers): 1. */
  wasmModulesStarted: number;
  /** Tensors left after the run (the engine frees everything it made). */
  tensorsAfter: number;
  tensorsBefore: number;
}

declare global {
  interface Window {
    __wasmThreadsPage: { train(modelText: string, steps: number): Promise<WasmThreadsResult> };
  }
}

type Reply = { result: WasmThreadsResult } | { error: string };

function randomDataset(count: number): ImageDataset {
  const random = new SeededRandom(7);
  const pixels = new Uint8Array(count * 16 * 16 * 3).map(() => Math.floor(random.next() * 256));
  const labels = new Uint8Array(count).map((_, i) => (i * 7) % 10);
  const split = { count, labels, pixels };
  return { name: 'random', height: 16, width: 16, channels: 3, classes: Array.from({ length: 10 }, (_, i) => String(i)), train: split, test: { count: 8, labels: labels.subarray(0, 8), pixels: pixels.subarray(0, 8 * 768) } };
}

/** Counts starts of tfjs's wasm backend factory (a registry entry of tfjs-core's engine, internal but stable in 4.x). */
function countWasmStarts(): () => number {
  const entry = (tf.engine() as unknown as { registryFactory: Record<string, { factory: () => unknown }> }).registryFactory.wasm;
  const factory = entry.factory;
  let starts = 0;
  entry.factory = () => {
    starts++;
    return factory();
  };
  return () => starts;
}

async function train(modelText: string, steps: number, wasmBase: string): Promise<WasmThreadsResult> {
  const wasmStarts = countWasmStarts();
  const failure = await tryBackend('wasm', wasmBase);
  if (failure) throw new Error(failure);
  const tensorsBefore = tf.memory().numTensors;
  const losses: number[] = [];
  const batch = 16;
  const engine = new TrainingEngine({
    graph: analyze(modelText).models[0],
    dataset: randomDataset(batch * steps),
    config: { batch, epochs: 1, optimizer: 'momentum', lr: 0.05, momentum: 0.9, seed: 3 },
    statsInterval: 0,
    evalSamples: 8,
    onEvent: (e) => {
      if (e.type === 'progress') losses.push(e.loss);
    },
  });
  await engine.run();
  return { backend: tf.getBackend(), threads: wasmThreads(), reason: wasmSingleThreadReason, crossOriginIsolated: globalThis.crossOriginIsolated === true, losses, wasmModulesStarted: wasmStarts(), tensorsBefore, tensorsAfter: tf.memory().numTensors };
}

if (typeof document === 'undefined') {
  // In the worker: one request, one reply.
  self.onmessage = async (event: MessageEvent<{ modelText: string; steps: number; wasmBase: string }>) => {
    const { modelText, steps, wasmBase } = event.data;
    let reply: Reply;
    try {
      reply = { result: await train(modelText, steps, wasmBase) };
    } catch (error) {
      reply = { error: error instanceof Error ? error.message : String(error) };
    }
    self.postMessage(reply);
  };
} else {
  const scriptUrl = (document.currentScript as HTMLScriptElement).src;
  window.__wasmThreadsPage = {
    async train(modelText, steps) {
      // Started the way webview/training/runtime-loader.ts starts train.js: fetched, then a blob: worker.
      const source = await (await fetch(scriptUrl)).text();
      const blobUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const worker = new Worker(blobUrl);
      try {
        const reply = await new Promise<Reply>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<Reply>) => resolve(event.data);
          worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
          worker.postMessage({ modelText, steps, wasmBase: new URL('/dist/webview/wasm/', location.href).href });
        });
        if ('error' in reply) throw new Error(reply.error);
        return reply.result;
      } finally {
        worker.terminate();
        URL.revokeObjectURL(blobUrl);
      }
    },
  };
  acquireVsCodeApi().postMessage({ type: 'ready' });
}
