import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * Backend selection for the two backends that run anywhere (cpu and wasm); the webview registers the
 * GPU backends itself. No Node APIs here, so browser bundles can use it.
 */

export type PortableBackend = 'cpu' | 'wasm';

export interface BackendOptions {
  /**
   * Folder (or URL prefix, ending in '/') holding tfjs-backend-wasm's .wasm files; only the first
   * wasm start uses it. In Node use `useNodeBackend` (./nodeBackend), which points at the installed package.
   */
  wasmPath?: string;
}

let wasmPathSet = false;

/**
 * Versions of the bundled backends. Reading version_cpu at run time is what keeps the cpu backend's
 * module (whose import registers the backend and its kernels) in bundles: its package declares no side effects.
 */
export function backendVersions(): { core: string; cpu: string } {
  return { core: tf.version_core, cpu: version_cpu };
}

/** Makes `name` the active backend and waits until it is ready; a clear error if it cannot start. */
export async function useBackend(name: PortableBackend, options: BackendOptions = {}): Promise<void> {
  if (name === 'wasm' && !wasmPathSet && options.wasmPath) {
    setWasmPaths(options.wasmPath);
    wasmPathSet = true;
  }
  // In Node the cpu backend suggests installing tfjs-node, which downloads binaries and is not an option here.
  if (typeof process !== 'undefined' && process.versions?.node) tf.env().set('PROD', true);
  let ok = false;
  if (!backendVersions().cpu) throw new Error('The cpu backend is missing from this bundle.');
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new Error(`The ${name} backend failed to start: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!ok) throw new Error(`The ${name} backend failed to start.`);
  await tf.ready();
}
