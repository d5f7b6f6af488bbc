/**
 * TensorFlow.js backends in the webview: all four are bundled (as ES modules, so no eval is needed), and
 * the one a run uses is the first of WebGPU → WebGL → WASM → CPU that starts here, from the chosen one
 * onwards. The wasm binaries come from the extension (their URL prefix is given), never from a CDN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { version_webgl } from '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import type { TrainingBackendChoice } from '../../src/protocol/messages';
import type { BackendName } from './runtime-api';

export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Largest training memory estimate accepted per backend: one table with the Compare view's pair plan. */
export { MEMORY_BUDGET } from '../../src/train/memoryPlan';

let wasmConfigured = false;
/** The wasm backend has been started once in this worker (its module, and the thread pool it read the core count for, exist). */
let wasmStarted = false;
/** Threads asked of the threaded wasm binary (0: the single-threaded binaries are configured). */
let wasmThreadsWanted = 0;
/** Why wasm runs single-threaded ('' when it was set up threaded, or not set up yet): for reports and tests. */
export let wasmSingleThreadReason = '';

/** Most XNNPACK threads a run uses: more rarely pay off for these models and would starve the editor. */
export const MAX_WASM_THREADS = 8;

/** Threads for the threaded wasm binary on a machine with `cores` logical cores (all of them, up to the cap). */
export function wasmThreadCount(cores: number | undefined): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(cores ?? 1)));
}

/** How many threads the active wasm backend computes with (1: single-threaded; 0: wasm is not the active backend). */
export function wasmThreads(): number {
  if (tf.getBackend() !== 'wasm') return 0;
  try {
    return Math.max(1, getThreadsCount()); // XNNPACK's thread pool, the calling thread included
  } catch {
    return 1;
  }
}

/**
 * Runs `start` (the wasm backend's first start) with navigator.hardwareConcurrency reported doubled.
 * tfjs-backend-wasm 4.22 caps its thread pool at hardwareConcurrency / 2, assuming two hyperthreads per
 * core, read once while the module initialises: on a 2-core machine that is 1 thread whatever
 * setThreadsCount asked. The page's own value is back as soon as the backend has started.
 */
async function withUncappedCores<T>(start: () => Promise<T>): Promise<T> {
  const cores = navigator.hardwareConcurrency;
  let overridden = false;
  try {
    Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => 2 * cores });
    overridden = true;
  } catch {
    // A browser that refuses: the backend keeps tfjs's own cap.
  }
  try {
    return await start();
  } finally {
    if (overridden) delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

/**
 * Whether the threaded wasm binary can run here: the page must be cross-origin isolated (SharedArrayBuffer;
 * VS Code webviews are only with `--enable-coi` or `?vscode-coi`), and the CSP must let a blob: worker
 * import a blob: script, which is how the backend starts its pthread workers. Without the second check a
 * blocked worker would leave the backend's start waiting forever.
 */
async function threadedWasmUsable(): Promise<boolean> {
  if (globalThis.crossOriginIsolated !== true || typeof SharedArrayBuffer === 'undefined' || typeof Worker === 'undefined') {
    wasmSingleThreadReason = 'not cross-origin isolated';
    return false;
  }
  wasmSingleThreadReason = 'the CSP keeps blob: workers from importing blob: scripts';
  const urls: string[] = [];
  let worker: Worker | undefined;
  try {
    const imported = URL.createObjectURL(new Blob(['self.skipnetImported = true;'], { type: 'text/javascript' }));
    urls.push(imported);
    const probe = URL.createObjectURL(
      new Blob([`try { importScripts(${JSON.stringify(imported)}); postMessage(self.skipnetImported === true); } catch (e) { postMessage(false); }`], { type: 'text/javascript' }),
    );
    urls.push(probe);
    const started = new Worker(probe);
    worker = started;
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      started.onmessage = (event: MessageEvent) => {
        clearTimeout(timer);
        resolve(event.data === true);
      };
      started.onerror = () => {
        clearTimeout(timer);
        resolve(false);
      };
    });
  } catch {
    return false;
  } finally {
    worker?.terminate();
    for (const url of urls) URL.revokeObjectURL(url);
  }
}

/**
 * Points the wasm backend at the extension's binaries, before its first start: the threaded SIMD binary
 * with one thread per core (capped) where threads can run, else the single-threaded ones.
 */
async function configureWasm(wasmBase: string): Promise<void> {
  const threaded = await threadedWasmUsable();
  if (threaded) wasmSingleThreadReason = '';
  wasmThreadsWanted = threaded ? wasmThreadCount(navigator.hardwareConcurrency) : 0;
  if (threaded) setThreadsCount(wasmThreadsWanted);
  // Without threads tfjs must not even try the threaded binary (it would need SharedArrayBuffer).
  else tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths({
    'tfjs-backend-wasm.wasm': `${wasmBase}tfjs-backend-wasm.wasm`,
    'tfjs-backend-wasm-simd.wasm': `${wasmBase}tfjs-backend-wasm-simd.wasm`,
    'tfjs-backend-wasm-threaded-simd.wasm': `${wasmBase}${threaded ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm'}`,
  });
}

/** Reading the versions keeps the backend modules (which register themselves on import) in the bundle. */
export function bundledVersions(): string {
  return `tfjs ${tf.version_core} (cpu ${version_cpu}, webgl ${version_webgl}, wasm ${version_wasm})`;
}

/** The backends to try, in order, for a choice: the chosen one, then the slower ones after it. */
export function backendChain(choice: TrainingBackendChoice): BackendName[] {
  if (choice === 'auto') return [...BACKEND_ORDER];
  return BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(choice));
}

async function whyWebGpuIsMissing(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'this VS Code has no WebGPU';
  try {
    return (await gpu.requestAdapter()) ? null : 'no WebGPU adapter';
  } catch {
    return 'no WebGPU adapter';
  }
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software/i;

/**
 * Whether the GPU behind a backend is a software renderer (SwiftShader on machines without a GPU). There a
 * WebGL/WebGPU step is some 60× slower than WASM (measured: mnist_resnet 3.5 img/s vs 226), so 'auto' skips it.
 */
async function softwareRenderer(name: 'webgpu' | 'webgl'): Promise<string | null> {
  try {
    if (name === 'webgl') {
      const canvas = new OffscreenCanvas(1, 1);
      const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
      if (!gl) return null;
      const debug = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
      gl.getExtension('WEBGL_lose_context')?.loseContext();
      return SOFTWARE_RENDERER.test(renderer) ? renderer : null;
    }
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    const adapter = (await gpu?.requestAdapter()) as { isFallbackAdapter?: boolean; info?: Record<string, string> } | null | undefined;
    if (!adapter) return null;
    const info = adapter.info ?? {};
    const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
    return adapter.isFallbackAdapter || SOFTWARE_RENDERER.test(text) ? text || 'fallback adapter' : null;
  } catch {
    return null;
  }
}

/** Makes `name` the active backend; null when it started, else the reason it cannot. */
export async function tryBackend(name: BackendName, wasmBase: string): Promise<string | null> {
  if (tf.getBackend() === name) return null;
  if (name === 'webgpu') {
    const missing = await whyWebGpuIsMissing();
    if (missing) return missing;
  }
  if (name === 'wasm' && !wasmConfigured) {
    await configureWasm(wasmBase);
    wasmConfigured = true;
  }
  // tfjs logs a backend that fails to initialise as a warning and answers false; keep that out of the console.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    // Not tf.findBackend('wasm') to ask whether wasm started before: it starts initialising a backend it does
    // not find, outside the doubled core count, and that second module, finishing later, reset the thread count
    // the backend reports to 1 (and kept a wasm heap and 8 pthread workers alive for nothing).
    const firstWasmStart = name === 'wasm' && !wasmStarted;
    const ok = firstWasmStart && wasmThreadsWanted > 1 ? await withUncappedCores(() => tf.setBackend(name)) : await tf.setBackend(name);
    if (!ok) return `${name} did not start here`;
    if (name === 'wasm') wasmStarted = true;
    await tf.ready();
    return null;
  } catch (error) {
    return `${name} did not start: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    console.warn = warn;
  }
}

/** Activates the first backend of the chain that starts; the reasons for the ones skipped come along. */
export async function activateBackend(chain: readonly BackendName[], wasmBase: string, skipSoftwareGpu = false): Promise<{ backend: BackendName; skipped: string[] }> {
  const skipped: string[] = [];
  for (const name of chain) {
    if (skipSoftwareGpu && (name === 'webgpu' || name === 'webgl') && chain.includes('wasm')) {
      const software = await softwareRenderer(name);
      if (software) {
        skipped.push(`${name}: software renderer (${software}), slower than wasm`);
        continue;
      }
    }
    const reason = await tryBackend(name, wasmBase);
    if (reason === null) return { backend: name, skipped };
    skipped.push(`${name}: ${reason}`);
  }
  throw new Error(`no TensorFlow.js backend starts here (${skipped.join('; ')})`);
}

/** The kernel a raw tfjs error says is missing, if that is what it says. */
export function missingKernel(error: unknown): string | null {
  const text = error instanceof Error ? error.message : String(error);
  const match = /Kernel '([^']+)' not registered for backend/.exec(text);
  return match ? match[1] : null;
}
