/**
 * Tiny CIFAR folders in the layouts users have (torchvision's pickles written by Debian's python3 and numpy, the
 * binary records written by hand), for the tests of both engines' readers and of training on them. Every pixel and
 * label is a function of the image's number, so a test can compute what a reader must return.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON } from './torch';

/** Image n's planar byte i (channel-planar, as CIFAR stores it), fine and coarse labels: all from n alone. */
export const pixel = (n: number, i: number): number => (n * 37 + i * 11 + (i >> 10) * 101) % 256;
export const fineLabel = (n: number, classes: number): number => (n * 7 + 3) % classes;
export const coarseLabel = (n: number): number => (n * 5 + 1) % 20;
/** Images per training file and in the test file: CIFAR-10 has five training files, CIFAR-100 one. */
export const PER_FILE = 3;
export const TEST_COUNT = 4;

export type Layout = 'py2' | 'py3-protocol2' | 'py3-protocol4';

/** Image numbers of each file: training files in order, then the test file. */
export function fileImages(name: 'cifar10' | 'cifar100'): number[][] {
  const trainFiles = name === 'cifar10' ? 5 : 1;
  const perTrain = name === 'cifar10' ? PER_FILE : 5 * PER_FILE;
  const files = Array.from({ length: trainFiles }, (_, f) => Array.from({ length: perTrain }, (_, k) => f * perTrain + k));
  return [...files, Array.from({ length: TEST_COUNT }, (_, k) => 1000 + k)];
}

/**
 * Writes the pickles with Debian's python3 and numpy, as torchvision's folders hold them: 'py2' writes byte strings
 * as Python 2 did (BINSTRING, keys too: the published files), the others are Python 3 re-pickles.
 */
export function writePythonFolder(folder: string, name: 'cifar10' | 'cifar100', layout: Layout): void {
  mkdirSync(folder, { recursive: true });
  const script = String.raw`
import json, pickle, struct, sys, numpy as np
spec = json.load(sys.stdin)
class Py2(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)
    def save_bytes(self, obj):
        self.write(pickle.BINSTRING + struct.pack('<i', len(obj)) + obj)
        self.memoize(obj)
    dispatch[bytes] = save_bytes
def key(k):
    return k.encode() if spec['layout'] == 'py2' else k
def dump(path, obj):
    with open(path, 'wb') as f:
        if spec['layout'] == 'py2':
            Py2(f, protocol=2).dump(obj)
        else:
            pickle.dump(obj, f, protocol=2 if spec['layout'] == 'py3-protocol2' else 4)
for f in spec['files']:
    entry = {key('batch_label'): key('a batch'), key('data'): np.array(f['pixels'], dtype=np.uint8).reshape(len(f['fine']), 3072)}
    if spec['name'] == 'cifar10':
        entry[key('labels')] = f['fine']
    else:
        entry[key('fine_labels')] = f['fine']
        entry[key('coarse_labels')] = f['coarse']
    dump(f['path'], entry)
names = [key(n) for n in spec['classes']]
dump(spec['meta'], {key('label_names'): names} if spec['name'] == 'cifar10' else {key('fine_label_names'): names, key('coarse_label_names'): names[:20]})
`;
  const classes = name === 'cifar10' ? 10 : 100;
  const fileNames = name === 'cifar10' ? ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'] : ['train', 'test'];
  const files = fileImages(name).map((images, f) => ({
    path: join(folder, fileNames[f]),
    fine: images.map((n) => fineLabel(n, classes)),
    coarse: images.map(coarseLabel),
    pixels: images.flatMap((n) => Array.from({ length: 3072 }, (_, i) => pixel(n, i))),
  }));
  const input = JSON.stringify({ name, layout, files, classes: Array.from({ length: classes }, (_, c) => `class ${c}`), meta: join(folder, name === 'cifar10' ? 'batches.meta' : 'meta') });
  execFileSync(PYTHON, ['-c', script], { input, encoding: 'utf8' });
}

/** The binary records, by hand: [coarse label,] label, 3072 planar pixel bytes; class names one per line. */
export function writeBinaryFolder(folder: string, name: 'cifar10' | 'cifar100'): void {
  mkdirSync(folder, { recursive: true });
  const classes = name === 'cifar10' ? 10 : 100;
  const head = name === 'cifar10' ? 1 : 2;
  const fileNames = name === 'cifar10' ? ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'] : ['train.bin', 'test.bin'];
  for (const [f, images] of fileImages(name).entries()) {
    const bytes = new Uint8Array(images.length * (head + 3072));
    for (const [k, n] of images.entries()) {
      const at = k * (head + 3072);
      if (head === 2) bytes[at] = coarseLabel(n);
      bytes[at + head - 1] = fineLabel(n, classes);
      for (let i = 0; i < 3072; i++) bytes[at + head + i] = pixel(n, i);
    }
    writeFileSync(join(folder, fileNames[f]), bytes);
  }
  const names = Array.from({ length: classes }, (_, c) => `class ${c}`).join('\n') + '\n';
  writeFileSync(join(folder, name === 'cifar10' ? 'batches.meta.txt' : 'fine_label_names.txt'), names);
  if (name === 'cifar100') writeFileSync(join(folder, 'coarse_label_names.txt'), names.split('\n').slice(0, 20).join('\n'));
}

/** The data set the generator describes, HWC, by the definition of the layout (not by the reader's code). */
export function expected(name: 'cifar10' | 'cifar100'): { train: { labels: number[]; pixels: Uint8Array }; test: { labels: number[]; pixels: Uint8Array } } {
  const classes = name === 'cifar10' ? 10 : 100;
  const files = fileImages(name);
  const build = (images: number[]) => {
    const pixels = new Uint8Array(images.length * 3072);
    for (const [k, n] of images.entries()) {
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) pixels[k * 3072 + (y * 32 + x) * 3 + c] = pixel(n, c * 1024 + y * 32 + x);
    }
    return { labels: images.map((n) => fineLabel(n, classes)), pixels };
  };
  return { train: build(files.slice(0, -1).flat()), test: build(files.at(-1)!) };
}
