import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { NameRegistry, Parser } from 'pickleparser';
import type { CifarName } from '../core';
import { encodeDataset, type ImageDataset, type ImageSplit } from './dataset';
import { TrainError } from './errors';

/**
 * Node-only: CIFAR-10 and CIFAR-100 read from a folder the user already has (nothing is downloaded), in either of
 * the two layouts the data set's authors publish (Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny
 * Images", and https://www.cs.toronto.edu/~kriz/cifar.html): the python pickles torchvision reads
 * (cifar-10-batches-py, cifar-100-python) or the binary records (cifar-10-batches-bin, cifar-100-binary). Images
 * are stored channel-planar (1024 red, 1024 green, 1024 blue bytes, rows top to bottom); they come out HWC like
 * every SkipNet data set. Train split: the training batches in file order; held-out split: the test batch. CIFAR-100
 * trains on its 100 fine labels. python/skipnet_cifar.py reads the same files for the PyTorch engine.
 */

export type CifarFormat = 'python' | 'binary';

/** The files of one CIFAR folder, as locateCifar finds them (absolute paths). */
export interface CifarFiles {
  name: CifarName;
  format: CifarFormat;
  /** The folder that holds the files (the given one, or its cifar-10-batches-py … child). */
  folder: string;
  train: string[];
  test: string;
  /** batches.meta / meta (python) or batches.meta.txt / fine_label_names.txt (binary). */
  meta: string;
}

const SIDE = 32;
const IMAGE_BYTES = SIDE * SIDE * 3;

interface Layout {
  format: CifarFormat;
  child: string;
  train: string[];
  test: string;
  meta: string;
}

const CIFAR10_TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`);
const LAYOUTS: Record<CifarName, Layout[]> = {
  cifar10: [
    { format: 'python', child: 'cifar-10-batches-py', train: CIFAR10_TRAIN, test: 'test_batch', meta: 'batches.meta' },
    { format: 'binary', child: 'cifar-10-batches-bin', train: CIFAR10_TRAIN.map((f) => `${f}.bin`), test: 'test_batch.bin', meta: 'batches.meta.txt' },
  ],
  cifar100: [
    { format: 'python', child: 'cifar-100-python', train: ['train'], test: 'test', meta: 'meta' },
    { format: 'binary', child: 'cifar-100-binary', train: ['train.bin'], test: 'test.bin', meta: 'fine_label_names.txt' },
  ],
};

const TITLE: Record<CifarName, string> = { cifar10: 'CIFAR-10', cifar100: 'CIFAR-100' };

function describeLayout(layout: Layout): string {
  const files = layout.train.length > 1 ? `${layout.train[0]} … ${layout.train.at(-1)}` : layout.train[0];
  return `${layout.child} (${files}, ${layout.test}, ${layout.meta})`;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What a folder holds, in a few words, for the wrong-format message. */
function describeFound(folder: string, name: CifarName): string {
  let entries: string[];
  try {
    if (!statSync(folder).isDirectory()) return 'a file, not a folder';
    entries = readdirSync(folder).sort();
  } catch {
    return 'no such folder';
  }
  if (entries.length === 0) return 'an empty folder';
  const shown = entries.slice(0, 8).join(', ') + (entries.length > 8 ? `, … (${entries.length} entries)` : '');
  const other: CifarName = name === 'cifar10' ? 'cifar100' : 'cifar10';
  const looksOther = LAYOUTS[other].some((l) => entries.includes(l.child) || l.train.every((f) => entries.includes(f)));
  return looksOther ? `${shown}: that is ${TITLE[other]}'s layout; use dataset: ${other}` : shown;
}

/**
 * Finds the CIFAR files in `folder` (or in its cifar-10-batches-py, cifar-10-batches-bin, cifar-100-python or
 * cifar-100-binary child). Relative folders start at `base`. Throws a TrainError ('data') that names the folder,
 * the layouts expected and what the folder holds.
 */
export function locateCifar(name: CifarName, folder: string, base: string = process.cwd()): CifarFiles {
  const root = isAbsolute(folder) ? folder : resolve(base, folder);
  for (const dir of [root, ...LAYOUTS[name].map((l) => join(root, l.child))]) {
    for (const layout of LAYOUTS[name]) {
      const files = [...layout.train, layout.test, layout.meta].map((f) => join(dir, f));
      if (files.every(isFile)) return { name, format: layout.format, folder: dir, train: files.slice(0, -2), test: files.at(-2)!, meta: files.at(-1)! };
    }
  }
  const expected = LAYOUTS[name].map(describeLayout).join(' or the binary ');
  throw new TrainError(`${TITLE[name]} folder '${folder}' (${root}): expected torchvision's ${expected}, or a folder holding one; found ${describeFound(root, name)}.`, 'data');
}

// pickleparser decodes Python 2 byte strings (BINSTRING, as in the published pickles) as windows-1252 text; this
// table turns such text back into the bytes it came from.
const FROM_WINDOWS_1252 = (() => {
  const text = new TextDecoder('windows-1252').decode(Uint8Array.from({ length: 256 }, (_, i) => i));
  return new Map([...text].map((char, byte) => [char, byte]));
})();

function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    const out = new Uint8Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const byte = FROM_WINDOWS_1252.get(value[i]);
      if (byte === undefined) return undefined;
      out[i] = byte;
    }
    return out;
  }
  return undefined;
}

/** numpy's pickled array: `_reconstruct(ndarray, (0,), b'b')` then BUILD with (version, shape, dtype, fortran, raw). */
class PickledArray {
  shape: number[] = [];
  raw: Uint8Array | undefined;
  __setstate__(state: unknown): void {
    if (!Array.isArray(state) || state.length < 5) return;
    this.shape = Array.isArray(state[1]) ? state[1].map(Number) : [];
    this.raw = bytesOf(state[4]);
  }
}

function unpickle(file: string): Map<string, unknown> {
  const names = new NameRegistry();
  const reconstruct = (): PickledArray => new PickledArray();
  for (const module of ['numpy.core.multiarray', 'numpy._core.multiarray']) names.register(module, '_reconstruct', reconstruct);
  names.register('numpy', 'dtype', (kind: unknown) => ({ kind, __setstate__: () => undefined }));
  names.register('numpy', 'ndarray', () => undefined);
  // Python 3's protocol-2 pickles write bytes as _codecs.encode(text, 'latin1').
  names.register('_codecs', 'encode', (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0)));
  let value: unknown;
  try {
    value = new Parser({ nameResolver: names, unpicklingTypeOfDictionary: 'Map' }).parse(readFileSync(file));
  } catch (error) {
    throw new TrainError(`${file}: expected a CIFAR python pickle, found bytes that do not unpickle (${(error as Error).message}).`, 'data');
  }
  if (!(value instanceof Map)) throw new TrainError(`${file}: expected a CIFAR python pickle holding a dict, found ${typeof value}.`, 'data');
  const dict = new Map<string, unknown>();
  for (const [key, entry] of value) dict.set(key instanceof Uint8Array ? Buffer.from(key).toString('latin1') : String(key), entry);
  return dict;
}

/** Channel-planar records (3·1024 bytes each, starting at `first` with `stride` bytes apart) into HWC pixels. */
function planarToHwc(source: Uint8Array, count: number, first: number, stride: number, into: Uint8Array, at: number): void {
  const plane = SIDE * SIDE;
  for (let n = 0; n < count; n++) {
    const from = first + n * stride;
    const to = (at + n) * IMAGE_BYTES;
    for (let p = 0; p < plane; p++) {
      into[to + p * 3] = source[from + p];
      into[to + p * 3 + 1] = source[from + plane + p];
      into[to + p * 3 + 2] = source[from + 2 * plane + p];
    }
  }
}

interface Part {
  labels: Uint8Array;
  /** Bytes holding `labels.length` planar images, each `stride` bytes from the last, the first at `first`. */
  source: Uint8Array;
  first: number;
  stride: number;
}

function readPythonPart(file: string, labelKey: string, classes: number): Part {
  const dict = unpickle(file);
  const data = dict.get('data');
  const labels = dict.get(labelKey);
  if (!(data instanceof PickledArray) || !data.raw || !Array.isArray(labels)) {
    throw new TrainError(`${file}: expected a CIFAR python pickle with 'data' (a uint8 array) and '${labelKey}', found keys ${[...dict.keys()].join(', ') || '(none)'}.`, 'data');
  }
  if (data.raw.length !== labels.length * IMAGE_BYTES) {
    throw new TrainError(`${file}: expected ${labels.length} images of ${IMAGE_BYTES} bytes (32×32×3) for its ${labels.length} labels, found ${data.raw.length} bytes (shape ${data.shape.join('×')}).`, 'data');
  }
  return { labels: checkedLabels(file, labels, classes), source: data.raw, first: 0, stride: IMAGE_BYTES };
}

function readBinaryPart(file: string, name: CifarName, classes: number): Part {
  const bytes = new Uint8Array(readFileSync(file));
  // CIFAR-100 records carry the coarse label, then the fine label.
  const head = name === 'cifar100' ? 2 : 1;
  const record = head + IMAGE_BYTES;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new TrainError(`${file}: expected ${TITLE[name]} binary records of ${record} bytes (${head === 2 ? 'coarse label, fine label' : 'label'}, 3072 pixel bytes), found ${bytes.length} bytes.`, 'data');
  }
  const count = bytes.length / record;
  const labels = new Array<number>(count);
  for (let n = 0; n < count; n++) labels[n] = bytes[n * record + head - 1];
  return { labels: checkedLabels(file, labels, classes), source: bytes, first: head, stride: record };
}

function checkedLabels(file: string, labels: unknown[], classes: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (const [i, label] of labels.entries()) {
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= classes) {
      throw new TrainError(`${file}: label ${i} is ${String(label)}, expected a class index 0 … ${classes - 1}.`, 'data');
    }
    out[i] = label;
  }
  return out;
}

function classNames(files: CifarFiles): string[] {
  const wanted = files.name === 'cifar10' ? 10 : 100;
  let names: unknown;
  if (files.format === 'binary') names = readFileSync(files.meta, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  else {
    const raw = unpickle(files.meta).get(files.name === 'cifar10' ? 'label_names' : 'fine_label_names');
    names = Array.isArray(raw) ? raw.map((n) => (n instanceof Uint8Array ? Buffer.from(n).toString('utf8') : String(n))) : undefined;
  }
  if (!Array.isArray(names) || names.length !== wanted) {
    throw new TrainError(`${files.meta}: expected ${wanted} class names, found ${Array.isArray(names) ? names.length : 'none'}.`, 'data');
  }
  return names as string[];
}

function split(parts: Part[]): ImageSplit {
  const count = parts.reduce((sum, p) => sum + p.labels.length, 0);
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  let at = 0;
  for (const part of parts) {
    labels.set(part.labels, at);
    planarToHwc(part.source, part.labels.length, part.first, part.stride, pixels, at);
    at += part.labels.length;
  }
  return { count, labels, pixels };
}

/** Reads located CIFAR files into a data set (HWC u8 pixels, class order of the meta file). Throws a TrainError naming the file. */
export function readCifar(files: CifarFiles): ImageDataset {
  const classes = classNames(files);
  const read = (file: string): Part =>
    files.format === 'python' ? readPythonPart(file, files.name === 'cifar10' ? 'labels' : 'fine_labels', classes.length) : readBinaryPart(file, files.name, classes.length);
  return { name: files.name, height: SIDE, width: SIDE, channels: 3, classes, train: split(files.train.map(read)), test: split([read(files.test)]) };
}

/** locateCifar then readCifar. */
export function loadCifar(name: CifarName, folder: string, base?: string): ImageDataset {
  return readCifar(locateCifar(name, folder, base));
}

/** The folder a cifar train section reads: its `data`, else `fallback` (the setting or a CLI flag); a TrainError when neither says. */
export function cifarFolder(dataset: { name: CifarName; folder?: string }, fallback?: string): string {
  const folder = dataset.folder ?? (fallback && fallback.trim() !== '' ? fallback : undefined);
  if (folder === undefined) {
    throw new TrainError(`dataset: ${dataset.name} is read from a folder you already have (nothing is downloaded): add data: "path/to/${LAYOUTS[dataset.name][0].child}" to the train section, or set skipnet.data.cifarFolder.`, 'data');
  }
  return folder;
}

/**
 * The located folder converted once to an SKND file (src/train/dataset.ts) in `cacheFolder`, for a page that cannot
 * read the user's disk: the file's name changes when any source file does (path, size, modification time), so an
 * existing file is reused as it is. Returns its path. Throws the reader's TrainError for a folder that does not read.
 */
export function cachedCifar(files: CifarFiles, cacheFolder: string): string {
  const hash = createHash('sha256');
  for (const file of [...files.train, files.test, files.meta]) {
    const stat = statSync(file);
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\0`);
  }
  const target = join(cacheFolder, `${files.name}-${hash.digest('hex').slice(0, 16)}.bin`);
  if (!existsSync(target)) {
    mkdirSync(cacheFolder, { recursive: true });
    // Written under another name first: a page never fetches half a file.
    const partial = `${target}.${process.pid}.partial`;
    writeFileSync(partial, encodeDataset(readCifar(files)));
    renameSync(partial, target);
  }
  return target;
}
