import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TrainingConfig } from '../core';
import { parseDataset, type ImageDataset } from './data';
import { TrainError } from './model';

/** Node-only: finds and reads the bundled data sets (media/data/*.bin) for the CLI, tests and benchmarks. */

/** The media/data folder nearest above `start` (the bundle's folder by default). */
export function findDataDir(start: string = __dirname): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, 'media', 'data');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new TrainError('The bundled data sets (media/data) are missing: run npm run build.', 'data');
  }
}

export function loadBuiltinDataset(name: 'mnist' | 'fashion-mnist', dataDir: string = findDataDir()): ImageDataset {
  const file = join(dataDir, `${name}.bin`);
  if (!existsSync(file)) throw new TrainError(`Data set ${name} is missing (${file}): run npm run build.`, 'data');
  return parseDataset(name, new Uint8Array(readFileSync(file)));
}

/** The data set a model's train section names; folders of images are read by the extension host, not here. */
export function datasetFor(config: TrainingConfig, dataDir?: string): ImageDataset {
  if (config.dataset.kind === 'folder') throw new TrainError(`Data set folder '${config.dataset.path}': folders of images are not supported by the CLI yet; use mnist or fashion_mnist.`, 'data');
  return loadBuiltinDataset(config.dataset.name, dataDir);
}
