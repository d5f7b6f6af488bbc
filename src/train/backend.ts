import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * Backend selection shared by the Node CLI, the tests and the benchmarks. The webview registers the
 * GPU backends itself; this module only knows the two that run anywhere (cpu and wasm).
 */

export type PortableBackend = 'cpu' | 'wasm';

export interface BackendOptions {
  /**
   * Folder (or URL prefix, ending in '/') holding tfjs-backend-wasm's .wasm files. In Node the
   * default is the installed package's dist folder.
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

function defaultWasmPath(): string | undefined {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  try {
    return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  } catch {
    return undefined;
  }
}

/** Makes `name` the active backend and waits until it is ready; a clear error if it cannot start. */
export async function useBackend(name: PortableBackend, options: BackendOptions = {}): Promise<void> {
  if (name === 'wasm' && !wasmPathSet) {
    const prefix = options.wasmPath ?? defaultWasmPath();
    if (prefix) setWasmPaths(prefix);
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
