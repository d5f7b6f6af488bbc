import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCliAsync } from '../../src/cli/main';
import { analyze } from '../../src/core';
import { loadCifar, locateCifar, readCifar, type CifarFiles } from '../../src/train/cifar';
import type { ImageDataset } from '../../src/train/dataset';
import { TrainError } from '../../src/train/errors';
import { datasetFor } from '../../src/train/nodeData';
import { ROOT } from '../support/examples';
import { PYTHON } from './torchHelpers';
import { expected, writeBinaryFolder, writePythonFolder, type Layout } from '../support/cifarFolders';

// CIFAR-10/100 from the folders users have (torchvision's pickles, the binary records), written small by the test:
// the Node reader against hand-computed pixels and labels, and against python/skipnet_cifar.py.

const dir = mkdtempSync(join(tmpdir(), 'skipnet-cifar-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function assertMatches(dataset: ImageDataset, name: 'cifar10' | 'cifar100'): void {
  const want = expected(name);
  assert.equal(dataset.name, name);
  assert.deepEqual([dataset.height, dataset.width, dataset.channels], [32, 32, 3]);
  assert.equal(dataset.classes.length, name === 'cifar10' ? 10 : 100);
  assert.equal(dataset.classes[7], 'class 7');
  assert.deepEqual([...dataset.train.labels], want.train.labels);
  assert.deepEqual([...dataset.test.labels], want.test.labels);
  assert.ok(Buffer.from(dataset.train.pixels).equals(Buffer.from(want.train.pixels)), 'train pixels, HWC');
  assert.ok(Buffer.from(dataset.test.pixels).equals(Buffer.from(want.test.pixels)), 'test pixels, HWC');
}

/** What python/skipnet_cifar.py reads from the same files: labels and pixels (HWC, base64) of both splits. */
function readInPython(files: CifarFiles, classes: string[]): { train: { labels: number[]; pixels: string }; test: { labels: number[]; pixels: string } } {
  const script = String.raw`
import base64, json, sys
sys.path.insert(0, sys.argv[1])
from skipnet_cifar import read_cifar
d = read_cifar(json.load(sys.stdin))
out = lambda s: {'labels': s.labels.tolist(), 'pixels': base64.b64encode(s.pixels.contiguous().numpy().tobytes()).decode(), 'shape': list(s.pixels.shape)}
print(json.dumps({'train': out(d.train), 'test': out(d.test)}))
`;
  const spec = { name: files.name, format: files.format, train: files.train, test: files.test, classes };
  return JSON.parse(execFileSync(PYTHON, ['-c', script, join(ROOT, 'python')], { input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 64 << 20 }));
}

const LAYOUTS: { name: 'cifar10' | 'cifar100'; layout: Layout | 'binary'; child: string }[] = [
  { name: 'cifar10', layout: 'py2', child: 'cifar-10-batches-py' },
  { name: 'cifar10', layout: 'py3-protocol2', child: 'cifar-10-batches-py' },
  { name: 'cifar10', layout: 'py3-protocol4', child: 'cifar-10-batches-py' },
  { name: 'cifar10', layout: 'binary', child: 'cifar-10-batches-bin' },
  { name: 'cifar100', layout: 'py2', child: 'cifar-100-python' },
  { name: 'cifar100', layout: 'binary', child: 'cifar-100-binary' },
];

for (const { name, layout, child } of LAYOUTS) {
  test(`${name} ${layout}: Node and python/skipnet_cifar.py read the same HWC pixels and ${name === 'cifar100' ? 'fine ' : ''}labels as written`, () => {
    const parent = join(dir, `${name}-${layout}`);
    const folder = join(parent, child);
    if (layout === 'binary') writeBinaryFolder(folder, name);
    else writePythonFolder(folder, name, layout);
    // Found from the format folder itself and from the folder holding it.
    const files = locateCifar(name, parent);
    assert.equal(files.folder, folder);
    assert.equal(files.format, layout === 'binary' ? 'binary' : 'python');
    assert.deepEqual(locateCifar(name, folder), files);
    const dataset = readCifar(files);
    assertMatches(dataset, name);
    const python = readInPython(files, dataset.classes);
    assert.deepEqual(python.train.labels, [...dataset.train.labels]);
    assert.deepEqual(python.test.labels, [...dataset.test.labels]);
    assert.equal(python.train.pixels, Buffer.from(dataset.train.pixels).toString('base64'));
    assert.equal(python.test.pixels, Buffer.from(dataset.test.pixels).toString('base64'));
  });
}

test('a train section reads cifar10 from its data folder, relative to the file; data without cifar is a located error', () => {
  const folder = join(dir, 'section', 'cifar-10-batches-bin');
  writeBinaryFolder(folder, 'cifar10');
  const analysis = analyze(`model m(32x32x3) {
  conv(4, 3) -> gap -> dense(10)
  train { dataset: cifar10; data: "cifar-10-batches-bin"; batch: 4 }
}`);
  assert.deepEqual(analysis.diagnostics, []);
  const config = analysis.models[0].training;
  assert.deepEqual(config.dataset, { kind: 'cifar', name: 'cifar10', folder: 'cifar-10-batches-bin' });
  assertMatches(datasetFor(config, { base: join(dir, 'section') }), 'cifar10');

  const wrong = `model m(28x28x1) {
  conv(4, 3) -> gap -> dense(10)
  train { dataset: mnist; data: "x" }
}`;
  const [diagnostic, ...rest] = analyze(wrong).diagnostics;
  assert.deepEqual(rest, []);
  assert.equal(diagnostic.code, 'invalid-training');
  assert.equal(diagnostic.message, 'data names the CIFAR folder and goes with dataset: cifar10 or cifar100; this model trains on mnist.');
  assert.equal(wrong.slice(diagnostic.range.start, diagnostic.range.end), 'data');
  assert.equal(wrong.slice(0, diagnostic.range.start).split('\n').length, 3);
  const number = analyze('model m(32x32x3) {\n  gap -> dense(100)\n  train { dataset: cifar100; data: 3 }\n}').diagnostics;
  assert.deepEqual(number.map((d) => d.message), ['data must be the CIFAR folder as a path in quotes, e.g. "data/cifar-10-batches-py", not 3.']);
  // No folder anywhere: the error says where to give one.
  assert.throws(() => datasetFor(analyze('model m(32x32x3) {\n  gap -> dense(10)\n  train { dataset: cifar10 }\n}').models[0].training), (error: unknown) => {
    assert.ok(error instanceof TrainError);
    assert.equal(error.message, 'dataset: cifar10 is read from a folder you already have (nothing is downloaded): add data: "path/to/cifar-10-batches-py" to the train section, or set skipnet.data.cifarFolder.');
    return true;
  });
});

test('a folder in the wrong format: one message naming the folder, what was expected and what was found', () => {
  const message = (name: 'cifar10' | 'cifar100', folder: string): string => {
    try {
      loadCifar(name, folder);
    } catch (error) {
      assert.ok(error instanceof TrainError && error.code === 'data');
      return error.message;
    }
    return assert.fail(`${folder} was read as ${name}`);
  };
  const mnistLike = join(dir, 'wrong', 'pets');
  mkdirSync(join(mnistLike, 'cat'), { recursive: true });
  mkdirSync(join(mnistLike, 'dog'), { recursive: true });
  writeFileSync(join(mnistLike, 'mnist.bin'), 'SKND');
  const expected10 =
    "expected torchvision's cifar-10-batches-py (data_batch_1 … data_batch_5, test_batch, batches.meta) or the binary cifar-10-batches-bin (data_batch_1.bin … data_batch_5.bin, test_batch.bin, batches.meta.txt), or a folder holding one";
  assert.equal(message('cifar10', mnistLike), `CIFAR-10 folder '${mnistLike}' (${mnistLike}): ${expected10}; found cat, dog, mnist.bin.`);
  const missing = join(dir, 'wrong', 'nothing-here');
  assert.equal(message('cifar10', missing), `CIFAR-10 folder '${missing}' (${missing}): ${expected10}; found no such folder.`);

  // CIFAR-100 where CIFAR-10 was asked for: the message says which it is.
  const hundred = join(dir, 'wrong', 'hundred');
  writeBinaryFolder(join(hundred, 'cifar-100-binary'), 'cifar100');
  assert.equal(message('cifar10', hundred), `CIFAR-10 folder '${hundred}' (${hundred}): ${expected10}; found cifar-100-binary: that is CIFAR-100's layout; use dataset: cifar100.`);

  // The right names, the wrong bytes: the file is named, with what its size should be.
  const truncated = join(dir, 'wrong', 'cifar-10-batches-bin');
  writeBinaryFolder(truncated, 'cifar10');
  writeFileSync(join(truncated, 'data_batch_3.bin'), new Uint8Array(3073 * 2 + 100));
  assert.equal(message('cifar10', truncated), `${join(truncated, 'data_batch_3.bin')}: expected CIFAR-10 binary records of 3073 bytes (label, 3072 pixel bytes), found 6246 bytes.`);
  const notPickle = join(dir, 'wrong', 'cifar-10-batches-py');
  writePythonFolder(notPickle, 'cifar10', 'py2');
  writeFileSync(join(notPickle, 'test_batch'), 'not a pickle at all');
  assert.match(message('cifar10', notPickle), new RegExp(`^${join(notPickle, 'test_batch').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected a CIFAR python pickle, found bytes that do not unpickle \\(`));
});

test('skipnet train on a CIFAR folder: the TensorFlow.js engine and the PyTorch engine in 2 processes see the same batches (same losses)', async () => {
  const folder = join(dir, 'cli', 'cifar-10-batches-bin');
  writeBinaryFolder(folder, 'cifar10');
  const file = join(dir, 'cli', 'net.skipnet');
  writeFileSync(file, `model net(32x32x3) {
  conv(4, 3, stride=2, bias=false) -> bn -> relu -> gap -> dense(10)
  train { dataset: cifar10; data: "cifar-10-batches-bin"; batch: 5; optimizer: sgd; lr: 0.1; seed: 2 }
}`);
  const run = async (args: string[]): Promise<number[]> => {
    const lines: string[] = [];
    const errors: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => errors.push(l), readFile: (p: string) => readFileSync(p, 'utf8'), writeFile: () => assert.fail('train writes no files') };
    assert.equal(await runCliAsync(['train', file, '--json', '--eval-samples', '4', ...args], io), 0, errors.join('\n'));
    return lines.map((l) => JSON.parse(l) as { type: string; loss?: number }).flatMap((e) => (e.type === 'progress' ? [e.loss!] : []));
  };
  const tfjs = await run([]);
  const torch = await run(['--engine', 'pytorch', '--python', PYTHON, '--nproc', '2']);
  // 15 training images at batch 5: three steps, each on the images the seed's order gives.
  assert.equal(tfjs.length, 3);
  assert.equal(torch.length, 3);
  for (const [i, loss] of tfjs.entries()) assert.ok(Math.abs(torch[i] - loss) < 1e-4, `step ${i + 1}: tfjs ${loss}, PyTorch ${torch[i]}`);
});
