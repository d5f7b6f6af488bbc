/**
 * TensorFlow.js backends in the webview: all four are bundled (as ES modules, so no eval is needed), and
 * the one a run uses is the first of WebGPU → WebGL → WASM → CPU that starts here, from the chosen one
 * onwards. The wasm binaries come from the extension (their URL prefix is given), never from a CDN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { version_webgl } from '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import type { TrainingBackendChoice } from '../../src/protocol/messages';
import type { BackendName } from './runtime-api';

export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Largest training memory estimate accepted per backend (GPU memory in a webview is shared with the editor). */
export const MEMORY_BUDGET: Record<BackendName, number> = {
  webgpu: 1024 ** 3,
  webgl: 1024 ** 3,
  wasm: 1.5 * 1024 ** 3,
  cpu: 1.5 * 1024 ** 3,
};

let wasmConfigured = false;

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
    // No SharedArrayBuffer in a webview (not cross-origin isolated): the single-threaded binaries serve.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths({
      'tfjs-backend-wasm.wasm': `${wasmBase}tfjs-backend-wasm.wasm`,
      'tfjs-backend-wasm-simd.wasm': `${wasmBase}tfjs-backend-wasm-simd.wasm`,
      'tfjs-backend-wasm-threaded-simd.wasm': `${wasmBase}tfjs-backend-wasm-simd.wasm`,
    });
    wasmConfigured = true;
  }
  // tfjs logs a backend that fails to initialise as a warning and answers false; keep that out of the console.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `${name} did not start here`;
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
