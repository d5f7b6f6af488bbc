import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TrainingConfig } from '../core';
import { parseDataset, type ImageDataset } from './dataset';
import { TrainError } from './errors';

/** Node-only: finds and reads the bundled data sets (media/data/*.bin) for the CLI, tests and benchmarks. */

/** The media/data folder nearest above `start` (the bundle's folder by default). */
export function findDataDir(start: string = __dirname): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, 'media', 'data');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new TrainError('The bundled data sets (media/data) are missing: run npm run build.', 'data');
  }
}

/** The path of a bundled data set's file (media/data/NAME.bin); a TrainError when it is missing. */
export function builtinDatasetFile(name: 'mnist' | 'fashion-mnist', dataDir: string = findDataDir()): string {
  const file = join(dataDir, `${name}.bin`);
  if (!existsSync(file)) throw new TrainError(`Data set ${name} is missing (${file}): run npm run build.`, 'data');
  return file;
}

export function loadBuiltinDataset(name: 'mnist' | 'fashion-mnist', dataDir: string = findDataDir()): ImageDataset {
  return parseDataset(name, new Uint8Array(readFileSync(builtinDatasetFile(name, dataDir))));
}

/** The bundled data set a model's train section names, as its name and file; folders of images are read by the extension host, not here. */
export function datasetFileFor(config: TrainingConfig, dataDir?: string): { name: 'mnist' | 'fashion-mnist'; file: string } {
  if (config.dataset.kind === 'folder') throw new TrainError(`Data set folder '${config.dataset.path}': folders of images are not supported by the CLI yet; use mnist or fashion_mnist.`, 'data');
  return { name: config.dataset.name, file: builtinDatasetFile(config.dataset.name, dataDir) };
}

/** The data set a model's train section names (see datasetFileFor). */
export function datasetFor(config: TrainingConfig, dataDir?: string): ImageDataset {
  const { name, file } = datasetFileFor(config, dataDir);
  return parseDataset(name, new Uint8Array(readFileSync(file)));
}
