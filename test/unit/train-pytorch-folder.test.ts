import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, after, test } from 'node:test';
import { runCliAsync } from '../../src/cli/main';
import { analyze } from '../../src/core';
import { adaptInputs, makeBatch, type ImageDataset, type ImageSplit } from '../../src/train/data';
import { folderSplit, parseDataset } from '../../src/train/dataset';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { epochOrder, SeededRandom } from '../../src/train/rng';
import { DEBIAN_TORCH, encodeDataset, EventLog, PYTHON } from './torchHelpers';
import { useNodeBackend } from '../../src/train/nodeBackend';

// The cpu backend, chosen before any tensor: the shared helpers load the engine, which registers wasm too (first in priority).
before(() => useNodeBackend('cpu'));

// An image folder on the PyTorch engine: the graph view decodes it as for the browser engine (one sub-folder per
// class, every fifth image of a class held out) and hands the runner those bytes. The runner's class order, split,
// seeded batch order and batches then equal the TensorFlow.js engine's to the bit.

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'skipnet-folder-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CLASSES = ['bird', 'cat', 'dog'];
const [HEIGHT, WIDTH, CHANNELS] = [6, 5, 3];
// As readImageFolder lists them (class by class), with names whose order differs from the files' order inside a class.
const IMAGES = [
  ...['b10.png', 'b2.png', 'b1.png', 'b3.png', 'b5.png', 'b4.png', 'b6.png'].map((name) => ({ label: 0, name: `bird/${name}` })),
  ...['c1.png', 'c2.png', 'c3.png', 'c4.png', 'c5.png', 'c6.png'].map((name) => ({ label: 1, name: `cat/${name}` })),
  ...['d4.png', 'd3.png', 'd2.png', 'd1.png'].map((name) => ({ label: 2, name: `dog/${name}` })),
];

/** Decoded pixels of image `index`: every byte value occurs across the set, in an order that is not a ramp. */
function pixelsOf(index: number): Uint8Array {
  return Uint8Array.from({ length: HEIGHT * WIDTH * CHANNELS }, (_, p) => (index * 89 + p * 37) % 256);
}

/** The folder as decodeFolder builds it, from folderSplit's indices (the page adds only the browser's decoding). */
function folderDataset(): ImageDataset {
  const { train, test } = folderSplit(IMAGES);
  const split = (indices: number[]): ImageSplit => {
    const pixels = new Uint8Array(indices.length * HEIGHT * WIDTH * CHANNELS);
    indices.forEach((index, i) => pixels.set(pixelsOf(index), i * HEIGHT * WIDTH * CHANNELS));
    return { count: indices.length, labels: Uint8Array.from(indices, (index) => IMAGES[index].label), pixels };
  };
  return { name: "folder 'pets'", height: HEIGHT, width: WIDTH, channels: CHANNELS, classes: CLASSES, train: split(train), test: split(test) };
}

test('the folder split: by class, then name; the 5th of each class held out, names in localeCompare order', () => {
  const { train, test } = folderSplit(IMAGES);
  const names = (indices: number[]): string[] => indices.map((i) => IMAGES[i].name);
  // bird sorts b1, b10, b2, …: its 5th is b4; cat's 5th is c5; dog has 4 images, none held out.
  assert.deepEqual(names(test), ['bird/b4.png', 'cat/c5.png']);
  assert.deepEqual(names(train), ['bird/b1.png', 'bird/b10.png', 'bird/b2.png', 'bird/b3.png', 'bird/b5.png', 'bird/b6.png', 'cat/c1.png', 'cat/c2.png', 'cat/c3.png', 'cat/c4.png', 'cat/c6.png', 'dog/d1.png', 'dog/d2.png', 'dog/d3.png', 'dog/d4.png']);
  // A class too small to give a held-out image: the last training image is held out instead.
  assert.deepEqual(folderSplit([{ label: 0, name: 'a/1.png' }, { label: 1, name: 'b/1.png' }]), { train: [0], test: [1] });
});

test('the runner reads a folder-derived data file with the same classes and split, and its first batches equal the TensorFlow.js engine\'s to the bit', () => {
  const data = folderDataset();
  const file = join(dir, 'pets.bin');
  writeFileSync(file, encodeDataset(data));
  // Padded to 8×7 (zero rows and columns around the image) as a model with a larger input gets it.
  const adapter = adaptInputs(data, [8, 7, 3]);
  const [seed, batch, batches] = [11, 4, 5];
  const script = [
    'import base64, json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'import torch',
    'from skipnet_data import Batches, SeededRandom, epoch_order, read_dataset',
    'spec = json.loads(sys.stdin.read())',
    'data = read_dataset(spec["file"])',
    'make = Batches(data, spec["adapter"], torch.device("cpu"))',
    'random, out = SeededRandom(spec["seed"]), []',
    'per_epoch = data.train.count // spec["batch"]',
    'while len(out) < spec["batches"]:',
    '    order = epoch_order(random, data.train.count)',
    '    for s in range(per_epoch):',
    '        if len(out) == spec["batches"]: break',
    '        x, y = make.make(data.train, order[s * spec["batch"]:(s + 1) * spec["batch"]])',
    '        out.append({"x": base64.b64encode(x.permute(0, 2, 3, 1).contiguous().numpy().tobytes()).decode(), "labels": y.tolist()})',
    'print(json.dumps({"classes": data.classes, "counts": [data.train.count, data.test.count], "testLabels": data.test.labels.tolist(), "batches": out}))',
  ].join('\n');
  const config = { flatten: false, height: 8, width: 7, channels: 3, padTop: adapter.padTop, padLeft: adapter.padLeft, mean: adapter.mean, std: adapter.std };
  const theirs = JSON.parse(
    execFileSync(PYTHON, ['-c', script, join(ROOT, 'python')], { input: JSON.stringify({ file, adapter: config, seed, batch, batches }), encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }),
  ) as { classes: string[]; counts: number[]; testLabels: number[]; batches: { x: string; labels: number[] }[] };
  assert.deepEqual(theirs.classes, CLASSES);
  assert.deepEqual(theirs.counts, [15, 2]);
  assert.deepEqual(theirs.testLabels, [0, 1]);
  // The TensorFlow.js engine's order (engine.ts: one SeededRandom, an epochOrder per epoch) and batches.
  const random = new SeededRandom(seed);
  const ours: { x: Buffer; labels: number[] }[] = [];
  while (ours.length < batches) {
    const order = epochOrder(random, new Int32Array(data.train.count));
    for (let s = 0; s < Math.floor(data.train.count / batch) && ours.length < batches; s++) {
      const made = makeBatch(data, data.train, order.subarray(s * batch, (s + 1) * batch), adapter);
      const values = made.x.dataSync() as Float32Array;
      ours.push({ x: Buffer.from(values.buffer, values.byteOffset, values.byteLength), labels: Array.from(made.labels) });
      made.x.dispose();
      made.y.dispose();
    }
  }
  assert.equal(theirs.batches.length, batches, 'the 5th batch comes from the second epoch (3 batches an epoch)');
  theirs.batches.forEach((b, k) => {
    assert.deepEqual(b.labels, ours[k].labels, `batch ${k}: labels`);
    assert.ok(Buffer.from(b.x, 'base64').equals(ours[k].x), `batch ${k}: every float32's bits`);
  });
});

test('a run on decoded folder bytes trains in PyTorch; a folder the model cannot take is refused with its name', async () => {
  const bytes = encodeDataset(folderDataset());
  assert.equal(parseDataset("folder 'pets'", bytes).train.count, 15);
  const text = `model pets(8x7x3) {
  conv(4, 3, pad=1) -> relu -> gap -> dense(3)
  train { batch: 4; epochs: 1; seed: 11 }
}`;
  const analysis = analyze(text);
  const log = new EventLog();
  const run = await PyTorchTraining.start({ analysis, graph: analysis.models[0], datasetBytes: { name: "folder 'pets'", bytes }, python: DEBIAN_TORCH, device: 'cpu', maxSteps: 2, statsInterval: 0, onEvent: log.push });
  const result = await run.result;
  assert.deepEqual([result.reason, result.steps], ['done', 2]);
  const started = log.events.find((e) => e.type === 'started');
  assert.ok(started?.type === 'started');
  assert.deepEqual(started.notes, ["folder 'pets' 6×5×3 images padded with zeros to 8×7"]);

  const small = analyze(text.replace('8x7x3', '4x4x3'));
  await assert.rejects(
    PyTorchTraining.start({ analysis: small, graph: small.models[0], datasetBytes: { name: "folder 'pets'", bytes }, python: DEBIAN_TORCH }),
    { message: "folder 'pets' images are 6×5×3 but model pets takes 4×4×3: images would have to be cropped; give the model an input of at least 6×5." },
  );
});

test('Train both on a folder: two runners at once read one decoded data file, each naming it as the folder', async () => {
  // The Compare panel writes the page's decoded folder once (src/compare/torchPair.ts) and starts both runs on it.
  const file = join(dir, 'pair-folder.bin');
  writeFileSync(file, encodeDataset(folderDataset()));
  const text = (name: string, width: number): string => `model ${name}(8x7x3) {\n  conv(${width}, 3, pad=1) -> relu -> gap -> dense(3)\n  train { batch: 4; epochs: 1; seed: 11 }\n}`;
  const start = async (name: string, width: number): Promise<{ steps: number; loss: number | null; notes: string[]; params: number }> => {
    const analysis = analyze(text(name, width));
    const log = new EventLog();
    const run = await PyTorchTraining.start({ analysis, graph: analysis.models[0], datasetFile: file, datasetName: "folder 'pets'", python: DEBIAN_TORCH, device: 'cpu', threads: 1, maxSteps: 2, statsInterval: 0, onEvent: log.push });
    const result = await run.result;
    const started = log.events.find((e) => e.type === 'started');
    assert.ok(started?.type === 'started', name);
    return { steps: result.steps, loss: result.loss, notes: started.notes, params: started.params };
  };
  const [a, b] = await Promise.all([start('narrow', 2), start('wide', 4)]);
  // narrow: conv 3·3·3·2 + 2 = 56, dense 2·3 + 3 = 9; wide: 3·3·3·4 + 4 = 112, 4·3 + 3 = 15.
  assert.deepEqual([a.params, b.params], [65, 127]);
  for (const side of [a, b]) {
    assert.equal(side.steps, 2);
    assert.ok(typeof side.loss === 'number' && Number.isFinite(side.loss));
    assert.deepEqual(side.notes, ["folder 'pets' 6×5×3 images padded with zeros to 8×7"]);
  }
  assert.ok(readFileSync(file).length > 0, 'the shared file is still there for the other runner');
});

test('skipnet train on a data folder: both engines say the CLI cannot decode it and where it trains, exit 1', async () => {
  const file = join(dir, 'shapes.skipnet');
  writeFileSync(file, 'model tiny(8x8x1) {\n  conv(4, 3, pad=1) -> relu -> gap -> dense(2)\n  train { dataset: "shapes"; batch: 4; epochs: 1 }\n}\n');
  const message = "skipnet: Data set folder 'shapes': the CLI cannot decode image folders (the graph view decodes them, for the browser and the PyTorch engine); train this model in the graph view, or use mnist, fashion_mnist, cifar10 or cifar100 here.";
  for (const engine of [[], ['--engine', 'pytorch', '--python', PYTHON]]) {
    const lines: string[] = [];
    const errors: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => errors.push(l), readFile: (p: string) => readFileSync(p, 'utf8'), writeFile: () => assert.fail('train writes no files') };
    assert.equal(await runCliAsync(['train', file, ...engine], io), 1, engine.join(' '));
    assert.deepEqual([lines, errors], [[], [message]], engine.join(' '));
  }
});
