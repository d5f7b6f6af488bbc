import { dirname, join, sep } from 'node:path';
import { useBackend, type PortableBackend } from './backend';

export type { PortableBackend };

/** Node only: starts the cpu or wasm backend, the latter with the .wasm files of the installed package. */
export async function useNodeBackend(name: PortableBackend): Promise<void> {
  let wasmPath: string | undefined;
  if (name === 'wasm') {
    try {
      wasmPath = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + sep;
    } catch {
      throw new Error('The wasm backend needs the @tensorflow/tfjs-backend-wasm package (its .wasm files), which is not installed.');
    }
  }
  await useBackend(name, { wasmPath });
}
