import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TrainingConfig } from '../core';
import { cifarFolder, locateCifar, readCifar, type CifarFiles } from './cifar';
import { datasetForTraining, parseDataset, type ImageDataset } from './dataset';
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
  // Both engines train a folder on the pixels the graph view's browser decoders give; Node has no such decoders.
  if (config.dataset.kind === 'folder') throw new TrainError(`Data set folder '${config.dataset.path}': the CLI cannot decode image folders (the graph view decodes them, for the browser and the PyTorch engine); train this model in the graph view, or use mnist, fashion_mnist, cifar10 or cifar100 here.`, 'data');
  if (config.dataset.kind === 'cifar') throw new TrainError(`dataset: ${config.dataset.name} is read from a folder, not a bundled file (use dataSourceFor).`, 'data');
  return { name: config.dataset.name, file: builtinDatasetFile(config.dataset.name, dataDir) };
}

/** Where the CLI finds data: the bundled sets' folder, the folder relative `data` paths start at, and a CIFAR folder given outside the file. */
export interface DataLocations {
  /** Folder with mnist.bin / fashion-mnist.bin (default: found next to the bundle). */
  dataDir?: string;
  /** The .skipnet file's folder: relative `data: "…"` paths start there (default: the working folder). */
  base?: string;
  /** The CIFAR folder when the train section has no `data` (the skipnet.data.cifarFolder setting, the CLI's --data). */
  cifarFolder?: string;
}

/** A train section's data as files: a bundled SKND file, or the located CIFAR files. Throws a TrainError. */
export function dataSourceFor(config: TrainingConfig, where: DataLocations = {}): { datasetFile: string } | { cifar: CifarFiles } {
  if (config.dataset.kind === 'cifar') return { cifar: locateCifar(config.dataset.name, cifarFolder(config.dataset, where.cifarFolder), where.base) };
  return { datasetFile: datasetFileFor(config, where.dataDir).file };
}

/** The data set a model's train section names (see dataSourceFor). */
export function datasetFor(config: TrainingConfig, dataDir?: string | DataLocations): ImageDataset {
  const source = dataSourceFor(config, typeof dataDir === 'string' ? { dataDir } : dataDir);
  if ('cifar' in source) return readCifar(source.cifar);
  const { name } = datasetFileFor(config, typeof dataDir === 'string' ? dataDir : dataDir?.dataDir);
  return datasetForTraining(parseDataset(name, new Uint8Array(readFileSync(source.datasetFile))), config.dataset, config.seed);
}
